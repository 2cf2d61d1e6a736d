"""The three heatmap pivots: mailbox x time bin, mailbox x actor, weekday x hour of day.

Each counts the rows of the frame it is given (the current filtered frame), optionally only
non-owner ones, with one ``numpy.bincount`` over combined category codes. Rows are the
categories' codes (a missing value is its own row, "(not recorded)"), so no string is
touched per row.
"""

from __future__ import annotations

from datetime import tzinfo

import numpy as np
import pandas as pd

from forensics.aggregate.people import NONOWNER_QUERY, NOT_RECORDED, field_word, person_field
from forensics.aggregate.bins import BINS, TimeBins, choose_bin, make_bins, valid_range
from forensics.aggregate.lazy import LazySeq
from forensics.aggregate.pivot import Pivot
from forensics.errors import ForensicsError
from forensics.query import all_of, compile_query, exact, time_range
from forensics.query.fields import WEEKDAYS
from forensics.query.zone import HOUR_NS, NAT, local_ns, resolve_tz

#: Dense count matrices above this many cells switch to a sparse count (or refuse, for time).
MAX_DENSE_CELLS = 20_000_000
WEEKDAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class AggregateError(ForensicsError):
    """A pivot cannot be built as asked (e.g. hourly bins over years of thousands of mailboxes)."""


