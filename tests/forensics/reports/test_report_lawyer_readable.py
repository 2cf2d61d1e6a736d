"""Issue 22, "Reports a lawyer can read": the executive summary comes first (the question,
the pairs with counts as accesses, admin changes, bookmarked incidents) and the hash tables
later; evidence is cited by file name; PDF table headers never break inside a word and
columns fit the page; XLSX times are real date-times with the zone in the header; the CSV
report has a context file logged in custody.

The evidence is a synthetic case written by ``forensics.synth`` (real EVTX records of the
Exchange 2007/2010 auditing events 10100–10106 and the MSExchange Management log, see
/work/shared/reference/evidence-formats.md), opened, bookmarked and reported through the
CLI as an examiner would, displayed in America/New_York so times carry -05:00 and -04:00
(the scenario spans no DST change of its own; the offsets are checked per row).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader

from forensics.cli.main import main
from forensics.custody.hashing import hash_file
from forensics.custody.log import CustodyLog
from forensics.reports.csv_context import context_path
from forensics.reports.executive import CHANGE_COLUMNS, INCIDENT_COLUMNS, PAIR_COLUMNS
from forensics.reports.formatting import ADMIN_COLUMNS, BOOKMARK_ROW_COLUMNS, FINDINGS_COLUMNS
from forensics.reports.pdf_layout import column_widths, header_words

ZONE = "America/New_York"


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("lawyer")
    synth = root / "synth"
    assert main(["synth", "--scenario", "after-hours", "--out", str(synth), "--formats", "evtx", "--events", "200"]) == 0
    truth = json.loads((synth / "truth.json").read_text(encoding="utf-8"))
    (incident,) = truth["incidents"]
    case = root / "case"
    assert main(["case", "new", str(case), "--name", "Lawyer check", "--examiner", "Examiner", "--tz", ZONE]) == 0
    assert main(["case", "add", str(case), str(synth / "evidence"), "--identities", str(synth / "identities.csv"),
                 "--examiner", "Examiner"]) == 0
    assert main(["case", "tag", str(case), "--examiner", "Examiner", "--filter",
                 f"client_ip:={incident['client_ip']} is:nonowner", "--tag", "after-hours",
                 "--comment", "The planted after-hours session."]) == 0
    out = root / "reports"
    for fmt in ("html", "pdf", "xlsx", "csv"):
        assert main(["report", "--case", str(case), "--filter", "is:nonowner", "--examiner", "Examiner",
                     "--out", str(out / f"report.{fmt}")]) == 0
    return case, out, synth


def _pdf_pages(out: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(str(out / "report.pdf")).pages]


def _evidence_ids(case: Path) -> dict[str, str]:
    data = json.loads((case / "case.json").read_text(encoding="utf-8"))
    return {e["evidence_id"]: Path(e["path"]).name for e in data["evidence"]}


def _top_pair(out: Path) -> dict:
    sheet = openpyxl.load_workbook(out / "report.xlsx")["Findings"]
    header = [c.value for c in sheet[1]]
    return dict(zip(header, [c.value for c in sheet[2]]))


def test_pdf_opens_with_the_executive_summary_and_hashes_come_later(reports) -> None:  # type: ignore[no-untyped-def]
    case, out, _ = reports
    pages = _pdf_pages(out)
    first = "".join(pages[0].split())
    flat = "".join("".join(p.split()) for p in pages)
    top = _top_pair(out)
    assert "1.Executivesummary" in first and "Thequestion." in first
    assert "".join(str(top["actor"]).split()) in first  # the pair with most accesses, on page 1
    assert f"{top['accesses']:,}" in pages[0]
    assert "Whoaccessedwhosemailbox(countsareaccesses)" in first
    sha = json.loads((case / "case.json").read_text(encoding="utf-8"))["evidence"][0]["sha256"]
    assert sha not in first  # no hash table before the findings
    order = ["1.Executivesummary", "Administrativechanges", "Incidentsbookmarkedbytheexaminer",
             "2.Findings:non-owneraccess", "4.Bookmarks", "8.Evidence", sha, "11.Methodologyandlimits"]
    positions = [flat.index(marker) for marker in order]
    assert positions == sorted(positions)


def test_pdf_table_headers_never_break_inside_a_word(reports) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = reports
    words = {w.lower() for cols in (FINDINGS_COLUMNS, ADMIN_COLUMNS, BOOKMARK_ROW_COLUMNS, PAIR_COLUMNS,
                                    CHANGE_COLUMNS, INCIDENT_COLUMNS) for c in cols for w in header_words(c)}
    broken = []
    for page in _pdf_pages(out):
        lines = [line.strip() for line in page.splitlines()]
        for a, b in zip(lines, lines[1:]):
            # "even" then "ts": a line holding part of a header word, the next line the rest
            if a and b and (a + b).lower() in words and a.lower() not in words:
                broken.append(a + "|" + b)
    assert broken == []


def test_column_widths_fit_the_page_and_follow_the_content_kind() -> None:
    def measure(text: str) -> float:
        return 4.0 * len(text)  # a monospace stand-in for a font's metrics

    what = "Add-ADPermission · -Identity 'Mailbox Database' -User 'CONTOSO\\svc-backup' -ExtendedRights " * 3
    rows = [["2024-03-06 14:30:00 -05:00", "AuditConfigChange", "CONTOSO\\jsmith", "(not recorded)", what, "Success",
             "MSExchange Management.evtx"]]
    columns = ["time", "operation", "actor", "mailbox", "what", "outcome", "evidence"]
    widths = column_widths(columns, rows, 700.0, measure, lambda _i, text: measure(text))
    assert sum(widths) == pytest.approx(700.0)
    by = dict(zip(columns, widths))
    assert by["what"] > 2.5 * by["outcome"]
    assert by["outcome"] >= measure("Success")  # a short flag never wraps
    assert by["time"] >= measure("2024-03-06 14:30:00 -05:00")
    for column, width in by.items():
        assert width >= max(measure(w) for w in header_words(column))
    # eighteen columns in a narrow page: every header word still fits, and the total holds
    many = [f"column_{i}_accesses" for i in range(18)]
    widths = column_widths(many, [["x" * 40] * 18], 774.0, measure, lambda _i, text: measure(text))
    assert sum(widths) == pytest.approx(774.0)
    assert min(widths) >= measure("accesses")


class _Sections(HTMLParser):
    """Text per section id of the HTML report."""

    def __init__(self) -> None:
        super().__init__()
        self.current = ""
        self.text: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self.current = dict(attrs).get("id") or ""

    def handle_data(self, data: str) -> None:
        self.text.setdefault(self.current, []).append(data)


def test_evidence_is_cited_by_file_name_and_its_id_only_in_the_evidence_table(reports) -> None:  # type: ignore[no-untyped-def]
    case, out, _ = reports
    parser = _Sections()
    parser.feed((out / "report.html").read_text(encoding="utf-8"))
    sections = {k: "".join(v) for k, v in parser.text.items()}
    ids = _evidence_ids(case)
    cited = sections["findings"] + sections["bookmarks"] + sections["events"] + sections["admin-changes"]
    for evidence_id, name in ids.items():
        assert evidence_id not in cited
        assert evidence_id in sections["evidence"]
    assert any(name in sections["findings"] for name in ids.values())
    assert any(name in sections["bookmarks"] for name in ids.values())
    pdf = "".join(_pdf_pages(out))
    before_evidence = pdf[: pdf.index("8. Evidence")]
    assert not any(evidence_id in before_evidence for evidence_id in ids)


def test_xlsx_times_are_date_times_in_the_named_zone(reports) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = reports
    book = openpyxl.load_workbook(out / "report.xlsx")
    events = book["Events"]
    header = [c.value for c in events[1]]
    assert header[:3] == [f"time ({ZONE})", "utc_offset", "time (UTC)"]
    rows = list(events.iter_rows(min_row=2, values_only=True))
    assert rows and all(isinstance(r[0], datetime) and isinstance(r[2], datetime) for r in rows)
    for local, offset, utc in (r[:3] for r in rows):
        assert re.fullmatch(r"[+-]\d\d:\d\d", offset)  # "-04:00": no apostrophe, it is no formula
        sign = -1 if offset[0] == "-" else 1
        hours, minutes = int(offset[1:3]), int(offset[4:])
        delta = (local - utc).total_seconds()
        assert abs(delta - sign * (hours * 3600 + minutes * 60)) < 1
    assert events["A2"].number_format.startswith("yyyy-mm-dd")
    findings = book["Findings"]
    fheader = [c.value for c in findings[1]]
    assert f"first_seen ({ZONE})" in fheader
    assert isinstance(findings.cell(2, fheader.index(f"first_seen ({ZONE})") + 1).value, datetime)
    assert "evidence_file" in header


def test_csv_report_has_a_context_file_logged_in_custody(reports) -> None:  # type: ignore[no-untyped-def]
    case, out, _ = reports
    csv_path = out / "report.csv"
    context_file = context_path(csv_path)
    assert context_file.name == "report.csv.context.json"
    context = json.loads(context_file.read_text(encoding="utf-8"))
    assert context["case_name"] == "Lawyer check" and context["query"] == "is:nonowner"
    assert context["display_time_zone"] == ZONE and context["tool"].startswith("mailbox-audit")
    assert context["generated_utc"].endswith("UTC") and context["csv_sha256"] == hash_file(csv_path).sha256
    assert {e["file"] for e in context["evidence"]} == set(_evidence_ids(case).values())
    entries = [e for e in CustodyLog(case).entries() if e["kind"] == "report-exported"]
    csv_entry = [e for e in entries if e["format"] == "csv"][-1]
    assert csv_entry["sha256"] == hash_file(csv_path).sha256
    assert csv_entry["context_sha256"] == hash_file(context_file).sha256
    assert csv_entry["context_file"] == str(context_file.resolve())


def test_csv_context_file_never_writes_through_a_planted_link(tmp_path: Path) -> None:
    from forensics import schema
    from forensics.errors import ForensicsError
    from forensics.reports import build_report, export_report

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    context_path(out / "r.csv").symlink_to(victim)
    data = build_report(frame=schema.empty_frame(), heatmaps=False)
    with pytest.raises(ForensicsError):
        export_report(data, out / "r.csv")
    assert victim.read_text(encoding="utf-8") == "keep me"


def test_xlsx_summary_sheet_opens_with_the_question_and_answer(reports) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = reports
    rows = list(openpyxl.load_workbook(out / "report.xlsx")["Summary"].iter_rows(min_row=2, values_only=True))
    labels = [r[0] for r in rows]
    assert labels[:3] == ["Report", "Question", "Answer in short"]
    answer = dict(rows)["Answer in short"]
    assert "access(es) in all" in answer and "outside work hours" in answer
    assert labels.index("Incident: after-hours") < labels.index("Case name")


def test_xlsx_serials_match_excel_and_odd_times_stay_visible() -> None:
    from zoneinfo import ZoneInfo

    import pandas as pd

    from forensics.reports.xlsx_report import local_times

    # Excel's serial for 2024-03-10 01:30 is 45361.0625 (days since 1899-12-30); 06:30 UTC is
    # 01:30 in New York (EST, the day DST begins at 07:00 UTC); a year-1601 FILETIME zero and
    # a missing time are not dropped: the first stays as its UTC text, the second empty
    utc = pd.Series(pd.to_datetime(["2024-03-10T06:30:00Z", "1601-01-01T00:00:00Z", None], utc=True))
    values = local_times(utc, ZoneInfo(ZONE)).tolist()
    assert values[0] == pytest.approx(45361.0625)
    assert values[1] == "1601-01-01T00:00:00.000000Z" and values[2] is None
