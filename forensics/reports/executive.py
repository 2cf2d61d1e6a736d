"""The executive summary every printed report opens with: the question the case asks, the
answer in counts of accesses, the key pairs, the administrative changes, the incidents the
examiner bookmarked, and how far the evidence can be trusted, before any hash table.

Plain data built from ``ReportData`` (which holds the same tables the detailed sections
print), so the summary cannot disagree with the pages after it. Evidence is named by file
name here and in every table; the hashes stay in the evidence table.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any

import pandas as pd

from forensics.aggregate.work_hours import after_hours_text
from forensics.reports.formatting import bookmark_groups, fmt_time

#: pairs named in the summary (the findings section lists them all)
TOP_PAIRS = 10
#: administrative changes named in the summary (auditing changes first)
TOP_CHANGES = 8
PAIR_COLUMNS = ["Who", "Whose mailbox", "Accesses", "After hours", "First seen", "Last seen", "Admin rights"]
CHANGE_COLUMNS = ["When", "Change", "By", "Mailbox", "What", "Outcome"]
INCIDENT_COLUMNS = ["Bookmark", "Examiner's comment", "Rows", "From", "To"]


@dataclass
class ExecutiveSummary:
    question: str
    answer: str
    scope: list[str] = field(default_factory=list)
    pairs: list[list[str]] = field(default_factory=list)
    pairs_note: str = ""
    changes_text: str = ""
    changes: list[list[str]] = field(default_factory=list)
    incidents_text: str = ""
    incidents: list[list[str]] = field(default_factory=list)
    integrity: str = ""
    integrity_ok: bool = True


def evidence_names(evidence: list[Any]) -> dict[str, str]:
    """Evidence id -> the file name a reader recognises; files sharing a name get their
    parent folder ("W3SVC1/ex240313.log"), and the id when even that repeats."""
    names: dict[str, str] = {}
    counts = Counter(e.name for e in evidence)
    longer = {e.evidence_id: (f"{Path(e.path).parent.name}/{e.name}" if counts[e.name] > 1 else e.name) for e in evidence}
    repeats = Counter(longer.values())
    for e in evidence:
        label = longer[e.evidence_id]
        names[e.evidence_id] = f"{label} ({e.evidence_id})" if repeats[label] > 1 else label
    return names


def name_evidence(text: object, names: dict[str, str]) -> str:
    """``text`` (one id, or ids joined by ", " with an optional "(+N more)") with ids as names."""
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return ""
    raw = str(text)
    more = ""
    if raw.endswith(" more)") and " (+" in raw:
        raw, more = raw.rsplit(" (+", 1)
        more = " (+" + more
    parts = [names.get(part.strip(), part.strip()) for part in raw.split(",") if part.strip()]
    return ", ".join(parts) + more


def _question(data: Any) -> str:
    scope = f" among the rows the query {data.query!r} keeps" if data.query else ""
    return ("Who opened Exchange mailboxes other than their own, which mailboxes, when and from where, "
            f"according to the evidence files examined{scope}? Which administrative changes bear on that access?")


def _answer(data: Any) -> str:
    pairs = data.findings
    if not len(pairs):
        return "No access to a mailbox by anyone other than its owner is recorded in the rows in view."
    accesses = int(pairs["accesses"].sum()) if "accesses" in pairs else int(pairs["events"].sum())
    after = int(pairs["after_hours"].sum()) if "after_hours" in pairs else 0
    actors, mailboxes = pairs["actor"].nunique(), pairs["mailbox"].nunique()
    # with --count rows the after-hours column counts raw rows, not accesses (findings_basis says which)
    unit = "row(s) of them" if "Counts are raw rows" in (data.findings_basis or "") else "of them"
    text = (f"{actors} account(s) other than the owner accessed {mailboxes} mailbox(es): {len(pairs)} "
            f"(who, whose mailbox) pair(s), {accesses:,} access(es) in all, {after:,} {unit} outside work hours.")
    if "expected" in pairs.columns:
        expected = int((pairs["expected"].astype("string").fillna("") != "").sum())
        if expected:
            text += f" The examiner marked {expected} pair(s) as expected access (listed last in the findings)."
    return text


def _pairs(data: Any, tz: tzinfo) -> list[list[str]]:
    rows = []
    for row in data.findings.head(TOP_PAIRS).to_dict("records"):
        after = after_hours_text(row.get("after_hours", 0), row.get("after_hours_share", 0.0))
        rows.append([str(row["actor"]), str(row["mailbox"]), f"{int(row.get('accesses', row.get('events', 0))):,}",
                     after, fmt_time(row.get("first_seen"), tz), fmt_time(row.get("last_seen"), tz),
                     "yes" if row.get("admin") else "no"])
    return rows


def _changes(data: Any, tz: tzinfo) -> tuple[str, list[list[str]]]:
    changes = data.admin_changes
    if not len(changes):
        return "No administrative change bearing on mailbox access is in the loaded evidence.", []
    by_op = changes["operation"].astype("string").fillna("(not recorded)").value_counts()
    text = f"{len(changes)} administrative change(s) in the loaded evidence: " + ", ".join(
        f"{op} {n}" for op, n in by_op.items()) + "."
    audit = int(changes["marked"].astype(bool).sum()) if "marked" in changes else 0
    if audit:
        text += (f" {audit} change(s) to auditing itself (listed first): an account exempted from auditing, or "
                 "logging lowered, can explain why later access is missing from the logs.")
    if len(changes) > TOP_CHANGES:
        text += f" The first {TOP_CHANGES} are below; all are in the administrative changes section."
    rows = [[fmt_time(r["time"], tz), str(r["operation"]), str(r["actor"]), str(r["mailbox"]), str(r["what"]),
             str(r["outcome"])] for r in changes.head(TOP_CHANGES).to_dict("records")]
    return text, rows


def _incidents(data: Any, tz: tzinfo) -> tuple[str, list[list[str]]]:
    groups = bookmark_groups(data.bookmarks, tz)
    if not groups:
        return "The examiner bookmarked no rows.", []
    rows = []
    for tag, comment, _examiner, group_rows in groups:
        times = [r[0] for r in group_rows if r[0]]
        rows.append([tag, comment or "(no comment)", str(len(group_rows)), times[0] if times else "",
                     times[-1] if times else ""])
    text = f"The examiner bookmarked {len(data.bookmarks)} row(s) as {len(groups)} incident(s) (tag and comment):"
    return text, rows


def _integrity(data: Any) -> tuple[str, bool]:
    n = len(data.evidence)
    problems = data.evidence_problems
    verified = sum(1 for e in data.evidence if e.verification == "verified")
    text = (f"{n} evidence file(s) examined; {verified} verified against the hashes recorded when they were first "
            "opened")
    if n - verified - len(problems) > 0:
        text += f", {n - verified - len(problems)} hashed at this load (no earlier record)"
    text += "."
    if problems:
        text += " PROBLEM: " + "; ".join(f"{e.name}: {e.verification}" for e in problems) + "."
    if data.integrity_problems:
        text += " CUSTODY LOG PROBLEM: " + "; ".join(data.integrity_problems) + "."
    bad = sum(e.bad for e in data.evidence)
    skipped = sum(e.skipped_total for e in data.evidence)
    if bad or skipped:
        text += (f" {bad:,} record(s) could not be read and {skipped:,} were skipped by rule; each is counted per "
                 "file in the parse warnings section.")
    return text, not problems and not data.integrity_problems


def executive_summary(data: Any, tz: tzinfo) -> ExecutiveSummary:
    """The summary of ``data`` (a ``ReportData``) with times in ``tz``."""
    s = data.summary
    span = (f"{fmt_time(s.first, tz)} to {fmt_time(s.last, tz)}" if s.first is not None else "no dated rows")
    scope = [f"Rows examined: {s.rows:,} in view ({span}, display zone {data.display_tz}).",
             f"Query: {data.query}" if data.query else "Query: none (every loaded row)."]
    integrity, ok = _integrity(data)
    changes_text, changes = _changes(data, tz)
    incidents_text, incidents = _incidents(data, tz)
    more = len(data.findings) - TOP_PAIRS
    pairs_note = (f"The {TOP_PAIRS} pairs with the most accesses; {more} more are in the findings section."
                  if more > 0 else "")
    return ExecutiveSummary(
        question=_question(data), answer=_answer(data), scope=scope, pairs=_pairs(data, tz), pairs_note=pairs_note,
        changes_text=changes_text, changes=changes, incidents_text=incidents_text, incidents=incidents,
        integrity=integrity, integrity_ok=ok,
    )
