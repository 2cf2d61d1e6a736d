"""The XLSX report: sheets Summary, Evidence, Findings, Bookmarks, Events (header row
frozen, autofilter on). Every evidence string is written as a string (never a formula,
number or link) and neutralized, so a subject like ``=HYPERLINK(...)`` stays text.

Times are real Excel date-times (filterable by date) in the report's display zone, and the
column header names the zone ("time (America/New_York)"). Excel date-times carry no zone,
so the Events sheet adds the row's UTC offset (it changes at daylight saving) and the time
in UTC as a second date-time. Excel keeps about a millisecond; the CSV report has the
exact ISO 8601 UTC text.

Events beyond Excel's 1,048,575 data rows continue on "Events 2", "Events 3", … so all
rows in view are present. A cell holds at most 32,767 characters (Excel's limit; xlsxwriter
would cut silently): a longer value is cut with a note in the cell saying so. Bidirectional
controls are written out (``<U+202E>``), not applied.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from forensics.reports.content import ReportData
from forensics.reports.executive import evidence_names, executive_summary
from forensics.reports.formatting import with_file_names, fmt_utc, is_utc, zoned_strings
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


def zone_label(tz: tzinfo) -> str:
    return "UTC" if is_utc(tz) else str(getattr(tz, "key", None) or tz)


def _as_times(series: pd.Series) -> pd.Series | None:
    """A column of times (tz-aware, or objects holding timestamps / ISO text) as UTC, else None."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC")
    if series.dtype != object or not series.notna().any():
        return None
    present = series.dropna()
    if not present.map(lambda v: isinstance(v, (pd.Timestamp, datetime))).all():
        return None
    return pd.to_datetime(series, utc=True)


def time_columns(frame: pd.DataFrame) -> list[str]:
    """The columns the sheets write as date-times."""
    return [c for c in frame.columns if _as_times(frame[c]) is not None]


def header(frame: pd.DataFrame, tz: tzinfo, times: list[str]) -> list[str]:
    """Column names, a time column's with the zone its date-times are in."""
    return [f"{c} ({zone_label(tz)})" if c in times else str(c) for c in frame.columns]


#: day 0 of Excel's (1900) date system as xlsxwriter counts it for dates from 1900-03-01 on
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
#: serials Excel shows as dates: 1900-03-01 (past its 1900 leap-year quirk) to 9999-12-31
EXCEL_FIRST, EXCEL_LAST = 61.0, 2958465.0


def local_times(utc: pd.Series, tz: tzinfo) -> pd.Series:
    """Excel date-time serials (days since 1899-12-30) of the wall-clock times in ``tz``,
    computed column-wise (no datetime object per cell); NaT as None. A time Excel cannot
    show as a date (before March 1900, after 9999) stays visible as its UTC ISO text."""
    local = utc.dt.tz_convert(tz).dt.tz_localize(None)
    serial = (local - EXCEL_EPOCH) / pd.Timedelta(days=1)
    out = serial.astype(object).where(utc.notna(), None)
    odd = utc.notna() & ~serial.between(EXCEL_FIRST, EXCEL_LAST)
    if odd.any():
        out[odd] = utc[odd].dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return out


