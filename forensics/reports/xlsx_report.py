"""The XLSX report: sheets Summary, Evidence, Findings, Bookmarks, Events (header row
frozen, autofilter on). Every evidence string is written as a string (never a formula,
number or link) and neutralized, so a subject like ``=HYPERLINK(...)`` stays text.

Events beyond Excel's 1,048,575 data rows continue on "Events 2", "Events 3", … so all
rows in view are present. A cell holds at most 32,767 characters (Excel's limit; xlsxwriter
would cut silently): a longer value is cut with a note in the cell saying so. Bidirectional
controls are written out (``<U+202E>``), not applied.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from forensics.reports.content import ReportData
from forensics.reports.formatting import fmt_time, fmt_utc
from forensics.reports.sanitize import neutralize, neutralize_value, show_controls, show_controls_series

MAX_ROWS = 1_048_575  # data rows below the header
CHUNK = 50_000  # rows converted to Python values at a time
SHEETS = ("Summary", "Evidence", "Findings", "Bookmarks", "Events")
MAX_CELL = 32_767  # characters Excel keeps in one cell
CUT_NOTE = " … [{cut:,} more characters cut: Excel holds 32,767 per cell; the full value is in the CSV report]"


def cell_text(value: str) -> str:
    """A string cut with a note past ``MAX_CELL`` (bidi controls are shown before, in ``_cells``)."""
    if len(value) <= MAX_CELL:
        return value
    note = CUT_NOTE.format(cut=len(value) - MAX_CELL)  # an upper bound: the note takes room too
    keep = MAX_CELL - len(note)
    return value[:keep] + CUT_NOTE.format(cut=len(value) - keep)[: MAX_CELL - keep]


def _utc_text(value: pd.Timestamp) -> str:
    stamp = value if value.tzinfo else value.tz_localize("UTC")
    return stamp.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _cells(frame: pd.DataFrame, tz: tzinfo | None = None) -> list[list[Any]]:
    """Column-wise conversion to writable Python values (strings neutralized, times as text)."""
    columns = []
    for name in frame.columns:
        series = frame[name]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            values = series.dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ").astype(object)
        elif pd.api.types.is_bool_dtype(series.dtype):
            values = series.astype(object)
        elif pd.api.types.is_numeric_dtype(series.dtype):
            values = series.astype(object)
        else:
            if series.dtype == object:  # e.g. bookmark times: UTC text like the Events sheet
                series = series.map(lambda v: _utc_text(v) if isinstance(v, pd.Timestamp) else v)
            values = show_controls_series(neutralize(series.astype("string"))).astype(object)
        columns.append(values.where(pd.notna(values), None).tolist())
    return [list(row) for row in zip(*columns)]


class _Book:
    def __init__(self, path: Path) -> None:
        self.book = xlsxwriter.Workbook(
            str(path),
            {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
             "constant_memory": True, "remove_timezone": True},
        )
        self.header = self.book.add_format({"bold": True, "bg_color": "#EEF1F5", "border": 1})
        self.bold = self.book.add_format({"bold": True})
        self.alert = self.book.add_format({"bold": True, "font_color": "#A4161A"})

    def table(self, name: str, columns: list[str], rows: Any, widths: dict[str, int] | None = None) -> None:
        """Write a sheet: header, rows (a list of rows, or an iterable of lists of rows),
        frozen header, autofilter over every row."""
        sheet = self.book.add_worksheet(name)
        for c, col in enumerate(columns):
            sheet.set_column(c, c, (widths or {}).get(col, 18))
        sheet.freeze_panes(1, 0)
        sheet.write_row(0, 0, columns, self.header)
        chunks = [rows] if isinstance(rows, list) else rows
        r = 0
        for chunk in chunks:
            for row in chunk:
                r += 1
                for c, value in enumerate(row):
                    if value is None:
                        continue
                    if isinstance(value, str):
                        sheet.write_string(r, c, value if len(value) <= MAX_CELL else cell_text(value))
                    elif isinstance(value, bool):
                        sheet.write_boolean(r, c, value)
                    else:
                        sheet.write_number(r, c, value)
        sheet.autofilter(0, 0, max(r, 1), max(len(columns) - 1, 0))

    def close(self) -> None:
        self.book.close()


def write_xlsx(data: ReportData, path: Path) -> None:
    from forensics.query import resolve_tz

    tz = resolve_tz(data.display_tz)
    book = _Book(path)
    s = data.summary
    summary: list[list[Any]] = [
        ["Report", data.title], ["Case name", data.case_name], ["Case number", data.case_number],
        ["Examiner", data.examiner], ["Report date", fmt_utc(data.generated_utc)],
        ["Display time zone", data.display_tz], ["Tool", data.tool],
        ["Custody log entries at export", data.custody_entries],
        ["Custody log last entry SHA-256", data.custody_head],
        *[[label, text] for label, text in data.custody_summary.lines()[1:]],
        ["Query", data.query or "(none: every loaded row)"],
        *[[f"Toggle: {k}", str(v)] for k, v in sorted(data.toggles.items())],
        ["Events order", data.events_order],
        ["Rows in view", s.rows], ["Non-owner rows", s.non_owner_rows], ["Mailboxes", s.mailboxes],
        ["Actors", s.actors], ["First event (UTC)", fmt_utc(s.first) if s.first is not None else ""],
        ["Last event (UTC)", fmt_utc(s.last) if s.last is not None else ""],
        *[[f"Operation: {k}", v] for k, v in s.by_operation],
        *[[f"Logon type: {k}", v] for k, v in s.by_logon_type],
        ["Audit logging level implied", data.audit_level],
        ["Findings basis", data.findings_basis],
        *[[f"EVIDENCE {e.verification}", f"{e.name}: {e.verification_detail}"] for e in data.evidence_problems],
        *[["CUSTODY LOG PROBLEM", p] for p in data.integrity_problems],
        *[[f"Methodology: {h}", t] for h, t in data.methodology],
        ["Case notes", data.notes],
        *[[f"Version: {n}", v] for n, v in data.dependencies],
    ]
    summary = [[show_controls(neutralize_value(k)), show_controls(neutralize_value(v)) if isinstance(v, str) else v]
               for k, v in summary]
    book.table("Summary", ["Item", "Value"], summary, {"Item": 34, "Value": 100})

    evidence_cols = ["file", "path", "evidence_id", "parser", "size", "sha256", "sha1", "md5",
                     "verification", "verification_detail", "status", "records", "rows", "bad",
                     "skipped", "warnings", "notes", "error", "rows_from", "rows_to"]
    evidence = pd.DataFrame(
        [[e.name, e.path, e.evidence_id, e.parser, e.size, e.sha256, e.sha1, e.md5, e.verification,
          e.verification_detail, e.status, e.records, e.rows, e.bad,
          "; ".join(f"{k}: {v}" for k, v in sorted(e.skipped.items())), e.warning_count,
          " | ".join(e.notes), e.error, fmt_time(e.rows_from, tz), fmt_time(e.rows_to, tz)] for e in data.evidence],
        columns=evidence_cols,
    )
    book.table("Evidence", evidence_cols, _cells(evidence, tz), {"sha256": 66, "sha1": 42, "md5": 34, "path": 50})
    book.table("Findings", list(data.findings.columns), _cells(data.findings, tz))
    book.table("Bookmarks", list(data.bookmarks.columns), _cells(data.bookmarks, tz), {"comment": 40})

    events = data.events
    columns = list(events.columns)
    widths = {"time": 28, "item": 40, "folder": 30, "details": 40}
    for number, start in enumerate(range(0, max(len(events), 1), MAX_ROWS), start=1):
        part = events.iloc[start:start + MAX_ROWS]
        chunks = (_cells(part.iloc[i:i + CHUNK]) for i in range(0, len(part), CHUNK))  # bounded memory
        book.table("Events" if number == 1 else f"Events {number}", columns, chunks, widths)
    book.close()
