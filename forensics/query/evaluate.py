"""Run a parsed query over a frame as vectorized numpy/pandas operations.

Categorical columns are evaluated on their categories once (a few thousand strings at
most) and the per-category answer is indexed by the codes; the result for millions of
rows is then one numpy gather. String columns use pandas' (Arrow) vectorized string
kernels. No per-row Python anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo

import numpy as np
import pandas as pd
import pyarrow as pa

from forensics.errors import QueryError
from forensics.identity.probes import account_mask, agent_mask
from forensics.query.text_index import column_text
from forensics.query.fields import CHANGE_OPERATIONS, EXPECTED_COLUMN, SPECIAL_KEYS, WEEKDAYS, resolve_field
from forensics.query.zone import hour_of_day, local_ns, weekday
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

_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}


def is_text(series: pd.Series) -> bool:
    """Whether free words search ``series`` (categorical, string or object columns)."""
    dtype = series.dtype
    return (
        isinstance(dtype, (pd.CategoricalDtype, pd.StringDtype))
        or dtype == object
        or pd.api.types.is_string_dtype(dtype)
    ) and not pd.api.types.is_bool_dtype(dtype)


def _category_mask(series: pd.Series, predicate: np.ndarray) -> np.ndarray:
    """Row mask from a per-category answer: one gather over the codes (code -1 -> False)."""
    predicate = np.asarray(predicate, dtype=bool)
    if not predicate.any():  # the usual case for a free word in most columns: no gather
        return np.zeros(len(series), dtype=bool)
    table = np.append(predicate, False)
    codes = series.cat.codes.to_numpy()
    return table[codes]


def _per_value(series: pd.Series, test: Callable[[pa.Array], np.ndarray]) -> np.ndarray:
    """Row mask from a test run once per distinct value of a text column."""
    if not isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype("string").astype("category")
    values = pa.array(np.asarray(series.cat.categories.astype(str), dtype=object), pa.large_string())
    return _category_mask(series, test(values))


def _as_bool(values: pd.Series | np.ndarray | pd.api.extensions.ExtensionArray) -> np.ndarray:
    if isinstance(values, pd.Series):
        values = values.array
    if isinstance(values, np.ndarray) and values.dtype == bool:
        return values
    return pd.array(values, dtype="boolean").fillna(False).to_numpy(dtype=bool)


def _contains(series: pd.Series, needle: str, case: bool) -> np.ndarray:
    """Rows whose value contains ``needle``: tested once per distinct value (``text_index``)."""
    return column_text(series).row_mask(needle, case)


def _contains_at(series: pd.Series, needle: str, case: bool, rows: np.ndarray) -> np.ndarray:
    """``_contains`` evaluated at ``rows`` only: the distinct values those rows hold are tested."""
    return column_text(series).row_mask_at(needle, case, rows)


def _equals(series: pd.Series, value: str, case: bool) -> np.ndarray:
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = pd.Index(series.cat.categories.astype(str))
        pred = (cats == value) if case else (cats.str.lower() == value.lower())
        mask = _category_mask(series, np.asarray(pred, dtype=bool))
        if value == "":
            mask |= series.isna().to_numpy()
        return mask
    strings = series if isinstance(series.dtype, pd.StringDtype) else series.astype("string")
    if not case:
        strings = strings.str.lower()
        value = value.lower()
    mask = _as_bool(strings == value)
    if value == "":
        mask |= series.isna().to_numpy()
    return mask


def parse_time(value: str, tz: tzinfo, pos: int) -> pd.Timestamp:
    """A user-typed time: naive values are in the display zone ``tz``; an explicit offset wins."""
    try:
        stamp = pd.Timestamp(value.replace("T", " ") if "T" in value[:11] else value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise QueryError(f"not a date/time: {value!r} (use e.g. 2024-03-05 or \"2024-03-05 18:00\")", pos) from exc
    if stamp is pd.NaT:
        raise QueryError(f"not a date/time: {value!r}", pos)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
    return stamp.tz_convert("UTC")


def is_date_only(value: str) -> bool:
    """A typed time with no clock part (``:`` and ``=`` then mean the whole local day)."""
    return len(value.strip()) <= 10 and ":" not in value


def day_bounds(value: str, tz: tzinfo, pos: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """UTC start and end (exclusive) of the local day in ``tz`` that ``value`` names."""
    start = parse_time(value, tz, pos)
    local = start.tz_convert(tz)
    end_local = (local.tz_localize(None).normalize() + pd.Timedelta(days=1)).tz_localize(
        tz, ambiguous=True, nonexistent="shift_forward"
    )
    return start, end_local.tz_convert("UTC")


def field_column(name: str, columns: list[str], pos: int) -> str:
    """The column a typed field name means, or a QueryError listing the first fields."""
    column = resolve_field(name, columns)
    if column is None:
        known = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
        raise QueryError(f"unknown field '{name}' (fields: {known})", pos)
    return column


def bool_value(node: Term) -> bool:
    """The truth value a term on a boolean column asks for (only ``:`` and ``=`` mean anything)."""
    word = node.value.strip().lower()
    if word not in _TRUE | _FALSE or node.op not in (":", "="):
        raise QueryError(f"'{node.field}' is true or false, not {node.value!r}", node.value_pos)
    return word in _TRUE


def number_value(node: Term) -> float:
    """The number a term on a numeric column compares with."""
    try:
        return float(node.value)
    except ValueError as exc:
        raise QueryError(f"'{node.field}' expects a number, not {node.value!r}", node.value_pos) from exc


def _compare(values: pd.Series, op: str, bound: object) -> np.ndarray:
    if op == "=":
        result = values == bound
    elif op == ">":
        result = values > bound
    elif op == ">=":
        result = values >= bound
    elif op == "<":
        result = values < bound
    else:
        result = values <= bound
    return _as_bool(result)


class Superseded(Exception):
    """The caller no longer wants this evaluation (a newer query was typed)."""


class Evaluator:
    """Evaluates one node tree on one frame (``case`` = case-sensitive substring matching;
    ``cancel``: polled between columns of a free word, raises ``Superseded`` when true)."""

    def __init__(self, frame: pd.DataFrame, tz: tzinfo, case: bool = False,
                 cancel: Callable[[], bool] | None = None) -> None:
        self.cancel = cancel
        self.frame = frame
        self.tz = tz
        self.case = case
        self.n = len(frame)
        self.columns = [str(c) for c in frame.columns]
        self._local_cache: np.ndarray | None = None

    # -- helpers ---------------------------------------------------------------------------
    def _column(self, name: str, pos: int) -> pd.Series:
        return self.frame[field_column(name, self.columns, pos)]

    def _time(self, pos: int) -> pd.Series:
        if "time" not in self.frame.columns:
            raise QueryError("this table has no time column", pos)
        return self.frame["time"]

    def _day(self, value: str, pos: int) -> tuple[pd.Timestamp, pd.Timestamp]:
        return day_bounds(value, self.tz, pos)

    # -- nodes -----------------------------------------------------------------------------
    def run(self, node: Node) -> np.ndarray:
        if isinstance(node, All):
            return np.ones(self.n, dtype=bool)
        if isinstance(node, And):
            mask = self.run(node.children[0])
            for child in node.children[1:]:
                if isinstance(child, Free) and not mask.any():
                    continue  # nothing left to narrow (a free word never raises, so skipping it is exact)
                if isinstance(child, Free) and np.count_nonzero(mask) < self.n // 4:
                    # later words only need testing where the earlier terms matched
                    rows = np.flatnonzero(mask)
                    mask = np.zeros(self.n, dtype=bool)
                    mask[rows] = self.free(child, rows)
                else:
                    mask = mask & self.run(child)
            return mask
        if isinstance(node, Or):
            mask = self.run(node.children[0])
            for child in node.children[1:]:
                mask = mask | self.run(child)
            return mask
        if isinstance(node, Not):
            return ~self.run(node.child)
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
            series = self._column(node.field, node.pos)
            present = series.notna().to_numpy(dtype=bool)
            return present if node.present else ~present
        raise TypeError(f"unknown node {node!r}")  # pragma: no cover

    def free(self, node: Free, rows: np.ndarray | None = None) -> np.ndarray:
        """Rows where any text column contains the word (only at ``rows`` when given)."""
        mask: np.ndarray | None = None
        for name in self.columns:
            series = self.frame[name]
            if not is_text(series):
                continue
            if self.cancel is not None and self.cancel():
                raise Superseded
            if rows is None:
                hits = column_text(series).row_hits(node.value, self.case)
            else:
                hits = _contains_at(series, node.value, self.case, rows)
            if hits is not None:
                mask = hits if mask is None else mask | hits
        return mask if mask is not None else np.zeros(self.n if rows is None else len(rows), dtype=bool)

    def term(self, node: Term) -> np.ndarray:
        if node.field.lower() in SPECIAL_KEYS:  # pragma: no cover - parser routes these
            raise QueryError(f"'{node.field}:' is a keyword", node.pos)
        series = self._column(node.field, node.pos)
        dtype = series.dtype
        if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
            return self.time_term(series, node)
        if pd.api.types.is_bool_dtype(dtype):
            return _as_bool(series == bool_value(node))
        if pd.api.types.is_numeric_dtype(dtype) and not isinstance(dtype, pd.CategoricalDtype):
            return _compare(series, "=" if node.op == ":" else node.op, number_value(node))
        if node.op == ":":
            if node.value == "":
                raise QueryError("empty value (use field:=\"\" or missing:field for no value)", node.value_pos)
            return _contains(series, node.value, self.case)
        if node.op == "=":
            return _equals(series, node.value, case=True)
        # ordering comparisons on text: lexicographic on the recorded value
        strings = series.astype("string")
        return _compare(strings, node.op, node.value)

    def time_term(self, series: pd.Series, node: Term) -> np.ndarray:
        op = node.op
        if op == ":" or (op == "=" and is_date_only(node.value)):
            start, end = self._day(node.value, node.value_pos) if is_date_only(node.value) else (None, None)
            if start is not None:
                return _as_bool((series >= start) & (series < end))
            op = "="
        bound = parse_time(node.value, self.tz, node.value_pos)
        return _compare(series, op, bound)

    def time_bound(self, node: TimeBound) -> np.ndarray:
        series = self._time(node.pos)
        if node.kind == "on":
            start, end = self._day(node.value, node.value_pos)
            return _as_bool((series >= start) & (series < end))
        bound = parse_time(node.value, self.tz, node.value_pos)
        return _compare(series, ">=" if node.kind == "after" else "<", bound)

    def shorthand(self, node: Shorthand) -> np.ndarray:
        if node.name in ("nonowner", "owner"):
            owner = _equals(self._column("logon_type", node.pos), "Owner", case=False)
            return ~owner if node.name == "nonowner" else owner
        if node.name == "admin":
            mask = _equals(self._column("logon_type", node.pos), "Admin", case=False)
            if "admin_rights" in self.frame.columns:
                mask = mask | _as_bool(self.frame["admin_rights"] == True)  # noqa: E712 - nullable
            return mask
        if node.name == "change":
            series = self._column("operation", node.pos)
            if isinstance(series.dtype, pd.CategoricalDtype):
                pred = np.isin(np.asarray(series.cat.categories.astype(str)), CHANGE_OPERATIONS)
                return _category_mask(series, pred)
            return _as_bool(series.isin(CHANGE_OPERATIONS))
        if node.name == "probe":  # one definition with the IIS parser (identity/probes)
            mask = np.zeros(len(self.frame), dtype=bool)
            for name, test in (("actor", account_mask), ("client_app", agent_mask)):
                if name in self.frame.columns:
                    mask |= _per_value(self.frame[name], test)
            return mask
        if node.name == "expected":  # the derived column a case's review marks add (no marks: none)
            if EXPECTED_COLUMN not in self.frame.columns:
                return np.zeros(len(self.frame), dtype=bool)
            return _as_bool(self.frame[EXPECTED_COLUMN].notna())
        if node.name in ("failure", "success"):
            return _equals(self._column("outcome", node.pos), node.name.capitalize(), case=False)
        raise QueryError(f"unknown is:{node.name}", node.pos)  # pragma: no cover

    def clock(self, node: Clock) -> np.ndarray:
        local = self._local(node.pos)
        if node.kind == "hour":
            try:
                number = int(node.value)
            except ValueError as exc:
                raise QueryError(f"hour: takes 0-23, not {node.value!r}", node.value_pos) from exc
            if not 0 <= number <= 23:
                raise QueryError(f"hour: takes 0-23, not {number}", node.value_pos)
            values = hour_of_day(local)
        else:
            word = node.value.strip().lower()
            if len(word) >= 3 and word[:3] in WEEKDAYS:
                number = WEEKDAYS.index(word[:3])
            elif word.isdigit() and 1 <= int(word) <= 7:
                number = int(word) - 1  # ISO: Monday=1
            else:
                raise QueryError(f"weekday: takes mon..sun or 1-7, not {node.value!r}", node.value_pos)
            values = weekday(local)
        op = "=" if node.op == ":" else node.op
        return _compare(pd.Series(values), op, number) & (values >= 0)

    def _local(self, pos: int) -> np.ndarray:
        if getattr(self, "_local_cache", None) is None:
            self._local_cache = local_ns(self._time(pos), self.tz)
        return self._local_cache
