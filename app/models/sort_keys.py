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
