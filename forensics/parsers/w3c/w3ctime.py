"""W3C log ``date`` + ``time`` fields to UTC timestamps, column-wise.

Why not one ``strptime`` over "date time" strings: that joins and re-parses a million
strings. A day holds few distinct dates, and ``hh:mm:ss`` is fixed-width, so dates are
parsed once each and clock times are read digit by digit from the column's bytes with
numpy. Anything that does not fit that exact shape (fractional seconds, missing fields,
impossible values) goes through the general parser, so results never differ.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from forensics.localtime import to_ns
from forensics.parsers.arrowbytes import S, StringBytes

UTC_NS = pa.timestamp("ns", tz="UTC")
_NS = 1_000_000_000
#: seconds since 1970 that a nanosecond timestamp can hold (years 1678-2261), a day to spare
_LIMIT_S = 9_223_372_036 - 86_400
_DIGIT_AT = np.array([0, 1, 3, 4, 6, 7])
_COLON_AT = np.array([2, 5])


def parse_w3c_times(date: pa.Array, clock: pa.Array) -> pa.Array:
    """``timestamp[ns, UTC]`` of each row; null where date or time is unreadable."""
    n = len(date)
    ns = np.zeros(n, dtype=np.int64)
    fast = np.zeros(n, dtype=bool)
    if n:
        day_ns, day_ok = _dates(date)
        second_of_day, clock_ok = _clocks(clock)
        fast = day_ok & clock_ok
        ns = day_ns + second_of_day * _NS
    out = pa.array(ns, pa.int64()).cast(pa.timestamp("ns")).cast(UTC_NS)
    if fast.all():
        return out
    slow = np.flatnonzero(~fast)
    general = _general(date.take(pa.array(slow)), clock.take(pa.array(slow)))
    mask = np.zeros(n, dtype=bool)
    mask[slow] = True
    return pc.replace_with_mask(out, pa.array(mask), general)


def _dates(date: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Epoch nanoseconds of each row's date (strict ``YYYY-MM-DD``), and where it was one."""
    encoded = pc.dictionary_encode(date.cast(S) if date.type != S else date)
    values = encoded.dictionary
    strict = pc.and_(pc.equal(pc.binary_length(values), 10), pc.match_substring_regex(values, r"^\d{4}-\d{2}-\d{2}$"))
    parsed = _strict_strptime(values, "%Y-%m-%d")
    ok = pc.fill_null(pc.and_(strict, pc.is_valid(parsed)), False).to_numpy(zero_copy_only=False)
    seconds = pc.fill_null(parsed.cast(pa.int64()), 0).to_numpy(zero_copy_only=False)
    ok &= np.abs(seconds) < _LIMIT_S
    index = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    ok = np.append(ok, False)[index]
    return np.append(seconds, 0)[index] * _NS, ok


def _clocks(clock: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Second of the day of each strict ``hh:mm:ss`` time, and where it was one."""
    parts = StringBytes.of(clock)
    n = len(parts.starts)
    ok = parts.valid & (parts.lengths == 8)
    rows = np.flatnonzero(ok)
    seconds = np.zeros(n, dtype=np.int64)
    if not len(rows):
        return seconds, ok
    chars = parts.data[parts.starts[rows, None] + np.arange(8)]
    digits = chars[:, _DIGIT_AT].astype(np.int64) - ord("0")
    good = ((digits >= 0) & (digits <= 9)).all(axis=1) & (chars[:, _COLON_AT] == ord(":")).all(axis=1)
    h = digits[:, 0] * 10 + digits[:, 1]
    m = digits[:, 2] * 10 + digits[:, 3]
    s = digits[:, 4] * 10 + digits[:, 5]
    good &= (h < 24) & (m < 60) & (s < 60)
    seconds[rows] = h * 3600 + m * 60 + s
    ok[rows] = good
    return seconds, ok


def _general(date: pa.Array, clock: pa.Array) -> pa.Array:
    """``strptime`` of "date time", then ISO-8601 with fractions for what that refuses."""
    stamp = pc.binary_join_element_wise(date.cast(S), clock.cast(S), " ")
    seconds = _strict_strptime(stamp, "%Y-%m-%d %H:%M:%S").cast(pa.int64())
    in_range = pc.less(pc.abs(seconds), _LIMIT_S)  # e.g. a two-digit year read as year 24: not a time
    seconds = pc.if_else(in_range, seconds, pa.scalar(None, pa.int64()))
    times = pc.multiply(seconds, _NS).cast(pa.timestamp("ns"))
    bad = pc.is_null(times).to_numpy(zero_copy_only=False)
    if bad.any():  # fractional seconds are legal W3C too
        fixed = pa.array(_iso8601(stamp.filter(pa.array(bad)).to_pylist()), pa.timestamp("ns"))
        times = pc.replace_with_mask(times, pa.array(bad), fixed)
    return times.cast(UTC_NS)


def _iso8601(texts: list[str | None]) -> pd.Series:
    """Naive UTC nanosecond times of ISO-8601 texts; NaT for what is not one or is out of range.
    Why ``utc=True``: W3C times are UTC, and pandas refuses a column mixing a text with an
    offset (damaged ``6:4-5``) and one without, failing the whole file."""
    parsed = pd.to_datetime(pd.Series(texts, dtype=object), format="ISO8601", errors="coerce", utc=True)
    return to_ns(parsed.dt.tz_localize(None))  # pandas reads year 21 or 9999 fine; a nanosecond table cannot hold them


def _strict_strptime(text: pa.Array, fmt: str) -> pa.Array:
    """``strptime`` that refuses impossible dates: Arrow's rolls 2024-02-30 over to
    March 1st, so a value must print back as it was written to count."""
    parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
    same = pc.equal(pc.strftime(parsed, format=fmt), text)
    return pc.if_else(pc.fill_null(same, False), parsed, pa.scalar(None, parsed.type))
