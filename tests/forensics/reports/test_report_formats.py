"""Reports in every format: sections, hashes, counts, round trips, and inert hostile text."""

from __future__ import annotations

import csv
import json
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from report_fixtures import PAYLOADS, hostile_rows, make_case
from forensics import schema
from forensics.custody.hashing import hash_file
from forensics.query import compile_query, resolve_tz
from forensics.reports import build_report, export_report
from forensics.reports.csv_report import read_csv
from forensics.reports.xlsx_report import SHEETS

# the executive summary first, then the detail, then evidence and methods (issue 22)
SECTIONS = ["case", "executive", "findings", "admin-changes", "bookmarks", "heatmaps", "summary", "query",
            "evidence", "parse-warnings", "events", "methodology", "notes", "versions"]
HEADINGS = ["1. Executive summary", "2. Findings: non-owner access", "3. Administrative changes", "4. Bookmarks",
            "5. Heatmaps", "6. Summary counts", "7. Query and toggles", "8. Evidence",
            "9. Parse warnings and skipped records", "10. Events in view", "11. Methodology and limits",
            "12. Case notes", "13. Versions"]


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.append(attrs["id"])

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory):
    """One case and one gathered report shared by the format tests (rendering is the slow part)."""
    tmp_path = tmp_path_factory.mktemp("scene")
    case, evidence = make_case(tmp_path)
    loaded = case.load()
    evidence_id = case.evidence[0].evidence_id
    frame = schema.concat([loaded.frame, hostile_rows(evidence_id)])
    case.bookmarks.add(frame, [3, 10], "suspicious", "comment <b>with</b> markup =1+1")
    case.notes = "Interview <script>x</script> scheduled."
    frame = case.bookmarks.with_tags(frame)
    query = "is:nonowner -operation:AuditConfigChange"
    view = frame[compile_query(query, tz=case.display_tz).mask(frame)]
    data = build_report(
        frame=frame, view=view, files=loaded.files, checks=loaded.checks, custody=case.custody,
        case_name=case.name, case_number=case.number, examiner="E. Xam", display_tz=case.display_tz,
        query=query, toggles={"Non-owner only": True}, bookmarks=case.bookmarks, notes=case.notes, event_cap=20,
    )
    return case, evidence, frame, view, data, tmp_path / "out"


def test_html_has_every_section_and_hash_and_inert_payloads(scene) -> None:
    case, evidence, frame, view, data, out = scene
    head_before = case.custody.head()
    result = export_report(data, out / "report.html", custody=case.custody, evidence_paths=[evidence])
    html = (out / "report.html").read_text(encoding="utf-8")
    parsed = _Collector()
    parsed.feed(html)
    assert [i for i in parsed.ids if i in SECTIONS] == SECTIONS
    text = "".join(parsed.text)
    hashes = hash_file(evidence)
    for digest in (hashes.sha256, hashes.sha1, hashes.md5):
        assert digest in text
    assert "verified" in text and "Operation <Quill>" in text
    # each file's rows-from / rows-to, in the display zone
    (report_row,) = [e for e in data.evidence if e.rows_from]
    assert report_row.rows_from.endswith("Z") and report_row.rows_from <= report_row.rows_to
    shown = pd.Timestamp(report_row.rows_from).tz_convert(resolve_tz(case.display_tz))
    assert shown.strftime("%Y-%m-%d %H:%M:%S") in text
    assert "comment <b>with</b> markup =1+1" in text and "Tag “suspicious” — 2 row(s)" in text
    # hostile text stays text: no script element, the only images are our data: heatmaps
    assert [t for t, _ in parsed.tags if t == "script"] == []
    images = [a for t, a in parsed.tags if t == "img"]
    assert images and all(a["src"].startswith("data:image/png;base64,") and set(a) == {"alt", "src"} for a in images)
    assert not [t for t, _ in parsed.tags if t in ("font", "b")]
    for payload in ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "Interview <script>x</script>"):
        assert payload in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # cap stated, the CSV alongside has every row
    assert f"{len(view)} rows in view; 20 shown here (cap 20)" in " ".join(text.split())
    assert result.companion is not None and len(read_csv(result.companion)) == len(view)
    # custody: the report states the head before it, and is logged with its hash
    assert head_before in text
    entry = case.custody.entries()[-1]
    assert entry["kind"] == "report-exported" and entry["sha256"] == hash_file(out / "report.html").sha256
    assert entry["custody_head_stated"] == head_before and entry["companion_sha256"] == result.companion_sha256
    assert case.custody.verify_chain() == []


