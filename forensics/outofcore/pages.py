"""Rows by page from the engine, with the filter and the sort pushed down into SQL.

The order is the grid's (``app/session.py`` ``_order`` with ``app/models/sort_keys.py``),
so a page here is the page the grid shows: with no sort keys, time ascending; each key orders
text by its lower-cased value (then by the value itself, where the grid keeps category
order), numbers and times by value, rows without a value last in either direction; equal
values keep time order (time is the last key unless it is a key already), then load order
(``_row``). A page is one
``ORDER BY … LIMIT … OFFSET``: DuckDB keeps only the top rows while scanning (a top-N),
never the whole sorted table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from forensics.errors import QueryError
from forensics.outofcore.engine import ROW_ID, ROW_SHIFT, VIEW, OutOfCoreEngine
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
    """``ORDER BY`` of (field, ascending) keys as the grid orders them, then time ascending
    (unless time is a key), then load order."""
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
    time = resolve_field("time", list(engine.columns))
    if time is not None and time not in used:  # the grid's last key: equal values keep time order
        keys += [f"({quote_ident(time)} IS NULL) ASC", f"{quote_ident(time)} ASC"]
    keys.append(f"{ROW_ID} ASC")  # then load order
    return "ORDER BY " + ", ".join(keys)


def fetch_rows(engine: OutOfCoreEngine, ids: Sequence[int]) -> pd.DataFrame:
    """Every column of the rows ``ids`` (``_row``), in that order.

    Why not ``SELECT *`` with the sort: a top-N of wide rows over tens of millions of rows
    holds every column of its candidates and ran out of a 1 GB memory limit at 50M rows; the
    ids are found on the sort keys alone, then only the files holding them are read."""
    columns = [*engine.columns, ROW_ID]
    if not ids:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})
    by_file: dict[int, list[int]] = {}
    for rid in ids:
        by_file.setdefault(int(rid) >> ROW_SHIFT, []).append(int(rid) & ((1 << ROW_SHIFT) - 1))
    frames = []
    for index, numbers in sorted(by_file.items()):
        frames.append(engine.fetch_df(
            f"SELECT * FROM part_{int(index)} WHERE {ROW_ID} BETWEEN ? AND ? AND list_contains(?, {ROW_ID})",
            [(index << ROW_SHIFT) + min(numbers), (index << ROW_SHIFT) + max(numbers),
             [(index << ROW_SHIFT) + n for n in numbers]],
        ))
    rows = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    rows = rows.reindex(columns=columns)
    position = pd.Series(range(len(ids)), index=pd.Index([int(i) for i in ids]))
    return rows.iloc[position.loc[rows[ROW_ID].to_numpy()].argsort().to_numpy()].reset_index(drop=True)


def page(engine: OutOfCoreEngine, query: Query | str | None = None, start: int = 0, size: int = 200,
         sort: Sequence[tuple[str, bool]] = (), tz: str = "UTC", total: bool = True) -> Page:
    """Rows ``[start, start + size)`` of the rows matching ``query`` in ``sort`` order."""
    if start < 0 or size < 0:
        raise ValueError("start and size must not be negative")
    where = condition(engine, query, tz)
    ids = [int(r[0]) for r in engine.fetchall(
        f"SELECT {ROW_ID} FROM {VIEW} WHERE {where.sql} {order_by(engine, sort)} LIMIT ? OFFSET ?",
        [*where.params, int(size), int(start)],
    )]
    count = -1
    if total:
        count = int(engine.fetchall(f"SELECT count(*) FROM {VIEW} WHERE {where.sql}", where.params)[0][0])
    return Page(fetch_rows(engine, ids), start, count)
