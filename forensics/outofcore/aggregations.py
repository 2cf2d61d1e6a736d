"""Heatmap pivots (mailbox x time, mailbox x actor, weekday x hour) and the findings' pair counts
as SQL ``GROUP BY`` in the engine.

Same definitions as the pandas path (``forensics.aggregate.views`` and ``findings``):
the caller's query selects the rows; "accesses" counting keeps the first row (load order)
of each ``access_id`` among them, as ``first_rows_of_accesses`` does (a row without an id
is its own access); ``nonowner_only`` adds ``NONOWNER_QUERY``; persons are
``mailbox_key``/``actor_key`` when those are filled in the selected rows; a missing value is
the ``(not recorded)`` row; time bins are the display zone's wall-clock hour/day/week with
the UTC edges of ``forensics.aggregate.bins``. Only the grouped counts (mailboxes x bins)
come back to Python. Rows of equal total are ordered by label here (pandas: by category
order), so compare pivots by cell, not by row position, for ties.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

import numpy as np
import pandas as pd

from forensics.aggregate.bins import BINS, choose_bin, make_bins
from forensics.aggregate.people import NONOWNER_QUERY, NOT_RECORDED, PAIR_QUERY
from forensics.aggregate.views import MAX_DENSE_CELLS, WEEKDAY_LABELS, AggregateError
from forensics.outofcore.engine import (
    ROW_ID,
    VIEW,
    OutOfCoreEngine,
    distinct_values,
    time_span,
)
from forensics.outofcore.filter import condition
from forensics.outofcore.sql import (
    Compiled,
    compile_tree,
    floor_div,
    floor_mod,
    quote_ident,
)
from forensics.query import Query, compile_query
from forensics.query.zone import DAY_NS, HOUR_NS, resolve_tz

COUNTS = ("rows", "accesses")


@dataclass(frozen=True)
class SqlPivot:
    """Counts per (row label, column label), rows by total (largest first)."""

    kind: str
    row_field: str
    row_labels: list[str]
    col_labels: list[str]
    counts: np.ndarray
    unplaced: int = 0
    bin: str | None = None
    col_edges_utc: np.ndarray | None = None

    def cells(self) -> dict[tuple[str, str], int]:
        """Non-zero cells by (row label, column label)."""
        r, c = np.nonzero(self.counts)
        return {(self.row_labels[i], self.col_labels[j]): int(self.counts[i, j]) for i, j in zip(r.tolist(), c.tolist())}


def _base(engine: OutOfCoreEngine, query: Query | str | None, tz: tzinfo, count: str) -> Compiled:
    """A subquery of the caller's rows (one per access with ``count="accesses"``)."""
    if count not in COUNTS:
        raise ValueError(f"count must be one of {', '.join(COUNTS)}, not {count!r}")
    if isinstance(query, str):
        query = compile_query(query, tz)
    where = condition(engine, query)
    qualify = ""
    if count == "accesses" and "access_id" in engine.columns:
        qualify = f" QUALIFY access_id IS NULL OR {ROW_ID} = min({ROW_ID}) OVER (PARTITION BY access_id)"
    return Compiled(f"(SELECT * FROM {VIEW} WHERE {where.sql}{qualify})", where.params)


def _extra(engine: OutOfCoreEngine, text: str, tz: tzinfo) -> Compiled:
    if not text:
        return Compiled("TRUE")
    return compile_tree(compile_query(text, tz).tree, engine.columns, tz, False, lambda: time_span(engine),
                        lambda column: distinct_values(engine, column))


def person_column(engine: OutOfCoreEngine, base: Compiled | None, role: str) -> str:
    """``<role>_key`` when it is filled in the rows of ``base`` (None: the whole table, as the
    heatmap decides on the full frame), else ``role`` (``people.person_field``)."""
    key = f"{role}_key"
    if key not in engine.columns:
        return role
    if base is None and ("person", role) in engine._cache:
        return engine._cache[("person", role)]
    scope = base or Compiled(VIEW)
    filled = engine.fetchall(f"SELECT {quote_ident(key)} IS NOT NULL FROM {scope.sql} b "
                             f"WHERE {quote_ident(key)} IS NOT NULL LIMIT 1", scope.params)
    chosen = key if filled else role
    if base is None:
        engine._cache[("person", role)] = chosen
    return chosen


def _label(value: object) -> str:
    return NOT_RECORDED if value is None else str(value)


