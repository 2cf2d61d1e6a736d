"""Byte-level views of Arrow string arrays, for text work no compute kernel does in one pass.

Why: splitting a million query strings into ``name=value`` tokens or undoing ``%xx``
escapes with ``pyarrow.compute`` means list arrays and dictionary encodings of values that
are distinct per row; numpy over the array's own offsets and data buffer does it with a
few passes over the bytes and no Python per row. Nothing here copies more than it must.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

S = pa.string()


@dataclass(frozen=True)
class StringBytes:
    """A string array as ``data`` (uint8) and per-value ``starts``/``ends`` into it."""

    data: np.ndarray
    starts: np.ndarray  # int64, one per value
    ends: np.ndarray
    valid: np.ndarray  # bool, one per value

    @classmethod
    def of(cls, values: pa.Array | pa.ChunkedArray) -> "StringBytes":
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
        if values.type != S:
            values = values.cast(S)
        n = len(values)
        buffers = values.buffers()
        offsets = np.frombuffer(buffers[1], dtype=np.int32, count=n + 1, offset=values.offset * 4).astype(np.int64)
        data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, np.uint8)
        if values.null_count:
            valid = values.is_valid().to_numpy(zero_copy_only=False)
        else:
            valid = np.ones(n, dtype=bool)
        return cls(data, offsets[:-1], offsets[1:], valid)

    @property
    def lengths(self) -> np.ndarray:
        return self.ends - self.starts


def gather(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A string array of ``data[starts[i]:ends[i]]`` (null where ``valid`` is false).

    Built as an Arrow string *view* array over ``data`` (16 bytes per value, no copy of
    the text) and cast to a plain string array: one copy of just the bytes selected. The
    slices must cut ``data`` at UTF-8 character boundaries (callers cut at ASCII bytes).
    """
    n = len(starts)
    lengths = np.maximum(ends - starts, 0).astype(np.int64)
    if valid is not None:
        lengths[~valid] = 0
    if len(data) >= 2**31:
        raise ValueError("text too large for one Arrow string array")
    views = np.zeros((n, 4), dtype=np.int32)
    views[:, 0] = lengths
    rows = np.flatnonzero(lengths)
    if len(rows):
        head = _heads(data, starts[rows])  # first 12 bytes of each value
        head[np.arange(12) >= lengths[rows, None]] = 0
        inline = views.view(np.uint8).reshape(n, 16)
        inline[rows, 4:16] = head
        long_rows = rows[lengths[rows] > 12]
        if len(long_rows):  # long: 4-byte prefix, buffer 0, offset
            inline[long_rows, 8:12] = 0
            views[long_rows, 3] = starts[long_rows]
    bitmap, nulls = None, 0
    if valid is not None and not valid.all():
        bitmap, nulls = pa.array(valid, pa.bool_()).buffers()[1], int(n - valid.sum())
    array = pa.Array.from_buffers(
        pa.string_view(), n, [bitmap, pa.py_buffer(views), pa.py_buffer(np.ascontiguousarray(data))], nulls
    )
    return array.cast(S)


def positions_of(buf: np.ndarray, byte: int, step: int = 1 << 20) -> np.ndarray:
    """Offsets of every ``byte`` in ``buf``, found a slice at a time: a mask as large as a
    32 MiB block would be a fresh allocation (page faults) on every call."""
    if len(buf) <= step:
        return np.flatnonzero(buf == byte)
    parts = [np.flatnonzero(buf[i : i + step] == byte) + i for i in range(0, len(buf), step)]
    return np.concatenate(parts)


def _heads(data: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """The 12 bytes from each start (zeros past the end of ``data``), one row each."""
    if len(data) >= 12:
        windows = np.lib.stride_tricks.sliding_window_view(data, 12)
        inside = starts <= len(data) - 12
        if inside.all():
            return windows[starts]
    out = np.zeros((len(starts), 12), dtype=np.uint8)
    if len(data) >= 12:
        out[inside] = windows[starts[inside]]
    else:
        inside = np.zeros(len(starts), dtype=bool)
    for row in np.flatnonzero(~inside).tolist():  # the last few values of the buffer
        tail = data[starts[row] : starts[row] + 12]
        out[row, : len(tail)] = tail
    return out


def from_parts(offsets: np.ndarray, data: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A string array from int offsets (n + 1), UTF-8 bytes and an optional validity mask."""
    n = len(offsets) - 1
    bitmap, nulls = None, 0
    if valid is not None and not valid.all():
        mask = pa.array(valid, pa.bool_())
        bitmap, nulls = mask.buffers()[1], int(n - valid.sum())
    return pa.Array.from_buffers(
        S, n, [bitmap, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(np.ascontiguousarray(data))], nulls
    )
