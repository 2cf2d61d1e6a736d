"""The pivot result: an ordered count matrix whose every cell, row and column is a query.

Rows are ordered by total (largest first) and nothing is cut: ``page()`` returns a window
and says how many rows and events lie outside it. Tooltip details (distinct actors,
non-owner count) are computed for one cell on demand from the per-row cell keys kept here,
so a recompute stays a single ``bincount``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import tzinfo

import numpy as np
import pandas as pd

from forensics.aggregate.people import NONOWNER_QUERY, field_word, person_field
from forensics.query import all_of, compile_query


@dataclass(frozen=True)
class CellStats:
    """What the tooltip shows for one cell."""

    count: int
    distinct_actors: int
    nonowner: int
    rows: int = -1  # raw rows of the cell when ``count`` counts distinct accesses (-1: count is rows)


@dataclass(frozen=True)
class Pivot:
    """Counts of rows per (row value, column value), rows ordered by total.

    ``row_queries``/``col_queries`` are query-language fragments selecting one row/column;
    ``base_query`` applies to every cell (e.g. ``is:nonowner`` when only non-owner access is
    counted). Run ``cell_query(r, c)`` on the frame the pivot was built from (AND-ed with the
    query that produced that frame) to get exactly ``counts[r, c]`` rows.
    """

    kind: str  # "mailbox_time" | "mailbox_actor" | "hour_weekday"
    row_field: str
    col_field: str
    row_labels: list[str]
    col_labels: list[str]
    row_queries: list[str]
    col_queries: list[str]
    counts: np.ndarray  # (rows, cols) int64
    base_query: str = ""
    tz: tzinfo | None = None
    bin: str | None = None  # time bin of mailbox_time pivots
    col_edges_utc: np.ndarray | None = None  # time pivots: UTC ns bin edges (len cols + 1)
    unplaced: int = 0  # rows counted nowhere because their time is not recorded
    row_offset: int = 0  # this window's first row within the full pivot
    col_offset: int = 0
    full_rows: int = -1  # rows / columns / events of the full pivot (page() keeps them)
    full_cols: int = -1
    full_total: int = -1
    # lazily-used internals for cell statistics
    _keys: np.ndarray | None = field(default=None, repr=False, compare=False)
    _counted: np.ndarray | None = field(default=None, repr=False, compare=False)  # rows counted (None = all)
    _row_ids: np.ndarray | None = field(default=None, repr=False, compare=False)
    _col_ids: np.ndarray | None = field(default=None, repr=False, compare=False)
    _n_col_ids: int = field(default=0, repr=False, compare=False)
    _frame: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)
    #: when the counts are distinct accesses (one row per access counted): every row in view,
    #: so a tooltip can give the raw rows beside (None: the counts are rows)
    _all_rows: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.full_rows < 0:
            object.__setattr__(self, "full_rows", self.counts.shape[0])
        if self.full_cols < 0:
            object.__setattr__(self, "full_cols", self.counts.shape[1])
        if self.full_total < 0:
            object.__setattr__(self, "full_total", int(self.counts.sum()))

    # -- shape and totals ------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        return self.counts.shape  # type: ignore[return-value]

    @property
    def empty(self) -> bool:
        return self.full_total == 0

    @property
    def row_totals(self) -> np.ndarray:
        return self.counts.sum(axis=1)

    @property
    def col_totals(self) -> np.ndarray:
        return self.counts.sum(axis=0)

    @property
    def total(self) -> int:
        """Events in this window."""
        return int(self.counts.sum())

    @property
    def rest_rows(self) -> int:
        """Rows of the full pivot outside this window (never a silent cut)."""
        return self.full_rows - self.counts.shape[0]

    @property
    def counts_accesses(self) -> bool:
        """The counts are distinct accesses (one row per access counted), not rows."""
        return self._all_rows is not None

    @property
    def rest_total(self) -> int:
        """Events of the full pivot outside this window."""
        return self.full_total - self.total

    def page(self, start: int = 0, size: int | None = None, col_start: int = 0, col_size: int | None = None) -> Pivot:
        """A window of rows ``[start, start+size)`` (and optionally columns) of this pivot."""
        r1 = self.counts.shape[0] if size is None else min(self.counts.shape[0], start + size)
        c1 = self.counts.shape[1] if col_size is None else min(self.counts.shape[1], col_start + col_size)
        rows, cols = slice(start, r1), slice(col_start, c1)
        edges = None
        if self.col_edges_utc is not None:
            edges = self.col_edges_utc[col_start : c1 + 1]
        return replace(
            self,
            row_labels=self.row_labels[rows],
            col_labels=self.col_labels[cols],
            row_queries=self.row_queries[rows],
            col_queries=self.col_queries[cols],
            counts=self.counts[rows, cols],
            col_edges_utc=edges,
            row_offset=self.row_offset + start,
            col_offset=self.col_offset + col_start,
            _row_ids=None if self._row_ids is None else self._row_ids[rows],
            _col_ids=None if self._col_ids is None else self._col_ids[cols],
            _cache=self._cache,
        )

    def top(self, n: int) -> Pivot:
        """The ``n`` largest rows; ``rest_rows``/``rest_total`` tell what is beyond."""
        return self.page(0, n)

    # -- queries ---------------------------------------------------------------------------
    def cell_query(self, row: int, col: int) -> str:
        """Query text selecting exactly the rows of cell (row, col) of this window."""
        return all_of(self.base_query, self.row_queries[row], self.col_queries[col])

    def row_query(self, row: int) -> str:
        return all_of(self.base_query, self.row_queries[row])

    def col_query(self, col: int) -> str:
        return all_of(self.base_query, self.col_queries[col])

    def cell_label(self, row: int, col: int) -> str:
        return f"{self.row_labels[row]} · {self.col_labels[col]}"

    # -- tooltip statistics ----------------------------------------------------------------
    def cell_stats(self, row: int, col: int) -> CellStats:
        """Count, distinct actors and non-owner count of one cell (computed on demand)."""
        count = int(self.counts[row, col])
        if count == 0 or self._keys is None or self._frame is None:
            return CellStats(count, 0, 0)
        key = int(self._row_ids[row]) * self._n_col_ids + int(self._col_ids[col])
        cache_key = ("cell", key)
        if cache_key in self._cache:
            return self._cache[cache_key]
        selected = self._keys == key
        if self._counted is not None:
            selected &= self._counted
        frame = self._frame
        actors = 0
        if "actor" in frame.columns:
            actor = frame[person_field(frame, "actor")]
            if isinstance(actor.dtype, pd.CategoricalDtype):
                codes = actor.cat.codes.to_numpy()[selected]
                actors = int(np.unique(codes[codes >= 0]).size)
            else:
                actors = int(actor[selected].nunique())
        if self.base_query and "is:nonowner" in self.base_query.split():
            nonowner = count
        else:
            mask = self._cache.get("nonowner")
            if mask is None:
                mask = compile_query(NONOWNER_QUERY).mask(frame) if "logon_type" in frame.columns else np.zeros(len(frame), bool)
                self._cache["nonowner"] = mask
            nonowner = int(np.count_nonzero(mask & selected))
        rows = -1
        if self._all_rows is not None:
            rows = int(np.count_nonzero((self._keys == key) & self._all_rows))
        stats = CellStats(count, actors, nonowner, rows)
        self._cache[cache_key] = stats
        return stats

    def tooltip(self, row: int, col: int) -> str:
        """Plain-text tooltip: row, column, count, distinct actors, non-owner count."""
        stats = self.cell_stats(row, col)
        count = (f"accesses: {stats.count:,} (rows: {stats.rows:,}; an access recorded by several sources counts once)"
                 if stats.rows >= 0 else f"count: {stats.count:,}")
        return (
            f"{field_word(self.row_field)}: {self.row_labels[row]}\n"
            f"{field_word(self.col_field)}: {self.col_labels[col]}\n"
            f"{count}\n"
            f"distinct actors: {stats.distinct_actors:,}\n"
            f"non-owner: {stats.nonowner:,}"
        )
