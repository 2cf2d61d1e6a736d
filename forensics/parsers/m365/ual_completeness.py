"""Is a Microsoft 365 audit export complete? The most common way to lose UAL evidence is not
damage but a search that returned less than it found.

``Search-UnifiedAuditLog`` pages its results: each record carries ``ResultIndex`` (its number
in the search) and ``ResultCount`` (the hits of the whole search), and a script that stops
paging early, or a session that ends, leaves an export holding only some of them. One search
returns at most 50,000 records, and the classic compliance-center download stops at 50,000
rows, so a search or download at that size may have found more than it returned.

Works order-free (exports are often re-sorted or several searches appended into one file):
records are grouped by ``ResultCount``, and each group must hold every index from 1 to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from forensics.parsers.base import FileReport

#: the most records one search (or one classic export download) returns
SEARCH_CAP = 50_000
#: runs of missing indices spelled out per search; the rest are counted
MAX_RUNS_LISTED = 5


def _numbers(column: pa.ChunkedArray | pa.Array | None, n: int) -> np.ndarray:
    """Integers of a text column; -1 where missing or not a plain number."""
    if column is None:
        return np.full(n, -1, dtype=np.int64)
    text = pc.utf8_trim_whitespace(column.cast(pa.string()))
    plain = pc.fill_null(pc.match_substring_regex(text, r"^-?\d{1,12}$"), False)
    values = pc.cast(pc.if_else(plain, text, pa.scalar(None, pa.string())), pa.int64())
    return np.asarray(pc.fill_null(values, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


@dataclass
class ExportCompleteness:
    """``ResultIndex``/``ResultCount`` of every record, gathered slice by slice, judged at the end."""

    layout: str | None
    _index: list[np.ndarray] = field(default_factory=list)
    _count: list[np.ndarray] = field(default_factory=list)
    rows: int = 0

    def add(self, columns: dict[str, pa.ChunkedArray], n: int) -> None:
        """One slice of CSV rows (columns by lower-case name)."""
        self.rows += n
        if "resultindex" in columns:
            self._index.append(_numbers(columns["resultindex"], n))
            self._count.append(_numbers(columns.get("resultcount"), n))

    def report_to(self, report: FileReport) -> int:
        """Warn about every incomplete search (one loud note); return the records missing."""
        missing = 0
        if self._index:
            index, count = np.concatenate(self._index), np.concatenate(self._count)
            for total in np.unique(count[count > 0]).tolist():
                present = np.unique(index[(count == total) & (index >= 1) & (index <= total)])
                gone = total - len(present)
                if gone:
                    missing += gone
                    report.warn("file", f"a search that found {total:,} records (ResultCount) is in this file with "
                                f"{len(present):,} of them: ResultIndex {_runs(present, total)} {'is' if gone == 1 else 'are'} missing "
                                "(paging stopped early or pages were lost)")
                if total >= SEARCH_CAP:
                    self._warn_cap(report, f"a search reports ResultCount {total:,}")
            uncounted = index[(count <= 0) & (index >= 1)]
            if len(uncounted):  # no ResultCount (hand-edited exports): the indices must still run 1..max
                present = np.unique(uncounted)
                top = int(present[-1])
                if top - len(present):
                    missing += top - len(present)
                    report.warn("file", f"ResultIndex runs to {top:,} but {top - len(present):,} indices are absent: "
                                f"{_runs(present, top)}")
        elif self.layout == "classic-4" and self.rows == SEARCH_CAP:
            self._warn_cap(report, f"this classic export holds exactly {SEARCH_CAP:,} rows")
        if missing:
            report.notes.append(f"EXPORT INCOMPLETE: {missing:,} audit record{'s' if missing != 1 else ''} the search "
                                "found are not in this file (see the warnings)")
        return missing

    @staticmethod
    def _warn_cap(report: FileReport, what: str) -> None:
        report.warn("file", f"{what}, the most one search or download returns: the search may have found more "
                    "records than it returned; search again over shorter time ranges")
        note = f"EXPORT MAY BE CAPPED at {SEARCH_CAP:,} records (see the warnings)"
        if note not in report.notes:
            report.notes.append(note)


def _runs(present: np.ndarray, total: int) -> str:
    """The indices in 1..total not in ``present`` (sorted, unique), as "a-b, c, …"."""
    marks = np.zeros(total + 2, dtype=bool)
    marks[present] = True
    marks[0] = marks[total + 1] = True
    gone = np.flatnonzero(~marks)
    breaks = np.flatnonzero(np.diff(gone) != 1)
    starts = gone[np.concatenate(([0], breaks + 1))]
    ends = gone[np.concatenate((breaks, [len(gone) - 1]))]
    parts = [f"{a}" if a == b else f"{a}-{b}" for a, b in zip(starts[:MAX_RUNS_LISTED].tolist(), ends.tolist())]
    if len(starts) > MAX_RUNS_LISTED:
        parts.append(f"and {len(starts) - MAX_RUNS_LISTED:,} more runs")
    return ", ".join(parts)
