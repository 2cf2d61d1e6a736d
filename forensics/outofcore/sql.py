"""Compile a parsed query (``forensics.query.nodes``) to a parameterised SQL condition.

Same meaning as the pandas evaluator (``forensics.query.evaluate``), node for node:
every leaf is ``COALESCE(test, FALSE)`` because a pandas mask has no nulls (a missing value
never matches, and ``-x`` then matches it); text ``:`` is a substring test (case-insensitive
unless asked, by lower-casing both sides as the Arrow path does), ``=`` is exact and
case-sensitive (``=""`` also matches a missing value); times typed without an offset are
read in the display zone (``parse_time``, shared with pandas) and compared as UTC
nanoseconds; ``hour:``/``weekday:`` use the display zone's wall clock, with named zones'
UTC offsets taken from Python's tz database (one CASE over the transitions in the data's
time range), so both engines agree on daylight-saving changes. Values are always
parameters (``?``), never pasted into the SQL text; column names come only from the table's
own schema and are quoted.

Known difference: lower-casing differs from pandas' ``upper()`` test on a categorical column
for a few non-ASCII letters (``ß``); pandas itself differs there between categorical and
Arrow string columns.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timezone, tzinfo
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from forensics.errors import QueryError
from forensics.identity.probes import (
    PROBE_ACCOUNT,
    PROBE_AGENT,
    account_mask,
    agent_mask,
)
from forensics.query.evaluate import (
    bool_value,
    day_bounds,
    field_column,
    is_date_only,
    number_value,
    parse_time,
)
from forensics.query.fields import (
    CHANGE_OPERATIONS,
    EXPECTED_COLUMN,
    SPECIAL_KEYS,
    WEEKDAYS,
)
from forensics.query.nodes import (
    All,
    And,
    Clock,
    Free,
    Node,
    Not,
    Or,
    Presence,
    Shorthand,
    Term,
    TimeBound,
)
from forensics.query.zone import DAY_NS, HOUR_NS

_OPS = {"=": "=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def kind_of(sql_type: str) -> str:
    """text | time | bool | number | other, from a DuckDB type name."""
    t = sql_type.upper()
    if t.startswith("TIMESTAMP") or t == "DATE":
        return "time"
    if t == "BOOLEAN":
        return "bool"
    if t in ("VARCHAR", "TEXT", "STRING") or t.startswith("ENUM"):
        return "text"
    if any(t.startswith(n) for n in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                                     "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL")):
        return "number"
    return "other"


@dataclass
class Compiled:
    """A condition and its parameters, in order."""

    sql: str
    params: list[Any] = field(default_factory=list)


def floor_div(expr: str, d: int) -> str:
    """Exact floor division of a BIGINT expression (DuckDB's ``//`` truncates toward zero)."""
    return f"(({expr}) - ((({expr}) % {d}) + {d}) % {d}) // {d}"


def floor_mod(expr: str, d: int) -> str:
    return f"(((({expr}) % {d}) + {d}) % {d})"


@lru_cache(maxsize=64)
def zone_transitions(tz: tzinfo, lo_ns: int, hi_ns: int) -> tuple[int, tuple[tuple[int, int], ...]]:
    """(offset before the first change, ((UTC ns where the offset changes, new offset ns), ...))
    of ``tz`` over [lo, hi], from Python's tz database (as pandas' ``tz_convert`` uses).

    Daily samples find the days with a change; minutes, then seconds, within those days find
    the instant (all vectorised; cached per zone and span). Two changes within one day are
    not separated (none in the tz database since 1970)."""
    if isinstance(tz, timezone):
        off = tz.utcoffset(None)
        return int(off.total_seconds() * 1e9) if off else 0, ()

    def offsets(ns: np.ndarray) -> np.ndarray:
        index = pd.DatetimeIndex(ns.astype("datetime64[ns]"), tz="UTC")
        return index.tz_convert(tz).tz_localize(None).asi8 - ns

    def refine(starts: np.ndarray, step: int, steps: int) -> np.ndarray:
        """First instant (of ``steps`` of ``step`` after each start) whose offset differs from the start's."""
        grid = starts[:, None] + np.arange(steps + 1, dtype=np.int64)[None, :] * step
        off = offsets(grid.ravel()).reshape(grid.shape)
        first_new = np.argmax(off != off[:, :1], axis=1)
        return grid[np.arange(len(starts)), first_new - 1]

    start = lo_ns - DAY_NS - (lo_ns % DAY_NS)
    days = np.arange(start, hi_ns + 2 * DAY_NS, DAY_NS, dtype=np.int64)
    day_off = offsets(days)
    where = np.flatnonzero(day_off[1:] != day_off[:-1])
    if not len(where):
        return int(day_off[0]), ()
    minute = refine(days[where], 60_000_000_000, 1440)
    second = refine(minute, 1_000_000_000, 60) + 1_000_000_000
    return int(day_off[0]), tuple((int(at), int(off)) for at, off in zip(second, offsets(second)))


class SqlCompiler:
    """Compiles node trees against one table's columns (name -> DuckDB type)."""

    def __init__(self, columns: dict[str, str], tz: tzinfo, case: bool = False,
                 time_range: Callable[[], tuple[int, int] | None] | None = None,
                 values: Callable[[str], list[str] | None] | None = None) -> None:
        self.columns = columns
        self._values = values
        self.names = list(columns)
        self.tz = tz
        self.case = case
        self._time_range = time_range

    # -- helpers -------------------------------------------------------------------------------
    def _column(self, name: str, pos: int) -> str:
        return field_column(name, self.names, pos)

    def _time(self, pos: int) -> str:
        if "time" not in self.columns:
            raise QueryError("this table has no time column", pos)
        return "time"

    @staticmethod
    def _leaf(sql: str, params: list[Any]) -> Compiled:
        return Compiled(f"COALESCE(({sql}), FALSE)", params)

    def _contains(self, column: str, needle: str, case: bool) -> Compiled:
        col = quote_ident(column)
        if case:
            return self._leaf(f"contains({col}, ?)", [needle])
        return self._leaf(f"contains(lower({col}), ?)", [needle.lower()])

    def _equals(self, column: str, value: str, case: bool) -> Compiled:
        col = quote_ident(column)
        test = f"{col} = ?" if case else f"lower({col}) = ?"
        params: list[Any] = [value if case else value.lower()]
        if value == "":
            test = f"({test}) OR {col} IS NULL"
        return self._leaf(test, params)

    def _epoch(self, column: str) -> str:
        return f"epoch_ns({quote_ident(column)})"

    def _day(self, value: str, pos: int) -> tuple[int, int]:
        start, end = day_bounds(value, self.tz, pos)
        return int(start.value), int(end.value)

    def local_ns(self) -> Compiled:
        """Wall-clock ns of ``time`` in the display zone (NULL when no time)."""
        epoch = self._epoch("time")
        span = self._time_range() if self._time_range else None
        first, changes = zone_transitions(self.tz, *(span or (0, 0)))
        if not changes:
            return Compiled(f"({epoch} + CAST(? AS BIGINT))", [first])
        whens = " ".join(f"WHEN {epoch} >= ? THEN CAST(? AS BIGINT)" for _ in changes)
        params: list[Any] = []
        for at, off in reversed(changes):  # latest change first: the first WHEN that holds wins
            params += [at, off]
        params.append(first)
        case = f"(CASE {whens} ELSE CAST(? AS BIGINT) END)"
        return Compiled(f"({epoch} + {case})", params)

    # -- nodes ---------------------------------------------------------------------------------
    def compile(self, node: Node) -> Compiled:
        if isinstance(node, All):
            return Compiled("TRUE")
        if isinstance(node, (And, Or)):
            parts = [self.compile(c) for c in node.children]
            glue = " AND " if isinstance(node, And) else " OR "
            return Compiled("(" + glue.join(p.sql for p in parts) + ")", [x for p in parts for x in p.params])
        if isinstance(node, Not):
            inner = self.compile(node.child)
            return Compiled(f"(NOT {inner.sql})", inner.params)
        if isinstance(node, Free):
            return self.free(node)
        if isinstance(node, Term):
            return self.term(node)
        if isinstance(node, Shorthand):
            return self.shorthand(node)
        if isinstance(node, TimeBound):
            return self.time_bound(node)
        if isinstance(node, Clock):
            return self.clock(node)
        if isinstance(node, Presence):
            col = quote_ident(self._column(node.field, node.pos))
            return Compiled(f"({col} IS {'NOT ' if node.present else ''}NULL)")
        raise QueryError(f"the out-of-core engine cannot run a {type(node).__name__} node", getattr(node, "pos", 0))

    def free(self, node: Free) -> Compiled:
        texts = [c for c, t in self.columns.items() if kind_of(t) == "text"]
        if not texts:
            return Compiled("FALSE")
        parts = [self._contains(c, node.value, self.case) for c in texts]
        return Compiled("(" + " OR ".join(p.sql for p in parts) + ")", [x for p in parts for x in p.params])

    def term(self, node: Term) -> Compiled:
        if node.field.lower() in SPECIAL_KEYS:
            raise QueryError(f"'{node.field}:' is a keyword", node.pos)
        column = self._column(node.field, node.pos)
        kind = kind_of(self.columns[column])
        col = quote_ident(column)
        if kind == "time":
            return self.time_term(column, node)
        if kind == "bool":
            return self._leaf(f"{col} = ?", [bool_value(node)])
        if kind == "number":
            number = number_value(node)
            if math.isnan(number):  # pandas: NaN compares false; DuckDB orders NaN as a value
                return Compiled("FALSE")
            op = "=" if node.op == ":" else _OPS[node.op]
            return self._leaf(f"CAST({col} AS DOUBLE) {op} ?", [number])
        if kind != "text":
            raise QueryError(f"the out-of-core engine cannot compare field '{column}' of type "
                             f"{self.columns[column]}", node.pos)
        if node.op == ":":
            if node.value == "":
                raise QueryError("empty value (use field:=\"\" or missing:field for no value)", node.value_pos)
            return self._contains(column, node.value, self.case)
        if node.op == "=":
            return self._equals(column, node.value, case=True)
        return self._leaf(f"{col} {_OPS[node.op]} ?", [node.value])

    def time_term(self, column: str, node: Term) -> Compiled:
        op = node.op
        value = node.value
        date_only = is_date_only(value)
        epoch = self._epoch(column)
        if op == ":" or (op == "=" and date_only):
            if date_only:
                start, end = self._day(value, node.value_pos)
                return self._leaf(f"{epoch} >= ? AND {epoch} < ?", [start, end])
            op = "="
        bound = int(parse_time(value, self.tz, node.value_pos).value)
        return self._leaf(f"{epoch} {_OPS[op]} ?", [bound])

    def time_bound(self, node: TimeBound) -> Compiled:
        epoch = self._epoch(self._time(node.pos))
        if node.kind == "on":
            start, end = self._day(node.value, node.value_pos)
            return self._leaf(f"{epoch} >= ? AND {epoch} < ?", [start, end])
        bound = int(parse_time(node.value, self.tz, node.value_pos).value)
        return self._leaf(f"{epoch} {'>=' if node.kind == 'after' else '<'} ?", [bound])

    def _has(self, name: str) -> bool:
        return name in self.columns

    def shorthand(self, node: Shorthand) -> Compiled:
        if node.name in ("nonowner", "owner"):
            owner = self._equals(self._column("logon_type", node.pos), "Owner", case=False)
            return Compiled(f"(NOT {owner.sql})", owner.params) if node.name == "nonowner" else owner
        if node.name == "admin":
            admin = self._equals(self._column("logon_type", node.pos), "Admin", case=False)
            if self._has("admin_rights"):
                return Compiled(f"({admin.sql} OR COALESCE({quote_ident('admin_rights')} = TRUE, FALSE))", admin.params)
            return admin
        if node.name == "change":
            col = quote_ident(self._column("operation", node.pos))
            marks = ", ".join("?" for _ in CHANGE_OPERATIONS)
            return self._leaf(f"{col} IN ({marks})", list(CHANGE_OPERATIONS))
        if node.name == "probe":
            parts = [self._per_value(name, pattern, test)
                     for name, pattern, test in (("actor", PROBE_ACCOUNT, account_mask),
                                                 ("client_app", PROBE_AGENT, agent_mask)) if self._has(name)]
            if not parts:
                return Compiled("FALSE")
            return Compiled("(" + " OR ".join(p.sql for p in parts) + ")", [x for p in parts for x in p.params])
        if node.name == "expected":
            if not self._has(EXPECTED_COLUMN):
                return Compiled("FALSE")
            return Compiled(f"({quote_ident(EXPECTED_COLUMN)} IS NOT NULL)")
        if node.name in ("failure", "success"):
            return self._equals(self._column("outcome", node.pos), node.name.capitalize(), case=False)
        raise QueryError(f"unknown is:{node.name}", node.pos)

    def _per_value(self, column: str, pattern: str, test: Callable[[pa.Array], np.ndarray]) -> Compiled:
        """Rows whose value passes ``test`` (the function pandas runs per category): with the
        distinct values at hand, ``IN`` the passing ones; otherwise the same RE2 pattern in SQL."""
        values = self._values(column) if self._values else None
        if values is None:
            return self._leaf(f"regexp_matches({quote_ident(column)}, ?)", [pattern])
        hits = [v for v, ok in zip(values, test(pa.array(values, pa.large_string())).tolist()) if ok]
        if not hits:
            return Compiled("FALSE")
        return self._leaf(f"list_contains(?, {quote_ident(column)})", [hits])

    def clock(self, node: Clock) -> Compiled:
        self._time(node.pos)
        if node.kind == "hour":
            try:
                number = int(node.value)
            except ValueError as exc:
                raise QueryError(f"hour: takes 0-23, not {node.value!r}", node.value_pos) from exc
            if not 0 <= number <= 23:
                raise QueryError(f"hour: takes 0-23, not {number}", node.value_pos)
        else:
            word = node.value.strip().lower()
            if len(word) >= 3 and word[:3] in WEEKDAYS:
                number = WEEKDAYS.index(word[:3])
            elif word.isdigit() and 1 <= int(word) <= 7:
                number = int(word) - 1
            else:
                raise QueryError(f"weekday: takes mon..sun or 1-7, not {node.value!r}", node.value_pos)
        local = self.local_ns()
        if node.kind == "hour":
            value = floor_mod(floor_div(local.sql, HOUR_NS), 24)
        else:
            value = floor_mod(floor_div(local.sql, DAY_NS) + " + 3", 7)
        op = "=" if node.op == ":" else _OPS[node.op]
        count = value.count("?")  # the local-time expression repeats inside floor_div/floor_mod
        params = local.params * (count // max(len(local.params), 1)) if local.params else []
        return self._leaf(f"{value} {op} ?", [*params, number])


def compile_tree(tree: Node, columns: dict[str, str], tz: tzinfo, case: bool = False,
                 time_range: Callable[[], tuple[int, int] | None] | None = None,
                 values: Callable[[str], list[str] | None] | None = None) -> Compiled:
    """The SQL condition of ``tree`` over a table with ``columns`` (raises QueryError).
    ``time_range``/``values`` let the compiler ask the data (zone changes in the span; the
    distinct values of a column for per-value tests)."""
    return SqlCompiler(columns, tz, case, time_range, values).compile(tree)
