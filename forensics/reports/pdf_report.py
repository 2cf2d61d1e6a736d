"""The PDF report, drawn with reportlab (no display needed): the same content as the HTML,
landscape A4, a header with the case name and "page X of Y" on every page.

Evidence text goes through ``esc`` before it reaches a ``Paragraph``: reportlab parses a
small XML markup there, so an unescaped ``<font>`` or ``&`` in a subject would be markup;
bidirectional controls are written out (``<U+202E>``), not applied. Text is set in DejaVu
Sans (shipped with matplotlib) so non-Latin subjects print.

A table row cannot break across pages, so a cell longer than ``CELL_LINES`` wrapped lines
(a 1,500-character subject in a narrow column aborted the whole PDF) is cut there, with a
note saying how much was cut and where the full value is.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    CondPageBreak, Image, KeepTogether, LongTable, PageBreak, Paragraph, SimpleDocTemplate, Spacer, TableStyle,
)

from forensics.reports.content import ReportData
from forensics.reports.executive import (
    CHANGE_COLUMNS, INCIDENT_COLUMNS, PAIR_COLUMNS, ExecutiveSummary, evidence_names, executive_summary,
)
from forensics.reports.pdf_layout import FIXED, column_widths
from forensics.reports.sanitize import show_controls
from forensics.reports.formatting import (
    BOOKMARK_ROW_COLUMNS, bookmark_groups, display_tables, fmt_size, fmt_time, fmt_utc, skipped_rows,
)

PAGE = landscape(A4)
MARGIN = 12 * mm
BODY_WIDTH = PAGE[0] - 2 * MARGIN
#: room a table's heading asks for below it (else it starts on the next page)
TABLE_ROOM = 35 * mm
#: wrapped lines a table cell may take (about half a landscape page at the cell font)
CELL_LINES = 24
CUT_NOTE = " … [{cut:,} more characters cut here: a table row must fit on a page; the full value is in the CSV and XLSX reports]"


#: "17:39:32 -05:00": a time keeps its UTC offset on its line when a narrow cell wraps
_TIME_OFFSET = re.compile(r"(\d\d:\d\d:\d\d) ([+-]\d\d:\d\d)")


def keep_offset(text: str) -> str:
    return _TIME_OFFSET.sub("\\1\u00a0\\2", text) if ":" in text else text


def esc(value: object) -> str:
    """Escape text for reportlab Paragraph markup; keep line breaks visible, show bidi controls."""
    return escape(show_controls("" if value is None else str(value))).replace("\n", "<br/>")


def fit_cell(text: str, width: float, font: str, size: float) -> str:
    """``text`` cut (with a note) to what ``CELL_LINES`` wrapped lines of ``width`` hold.

    Measured with the font's metrics (a CJK character is twice a Latin one); short text,
    nearly every cell, is returned at once. The note's own lines count against the budget.
    """
    usable = max(width - 5.0, size)  # the cell's padding

    def lines_of(piece: str) -> int:
        return max(1, int(-(-stringWidth(piece, font, size) // usable)))

    if len(text) * size * 0.3 <= usable and "\n" not in text:
        return text
    spans = _line_spans(text)
    needs = [lines_of(text[a:b]) for a, b in spans]
    if sum(needs) <= CELL_LINES:
        return text
    budget = CELL_LINES - lines_of(CUT_NOTE.format(cut=len(text)))
    used, keep = 0, 0
    for (start, end), needed in zip(spans, needs):
        if used + needed > budget:
            room = budget - used
            keep = start + int((end - start) * room / needed) if room > 0 else start
            break
        used += needed
        keep = end
    keep = len(text[:keep].rstrip("\n"))
    return text[:keep] + CUT_NOTE.format(cut=len(text) - keep)


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for index, char in enumerate(text):
        if char == "\n":
            spans.append((start, index))
            start = index + 1
    spans.append((start, len(text)))
    return spans


def _fonts() -> tuple[str, str, str]:
    """(regular, bold, mono) font names: DejaVu when available, else the PDF base fonts."""
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    faces = {"DejaVuSans": "DejaVuSans.ttf", "DejaVuSans-Bold": "DejaVuSans-Bold.ttf",
             "DejaVuSansMono": "DejaVuSansMono.ttf"}
    try:
        for name, file in faces.items():
            if name not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(name, str(folder / file)))
        return "DejaVuSans", "DejaVuSans-Bold", "DejaVuSansMono"
    except Exception:  # noqa: BLE001 - fonts missing in an odd build: fall back, still print
        return "Helvetica", "Helvetica-Bold", "Courier"


class _Styles:
    def __init__(self) -> None:
        regular, bold, mono = _fonts()
        base = getSampleStyleSheet()
        self.body = ParagraphStyle("body", parent=base["BodyText"], fontName=regular, fontSize=8.5, leading=11)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=6.8, leading=8.2)
        self.cell = ParagraphStyle("cell", parent=self.body, fontSize=6.8, leading=8.2, splitLongWords=1)
        # a header wraps between words only (its column is at least as wide as its longest word)
        self.head = ParagraphStyle("head", parent=self.cell, fontName=bold, splitLongWords=0)
        self.mono = ParagraphStyle("mono", parent=self.cell, fontName=mono, fontSize=6.5)
        self.h1 = ParagraphStyle("h1", parent=base["Title"], fontName=bold, fontSize=16, alignment=0)
        self.h2 = ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=12, spaceBefore=10,
                                 keepWithNext=1)
        self.h3 = ParagraphStyle("h3", parent=base["Heading3"], fontName=bold, fontSize=9.5, spaceBefore=6,
                                 keepWithNext=1)
        # a heading followed by a long table: keepWithNext would move the whole table to the next page
        self.h3_table = ParagraphStyle("h3_table", parent=self.h3, keepWithNext=0)
        self.comment = ParagraphStyle("comment", parent=self.body, leftIndent=6, borderPadding=(1, 0, 1, 4),
                                      borderColor=colors.HexColor("#C9CED6"), borderWidth=0, keepWithNext=1)
        self.comment_table = ParagraphStyle("comment_table", parent=self.comment, keepWithNext=0)
        self.alert = ParagraphStyle("alert", parent=self.body, fontName=bold, textColor=colors.HexColor("#A4161A"),
                                    borderColor=colors.HexColor("#A4161A"), borderWidth=1, borderPadding=4,
                                    backColor=colors.HexColor("#FDECEA"), spaceBefore=4, spaceAfter=6)
        self.regular, self.bold = regular, bold


def _numbered_canvas(case_title: str, font: str) -> type[canvas.Canvas]:
    """A canvas that holds pages back until the end so each can say "page X of Y"."""

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab API
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._decorate(total)
                super().showPage()
            super().save()

        def _decorate(self, total: int) -> None:
            width, height = PAGE
            self.saveState()
            self.setFont(font, 7.5)
            self.setFillColor(colors.HexColor("#5A6370"))
            self.drawString(MARGIN, height - 8 * mm, case_title)
            self.drawRightString(width - MARGIN, height - 8 * mm, "Mailbox Audit report")
            self.setStrokeColor(colors.HexColor("#C9CED6"))
            self.line(MARGIN, height - 9.5 * mm, width - MARGIN, height - 9.5 * mm)
            self.drawRightString(width - MARGIN, 7 * mm, f"Page {self._pageNumber} of {total}")
            self.restoreState()

    return NumberedCanvas


def _table(columns: list[str], rows: list[list[str]], styles: _Styles, widths: list[float] | None = None,
           mono: set[int] | None = None, weights: dict[str, float] | None = None,
           fixed: set[str] | None = None, total: float = BODY_WIDTH) -> LongTable:
    """A table whose widths follow its content (``pdf_layout``) unless given: headers never
    break inside a word, fixed-form values never wrap, long text wraps in its cell."""
    mono = mono or set()
    if widths is None:
        head = styles.head

        def cell_width(i: int, text: str) -> float:
            style = styles.mono if i in mono else styles.cell
            return stringWidth(text, style.fontName, style.fontSize)

        rows = [[keep_offset("" if v is None else str(v)) for v in row] for row in rows]
        widths = column_widths(columns, rows, total,
                               lambda word: stringWidth(word, head.fontName, head.fontSize), cell_width,
                               fixed=frozenset(fixed) if fixed is not None else FIXED, weights=weights)
    data = [[Paragraph(esc(c.replace("_", " ")), styles.head) for c in columns]]
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            style = styles.mono if i in mono else styles.cell
            text = fit_cell("" if value is None else str(value), widths[i], style.fontName, style.fontSize)
            cells.append(Paragraph(esc(text), style))
        data.append(cells)
    table = LongTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#C9CED6")),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF1F5")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2.5), ("RIGHTPADDING", (0, 0), (-1, -1), 2.5),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]))
    return table


def _executive(data: ReportData, summary: ExecutiveSummary, styles: _Styles, story: list) -> None:
    """Section 1: the question, the answer in accesses, key pairs, changes, incidents, trust."""
    p = lambda text, style=styles.body: story.append(Paragraph(text, style))  # noqa: E731
    p("1. Executive summary", styles.h2)
    bold = f'<font name="{styles.bold}">{{}}</font> '
    p(bold.format("The question.") + esc(summary.question))
    p(bold.format("The answer in short.") + esc(summary.answer))
    for line in summary.scope:
        p(esc(line), styles.small)
    if summary.pairs:
        story.append(CondPageBreak(TABLE_ROOM))  # the heading and the table's first rows, not the heading alone
        p("Who accessed whose mailbox (counts are accesses)", styles.h3_table)
        story.append(_table(PAIR_COLUMNS, summary.pairs, styles))
        if summary.pairs_note:
            p(esc(summary.pairs_note), styles.small)
    p("Administrative changes", styles.h3)
    p(esc(summary.changes_text))
    if summary.changes:
        story.append(CondPageBreak(TABLE_ROOM))
        story.append(_table(CHANGE_COLUMNS, summary.changes, styles))
    p("Incidents bookmarked by the examiner", styles.h3)
    p(esc(summary.incidents_text))
    if summary.incidents:
        story.append(CondPageBreak(TABLE_ROOM))
        story.append(_table(INCIDENT_COLUMNS, summary.incidents, styles))
    p("Evidence and its integrity", styles.h3)
    p(esc(summary.integrity), styles.body if summary.integrity_ok else styles.alert)
    p(esc("The sections that follow give the detail: the findings and changes in full, the bookmarked rows, "
          "heatmaps, counts, then the evidence (file names with their hashes), parse warnings, the events in "
          "view, and the methods and their limits."), styles.small)


def build_story(data: ReportData, styles: _Styles) -> list:
    from forensics.query import resolve_tz

    tz = resolve_tz(data.display_tz)
    tables = display_tables(data, tz)
    names = evidence_names(data.evidence)
    generated = f"{fmt_time(data.generated_utc, tz)} {data.display_tz} ({fmt_utc(data.generated_utc)})"
    s, story = data.summary, []
    p = lambda text, style=styles.body: story.append(Paragraph(text, style))  # noqa: E731

    p(esc(data.title), styles.h1)
    meta = [
        ("Case name", data.case_name), ("Case number", data.case_number or "—"), ("Examiner", data.examiner),
        ("Report date", generated), ("Display time zone", f"{data.display_tz} (times in this zone unless marked UTC"
                               + ("" if data.display_tz in ("UTC", "Etc/UTC") else
                                  "; each time carries its own UTC offset, which changes with daylight saving "
                                  "in a named zone") + ")"),
        ("Tool", data.tool),
    ]
    story.append(_table(["Item", "Value"], [[k, v] for k, v in meta], styles))
    for e in data.evidence_problems:
        p(esc(f"EVIDENCE {e.verification}: {e.name} — {e.verification_detail} {e.error}".strip()), styles.alert)
    for problem in data.integrity_problems:
        p(esc(f"CUSTODY LOG: {problem}"), styles.alert)

    _executive(data, executive_summary(data, tz), styles, story)

    p("2. Findings: non-owner access", styles.h2)
    cols, rows = tables["findings"]
    text = ("One line per (actor, mailbox) pair with access by someone other than the mailbox owner, in the rows "
            f"in view: {len(data.findings)} pair(s)")
    if len(data.findings) > len(rows):
        text += f"; the first {len(rows)} are shown here, all are in the XLSX report"
    p(esc(f"{text}. {data.findings_basis}".strip()))
    story.append(_table(cols, rows, styles) if rows else Paragraph("No non-owner access in the rows in view.", styles.body))

    p("3. Administrative changes", styles.h2)
    p("Changes that bear on mailbox access (AuditConfigChange first: an account exempted from auditing, or "
      "logging lowered, can explain silence).")
    cols, rows = tables["admin"]
    if len(data.admin_changes) > len(rows):
        p(esc(f"{len(data.admin_changes)} changes; the first {len(rows)} are shown here, all are in the XLSX report."))
    story.append(_table(cols, rows, styles) if rows else Paragraph("None in the loaded evidence.", styles.body))

    p("4. Bookmarks", styles.h2)
    groups = bookmark_groups(data.bookmarks, tz, names)
    if not groups:
        p("No bookmarks in this case.")
    else:
        p(esc(f"{len(data.bookmarks)} bookmarked row(s) in {len(groups)} group(s) (tag and comment)."))
    for tag, comment, examiner, rows in groups:
        by = f", by {examiner}" if examiner else ""
        story.append(CondPageBreak(TABLE_ROOM))
        p(esc(f"Tag “{tag}” — {len(rows)} row(s){by}"), styles.h3_table)
        p(esc(comment or "(no comment)"), styles.comment_table)
        story.append(_table(BOOKMARK_ROW_COLUMNS, rows, styles))

    heading = Paragraph("5. Heatmaps", styles.h2)
    if not data.heatmaps:
        story.append(heading)
        p("No rows with a mailbox and a time: nothing to plot.")
    for heatmap in data.heatmaps:
        lead, heading = ([heading] if heading is not None else []), None  # the heading stays with the first image
        if not heatmap.png:
            story.extend(lead)
            p(esc(heatmap.caption), styles.small)
            continue
        image = Image(io.BytesIO(heatmap.png))
        scale = min(BODY_WIDTH * 0.85 / image.imageWidth, (PAGE[1] - 80 * mm) / image.imageHeight)
        image.drawWidth, image.drawHeight = image.imageWidth * scale, image.imageHeight * scale
        story.append(KeepTogether([*lead, image, Paragraph(esc(heatmap.caption), styles.small), Spacer(1, 6)]))

    p("6. Summary counts", styles.h2)
    first = fmt_time(s.first, tz) or "—"
    last = fmt_time(s.last, tz) or "—"
    story.append(_table(["Rows in view", "Non-owner rows", "Mailboxes", "Actors", "Time span"],
                        [[str(s.rows), str(s.non_owner_rows), str(s.mailboxes), str(s.actors), f"{first} to {last}"]],
                        styles, total=BODY_WIDTH * 0.7))
    p("By operation", styles.h3)
    story.append(_table(["Operation", "Rows"], [[k, str(v)] for k, v in s.by_operation], styles,
                        fixed={"Operation", "Rows"}, total=BODY_WIDTH * 0.3))
    p("By logon type", styles.h3)
    story.append(_table(["Logon type", "Rows"], [[k, str(v)] for k, v in s.by_logon_type], styles,
                        fixed={"Logon type", "Rows"}, total=BODY_WIDTH * 0.3))

    p("7. Query and toggles", styles.h2)
    p("Exact query applied to the rows in view:")
    p(esc(data.query or "(none: every loaded row)"), styles.mono)
    if data.toggles:
        story.append(_table(["Toggle / option", "Value"], [[k, str(v)] for k, v in sorted(data.toggles.items())],
                            styles, weights={"Toggle / option": 1.0, "Value": 3.0}))
    else:
        p("No toggles applied.")

    p("8. Evidence", styles.h2)
    p(esc(f"{len(data.evidence)} file(s). Hashes computed from the bytes parsed; verification at report "
          "time against the hashes first recorded in the case's custody log (case.json is only a copy). "
          "Elsewhere in this report evidence is named by its file name."))
    rows = [[f"{e.name}\n{e.path}", e.evidence_id, e.parser, fmt_size(e.size),
             f"SHA-256 {e.sha256}\nSHA-1 {e.sha1}\nMD5 {e.md5}", f"{e.verification}\n{e.verification_detail}"]
            for e in data.evidence]
    story.append(_table(["File", "Evidence id", "Format", "Size", "Hashes", "Verification at report time"], rows,
                        styles, mono={1, 4}, weights={"Hashes": 8.0}))
    custody = data.custody_summary.lines()
    if custody:
        p("Custody log", styles.h3)
        story.append(_table(["Item", "Value"], [[k, v] for k, v in custody], styles, mono={1},
                            weights={"Item": 1.0, "Value": 5.0}))

    p("9. Parse warnings and skipped records", styles.h2)
    rows = [[e.name, e.status, str(e.records), str(e.rows), str(e.bad), str(e.skipped_total), str(e.warning_count),
             fmt_time(e.rows_from, tz), fmt_time(e.rows_to, tz)]
            for e in data.evidence]
    story.append(_table(["File", "Load status", "Records", "Rows", "Bad", "Skipped", "Warnings", "Rows from", "Rows to"],
                        rows, styles))
    skipped = skipped_rows(data.evidence)
    if skipped:
        p("Skipped records by reason", styles.h3)
        story.append(_table(["File", "Reason", "Records"], skipped, styles))
    for e in data.evidence:
        if not (e.warnings or e.notes or e.error):
            continue
        p(esc(e.name), styles.h3)
        if e.error:
            p(esc(f"Error: {e.error}"), styles.alert)
        for note in e.notes:
            p(esc(f"Note: {note}"), styles.alert)
        for warning in e.warnings:
            p(esc(warning), styles.mono)
        if e.warning_count > len(e.warnings):
            p(esc(f"… and {e.warning_count - len(e.warnings)} more warnings."), styles.small)

    story.append(PageBreak())
    p("10. Events in view", styles.h2)
    cols, rows = tables["events"]
    text = f"{s.rows} rows in view; {len(rows)} shown here"
    if s.rows > len(rows):
        text += f" (cap {data.event_cap})"
    text += "."
    if data.events_csv_name:
        text += f" All {s.rows} rows are in the CSV alongside this report: {data.events_csv_name}."
    if data.events_order:
        text += f" Listed in {data.events_order}."
    p(esc(text))
    if rows:
        story.append(_table(cols, rows, styles, weights=EVENT_WEIGHTS))

    p("11. Methodology and limits", styles.h2)
    p("Audit logging level implied by the evidence", styles.h3)
    p(esc(data.audit_level))
    for heading, body in data.methodology:
        p(esc(heading), styles.h3)
        p(esc(body))

    p("12. Case notes", styles.h2)
    p(esc(data.notes) if data.notes else "No notes.", styles.body)

    p("13. Versions", styles.h2)
    story.append(_table(["Component", "Version"], [["tool", data.tool], *[[n, v] for n, v in data.dependencies]],
                        styles, fixed={"Component", "Version"}, total=BODY_WIDTH * 0.45))
    return story


#: relative widths of the events table's columns (any visible column may be printed)
EVENT_WEIGHTS = {"operation": 1.2, "mailbox": 1.8, "actor": 1.8, "folder": 1.4, "item": 2.4, "client_app": 1.3,
                 "evidence": 1.5, "details": 3.0}


def write_pdf(data: ReportData, path: Path) -> None:
    styles = _Styles()
    case_title = f"{data.case_name}" + (f" ({data.case_number})" if data.case_number else "")
    doc = SimpleDocTemplate(
        str(path), pagesize=PAGE, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=14 * mm, bottomMargin=12 * mm,
        title=data.title, author=data.examiner, creator=data.tool, subject="Mailbox access report",
    )
    doc.build(build_story(data, styles), canvasmaker=_numbered_canvas(case_title, styles.regular))
