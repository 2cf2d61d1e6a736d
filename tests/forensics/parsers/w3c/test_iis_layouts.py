"""Header-less IIS lines (grep or SIEM excerpts): the examiner's ``--w3c-fields``, or an IIS
default layout assumed only when field count and every value's shape agree; the layout used
is always named, and every line is still accounted for.

Lines are the real ones of ``test_iis`` (sources there); the default field sets are those of
Microsoft's IIS configuration references cited in ``forensics.parsers.w3c.iis_layouts``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.cli.main import main
from forensics.custody.log import CustodyLog
from forensics.errors import ParseError, UnsupportedFormatError
from forensics.ingest import load_evidence
from forensics.parsers import registry
from forensics.parsers.base import LoadOptions
from forensics.parsers.w3c.iis_layouts import DEFAULT_LAYOUTS, guess_layout, parse_field_list
from tests.forensics.parsers.w3c.test_iis import (
    F_2003, F_2010, F_2013, HEAD, L_2003, L_EAS, L_EAS_2010, L_MAPI_200, L_OWA, L_RPC, parse, write,
)

COMPARED = ["time", "actor", "mailbox", "operation", "client_ip", "outcome", "item", "logon_type"]


def _same_rows(tmp_path: Path, header: str, lines: list[str]) -> None:
    """Header-less lines give exactly the rows the same lines give under their real header."""
    with_header, _ = parse(write(tmp_path, HEAD + header + "\n" + "\n".join(lines) + "\n", name="u_ex1.log"))
    bare_path = write(tmp_path, "\n".join(lines) + "\n", name="excerpt.log")
    assert registry.detect(bare_path.read_bytes(), bare_path).name == "iis"
    bare, report = parse(bare_path)
    assert len(bare) == len(with_header) > 0 and report.bad == 0
    assert bare[COMPARED].astype(str).equals(with_header[COMPARED].astype(str))
    return report


@pytest.mark.parametrize(
    ("header", "lines", "layout"),
    [
        (F_2013, [L_EAS, L_OWA, L_MAPI_200], "IIS 8.5-10 default W3C fields"),
        (F_2010, [L_EAS_2010, L_RPC], "IIS 7.0-7.5 default W3C fields"),
        (F_2003, [L_2003], "IIS 6.0 default W3C fields with s-sitename"),
    ],
)
def test_default_layouts_are_recognised_and_named(tmp_path: Path, header: str, lines: list[str], layout: str) -> None:
    report = _same_rows(tmp_path, header, lines)
    notes = [n for n in report.notes if n.startswith("LAYOUT ASSUMED")]
    assert len(notes) == 1 and layout in notes[0] and f"{len(lines)} line(s)" in notes[0]
    assert any("LAYOUT ASSUMED" in w.message for w in report.warnings)


def test_iis6_layout_without_site_name(tmp_path: Path) -> None:
    line = L_2003.replace(" W3SVC101 ", " ")  # the SDK's internal default: no s-sitename
    assert guess_layout([line]).name == "IIS 6.0 default W3C fields"


def test_shapes_not_counts_alone_decide() -> None:
    # 15 fields, but the client address is a host name and the status is not a number:
    # not an IIS default line, whatever its count
    odd = L_EAS.replace(" 192.168.124.83 ", " laptop-7 ").replace(" 200 0 0 63", " OK 0 0 63")
    assert len(odd.split(" ")) == len(DEFAULT_LAYOUTS[0].fields)
    assert guess_layout([odd]) is None
    assert guess_layout([L_EAS, odd]) is None  # every sampled line must fit
    assert guess_layout([L_EAS, L_EAS_2010]) is None  # two layouts in one excerpt: no guess


def test_unfitting_headerless_lines_are_refused_or_counted(tmp_path: Path) -> None:
    odd = L_EAS.replace(" 192.168.124.83 ", " laptop-7 ")
    path = write(tmp_path, odd + "\n" + odd + "\n", name="excerpt.log")
    with pytest.raises(UnsupportedFormatError, match="not a supported evidence format"):
        registry.detect(path.read_bytes(), path)
    frame, report = parse(path)  # forced: every line counted as bad, and the note says why
    assert len(frame) == 0 and report.bad == 2 and report.records == 2
    assert [n for n in report.notes if n.startswith("NO FIELD LAYOUT") and "--w3c-fields" in n]


def test_given_fields_read_a_custom_excerpt_and_are_recorded(tmp_path: Path) -> None:
    fields = "date time c-ip cs-username cs-method cs-uri-stem cs-uri-query sc-status cs(User-Agent)"
    good = ("2021-06-11 13:58:41 192.168.124.83 XXXXXXX\\seanryan POST /Microsoft-Server-ActiveSync/default.eas "
            "User=seanryan&DeviceId=N273&DeviceType=iPad&Cmd=Search 200 Apple-iPad7C2/1805.212")
    path = write(tmp_path, good + "\n" + good.rsplit(" ", 1)[0] + "\n", name="siem.txt")  # 2nd: a field short
    with pytest.raises(UnsupportedFormatError):
        registry.detect(path.read_bytes(), path)  # not a default layout: not guessed
    custody = CustodyLog(tmp_path / "case")
    result = load_evidence([path], options=LoadOptions(w3c_fields=fields), custody=custody)
    report = result.files[0]
    assert report.parser == "iis" and report.status == "loaded"
    assert len(result.frame) == 1 and report.bad == 1 and report.balanced
    assert result.frame["actor"].iloc[0] == "XXXXXXX\\seanryan" and result.frame["client_ip"].iloc[0] == "192.168.124.83"
    assert [n for n in report.notes if n.startswith("LAYOUT ASSUMED") and "the fields given (--w3c-fields)" in n]
    opened = [e for e in custody.entries() if e["kind"] == "evidence-opened"]
    assert opened[-1]["options"]["w3c_fields"] == fields and opened[-1]["bad_records"] == 1


def test_a_header_in_the_file_takes_over_from_given_fields(tmp_path: Path) -> None:
    text = L_RPC + "\n" + HEAD + F_2013 + "\n" + L_OWA + "\n"
    frame, report = parse(write(tmp_path, text), w3c_fields=F_2010.removeprefix("#Fields: "))
    assert len(frame) == 2 and report.bad == 0
    note = [n for n in report.notes if n.startswith("LAYOUT ASSUMED")]
    assert len(note) == 1 and "1 line(s)" in note[0]  # only the line before the header


def test_given_field_lists_are_checked() -> None:
    assert parse_field_list("#Fields: date time c-ip") == ["date", "time", "c-ip"]
    for bad, why in (("", "no field names"), ("date c-ip", "date and time"), ("date time 1x", "not W3C field names")):
        with pytest.raises(ParseError, match=why):
            parse_field_list(bad)


def test_cli_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, L_RPC + "\n", name="rpc.txt")
    assert main(["load", str(path), "--w3c-fields", "date time"[:4]]) != 0
    assert "--w3c-fields" in capsys.readouterr().err
    out = tmp_path / "rows.csv"
    assert main(["load", str(path), "--w3c-fields", F_2010.removeprefix("#Fields: "), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").count("\n") == 2


def test_report_methodology_names_the_layout(tmp_path: Path) -> None:
    from forensics.reports.methodology import completeness_statement

    _, report = parse(write(tmp_path, L_RPC + "\n", name="rpc.txt"))
    text = completeness_statement([report])
    assert "Header-less IIS lines" in text and "rpc.txt: LAYOUT ASSUMED" in text and "IIS 7.0-7.5" in text