def test_pdf_text_has_sections_hashes_and_literal_markup(scene) -> None:
    case, evidence, frame, view, data, out = scene
    export_report(data, out / "report.pdf", custody=case.custody, evidence_paths=[evidence])
    reader = PdfReader(str(out / "report.pdf"))
    pages = [page.extract_text() for page in reader.pages]
    text = "\n".join(pages)
    flat = "".join(text.split())
    for heading in HEADINGS:
        assert "".join(heading.split()) in flat
    hashes = hash_file(evidence)
    for digest in (hashes.sha256, hashes.sha1, hashes.md5):
        assert digest in flat
    assert "".join("<font color=red>f</font> & <b>b</b> &amp;".split()) in flat  # escaped, not markup
    assert "".join("<script>alert(1)</script>".split()) in flat
    assert "".join("comment <b>with</b> markup =1+1".split()) in flat  # bookmark comment, escaped
    assert f"Page 1 of {len(pages)}" in pages[0] and f"Page {len(pages)} of {len(pages)}" in pages[-1]
    assert all("Operation <Quill>" in p for p in pages)  # header with the case name on every page
    assert reader.metadata.title.startswith("Mailbox access report")


def test_xlsx_sheets_counts_and_neutralized_cells(scene) -> None:
    case, evidence, frame, view, data, out = scene
    export_report(data, out / "report.xlsx", custody=case.custody, evidence_paths=[evidence])
    book = openpyxl.load_workbook(out / "report.xlsx")
    assert book.sheetnames == list(SHEETS)
    for name in SHEETS:
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref
    events = book["Events"]
    assert events.max_row - 1 == len(view)  # all rows, not the HTML/PDF cap
    header = [c.value for c in events[1]]
    zone = "UTC" if data.display_tz in ("UTC", "Etc/UTC") else data.display_tz
    named = [f"time ({zone})" if c == "time" else c for c in schema.COLUMNS]
    if zone != "UTC":
        named[1:1] = ["utc_offset", "time (UTC)"]
    assert header == named + ["evidence_file"]
    assert book["Bookmarks"].max_row - 1 == 2
    assert book["Evidence"]["F2"].value == hash_file(evidence).sha256
    formulas = [c for s in book for row in s.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    # openpyxl leaves XML's escape of CR (_x000D_) as is; Excel decodes it
    values = {c.value.replace("_x000D_", "\r") for s in book for row in s.iter_rows() for c in row
              if isinstance(c.value, str)}
    for payload in PAYLOADS:
        if payload[0] in "=+-@\t\r":
            assert payload not in values and "'" + payload in values
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows(min_row=2)}
    assert summary["Rows in view"] == len(view)
    assert summary["Query"] == data.query
    assert summary["Findings basis"].startswith("After hours means outside 08:00–18:00 on Mon, Tue, Wed, Thu, Fri")
    assert "expected" in [c.value for c in book["Findings"][1]]


def test_csv_round_trips_and_is_neutralized(scene) -> None:
    case, evidence, frame, view, data, out = scene
    export_report(data, out / "rows.csv", custody=case.custody, evidence_paths=[evidence])
    back = read_csv(out / "rows.csv")
    expected = schema.conform(view[list(schema.COLUMNS)]).sort_values("time", kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(back, expected, check_categorical=False)
    with open(out / "rows.csv", newline="", encoding="utf-8-sig") as fh:
        cells = [cell for row in csv.reader(fh) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [c for c in cells if c.startswith("-") and not c.lstrip("-").replace(".", "").isdigit()]


def test_report_refuses_to_write_next_to_evidence(scene) -> None:
    from forensics.errors import ReportError

    case, evidence, frame, view, data, out = scene
    with pytest.raises(ReportError, match="next to evidence"):
        export_report(data, evidence.parent / "report.html", custody=case.custody, evidence_paths=[evidence])
    with pytest.raises(ReportError, match="unknown report format"):
        export_report(data, out / "report.doc", custody=case.custody)


def test_methodology_states_limits_maps_and_level(scene) -> None:
    case, evidence, frame, view, data, out = scene
    text = json.dumps(data.methodology)
    assert "successful access only" in text and "Bypass-Access-Auditing" in text
    assert "rendered" in text and "No row was mapped by inference" in text
    assert "Europe/Berlin" in text
    assert "level 3 or 5" in data.audit_level  # owner access events are present
    assert data.admin_changes["operation"].tolist() == ["AuditConfigChange"]
    config = dict(data.methodology)["Audit configuration changes"]
    assert "1 AuditConfigChange row(s)" in config and "Bypass-Access-Auditing" in config


def test_methodology_states_the_completeness_checks_and_what_they_found() -> None:
    from forensics.parsers.base import FileReport
    from forensics.reports.methodology import completeness_statement

    clean = FileReport(path=Path("Exchange Auditing.evtx"))
    assert completeness_statement([clean]).endswith("No file showed missing records.")
    gap = FileReport(path=Path("u_ex240304.log"), notes=["DAYS MISSING: the IIS logs loaded from W3SVC1 skip 2 days", "other"])
    text = completeness_statement([clean, gap])
    assert "ResultIndex" in text and "chunk header" in text
    assert text.endswith("1 finding(s): u_ex240304.log: DAYS MISSING: the IIS logs loaded from W3SVC1 skip 2 days.")
