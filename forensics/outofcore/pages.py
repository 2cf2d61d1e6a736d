"""Rows by page from the engine, with the filter and the sort pushed down into SQL.

The order is the grid's (``app/session.py`` ``_sort_order`` with ``app/models/sort_keys.py``),
so a page here is the page the grid shows: unsorted is load order (``_row``); a sorted
column orders text by its lower-cased value (then by the value itself), numbers and times
by value; equal values keep load order ascending and the reverse of it descending (the grid
reverses the whole ascending order); rows without a value come last, in load order. More
than one key (the grid has one) adds keys in turn before the load order. A page is one
``ORDER BY … LIMIT … OFFSET``: DuckDB keeps only the top rows while scanning (a top-N),
never the whole sorted table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from forensics.errors import QueryError
from forensics.outofcore.engine import ROW_ID, VIEW, OutOfCoreEngine
from forensics.outofcore.filter import condition
from forensics.outofcore.sql import kind_of, quote_ident
from forensics.query import Query
from forensics.query.fields import resolve_field


@dataclass(frozen=True)
class Page:
    """One window of the sorted, filtered rows and the total that matched."""

    rows: pd.DataFrame  # with the ``_row`` id column
    start: int
    total: int


def order_by(engine: OutOfCoreEngine, sort: Sequence[tuple[str, bool]] = ()) -> str:
    """``ORDER BY`` of (field, ascending) keys as the grid orders them, then load order."""
    keys = []
    used: list[str] = []
    for name, ascending in sort:
        column = resolve_field(name, list(engine.columns))
        if column is None:
            raise QueryError(f"cannot sort by unknown field '{name}'", 0)
        if column in used:
            continue
        used.append(column)
        col = quote_ident(column)
        way = "ASC" if ascending else "DESC"
        keys.append(f"({col} IS NULL) ASC")  # missing values last, in either direction
        if kind_of(engine.columns[column]) == "text":
            keys += [f"lower({col}) {way}", f"{col} {way}"]
        else:
            keys.append(f"{col} {way}")
    if used and not sort[0][1]:
        # descending: equal values in reverse load order, rows without a value in load order
        keys.append(f"CASE WHEN {quote_ident(used[0])} IS NULL THEN {ROW_ID} ELSE -{ROW_ID} END ASC")
    keys.append(f"{ROW_ID} ASC")
    return "ORDER BY " + ", ".join(keys)


def page(engine: OutOfCoreEngine, query: Query | str | None = None, start: int = 0, size: int = 200,
         sort: Sequence[tuple[str, bool]] = (), tz: str = "UTC", total: bool = True) -> Page:
    """Rows ``[start, start + size)`` of the rows matching ``query`` in ``sort`` order."""
    if start < 0 or size < 0:
        raise ValueError("start and size must not be negative")
    where = condition(engine, query, tz)
    rows = engine.fetch_df(
        f"SELECT * FROM {VIEW} WHERE {where.sql} {order_by(engine, sort)} LIMIT ? OFFSET ?",
        [*where.params, int(size), int(start)],
    )
    count = -1
    if total:
        count = int(engine.fetchall(f"SELECT count(*) FROM {VIEW} WHERE {where.sql}", where.params)[0][0])
    return Page(rows, start, count)
