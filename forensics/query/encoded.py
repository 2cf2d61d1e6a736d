"""Dictionary-encoded views of string columns, cached per column array.

Why: free words search every text column; on millions of Arrow strings a substring scan
costs hundreds of milliseconds per column and query. Encoding a column once (values ->
distinct strings + integer codes) lets every later query test only the distinct strings
and gather the answer by code, like a categorical. The cache holds a weak reference to
the column's Arrow data, so an entry dies with its frame and is never reused for another one.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: id(arrow data) -> (weak reference to the Arrow data, codes, distinct values). Keyed on
#: the Arrow (immutable) data, not the pandas array: writing into a pandas Arrow array
#: swaps its Arrow data, so a stale entry can never match.
_CACHE: dict[int, tuple[weakref.ref, np.ndarray, pd.Index]] = {}
#: columns shorter than this are scanned directly (encoding would not pay off)
MIN_ROWS = 50_000


def _forget(key: int) -> None:
    _CACHE.pop(key, None)


def encoded(series: pd.Series) -> tuple[np.ndarray, pd.Index] | None:
    """(codes with -1 for missing, distinct values) of an Arrow string column, or None."""
    array: Any = series.array
    if len(series) < MIN_ROWS or getattr(series.dtype, "storage", "") != "pyarrow":
        return None
    data = array.__arrow_array__() if hasattr(array, "__arrow_array__") else pa.array(array)
    key = id(data)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is data:
        return hit[1], hit[2]
    try:
        ref = weakref.ref(data, lambda _r, key=key: _forget(key))
    except TypeError:
        return None
    arrow = data.combine_chunks() if isinstance(data, pa.ChunkedArray) else data
    dictionary = pc.dictionary_encode(arrow)
    codes = pc.fill_null(dictionary.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    values = pd.Index(dictionary.dictionary.to_pylist(), dtype=object)
    _CACHE[key] = (ref, codes, values)
    return codes, values
