"""Everything a report says, gathered once into plain data that every format renders.

HTML, PDF, XLSX and CSV render the same ``ReportData``, so they cannot disagree. Evidence
text stays raw here; each renderer escapes or neutralizes it for its own format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from forensics import schema
from forensics.aggregate.expected import ExpectedAccess
from forensics.aggregate.findings import WorkHours
from forensics.case.bookmarks import BookmarkBook
from forensics.case.verification import VERIFIED, EvidenceCheck
from forensics.custody.log import CustodyLog
from forensics.parsers.base import FileReport
from forensics.reports import analysis, methodology
from forensics.reports.custody_summary import CustodySummary, summarize
from forensics.reports.versions import dependency_versions, tool_version

#: events shown in HTML/PDF by default; the CSV alongside always has them all
DEFAULT_EVENT_CAP = 1000
#: the order of events a report built without the grid states (``build_report``)
TIME_ORDER = "time ascending (equal times in load order, rows without a time last)"
#: columns of the events table in HTML/PDF (XLSX/CSV carry every column)
EVENT_COLUMNS = ["time", "operation", "mailbox", "actor", "logon_type", "folder", "item",
                 "client_ip", "client_app", "outcome", "evidence", "record_id"]


@dataclass
class EvidenceRow:
    name: str
    path: str
    evidence_id: str
    parser: str
    size: int | None
    sha256: str
    sha1: str
    md5: str
    verification: str  # "verified", "MODIFIED", "MISSING", …
    verification_detail: str
    problem: bool
    status: str = ""  # load status: loaded / duplicate / failed
    records: int = 0
    rows: int = 0
    bad: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    warning_count: int = 0
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""
    rows_from: str = ""  # ISO UTC time of the file's first and last row ("" = none)
    rows_to: str = ""

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


@dataclass
class Heatmap:
    title: str
    png: bytes
    caption: str


@dataclass
class ReportData:
    case_name: str
    case_number: str
    examiner: str
    generated_utc: datetime
    display_tz: str
    tool: str
    dependencies: list[tuple[str, str]]
    evidence: list[EvidenceRow]
    query: str
    toggles: dict[str, Any]
    summary: analysis.SummaryCounts
    findings: pd.DataFrame
    admin_changes: pd.DataFrame
    bookmarks: pd.DataFrame
    events: pd.DataFrame  # the rows in view, every column (capped only when rendered)
    event_cap: int
    methodology: list[tuple[str, str]]
    audit_level: str
    notes: str
    integrity_problems: list[str]
    custody_entries: int
    custody_head: str
    heatmaps: list[Heatmap] = field(default_factory=list)
    #: head, signing keys' fingerprints, acknowledgements, the verify command (refreshed at export)
    custody_summary: CustodySummary = field(default_factory=CustodySummary)
    events_csv_name: str = ""  # companion CSV of all events (HTML/PDF)
    findings_basis: str = ""  # work hours and expected-access marks behind the pairs table
    #: the order the events are listed in, in words (reports print it above the events)
    events_order: str = ""
    #: the events table's columns in HTML/PDF (the grid's visible columns when exported from it)
    event_columns: list[str] = field(default_factory=lambda: list(EVENT_COLUMNS))

    @property
    def title(self) -> str:
        number = f" ({self.case_number})" if self.case_number else ""
        return f"Mailbox access report: {self.case_name}{number}"

    @property
    def events_shown(self) -> pd.DataFrame:
        return self.events.head(self.event_cap)

    @property
    def evidence_problems(self) -> list[EvidenceRow]:
        return [e for e in self.evidence if e.problem]


def _evidence_rows(files: list[FileReport], checks: list[EvidenceCheck]) -> list[EvidenceRow]:
    """Merge what the load saw (hashes, counts, warnings) with the verification results."""
    by_path = {str(Path(f.path).resolve()): f for f in files}
    rows: list[EvidenceRow] = []
    used: set[str] = set()
    for check in checks:
        entry = check.entry
        report = by_path.get(str(Path(check.path).resolve())) or by_path.get(entry.path)
        if report is not None:
            used.add(str(Path(report.path).resolve()))
        rows.append(_row(entry.path, entry.evidence_id, entry.parser, entry.size, entry.sha256,
                         entry.sha1, entry.md5, check.status, check.message, check.problem, report))
    for key, report in by_path.items():
        if key in used:
            continue
        h = report.hashes
        verdict = "hashed at load" if h is not None else "not read"
        detail = ("no earlier record to compare with; these hashes are recorded now" if h is not None
                  else report.error)
        rows.append(_row(str(report.path), report.evidence_id, report.parser, h.size if h else None,
                         h.sha256 if h else "", h.sha1 if h else "", h.md5 if h else "",
                         verdict, detail, h is None, report))
    return rows


def _row(path: str, evidence_id: str, parser: str, size: int | None, sha256: str, sha1: str, md5: str,
         verdict: str, detail: str, problem: bool, report: FileReport | None) -> EvidenceRow:
    row = EvidenceRow(
        name=Path(path).name, path=path, evidence_id=evidence_id, parser=parser, size=size,
        sha256=sha256, sha1=sha1, md5=md5, verification=verdict, verification_detail=detail,
        problem=problem,
    )
    if report is not None:
        row.status = report.status
        row.records, row.rows, row.bad = report.records, report.rows, report.bad
        row.skipped = dict(report.skipped)
        row.warning_count = report.warning_count
        row.warnings = [str(w) for w in report.warnings[:50]]
        row.notes = list(report.notes)
        row.error = report.error
        row.rows_from, row.rows_to = report.first_time, report.last_time
        if report.status == "failed":
            row.problem = True
    return row


def bookmark_table(book: BookmarkBook | None, frame: pd.DataFrame) -> pd.DataFrame:
    """Bookmarks with their comments and the bookmarked rows' fields (from the frame when
    loaded, else from the summary saved with the bookmark)."""
    columns = ["tag", "comment", "examiner", "created", "time", "operation", "mailbox", "actor",
               "folder", "item", "evidence", "record_id", "in_evidence"]
    if book is None or not len(book):
        return pd.DataFrame(columns=columns)
    located = book.locate(frame)
    records = []
    for bookmark, position in zip(book.items, located["position"].tolist()):
        row = {"tag": bookmark.tag, "comment": bookmark.comment, "examiner": bookmark.examiner,
               "created": bookmark.created, "evidence": bookmark.evidence,
               "record_id": bookmark.record_id, "in_evidence": position >= 0}
        if position >= 0:
            src = frame.iloc[position]
            for col in ("time", "operation", "mailbox", "actor", "folder", "item"):
                value = src[col]
                row[col] = None if pd.isna(value) else value
        else:
            for col in ("operation", "mailbox", "actor", "folder", "item"):
                row[col] = bookmark.summary.get(col)
            row["time"] = pd.Timestamp(bookmark.summary["time"]) if bookmark.summary.get("time") else None
        records.append(row)
    return pd.DataFrame.from_records(records, columns=columns)


def build_report(
    *,
    frame: pd.DataFrame,
    view: pd.DataFrame | None = None,
    files: list[FileReport] | None = None,
    checks: list[EvidenceCheck] | None = None,
    custody: CustodyLog | None = None,
    case_name: str = "",
    case_number: str = "",
    examiner: str = "",
    display_tz: str = "UTC",
    query: str = "",
    toggles: dict[str, Any] | None = None,
    bookmarks: BookmarkBook | None = None,
    notes: str = "",
    integrity_problems: list[str] | None = None,
    event_cap: int = DEFAULT_EVENT_CAP,
    heatmaps: bool = True,
    keep_order: bool = False,
    order: str = "",
    columns: Sequence[str] | None = None,
    work_hours: WorkHours | None = None,
    expected: Sequence[ExpectedAccess] = (),
    count: str = "accesses",
    work_hours_note: str = "",
) -> ReportData:
    """Gather a report. ``frame`` is everything loaded; ``view`` the rows the query keeps
    (defaults to ``frame``). Only schema columns of the view are reported as events.

    Events are sorted by time ascending (stable: equal times keep load order, no time last)
    unless ``keep_order`` (the GUI: exactly the grid's order, described by ``order``);
    ``columns`` picks the printed events table's columns (the grid's visible ones)."""
    from forensics.query import resolve_tz  # the display zone parser the query bar uses

    view = frame if view is None else view
    tz = resolve_tz(display_tz)
    custody = custody or CustodyLog(None)
    lines = custody.lines()
    events = view[[c for c in schema.COLUMNS if c in view.columns]]
    if keep_order:  # exactly as the grid shows them
        events_order = order or "as given (not sorted)"
    else:
        events = events.sort_values("time", kind="stable", na_position="last") if "time" in events else events
        events_order = TIME_ORDER
    shown = [c for c in (columns or ()) if c in events.columns] or list(EVENT_COLUMNS)
    findings, changes, basis = analysis.findings_tables(view, frame, tz, work_hours, expected, count)
    if work_hours_note:  # why the work hours are counted in that zone
        basis = f"Work-hours zone: {work_hours_note}. {basis}"
    data = ReportData(
        case_name=case_name or "(no case)",
        case_number=case_number,
        examiner=examiner or custody.examiner,
        generated_utc=datetime.now(timezone.utc),
        display_tz=display_tz,
        tool=tool_version(),
        dependencies=dependency_versions(),
        evidence=_evidence_rows(list(files or []), list(checks or [])),
        query=query,
        toggles=dict(toggles or {}),
        summary=analysis.summary_counts(view),
        findings=findings,
        admin_changes=changes,
        bookmarks=bookmark_table(bookmarks, frame),
        events=events.reset_index(drop=True),
        event_cap=max(0, int(event_cap)),
        methodology=methodology.sections(frame, list(files or []), display_tz),
        audit_level=analysis.implied_audit_level(frame),
        notes=notes,
        integrity_problems=list(integrity_problems or []),
        custody_entries=len(lines),
        custody_head=custody.head(),
        findings_basis=basis,
        events_order=events_order,
        event_columns=shown,
        custody_summary=summarize(custody),
    )
    if heatmaps:
        from forensics.aggregate.evidence_gaps import missing_periods
        from forensics.reports.charts import heatmaps as render_heatmaps

        data.heatmaps = render_heatmaps(view, tz, display_tz, missing_periods(files or []))
    return data


def verified_count(data: ReportData) -> int:
    return sum(1 for e in data.evidence if e.verification == VERIFIED)
