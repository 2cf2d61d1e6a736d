"""Heatmap aggregation (Qt-free): pivots over the current filtered frame, cells as queries.

    pivot = mailbox_by_time(filtered, tz="Europe/Berlin", nonowner_only=True)
    pivot.top(50)                  # first 50 mailboxes by total; .rest_rows/.rest_total
    pivot.cell_query(0, 3)         # 'is:nonowner mailbox:=ceo@… after:"…" before:"…"'
    pivot.cell_stats(0, 3)         # count, distinct actors, non-owner count

Drill-down contract: ``compile_query(all_of(current_query, pivot.cell_query(r, c)), tz)``
on the unfiltered frame selects exactly ``pivot.counts[r, c]`` rows.

Findings (who accessed whose mailbox, admin changes): ``findings(frame, tz, WorkHours())``;
the examiner's expected-access marks (``ExpectedAccess``) move reviewed pairs last.
"""

from __future__ import annotations

from forensics.aggregate.bins import BINS, choose_bin
from forensics.aggregate.expected import ExpectedAccess
from forensics.aggregate.findings import (
    ADMIN_CHANGE_OPERATIONS,
    Findings,
    WorkHours,
    access_pairs,
    admin_changes,
    findings,
)
from forensics.aggregate.pivot import CellStats, Pivot
from forensics.aggregate.views import (
    NOT_RECORDED,
    AggregateError,
    hour_by_weekday,
    mailbox_by_actor,
    mailbox_by_time,
)

__all__ = [
    "ADMIN_CHANGE_OPERATIONS", "ExpectedAccess", "Findings", "WorkHours", "access_pairs", "admin_changes", "findings",
    "BINS", "NOT_RECORDED", "AggregateError", "CellStats", "Pivot", "choose_bin", "hour_by_weekday",
    "mailbox_by_actor", "mailbox_by_time",
]
