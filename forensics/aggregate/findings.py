"""Who accessed whose mailbox: one line per (actor, mailbox) pair with non-owner access,
and the administrative changes that bear on mailbox access.

The reports and the GUI's Findings table both call :func:`findings`; each line carries the
query (in the query language) that selects exactly its rows, so a report's numbers and a
drill-down in the GUI come from one definition. Grouping runs on category codes with
numpy (``unique``/``bincount``); only the per-pair summaries (a few thousand at most)
are assembled in Python.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo

import numpy as np
import pandas as pd

from forensics.aggregate.expected import ExpectedAccess, apply_marks, unmatched_marks
from forensics.aggregate.people import NOT_RECORDED, PAIR_QUERY, person_field
from forensics.aggregate.work_hours import WorkHours
from forensics.query import all_of, compile_query, exact
from forensics.query.fields import CHANGE_OPERATIONS
from forensics.query.zone import NAT, resolve_tz

#: Changes shown below the pairs; AuditConfigChange comes first and is marked, because an
#: account exempted from auditing (or lowered logging) hides everything that follows.
ADMIN_CHANGE_OPERATIONS: tuple[str, ...] = (
    "AuditConfigChange", "PermissionChange", "ForwardingChange", "InboxRuleChange", "MailboxExport",
)
#: what the pairs' counts and order rest on: distinct accesses (rows of several sources that
#: record one access count once, see ``forensics.correlate``) or raw rows
COUNT_MODES: tuple[str, ...] = ("accesses", "rows")
#: prefix of the per-operation columns that count distinct accesses (the bare operation
#: names count rows, as they always did)
ACCESS_PREFIX = "accesses:"

#: Operations that are not mailbox accesses (administration), left out of the pairs:
#: exactly what the query shorthand ``is:change`` matches.
NOT_ACCESS_OPERATIONS: tuple[str, ...] = CHANGE_OPERATIONS


@dataclass(frozen=True)
class Findings:
    """The pairs table, the admin-changes table, and the settings they were computed with."""

    pairs: pd.DataFrame
    changes: pd.DataFrame
    operations: list[str] = field(default_factory=list)  # the per-operation count columns of ``pairs``
    work_hours: WorkHours = WorkHours()
    tz: tzinfo | None = None
    base_query: str = ""
    #: the examiner's marks that explain no pair of these rows (see ``expected``)
    unmatched: list[ExpectedAccess] = field(default_factory=list)
    #: the operations of ``accesses:<op>`` columns (distinct accesses), most frequent first
    access_operations: list[str] = field(default_factory=list)
    #: "accesses" (pairs ordered by distinct accesses) or "rows"
    count: str = "accesses"

    @property
    def expected_pairs(self) -> int:
        """Pairs the examiner marked as expected (listed after the unreviewed ones)."""
        return int((self.pairs["expected"] != "").sum()) if len(self.pairs) else 0


def _codes(series: pd.Series) -> tuple[np.ndarray, list[object]]:
    if not isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype("category")
    codes = series.cat.codes.to_numpy().astype(np.int64)
    values = list(series.cat.categories)
    n = len(values)
    return np.where(codes < 0, n, codes), [*values, None]


def _label(value: object) -> str:
    return NOT_RECORDED if value is None else str(value)


def _value_lists(pair: np.ndarray, n_pairs: int, series: pd.Series | None) -> list[list[str]]:
    """Per pair: every distinct recorded value of ``series``, most frequent first."""
    if series is None or not len(pair):
        return [[] for _ in range(n_pairs)]
    codes, values = _codes(series)
    n_values = len(values)
    keys = pair * n_values + codes
    uniq, counts = np.unique(keys, return_counts=True)
    out: list[list[tuple[int, str]]] = [[] for _ in range(n_pairs)]
    for key, count in zip(uniq.tolist(), counts.tolist()):  # one per (pair, value): not per row
        value = values[key % n_values]
        if value is not None:
            out[key // n_values].append((-count, str(value)))
    lists = []
    for items in out:
        items.sort()
        lists.append([name for _, name in items])
    return lists


def _joined_values(pair: np.ndarray, n_pairs: int, series: pd.Series | None, limit: int = 8) -> list[str]:
    """Per pair: the distinct recorded values of ``series``, most frequent first, joined."""
    joined = []
    for names in _value_lists(pair, n_pairs, series):
        more = len(names) - limit
        joined.append(", ".join(names[:limit]) + (f" (+{more} more)" if more > 0 else ""))
    return joined


def _access_codes(sub: pd.DataFrame) -> np.ndarray:
    """Access per row (``access_id``); a row without one (a frame never correlated) is an
    access of its own, so counts by access then equal counts by row."""
    own = np.arange(len(sub), dtype=np.int64) + (1 << 40)
    if "access_id" not in sub.columns:
        return own
    ids = sub["access_id"].to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isnan(ids), own, np.nan_to_num(ids).astype(np.int64))


def _distinct_per_pair(pair: np.ndarray, access: np.ndarray, n: int, group: np.ndarray | None = None,
                       n_groups: int = 1) -> np.ndarray:
    """Distinct accesses per pair (and per ``group`` code when given): (n,) or (n, n_groups)."""
    g = group if group is not None else np.zeros(len(pair), dtype=np.int64)
    if not len(pair):
        return np.zeros((n, n_groups), dtype=np.int64) if group is not None else np.zeros(n, dtype=np.int64)
    keys = pd.DataFrame({"p": pair, "g": g, "a": access}).drop_duplicates()
    counts = np.bincount(keys["p"].to_numpy() * n_groups + keys["g"].to_numpy(), minlength=n * n_groups)
    return counts.reshape(n, n_groups) if group is not None else counts


def _seen_in(pair: np.ndarray, sub: pd.DataFrame, n: int) -> list[str]:
    """Per pair: how many source formats saw its accesses ("1", "2–4")."""
    if "access_sources" not in sub.columns or not len(pair):
        return ["1"] * n
    k = sub["access_sources"].to_numpy(dtype=np.float64, na_value=1.0).astype(np.int64)
    lo = np.full(n, np.iinfo(np.int64).max)
    hi = np.zeros(n, dtype=np.int64)
    np.minimum.at(lo, pair, k)
    np.maximum.at(hi, pair, k)
    return [str(a) if a == b else f"{a}\u2013{b}" for a, b in zip(lo.tolist(), hi.tolist())]


def access_pairs(
    frame: pd.DataFrame, tz: str | tzinfo = "UTC", work_hours: WorkHours | None = None, count: str = "accesses",
    lists: bool = False,
) -> tuple[pd.DataFrame, list[str]]:
    """One row per (actor, mailbox) with non-owner access (``is:nonowner -is:change``).

    Pairs are of resolved persons (``actor_key``/``mailbox_key`` when the frame has them);
    ``actor_forms``/``mailbox_forms`` list the forms the evidence used.
    Columns: actor, mailbox, accesses (distinct accesses: rows of several sources that record
    one access count once), events (raw rows), seen_in (how many source formats saw its
    accesses, "2–4"), one ``accesses:<op>`` column per access operation (``forensics.correlate``'s
    ``access_operation``: a 10102 and its MailItemsAccessed Bind are one MessageOpen) and one
    raw-row count column per recorded operation (most frequent first),
    first_seen, last_seen (UTC), after_hours (accesses, or rows with ``count="rows"``, with a
    time outside work hours), after_hours_share (0..1), admin
    (any row is:admin), logon_types, client_ips, client_hosts, sources (source formats),
    evidence (ids), query (selects exactly the pair's rows in ``frame``).
    ``lists``: the forms, addresses, hosts, logon types, sources and evidence columns are lists
    of every value (for JSON) instead of text with at most 8 values.
    Ordered by accesses (``count="rows"``: by events), largest first. Returns the table and the
    raw-row operation column names (``access_operations`` lists the others).
    """
    work_hours = work_hours or WorkHours()
    base = PAIR_QUERY
    mask = compile_query(base).mask(frame)
    sub = frame[mask]
    actor_field, mailbox_field = person_field(frame, "actor"), person_field(frame, "mailbox")
    actor_codes, actors = _codes(sub[actor_field])
    mailbox_codes, mailboxes = _codes(sub[mailbox_field])
    combined = actor_codes * len(mailboxes) + mailbox_codes
    uniq, pair = np.unique(combined, return_inverse=True)
    n = len(uniq)
    pair = pair.astype(np.int64)
    events = np.bincount(pair, minlength=n)
    op_codes, ops = _codes(sub["operation"]) if "operation" in sub.columns else (np.zeros(len(sub), np.int64), [None])
    op_counts = np.bincount(pair * len(ops) + op_codes, minlength=n * len(ops)).reshape(n, len(ops))
    op_order = [int(i) for i in np.argsort(-op_counts.sum(axis=0), kind="stable") if op_counts[:, i].sum()]
    op_names = [_label(ops[i]) for i in op_order]
    utc = sub["time"]
    t_ns = utc.array.asi8 if isinstance(utc.dtype, pd.DatetimeTZDtype) else utc.to_numpy().view(np.int64)
    valid = t_ns != NAT
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, NAT)
    np.minimum.at(first, pair[valid], t_ns[valid])
    np.maximum.at(last, pair[valid], t_ns[valid])
    after_mask = np.asarray(work_hours.after_hours(utc, tz), dtype=bool)
    access = _access_codes(sub)
    if count == "rows":
        after = np.bincount(pair, weights=after_mask, minlength=n).astype(np.int64)
        timed = np.bincount(pair, weights=valid, minlength=n)
    else:  # distinct accesses with an after-hours row, of the accesses with a time
        after = _distinct_per_pair(pair[after_mask], access[after_mask], n)
        timed = _distinct_per_pair(pair[valid], access[valid], n)
    admin_mask = compile_query("is:admin").mask(sub) if len(sub) else np.zeros(0, bool)
    admin = np.bincount(pair, weights=admin_mask, minlength=n) > 0
    pair_actor = uniq // len(mailboxes)
    pair_mailbox = uniq % len(mailboxes)
    accesses = _distinct_per_pair(pair, access, n)
    acc_series = sub["access_operation"] if "access_operation" in sub.columns else sub.get("operation")
    acc_codes, acc_ops = _codes(acc_series) if acc_series is not None else (np.zeros(len(sub), np.int64), [None])
    acc_counts = _distinct_per_pair(pair, access, n, acc_codes, len(acc_ops))
    acc_order = [int(i) for i in np.argsort(-acc_counts.sum(axis=0), kind="stable") if acc_counts[:, i].sum()]
    table = {
        "actor": [_label(actors[i]) for i in pair_actor],
        "mailbox": [_label(mailboxes[i]) for i in pair_mailbox],
        "accesses": accesses,
        "events": events,
        "seen_in": _seen_in(pair, sub, n),
    }
    for i in acc_order:
        table[ACCESS_PREFIX + _label(acc_ops[i])] = acc_counts[:, i]
    for name, i in zip(op_names, op_order):
        table[name] = op_counts[:, i]
    table["first_seen"] = pd.to_datetime(np.where(first == np.iinfo(np.int64).max, NAT, first), utc=True)
    table["last_seen"] = pd.to_datetime(last, utc=True)
    table["after_hours"] = after
    table["after_hours_share"] = np.divide(after, timed, out=np.zeros(n), where=timed > 0)
    table["admin"] = admin
    column = sub.get
    values = _value_lists if lists else _joined_values
    # the forms the evidence named each person in (the pair itself is by resolved person)
    for name, source in (("actor_forms", "actor"), ("mailbox_forms", "mailbox"), ("logon_types", "logon_type"),
                         ("client_ips", "client_ip"), ("client_hosts", "client_host"), ("sources", "source_format"),
                         ("evidence", "evidence")):
        table[name] = values(pair, n, column(source))
    actor_terms = [exact(actor_field, v) for v in actors]  # once per value, not per pair
    mailbox_terms = [exact(mailbox_field, v) for v in mailboxes]
    table["query"] = [f"{base} {actor_terms[a]} {mailbox_terms[m]}" for a, m in zip(pair_actor.tolist(), pair_mailbox.tolist())]
    out = pd.DataFrame(table)
    out["first_seen"] = out["first_seen"].astype("datetime64[ns, UTC]")
    out["last_seen"] = out["last_seen"].astype("datetime64[ns, UTC]")
    first_key = "events" if count == "rows" else "accesses"
    out = out.sort_values([first_key, "actor", "mailbox"], ascending=[False, True, True], kind="stable")
    return out.reset_index(drop=True), op_names


def admin_changes(frame: pd.DataFrame) -> pd.DataFrame:
    """Administrative changes bearing on mailbox access: who, on which mailbox, when, what.

    AuditConfigChange rows come first with ``marked`` True (auditing exempted or lowered),
    then the others by time. ``query`` selects the row itself (evidence + record id when
    recorded, else operation, actor, mailbox and the exact time).
    """
    columns = ["marked", "time", "operation", "actor", "mailbox", "outcome", "what", "evidence", "query"]
    if "operation" not in frame.columns or not len(frame):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    mask = compile_query(" OR ".join(f"operation:={op}" for op in ADMIN_CHANGE_OPERATIONS)).mask(frame)
    sub = frame[mask]
    if not len(sub):
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    marked = (sub["operation"].astype(object) == "AuditConfigChange").to_numpy(bool)
    order = np.lexsort((sub["time"].array.asi8 if isinstance(sub["time"].dtype, pd.DatetimeTZDtype) else np.arange(len(sub)), ~marked))
    sub = sub.iloc[order]
    marked = marked[order]

    def text(name: str) -> pd.Series:
        if name not in sub.columns:
            return pd.Series([""] * len(sub), index=sub.index, dtype=object)
        return sub[name].astype(object).where(sub[name].notna(), "")

    what = text("item")
    for extra in ("folder", "details"):
        more = text(extra)
        what = what.where(more == "", what.where(what == "", what + " · ") + more)
    queries = []
    for row in sub.itertuples(index=False):  # admin changes are few (tens); not a hot path
        record = getattr(row, "record_id", None)
        evidence = getattr(row, "evidence", None)
        if record is not None and not pd.isna(record) and evidence is not None and not pd.isna(evidence):
            queries.append(all_of(exact("evidence", evidence), f"record_id:{int(record)}", exact("operation", row.operation)))
        else:
            queries.append(all_of(exact("operation", row.operation), exact("actor", row.actor), exact("mailbox", row.mailbox),
                                  f"time:={pd.Timestamp(row.time).isoformat()}" if not pd.isna(row.time) else "missing:time"))
    return pd.DataFrame(
        {
            "marked": marked,
            "time": sub["time"].to_numpy(),
            "operation": text("operation").to_numpy(),
            "actor": [v if v != "" else NOT_RECORDED for v in text("actor")],
            "mailbox": [v if v != "" else NOT_RECORDED for v in text("mailbox")],
            "outcome": text("outcome").to_numpy(),
            "what": what.to_numpy(),
            "evidence": text("evidence").to_numpy(),
            "query": queries,
        }
    )


def findings(
    frame: pd.DataFrame,
    tz: str | tzinfo = "UTC",
    work_hours: WorkHours | None = None,
    expected: Sequence[ExpectedAccess] = (),
    count: str = "accesses",
    lists: bool = False,
) -> Findings:
    """Both tables for ``frame`` (the current filtered frame, or the whole case); pairs the
    examiner marked as ``expected`` carry the reason and come after the unreviewed ones.
    ``count``: "accesses" (default) or "rows", what the pairs are ordered by; ``lists``: see
    ``access_pairs``."""
    if count not in COUNT_MODES:
        raise ValueError(f"count must be one of {', '.join(COUNT_MODES)}, not {count!r}")
    work_hours = work_hours or WorkHours()
    pairs, operations = access_pairs(frame, tz, work_hours, count, lists)
    pairs = apply_marks(pairs, expected)
    access_ops = [c[len(ACCESS_PREFIX):] for c in pairs.columns if c.startswith(ACCESS_PREFIX)]
    return Findings(pairs, admin_changes(frame), operations, work_hours, resolve_tz(tz),
                    unmatched=unmatched_marks(pairs, expected), access_operations=access_ops, count=count)