def _codes(series: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Integer code per row (missing value -> last code) and the value of each code."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        values: list[object] = list(series.cat.categories)
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        values = list(uniques)
    n = len(values)
    codes = codes.astype(np.int64)
    if codes.size and codes.min() < 0:
        codes = np.where(codes < 0, n, codes)
    return codes, [*values, None]


def _include_mask(
    frame: pd.DataFrame, nonowner_only: bool, extra: str = "", rows: np.ndarray | None = None
) -> np.ndarray | None:
    """Rows to count: ``rows`` (the caller's filter) AND the pivot's own condition."""
    query = all_of(NONOWNER_QUERY if nonowner_only else "", extra)
    mask = compile_query(query).mask(frame) if query else None
    if rows is not None:
        rows = np.asarray(rows, dtype=bool)
        if rows.shape != (len(frame),):
            raise ValueError(f"rows mask has shape {rows.shape}, the frame has {len(frame)} rows")
        mask = rows if mask is None else (mask & rows)
    return mask


def _count(
    row_codes: np.ndarray, n_rows: int, col_codes: np.ndarray, n_cols: int, include: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Dense (n_rows, n_cols) counts, each row's cell key, and the mask of counted rows
    (None = every row). Excluded rows are left out by compressing the keys (one pass that
    writes only the kept rows) rather than rewriting every key."""
    keys = row_codes * n_cols + col_codes
    missing = col_codes < 0 if col_codes.size and col_codes.min() < 0 else None
    counted = include
    if missing is not None:
        counted = ~missing if include is None else (include & ~missing)
    kept = keys if counted is None else keys[counted]
    counts = np.bincount(kept, minlength=n_rows * n_cols)[: n_rows * n_cols].reshape(n_rows, n_cols)
    return counts, keys, counted


def _label(value: object) -> str:
    return NOT_RECORDED if value is None else str(value)


def _order(totals: np.ndarray) -> np.ndarray:
    """Indices of non-empty entries, largest total first (ties keep category order)."""
    used = np.flatnonzero(totals)
    return used[np.argsort(-totals[used], kind="stable")]


def _utc(ns: int) -> pd.Timestamp:
    return pd.Timestamp(int(ns), tz="UTC")


def mailbox_by_time(
    frame: pd.DataFrame,
    tz: str | tzinfo = "UTC",
    bin: str | None = None,
    nonowner_only: bool = False,
    row_field: str | None = None,
    rows: np.ndarray | None = None,
) -> Pivot:
    """Rows = mailboxes by total, columns = consecutive time bins (auto hour/day/week).

    ``rows`` (a boolean mask) restricts the count to the caller's filtered rows without
    copying the frame; cell queries are then relative to ``frame[rows]``.
    """
    zone = resolve_tz(tz)
    if bin is not None and bin not in BINS:
        raise AggregateError(f"unknown bin {bin!r} (use one of {', '.join(BINS)})")
    include = _include_mask(frame, nonowner_only, rows=rows)
    local = local_ns(frame["time"], zone) if len(frame) else np.zeros(0, dtype=np.int64)
    valid = local != NAT
    span_rows = valid if rows is None else (valid & np.asarray(rows, dtype=bool))
    span = valid_range(local, span_rows) if span_rows.any() else None
    if bin is None:
        bin = choose_bin(span[1] - span[0] if span else 0)
    bins, col_codes = make_bins(local, bin, zone, None if rows is None else span_rows, span)
    row_field = row_field or person_field(frame, "mailbox")
    row_codes, values = _codes(frame[row_field])
    n_rows = len(values)
    if n_rows * max(bins.n, 1) > MAX_DENSE_CELLS:
        raise AggregateError(
            f"{n_rows:,} {field_word(row_field)} values x {bins.n:,} {bin} bins is too many cells; "
            "choose a coarser bin or narrow the query"
        )
    counts, keys, counted = _count(row_codes, n_rows, col_codes, max(bins.n, 1), include)
    counts = counts[:, : bins.n]
    unplaced_mask = ~valid if include is None else (~valid & include)
    order = _order(counts.sum(axis=1))
    return _time_pivot(frame, zone, bins, counts[order], order, values, keys, counted, nonowner_only, row_field,
                       int(np.count_nonzero(unplaced_mask)))


def _time_pivot(
    frame: pd.DataFrame, zone: tzinfo, bins: TimeBins, counts: np.ndarray, order: np.ndarray, values: list[object],
    keys: np.ndarray, counted: np.ndarray | None, nonowner_only: bool, row_field: str, unplaced: int,
) -> Pivot:
    edges = bins.edges_utc
    # labels of a few thousand bins are cheap to make at once; beyond that, on demand
    labels = bins.labels() if bins.n <= 5000 else LazySeq(lambda j: bins.labels(j, j + 1)[0], bins.n)
    return Pivot(
        kind="mailbox_time",
        row_field=row_field,
        col_field="time",
        row_labels=LazySeq(lambda i: _label(values[order[i]]), len(order)),
        col_labels=labels,
        row_queries=LazySeq(lambda i: exact(row_field, values[order[i]]), len(order)),
        col_queries=LazySeq(lambda j: time_range(_utc(edges[j]), _utc(edges[j + 1]), zone), bins.n),
        counts=counts,
        base_query=NONOWNER_QUERY if nonowner_only else "",
        tz=zone,
        bin=bins.bin,
        col_edges_utc=edges,
        unplaced=unplaced,
        _keys=keys,
        _counted=counted,
        _row_ids=order,
        _col_ids=np.arange(bins.n),
        _n_col_ids=max(bins.n, 1),
        _frame=frame,
    )


def mailbox_by_actor(
    frame: pd.DataFrame, nonowner_only: bool = False, tz: str | tzinfo = "UTC", rows: np.ndarray | None = None
) -> Pivot:
    """Rows = mailboxes by total, columns = actors by total (``rows``: see mailbox_by_time)."""
    zone = resolve_tz(tz)
    include = _include_mask(frame, nonowner_only, rows=rows)
    row_field, col_field = person_field(frame, "mailbox"), person_field(frame, "actor")
    row_codes, rows = _codes(frame[row_field])
    col_codes, cols = _codes(frame[col_field])
    n_rows, n_cols = len(rows), len(cols)
    if n_rows * n_cols <= MAX_DENSE_CELLS:
        counts, keys, counted = _count(row_codes, n_rows, col_codes, n_cols, include)
    else:
        # sparse: count only the (mailbox, actor) pairs that occur, then densify the used ones
        keys = row_codes * n_cols + col_codes
        counted = include
        pairs, pair_counts = np.unique(keys if include is None else keys[include], return_counts=True)
        used_r, r_idx = np.unique(pairs // n_cols, return_inverse=True)
        used_c, c_idx = np.unique(pairs % n_cols, return_inverse=True)
        if used_r.size * used_c.size > MAX_DENSE_CELLS:
            raise AggregateError("too many mailbox x actor pairs to draw; narrow the query")
        dense = np.zeros((used_r.size, used_c.size), dtype=np.int64)
        dense[r_idx, c_idx] = pair_counts
        row_order = _order(dense.sum(axis=1))
        col_order = _order(dense.sum(axis=0))
        ids_r, ids_c = used_r[row_order], used_c[col_order]
        return _actor_pivot(frame, zone, dense[np.ix_(row_order, col_order)], ids_r, ids_c, rows, cols, keys, counted,
                            n_cols, nonowner_only, row_field, col_field)
    row_order = _order(counts.sum(axis=1))
    col_order = _order(counts.sum(axis=0))
    return _actor_pivot(frame, zone, counts[np.ix_(row_order, col_order)], row_order, col_order, rows, cols, keys, counted,
                        n_cols, nonowner_only, row_field, col_field)


def _actor_pivot(
    frame: pd.DataFrame, zone: tzinfo, counts: np.ndarray, row_ids: np.ndarray, col_ids: np.ndarray,
    rows: list[object], cols: list[object], keys: np.ndarray, counted: np.ndarray | None, n_cols: int,
    nonowner_only: bool, row_field: str = "mailbox", col_field: str = "actor",
) -> Pivot:
    return Pivot(
        kind="mailbox_actor",
        row_field=row_field,
        col_field=col_field,
        row_labels=LazySeq(lambda i: _label(rows[row_ids[i]]), len(row_ids)),
        col_labels=LazySeq(lambda j: _label(cols[col_ids[j]]), len(col_ids)),
        row_queries=LazySeq(lambda i: exact(row_field, rows[row_ids[i]]), len(row_ids)),
        col_queries=LazySeq(lambda j: exact(col_field, cols[col_ids[j]]), len(col_ids)),
        counts=counts,
        base_query=NONOWNER_QUERY if nonowner_only else "",
        tz=zone,
        _keys=keys,
        _counted=counted,
        _row_ids=row_ids,
        _col_ids=col_ids,
        _n_col_ids=n_cols,
        _frame=frame,
    )


def hour_by_weekday(
    frame: pd.DataFrame, tz: str | tzinfo = "UTC", mailbox: object = ..., nonowner_only: bool = False,
    rows: np.ndarray | None = None,
) -> Pivot:
    """Rows = Monday..Sunday, columns = hour 0..23 in the display zone; one mailbox or all.

    ``mailbox`` left out means every row; ``None`` means rows whose mailbox is not recorded.
    ``rows``: see mailbox_by_time.
    """
    zone = resolve_tz(tz)
    local = local_ns(frame["time"], zone) if len(frame) else np.zeros(0, dtype=np.int64)
    mailbox_query = "" if mailbox is ... else exact(person_field(frame, "mailbox"), mailbox)
    include = _include_mask(frame, nonowner_only, mailbox_query, rows=rows)
    # hour of the week, Monday 00:00 = 0: the epoch (hour 0) was a Thursday, 72 h after Monday
    keys = (local // HOUR_NS + 72) % 168
    missing = local == NAT
    any_missing = bool(missing.any())
    counted = include
    if any_missing:
        counted = ~missing if include is None else (include & ~missing)
    kept = keys if counted is None else keys[counted]
    counts = np.bincount(kept, minlength=168)[:168].reshape(7, 24)
    unplaced_mask = missing if include is None else (missing & include)
    return Pivot(
        kind="hour_weekday",
        row_field="weekday",
        col_field="hour",
        row_labels=list(WEEKDAY_LABELS),
        col_labels=[f"{h:02d}" for h in range(24)],
        row_queries=[f"weekday:{d}" for d in WEEKDAYS],
        col_queries=[f"hour:{h}" for h in range(24)],
        counts=counts,
        base_query=all_of(NONOWNER_QUERY if nonowner_only else "", mailbox_query),
        tz=zone,
        unplaced=int(np.count_nonzero(unplaced_mask)),
        _keys=keys,
        _counted=counted,
        _row_ids=np.arange(7),
        _col_ids=np.arange(24),
        _n_col_ids=24,
        _frame=frame,
    )