def _local(engine: OutOfCoreEngine, tz: tzinfo) -> Compiled:
    from forensics.outofcore.sql import SqlCompiler

    return SqlCompiler(engine.columns, tz, time_range=lambda: time_span(engine)).local_ns()


def _bin_index(local: str, bin: str) -> str:
    if bin == "hour":
        return floor_div(local, HOUR_NS)
    if bin == "day":
        return floor_div(local, DAY_NS)
    return floor_div(floor_div(local, DAY_NS) + " + 3", 7)


def _repeat(expr: Compiled, sql: str) -> list[object]:
    """Parameters of ``sql``, in which ``expr`` appears several times (and nothing else has ``?``)."""
    if not expr.params:
        return []
    return expr.params * (sql.count("?") // len(expr.params))


def mailbox_by_time(engine: OutOfCoreEngine, query: Query | str | None = None, tz: str | tzinfo = "UTC",
                    bin: str | None = None, nonowner_only: bool = False, count: str = "rows") -> SqlPivot:
    """Mailboxes x time bins, as ``forensics.aggregate.views.mailbox_by_time``."""
    zone = resolve_tz(tz)
    if bin is not None and bin not in BINS:
        raise AggregateError(f"unknown bin {bin!r} (use one of {', '.join(BINS)})")
    base = _base(engine, query, zone, count)
    local = _local(engine, zone)
    include = _extra(engine, NONOWNER_QUERY if nonowner_only else "", zone)
    # one scan: the span of the caller's timed rows, and the counted rows without a time
    lo, hi, unplaced = engine.fetchall(
        f"SELECT min({local.sql}), max({local.sql}), count(*) FILTER (WHERE time IS NULL AND {include.sql}) "
        f"FROM {base.sql} b", [*local.params, *local.params, *include.params, *base.params])[0]
    unplaced = int(unplaced)
    row_field = person_column(engine, None, "mailbox")
    bin = bin or choose_bin(0 if lo is None else int(hi) - int(lo))
    bins, _ = make_bins(np.array([] if lo is None else [int(lo), int(hi)], dtype=np.int64), bin, zone)
    if lo is None:
        return SqlPivot("mailbox_time", row_field, [], [], np.zeros((0, 0), dtype=np.int64), unplaced, bin,
                        bins.edges_utc)
    index = _bin_index(local.sql, bin)
    grouped = engine.fetchall(
        f"SELECT {quote_ident(row_field)} AS r, {index} AS k, count(*) FROM {base.sql} b "
        f"WHERE time IS NOT NULL AND {include.sql} GROUP BY ALL",
        [*_repeat(local, index), *base.params, *include.params],
    )
    labels = sorted({_label(r) for r, _, _ in grouped})
    if len(labels) * max(bins.n, 1) > MAX_DENSE_CELLS:
        raise AggregateError(f"{len(labels):,} {row_field} values x {bins.n:,} {bin} bins is too many cells; "
                             "choose a coarser bin or narrow the query")
    position = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(labels), bins.n), dtype=np.int64)
    for r, k, n in grouped:
        counts[position[_label(r)], int(k) - bins.first] += int(n)
    order = np.argsort(-counts.sum(axis=1), kind="stable")
    return SqlPivot("mailbox_time", row_field, [labels[i] for i in order], bins.labels(), counts[order], unplaced, bin,
                    bins.edges_utc)


def mailbox_by_actor(engine: OutOfCoreEngine, query: Query | str | None = None, tz: str | tzinfo = "UTC",
                     nonowner_only: bool = False, count: str = "rows") -> SqlPivot:
    """Mailboxes x actors (persons), as ``forensics.aggregate.views.mailbox_by_actor``."""
    zone = resolve_tz(tz)
    base = _base(engine, query, zone, count)
    include = _extra(engine, NONOWNER_QUERY if nonowner_only else "", zone)
    row_field, col_field = person_column(engine, None, "mailbox"), person_column(engine, None, "actor")
    grouped = engine.fetchall(
        f"SELECT {quote_ident(row_field)}, {quote_ident(col_field)}, count(*) FROM {base.sql} b "
        f"WHERE {include.sql} GROUP BY ALL", [*base.params, *include.params])
    rows = sorted({_label(r) for r, _, _ in grouped})
    cols = sorted({_label(c) for _, c, _ in grouped})
    if len(rows) * len(cols) > MAX_DENSE_CELLS:
        raise AggregateError("too many mailbox x actor pairs to draw; narrow the query")
    r_at, c_at = {v: i for i, v in enumerate(rows)}, {v: i for i, v in enumerate(cols)}
    counts = np.zeros((len(rows), len(cols)), dtype=np.int64)
    for r, c, n in grouped:
        counts[r_at[_label(r)], c_at[_label(c)]] += int(n)
    r_order = np.argsort(-counts.sum(axis=1), kind="stable")
    c_order = np.argsort(-counts.sum(axis=0), kind="stable")
    return SqlPivot("mailbox_actor", row_field, [rows[i] for i in r_order], [cols[j] for j in c_order],
                    counts[np.ix_(r_order, c_order)])


