"""The numbers a report states about the rows in view: summary counts, the non-owner
access pairs, administrative changes, and the audit level the evidence implies.

The heatmap pivots come from ``forensics.aggregate`` (see ``charts``), so the report and
the GUI count alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forensics.aggregate.expected import ExpectedAccess, expected_column
from forensics.aggregate.findings import ACCESS_PREFIX, Findings, WorkHours, admin_changes, findings


@dataclass
class SummaryCounts:
    rows: int
    mailboxes: int
    actors: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    by_operation: list[tuple[str, int]] = field(default_factory=list)
    by_logon_type: list[tuple[str, int]] = field(default_factory=list)
    by_outcome: list[tuple[str, int]] = field(default_factory=list)
    non_owner_rows: int = 0


def _counts(series: pd.Series) -> list[tuple[str, int]]:
    counts = series.astype("string").fillna("(not recorded)").value_counts(sort=True)
    return [(str(k), int(v)) for k, v in counts.items()]


def summary_counts(view: pd.DataFrame) -> SummaryCounts:
    times = view["time"].dropna()
    return SummaryCounts(
        rows=len(view),
        mailboxes=int(view["mailbox"].nunique(dropna=True)),
        actors=int(view["actor"].nunique(dropna=True)),
        first=times.min() if len(times) else None,
        last=times.max() if len(times) else None,
        by_operation=_counts(view["operation"]),
        by_logon_type=_counts(view["logon_type"]),
        by_outcome=_counts(view["outcome"]),
        non_owner_rows=int((view["logon_type"].astype("string") != "Owner").fillna(True).sum()),
    )


def operations_text(pairs: pd.DataFrame, operations: Sequence[str], prefix: str = "") -> list[str]:
    """Per pair, "MessageOpen 7, FolderOpen 3" from the count columns ``prefix + op``."""
    pieces = [np.where(pairs[prefix + op].to_numpy() > 0, op + " " + pairs[prefix + op].astype(str), "")
              for op in operations if prefix + op in pairs.columns]
    return [", ".join(p for p in parts if p) for parts in zip(*pieces)] if pieces else [""] * len(pairs)


def findings_tables(
    view: pd.DataFrame,
    frame: pd.DataFrame,
    tz: object,
    work_hours: WorkHours | None = None,
    expected: Sequence[ExpectedAccess] = (),
    count: str = "accesses",
) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(pairs, admin changes, what the pairs table rests on): the GUI's findings definition
    (``forensics.aggregate``), with the examiner's work hours and expected-access marks.

    Pairs come from the rows in view; administrative changes from everything loaded,
    because a change outside the query's window can still explain what the view shows.
    The pairs table gains ``operations`` ("MessageOpen 7, FolderOpen 3": distinct accesses,
    or rows with ``count="rows"``) and ``operation_rows`` (raw rows per recorded operation,
    "MessageOpen 14, FolderOpen 12, MailItemsAccessed 7") for printed reports, where one
    column per operation would not fit.
    """
    result = findings(view, tz, work_hours, expected, count=count)
    pairs = result.pairs.copy()
    rows_text = operations_text(pairs, result.operations)
    pairs["operations"] = rows_text if count == "rows" else operations_text(pairs, result.access_operations, ACCESS_PREFIX)
    pairs["operation_rows"] = rows_text
    if not len(pairs):
        pairs["operations"] = pd.Series([], dtype=object)
        pairs["operation_rows"] = pd.Series([], dtype=object)
    return pairs, admin_changes(frame), findings_basis(result, frame)


#: the sentence that says what the pairs' counts are (reports print it above the table)
COUNT_BASIS = {
    "accesses": ("Counts are distinct accesses: rows of several sources (event log, mailbox-audit export, IIS, "
                 "Microsoft 365 audit log) that record the same access count once (see Methodology, correlation); "
                 "events is the raw row count and seen_in how many source formats recorded each access."),
    "rows": ("Counts are raw rows (--count rows): an access recorded by several sources is counted once per "
             "source; accesses gives the distinct accesses (see Methodology, correlation)."),
}


def findings_basis(result: Findings, frame: pd.DataFrame | None = None) -> str:
    """The sentences a report prints above its pairs table: what "after hours" meant and
    which pairs the examiner marked as expected, which marks matched nothing, and which only
    miss because the query, a quick filter or Hide expected hid their rows (``frame``: all
    loaded rows, where such a mark still explains rows)."""
    tz = result.tz if result.tz is not None else "UTC"
    text = f"After hours means outside {result.work_hours.describe(tz)}. " + COUNT_BASIS[result.count]
    if result.expected_pairs:
        text += (f" {result.expected_pairs} pair(s) the examiner marked as expected access are listed after the "
                 "others, with the reason in the expected column; their rows are still counted and shown.")
    hidden = [m for m in result.unmatched if frame is not None and expected_column(frame, [m]).notna().any()]
    absent = [m for m in result.unmatched if m not in hidden]
    if hidden:
        text += (f" {len(hidden)} expected-access mark(s) match pairs hidden by the view (the query or filters "
                 "leave out their rows; they are in the loaded evidence): " + "; ".join(m.scope for m in hidden) + ".")
    if absent:
        text += (f" {len(absent)} expected-access mark(s) match no pair in the loaded evidence: "
                 + "; ".join(m.scope for m in absent) + ".")
    return text


def implied_audit_level(frame: pd.DataFrame) -> str:
    """What the Exchange 2007/2010 access-auditing events (10100-10106) imply about the
    diagnostic logging level: owner access logged means 3 or 5; only cross-mailbox access
    means 2 or 4; only administrative access means 1."""
    ids = frame["event_id"].astype("Int64")
    audit = frame[ids.isin([10100, 10102, 10104, 10106]).fillna(False).to_numpy()]
    if audit.empty:
        return ("no Exchange access-auditing events (10100-10106) in the evidence: the "
                "access-auditing logging level cannot be inferred from it")
    logon = audit["logon_type"].astype("string")
    n = len(audit)
    if (logon == "Owner").any():
        return (f"owner access is logged ({int((logon == 'Owner').sum())} of {n} access-auditing events), so Exchange's "
                "mailbox access auditing was set to level 3 or 5 (the diagnostic logging levels that also log "
                "owners opening their own mailbox)")
    if (logon == "Delegate").any() or (logon == "Unknown").any():
        return (f"only cross-mailbox access is logged ({n} access-auditing events, none by owners), so Exchange's "
                "mailbox access auditing was likely set to level 2 or 4 (the diagnostic logging levels that log "
                "access by someone other than the owner, not owners' own)")
    return (f"only administrative access is logged ({n} access-auditing events), so Exchange's mailbox access "
            "auditing was likely set to level 1 (the diagnostic logging level that logs administrative access only)")
