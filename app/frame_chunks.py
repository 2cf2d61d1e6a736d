"""One Arrow chunk per column: taking a few rows of a chunked column is slow."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa


def single_chunk(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every Arrow-backed column in one chunk (same values, same dtypes).

    Why: a table read from Parquet or merged from several loads holds its Arrow columns in
    chunks, and taking a few rows of a chunked column makes Arrow concatenate the whole
    column first: 0.4 s per grid block of a 1M-row ``details`` column instead of 0.5 ms. The
    grid, Detail pane and findings take rows all the time; one copy per load pays for it."""
    out: pd.DataFrame | None = None
    for name in frame.columns:
        array = frame[name].array
        data = getattr(array, "_pa_array", None)
        if not isinstance(data, pa.ChunkedArray) or data.num_chunks <= 1:
            continue
        joined = type(array)(pa.chunked_array([data.combine_chunks()], type=data.type))
        if joined.dtype != array.dtype:  # pragma: no cover - a layout this does not know: leave it
            continue
        if out is None:
            out = frame.copy(deep=False)
        out[name] = pd.Series(joined, index=frame.index, name=name)
    return frame if out is None else out
