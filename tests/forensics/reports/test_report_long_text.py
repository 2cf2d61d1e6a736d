"""Long evidence strings and bidirectional controls in every report format.

Found on real and fuzzed evidence: a 1,500-character subject with no space aborted the PDF
("Flowable too large": a table row must fit on a page); Excel keeps 32,767 characters of a
cell and xlsxwriter cut longer ones silently; U+202E (RIGHT-TO-LEFT OVERRIDE, the
"invoice‮txt.exe" trick, Unicode TR #9 / CVE-2021-42574 "Trojan Source") was applied, so
text read differently from its bytes.
"""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from pypdf import PdfReader

from report_fixtures import make_case
from forensics import schema
from forensics.query import compile_query
from forensics.reports import build_report, export_report
from forensics.reports.pdf_report import CELL_LINES, fit_cell
from forensics.reports.sanitize import BIDI_CONTROLS, show_controls

LONG = "A" * 1500  # one word: nothing to wrap at
HUGE = ("Q" * 97 + " ") * 450  # 44,100 characters: past Excel's cell limit
TROJAN = "invoice\u202etxt.exe and \u2066isolate\u2069 \u200e\u200f"


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory):
    tmp_path = tmp_path_factory.mktemp("long")
    case, evidence = make_case(tmp_path)
    loaded = case.load()
    evidence_id = case.evidence[0].evidence_id
    base = pd.Timestamp("2024-03-04T06:30:00Z")
    rows = [
        {"time": base + pd.Timedelta(minutes=i), "operation": "MessageOpen", "mailbox": "ceo@contoso.com",
         "actor": actor, "logon_type": "Delegate", "folder": "/Inbox", "item": item, "details": item,
         "record_id": 100 + i, "evidence": evidence_id, "source_format": "evtx", "mapping": "rendered"}
        for i, (actor, item) in enumerate([("CONTOSO\\pat", LONG), ("CONTOSO\\pat", HUGE), (TROJAN, TROJAN),
                                           ("CONTOSO\\pat", "\n".join(["line"] * 400))])
    ]
    frame = schema.concat([loaded.frame, schema.conform(rows)])
    view = frame[compile_query("is:nonowner", tz=case.display_tz).mask(frame)]
    data = build_report(
        frame=frame, view=view, files=loaded.files, checks=loaded.checks, custody=case.custody,
        case_name=case.name, case_number=case.number, examiner="E. Xam", display_tz=case.display_tz,
        query="is:nonowner", toggles={}, bookmarks=case.bookmarks, notes=TROJAN, event_cap=50,
    )
    return case, evidence, data, tmp_path / "out"


def test_fit_cell_cuts_with_a_note_and_leaves_short_text() -> None:
    assert fit_cell("short", 60, "Helvetica", 6.8) == "short"
    cut = fit_cell(LONG, 60, "Helvetica", 6.8)
    assert len(cut) < len(LONG) and "more characters cut here" in cut
    assert f"{len(LONG) - cut.index(' …'):,} more characters" in cut
    lines = fit_cell("\n".join(["x"] * 1000), 300, "Helvetica", 6.8)
    assert lines.count("\n") < CELL_LINES


def test_pdf_prints_strings_of_any_length_and_shows_bidi_controls(scene) -> None:
    case, evidence, data, out = scene
    export_report(data, out / "report.pdf", custody=case.custody, evidence_paths=[evidence])
    text = "".join("".join(page.extract_text() for page in PdfReader(str(out / "report.pdf")).pages).split())
    assert "morecharacterscuthere" in text and "thefullvalueisintheCSVandXLSXreports" in text
    assert "invoice<U+202E>txt.exe" in text and "<U+2066>isolate<U+2069>" in text
    assert not any(c in text for c in BIDI_CONTROLS)


def test_html_shows_bidi_controls(scene) -> None:
    case, evidence, data, out = scene
    export_report(data, out / "report.html", custody=case.custody, evidence_paths=[evidence])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert not any(c in html for c in BIDI_CONTROLS)
    assert "invoice&lt;U+202E&gt;txt.exe" in html and "&lt;U+200E&gt;&lt;U+200F&gt;" in html
    assert LONG in html  # HTML wraps; nothing cut


def test_xlsx_notes_cells_cut_at_the_excel_limit_and_shows_bidi_controls(scene) -> None:
    case, evidence, data, out = scene
    export_report(data, out / "report.xlsx", custody=case.custody, evidence_paths=[evidence])
    book = openpyxl.load_workbook(out / "report.xlsx")
    values = [c.value for s in book for row in s.iter_rows() for c in row if isinstance(c.value, str)]
    cut = [v for v in values if v.startswith("Q" * 97)]
    assert cut and all(len(v) == 32_767 for v in cut)
    assert all(f"{len(HUGE) - v.index(' …'):,} more characters cut: Excel holds 32,767 per cell" in v for v in cut)
    assert LONG in values
    assert show_controls(TROJAN) in values and not any(c in v for v in values for c in BIDI_CONTROLS)


def test_csv_keeps_the_bytes(scene) -> None:
    # the CSV is the data export: the full value, controls and all, round-trips exactly
    from forensics.reports.csv_report import read_csv

    case, evidence, data, out = scene
    export_report(data, out / "rows.csv", custody=case.custody, evidence_paths=[evidence])
    back = read_csv(out / "rows.csv")
    assert {LONG, HUGE, TROJAN} <= set(back["item"].dropna())


def test_methodology_says_how_text_is_shown_and_what_sign_ins_and_groups_mean(scene) -> None:
    case, evidence, data, out = scene
    sections = dict(data.methodology)
    assert "<U+202E>" in sections["How evidence text is shown"] and "32,767" in sections["How evidence text is shown"]
    assert "ResultStatus" in sections["Sign-ins and privileged groups"]
    assert "4756" in sections["Sign-ins and privileged groups"]