def hour_by_weekday(engine: OutOfCoreEngine, query: Query | str | None = None, tz: str | tzinfo = "UTC",
                    nonowner_only: bool = False, count: str = "rows") -> SqlPivot:
    """Monday..Sunday x hour 0..23 in the display zone (all mailboxes)."""
    zone = resolve_tz(tz)
    base = _base(engine, query, zone, count)
    local = _local(engine, zone)
    include = _extra(engine, NONOWNER_QUERY if nonowner_only else "", zone)
    key = floor_mod(floor_div(local.sql, HOUR_NS) + " + 72", 168)
    grouped = engine.fetchall(
        f"SELECT {key} AS k, count(*) FROM {base.sql} b WHERE time IS NOT NULL AND {include.sql} GROUP BY ALL",
        [*_repeat(local, key), *base.params, *include.params],
    )
    counts = np.zeros(168, dtype=np.int64)
    for k, n in grouped:
        counts[int(k)] = int(n)
    unplaced = int(engine.fetchall(f"SELECT count(*) FROM {base.sql} b WHERE time IS NULL AND {include.sql}",
                                   [*base.params, *include.params])[0][0])
    return SqlPivot("hour_weekday", "weekday", list(WEEKDAY_LABELS), [f"{h:02d}" for h in range(24)],
                    counts.reshape(7, 24), unplaced)


def pair_counts(engine: OutOfCoreEngine, query: Query | str | None = None, tz: str | tzinfo = "UTC",
                count: str = "accesses") -> pd.DataFrame:
    """The findings' pairs (``PAIR_QUERY`` rows by resolved actor and mailbox): actor, mailbox,
    accesses (distinct ``access_id``; a row without one is its own), events (rows),
    first_seen, last_seen; ordered as ``findings.access_pairs`` orders them."""
    zone = resolve_tz(tz)
    base = _base(engine, query, zone, "rows")
    actor, mailbox = person_column(engine, base, "actor"), person_column(engine, base, "mailbox")
    pair = _extra(engine, PAIR_QUERY, zone)
    access = "COALESCE(access_id, -1 - _row)" if "access_id" in engine.columns else "(-1 - _row)"
    first_key = "events" if count == "rows" else "accesses"
    sql = (
        f"SELECT COALESCE({quote_ident(actor)}, ?) AS actor, COALESCE({quote_ident(mailbox)}, ?) AS mailbox, "
        f"count(DISTINCT {access}) AS accesses, count(*) AS events, "
        f"min(epoch_ns(time)) AS first_ns, max(epoch_ns(time)) AS last_ns "
        f"FROM {base.sql} b WHERE {pair.sql} GROUP BY ALL ORDER BY {first_key} DESC, actor ASC, mailbox ASC"
    )
    out = engine.fetch_df(sql, [NOT_RECORDED, NOT_RECORDED, *base.params, *pair.params])
    out["first_seen"] = pd.to_datetime(out.pop("first_ns"), utc=True)
    out["last_seen"] = pd.to_datetime(out.pop("last_ns"), utc=True)
    for name in ("accesses", "events"):
        out[name] = out[name].astype(np.int64)
    return out


def change_count(engine: OutOfCoreEngine, query: Query | str | None = None, tz: str | tzinfo = "UTC") -> int:
    """Rows of the admin-changes table (``findings.admin_changes``) among the selected rows."""
    from forensics.aggregate.findings import ADMIN_CHANGE_OPERATIONS

    if "operation" not in engine.columns:
        return 0
    zone = resolve_tz(tz)
    base = _base(engine, query, zone, "rows")
    marks = ", ".join("?" for _ in ADMIN_CHANGE_OPERATIONS)
    return int(engine.fetchall(f"SELECT count(*) FROM {base.sql} b WHERE operation IN ({marks})",
                               [*base.params, *ADMIN_CHANGE_OPERATIONS])[0][0])
