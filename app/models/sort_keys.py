"""Sort order of one grid column: row positions ascending (stable), missing values last.

Why its own module: sorting millions of rows must not compare Python objects; each dtype
gets a vectorized key (numbers and times by value, text by the rank of its distinct values),
and the session caches the result per column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def _rank(order: np.ndarray) -> np.ndarray:
    """Rank of each label given the labels' sorted order, in the smallest integer type
    (numpy's stable sort is a radix sort for 8/16-bit keys: millions of rows in milliseconds)."""
    dtype = np.uint8 if len(order) <= 2**8 else np.uint16 if len(order) <= 2**16 else np.int64
    rank = np.empty(len(order), dtype=dtype)
    rank[order] = np.arange(len(order), dtype=dtype)
    return rank


def sort_keys(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Row positions with a value in ascending order (stable), and the positions without one.

    Vectorized per dtype: datetimes and numbers by value; categories by the lower-cased rank
    of their labels; strings are dictionary-encoded by pyarrow and sorted the same way (far
    faster than comparing millions of strings). Missing values always go last.
    """
    n = len(series)
    positions = np.arange(n, dtype=np.int64)
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        labels = pd.Series(series.cat.categories.astype(str)).str.lower().to_numpy(dtype=object)
        return _by_codes(codes, _rank(np.argsort(labels, kind="stable")), positions)
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        values = series.to_numpy(dtype="datetime64[ns]")
        present = ~np.isnat(values)
        have = positions[present]
        return have[np.argsort(values[present].view("i8"), kind="stable")], positions[~present]
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        present = series.notna().to_numpy(dtype=bool)
        have = positions[present]
        kind = np.float64 if pd.api.types.is_float_dtype(dtype) else np.int64
        keys = series[present].to_numpy(dtype=kind)
        return have[np.argsort(keys, kind="stable")], positions[~present]
    arr = pa.array(series.array) if hasattr(series.array, "__arrow_array__") else pa.array(series.astype(object), type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    encoded = pc.dictionary_encode(arr)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    lowered = pc.utf8_lower(encoded.dictionary)
    return _by_codes(codes, _rank(pc.sort_indices(lowered).to_numpy()), positions)  # stable


def _by_codes(codes: np.ndarray, rank: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    present = codes >= 0
    have = positions[present]
    if not len(rank):
        return have, positions[~present]
    keys = rank[codes[present]].astype(np.int64)
    m = len(have)
    if len(rank) * max(m, 1) < 2**62:
        # stable by construction: (rank, position) packed in one int64, then numpy's SIMD
        # sort, about 4x faster than a stable argsort on millions of rows
        order = np.sort(keys * m + np.arange(m, dtype=np.int64)) % m
    else:  # pragma: no cover - more than 2**31 distinct values x rows
        order = np.argsort(keys, kind="stable")
    return have[order], positions[~present]


# -- multi-column sorting -------------------------------------------------------------------
#: one sort key of the grid: (column, descending)
SortKey = tuple[str, bool]


def column_key(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A numeric key per row whose ascending order is the column's ascending order (text by
    lower-cased label rank), and the rows without a value. Vectorized per dtype, as ``sort_keys``."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        labels = pd.Series(series.cat.categories.astype(str)).str.lower().to_numpy(dtype=object)
        rank = _rank(np.argsort(labels, kind="stable")).astype(np.int64)
        missing = codes < 0
        return np.where(missing, 0, rank[np.maximum(codes, 0)] if len(rank) else 0).astype(np.int64), missing
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        values = series.to_numpy(dtype="datetime64[ns]")
        missing = np.isnat(values)
        return np.where(missing, 0, values.view("i8")), missing
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        missing = series.isna().to_numpy(dtype=bool)
        kind = np.float64 if pd.api.types.is_float_dtype(dtype) else np.int64
        return series.to_numpy(dtype=kind, na_value=0), missing
    arr = pa.array(series.array) if hasattr(series.array, "__arrow_array__") else pa.array(series.astype(object), type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    encoded = pc.dictionary_encode(arr)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    rank = _rank(pc.sort_indices(pc.utf8_lower(encoded.dictionary)).to_numpy()).astype(np.int64)
    missing = codes < 0
    return (np.where(missing, 0, rank[np.maximum(codes, 0)]) if len(rank) else np.zeros(len(codes), np.int64)), missing


def lexsort_order(keys: list[tuple[np.ndarray, np.ndarray, bool]], base: np.ndarray | None = None) -> np.ndarray:
    """Row positions ordered by ``keys`` (primary first; each ``(key, missing, descending)``);
    rows without a value go last in each key, whichever its direction. ``base`` is an order
    to start from (the cached time order): equal keys keep it, so time stays the last key.

    One stable argsort per key, least significant first (what ``np.lexsort`` does), on a
    compact key: text and categories are ranks, so a column with under 65,536 distinct
    values sorts as ``uint16``, which numpy radix-sorts in linear time.
    """
    order = np.arange(len(keys[0][0]), dtype=np.int64) if base is None else base
    n = len(order)
    for key, missing, descending in reversed(keys):
        compact = _compact(key, missing, descending)[order]
        if compact.dtype == np.int64 and n < 2**31 and len(compact) and 0 <= compact.min() and compact.max() < 2**31:
            # many distinct ranks (subjects): (rank, position) packed in one int64 and
            # SIMD-sorted, stable by construction and several times faster than argsort
            packed = np.sort((compact << 32) | np.arange(n, dtype=np.int64))
            order = order[packed & 0xFFFFFFFF]
        else:
            order = order[np.argsort(compact, kind="stable")]
    return order


def _compact(key: np.ndarray, missing: np.ndarray, descending: bool) -> np.ndarray:
    """One array whose ascending order is the wanted order, missing values last."""
    if key.dtype.kind in "iu" and len(key):
        low, high = (int(key.min()), int(key.max()))
        if 0 <= low and high < 2**16 - 1:  # ranks: small unsigned ints
            value = (high - key) if descending else key
            return np.where(missing, high + 1, value).astype(np.uint16 if high + 1 < 2**16 else np.int64)
        value = -key if descending else key
        return np.where(missing, np.iinfo(np.int64).max, value)
    value = -key.astype(np.float64) if descending else key.astype(np.float64)
    return np.where(missing, np.inf, value)


def with_time_last(spec: list[SortKey], columns: list[str]) -> list[SortKey]:
    """``spec`` with time ascending as the last key (unless time is a key already): equal
    values keep time order, then load order. The empty spec is time order itself."""
    if "time" in columns and all(name != "time" for name, _ in spec):
        return [*spec, ("time", False)]
    return list(spec)


def describe(spec: list[SortKey]) -> str:
    """The order in words, as a report states it."""
    if not spec:
        return "time ascending (the default; equal times in load order, rows without a time last)"
    keys = ", then ".join(f"{name} {'descending' if desc else 'ascending'}" for name, desc in spec)
    tie = "load order" if any(name == "time" for name, _ in spec) else "time order, then load order"
    return f"{keys} (equal values in {tie}, rows without a value last)"
