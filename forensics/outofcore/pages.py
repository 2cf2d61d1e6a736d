"""Rows by page from the engine, with the filter and the sort pushed down into SQL.

The order is total and stable like the grid's: the chosen keys (a missing value last, in
either direction; text by its bytes), then ``time`` ascending, then load order (``_row``),
so one row is on exactly one page however the sort is chosen. A page is one
``ORDER BY … LIMIT … OFFSET``; DuckDB keeps only the top rows while scanning (a top-N),
never the whole sorted table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from forensics.errors import QueryError
from forensics.outofcore.engine import ROW_ID, VIEW, OutOfCoreEngine
from forensics.outofcore.filter import condition
from forensics.outofcore.sql import quote_ident
from forensics.query import Query
from forensics.query.fields import resolve_field


@dataclass(frozen=True)
class Page:
    """One window of the sorted, filtered rows and the total that matched."""

    rows: pd.DataFrame  # with the ``_row`` id column
    start: int
    total: int


def order_by(engine: OutOfCoreEngine, sort: Sequence[tuple[str, bool]] = ()) -> str:
    """``ORDER BY`` of (field, ascending) keys, then time, then load order."""
    keys = []
    used = set()
    for name, ascending in sort:
        column = resolve_field(name, list(engine.columns))
        if column is None:
            raise QueryError(f"cannot sort by unknown field '{name}'", 0)
        if column in used:
            continue
        used.add(column)
        keys.append(f"{quote_ident(column)} {'ASC' if ascending else 'DESC'} NULLS LAST")
    if "time" in engine.columns and "time" not in used:
        keys.append('"time" ASC NULLS LAST')
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