def _cells(frame: pd.DataFrame, tz: tzinfo | None = None) -> list[list[Any]]:
    """Column-wise conversion to writable Python values (strings neutralized, times as naive
    date-times in ``tz``, UTC when not given)."""
    zone = tz or timezone.utc
    columns = []
    for name in frame.columns:
        series = frame[name]
        utc = _as_times(series)
        if utc is not None:
            values = local_times(utc, zone)
        elif pd.api.types.is_bool_dtype(series.dtype):
            values = series.astype(object)
        elif pd.api.types.is_numeric_dtype(series.dtype):
            values = series.astype(object)
        else:
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
        self.when = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})

    def table(self, name: str, columns: list[str], rows: Any, widths: dict[str, int] | None = None,
              dates: frozenset[int] = frozenset()) -> None:
        """Write a sheet: header, rows (a list of rows, or an iterable of lists of rows),
        frozen header, autofilter over every row; numbers in the ``dates`` columns are
        date-time serials (``local_times``), written with a date format."""
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
                    elif c in dates:
                        sheet.write_number(r, c, value, self.when)
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
    brief = executive_summary(data, tz)  # the printed reports' executive summary, in words
    summary: list[list[Any]] = [
        ["Report", data.title], ["Question", brief.question], ["Answer in short", brief.answer],
        ["Administrative changes", brief.changes_text], ["Bookmarked incidents", brief.incidents_text],
        *[[f"Incident: {tag}", f"{comment} ({rows} rows, {start} to {end})"]
          for tag, comment, rows, start, end in brief.incidents],
        ["Evidence and its integrity", brief.integrity],
        ["Case name", data.case_name], ["Case number", data.case_number],
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
          " | ".join(e.notes), e.error, _stamp(e.rows_from), _stamp(e.rows_to)] for e in data.evidence],
        columns=evidence_cols,
    )
    _frame_sheet(book, "Evidence", evidence, tz, {"sha256": 66, "sha1": 42, "md5": 34, "path": 50})
    names = evidence_names(data.evidence)  # findings and bookmarks cite files by name, as the printed reports
    _frame_sheet(book, "Findings", with_file_names(data.findings, names), tz, {"evidence": 40})
    _frame_sheet(book, "Bookmarks", with_file_names(data.bookmarks, names), tz, {"comment": 40, "evidence": 30})

    events = data.events
    columns = event_header(events, tz)
    dates = frozenset(i for i, c in enumerate(columns) if c.startswith("time ("))
    widths = {c: 22 for c in columns if c.startswith("time")} | {"item": 40, "folder": 30, "details": 40,
                                                                 "evidence_file": 30}
    for number, start in enumerate(range(0, max(len(events), 1), MAX_ROWS), start=1):
        part = events.iloc[start:start + MAX_ROWS]
        chunks = (event_cells(part.iloc[i:i + CHUNK], tz, names) for i in range(0, len(part), CHUNK))  # bounded memory
        book.table("Events" if number == 1 else f"Events {number}", columns, chunks, widths, dates)
    book.close()


def _stamp(text: str) -> pd.Timestamp | None:
    """A file's first/last row time (ISO text, UTC) as a timestamp; "" (no rows) as None."""
    if not text:
        return None
    stamp = pd.Timestamp(text)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _frame_sheet(book: _Book, name: str, frame: pd.DataFrame, tz: tzinfo, widths: dict[str, int]) -> None:
    """A sheet of ``frame``: time columns as date-times in ``tz``, named with the zone."""
    times = time_columns(frame)
    columns = header(frame, tz, times)
    sized = {label: 22 for label, c in zip(columns, frame.columns) if c in times}
    sized.update({label: widths[c] for label, c in zip(columns, frame.columns) if c in widths})
    dates = frozenset(i for i, c in enumerate(frame.columns) if c in times)
    book.table(name, columns, _cells(frame, tz), sized, dates)


def event_header(events: pd.DataFrame, tz: tzinfo) -> list[str]:
    """The Events sheet's columns: the table's, the time in the display zone (named), its UTC
    offset and the time in UTC beside it (outside UTC), and the evidence file's name last."""
    columns = header(events, tz, ["time"] if "time" in events.columns else [])
    if "time" in events.columns and not is_utc(tz):
        at = list(events.columns).index("time") + 1
        columns[at:at] = ["utc_offset", "time (UTC)"]
    return columns + (["evidence_file"] if "evidence" in events.columns else [])


def event_cells(chunk: pd.DataFrame, tz: tzinfo, names: dict[str, str]) -> list[list[Any]]:
    """Rows for ``event_header``: the offset is text ("-04:00", no apostrophe: no formula risk)."""
    rows = _cells(chunk, tz)
    if "time" in chunk.columns and not is_utc(tz):
        utc = chunk["time"].dt.tz_convert("UTC")
        local = zoned_strings(utc, tz).str.slice(20)  # "2024-03-10 01:59:59 -05:00" -> "-05:00"
        offsets = local.where(utc.notna(), None).astype(object).tolist()
        in_utc = local_times(utc, timezone.utc).tolist()
        at = list(chunk.columns).index("time") + 1
        for row, offset, when in zip(rows, offsets, in_utc):
            row[at:at] = [None if offset is None or pd.isna(offset) else neutralize_value(offset), when]
    if "evidence" in chunk.columns:
        files = chunk["evidence"].astype(object).map(lambda v: names.get(v, v) if isinstance(v, str) else None)
        for row, name in zip(rows, files.tolist()):
            row.append(None if name is None else neutralize_value(show_controls(name)))
    return rows
