"""IIS logs with CR-only, LF and CRLF line ends, and lines with no end at all.

IIS writes CRLF; copies pass through tools that rewrite line ends (a CR-only copy from a
classic-Mac-style converter loaded as "0 records, 0 warnings"). The lines are the real
Exchange lines of ``test_iis`` (``reference/evidence-formats.md`` §3). A crash can leave a
zero-filled region with no line end in a log (or the file is not a log at all): memory must
stay bounded and the region be one named bad record, the lines after it still read.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forensics.parsers.w3c import iis as iis_module
from forensics.parsers.w3c.iis import IisParser
from tests.forensics.parsers.w3c.test_iis import F_2013, HEAD, L_EAS, L_OWA, parse, write

LINES = [HEAD.rstrip("\n"), F_2013, L_EAS, L_OWA, L_EAS.replace("13:58:41", "13:59:02")]


@pytest.mark.parametrize("eol", ["\r", "\n", "\r\n"], ids=["CR", "LF", "CRLF"])
def test_every_line_end_style_reads_the_same_rows(tmp_path: Path, eol: str) -> None:
    reference, _ = parse(write(tmp_path, "\n".join(LINES) + "\n", "ref.log"))
    text = eol.join("\n".join(LINES).split("\n")) + eol
    path = write(tmp_path, text)
    frame, report = parse(path)
    assert report.records == 3 and report.accepted == 3 and report.bad == 0
    assert frame["record_id"].tolist() == [5, 6, 7]  # line numbers as in the LF file
    pd.testing.assert_frame_equal(frame.drop(columns=["raw_ref"]), reference.drop(columns=["raw_ref"]))
    assert [IisParser.raw_record(path, ref, rid) for ref, rid in zip(frame["raw_ref"], frame["record_id"])] == LINES[2:]
    assert [IisParser.raw_record(path, None, rid) for rid in frame["record_id"]] == LINES[2:]
    assert any("carriage return alone" in w.message for w in report.warnings) == (eol == "\r")


def test_cr_only_file_split_across_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [L_EAS.replace("13:58:41", f"13:58:{i:02d}") for i in range(20)]
    path = write(tmp_path, "\r".join("\n".join([*LINES[:2], *lines]).split("\n")) + "\r")
    monkeypatch.setattr(iis_module, "BLOCK", 97)  # every line spans blocks
    frame, report = parse(path)
    assert len(frame) == 20 and report.records == 20 and report.bad == 0


def test_a_line_without_end_is_one_bad_record_and_memory_stays_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zeros = "\0" * 5000  # a zero-filled region left by a crash: no line end
    path = write(tmp_path, HEAD + F_2013 + "\n" + L_EAS + "\n" + zeros + L_OWA + "\n" + L_EAS + "\n")
    monkeypatch.setattr(iis_module, "BLOCK", 256)
    monkeypatch.setattr(iis_module, "MAX_LINE", 1000)
    carried: list[int] = []
    original = IisParser._carry

    def spy(self, ctx, state, carry, data):  # the bytes held back never exceed the cap
        out = original(self, ctx, state, carry, data)
        carried.append(len(out))
        return out

    monkeypatch.setattr(IisParser, "_carry", spy)
    frame, report = parse(path)
    assert max(carried) <= 1000
    assert frame["record_id"].tolist() == [5, 7] and report.bad == 1
    warning = next(w for w in report.warnings if w.location == "line 6")
    assert "over the 1,000-byte limit" in warning.message and f"{len(zeros) + len(L_OWA) + 1:,} bytes" in warning.message
    # the byte offsets after the dropped line still point at the right line
    assert IisParser.raw_record(path, int(frame["raw_ref"].iloc[1]), None) == L_EAS
    # no line end at all, to the end of the file
    path.write_bytes(b"\0" * 3000)
    frame, report = parse(path)
    assert frame.empty and report.bad == 1 and report.records == 1
