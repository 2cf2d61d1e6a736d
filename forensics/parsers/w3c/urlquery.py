"""URL text of web logs, decoded and split column-wise: ``%xx`` / ``+`` decoding and query
parameters looked up by name.

IIS writes a space as ``+`` and escapes the rest as ``%xx``. Query strings are usually
distinct per line (request ids, item ids), so they are never handled one value at a time:
``url_decode`` rewrites the bytes of every value that needs it in one numpy pass (Python's
``unquote_plus`` only for the rare values whose escapes spell non-ASCII bytes, so invalid
UTF-8 is replaced exactly as Python replaces it), and ``QueryParams`` finds the ``&``
tokens and their ``=`` once, then answers each parameter with one comparison of name bytes.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from forensics.parsers.arrowbytes import S, StringBytes, from_parts, gather, positions_of

_HEX = np.full(256, -1, dtype=np.int16)
for _i, _c in enumerate(b"0123456789abcdef"):
    _HEX[_c] = _i
for _i, _c in enumerate(b"ABCDEF"):
    _HEX[_c] = 10 + _i
_AMP, _EQ, _PCT, _PLUS, _SPACE = (ord(c) for c in "&=%+ ")


def url_decode_text(text: str) -> str:
    """One value (for the few distinct paths, user names and agents)."""
    return unquote_plus(text, errors="replace") if ("%" in text or "+" in text) else text


def url_decode(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """``unquote_plus(v, errors="replace")`` of every value; nulls stay null."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks != 1 else values.chunk(0)
    if values.type != S:
        values = values.cast(S)
    if not len(values):
        return values
    parts = StringBytes.of(values)
    lo, hi = int(parts.starts[0]), int(parts.ends[-1])
    text = parts.data[lo:hi]
    if not ((text == _PCT) | (text == _PLUS)).any():
        return values
    return _decode(values, text.copy(), np.append(parts.starts, hi) - lo, parts.valid)


def _decode(values: pa.Array, data: np.ndarray, bounds: np.ndarray, valid: np.ndarray) -> pa.Array:
    """Rewrite ``data`` (the values' bytes, one after another; ``bounds`` = n + 1 offsets)."""
    data[data == _PLUS] = _SPACE
    pct = np.flatnonzero(data == _PCT)
    python_rows = np.zeros(0, dtype=np.int64)
    if len(pct):
        row = np.searchsorted(bounds, pct, side="right") - 1
        last = len(data) - 1
        high = _HEX[data[np.minimum(pct + 1, last)]]
        low = _HEX[data[np.minimum(pct + 2, last)]]
        ok = (pct + 2 < bounds[row + 1]) & (high >= 0) & (low >= 0)
        pct, row, byte = pct[ok], row[ok], (high[ok] * 16 + low[ok])
        python_rows = np.unique(row[byte >= 0x80])  # non-ASCII escapes: Python's UTF-8 rules
        data[pct] = byte.astype(np.uint8)
        drop = np.zeros(len(data) + 1, dtype=np.int64)
        drop[pct + 1] = 1
        drop[pct + 2] = 1
        removed = np.concatenate(([0], np.cumsum(drop[:-1])))
        data = data[drop[:-1] == 0]
        bounds = bounds - removed[bounds]
    out = from_parts(bounds, data, valid)
    if len(python_rows):
        originals = values.take(pa.array(python_rows)).to_pylist()
        fixed = pa.array([unquote_plus(v, errors="replace") for v in originals], S)
        mask = np.zeros(len(values), dtype=bool)
        mask[python_rows] = True
        out = pc.replace_with_mask(out, pa.array(mask), fixed)
    return out


class QueryParams:
    """Parameters of a column of URL query strings, tokenized once and looked up by name.

    ``get(name)`` is the URL-decoded value of the first ``name=`` (name compared without
    regard to ASCII case) of each row: a full-length string array, null where the row has
    no such parameter or its value is empty.

    Tokens are the runs of bytes up to each ``&`` or row end, kept as one zero-copy string
    array over the column's own bytes and grouped by their first two letters, so a lookup
    only looks at the tokens that can be its name: the byte after the name must be ``=``
    and the name bytes must match.
    """

    def __init__(self, query: pa.Array | pa.ChunkedArray) -> None:
        parts = StringBytes.of(query)
        self.n = len(parts.starts)
        present = np.flatnonzero(parts.valid & (parts.ends > parts.starts))
        lo = int(parts.starts[present[0]]) if len(present) else 0
        hi = int(parts.ends[present[-1]]) if len(present) else 0
        self.data = data = parts.data[lo:hi]
        cut = np.zeros(len(data), dtype=bool)
        cut[positions_of(data, _AMP)] = True
        row_last = parts.ends[present] - 1 - lo
        row_closed = np.zeros(len(data), dtype=bool)
        row_closed[row_last] = True
        cut[row_last] = True
        ends = np.flatnonzero(cut) + 1  # exclusive; a token keeps its "&"
        self.start = np.concatenate(([0], ends[:-1])).astype(np.int64)
        self.length = ends - self.start
        self.row = present[np.concatenate(([0], np.cumsum(row_closed[ends[:-1] - 1])))] if len(ends) else ends
        last = max(len(data) - 1, 0)
        first = (data[self.start] | 0x20).astype(np.uint16) if len(ends) else np.zeros(0, np.uint16)
        second = (data[np.minimum(self.start + 1, last)] | 0x20) if len(ends) else np.zeros(0, np.uint8)
        pair = first << 8 | second
        self.order = np.argsort(pair, kind="stable")  # token numbers grouped by first two letters
        self.pairs = pair[self.order]
        self._cache: dict[bytes | None, pa.Array] = {}

    def get(self, name: str, where: np.ndarray | None = None) -> pa.Array:
        """The value of ``name`` per row; with ``where`` (a row mask), only for those rows."""
        key = name.lower().encode("ascii")
        cache_key = key if where is None else None
        if cache_key in self._cache:
            return self._cache[cache_key]
        width = len(key)
        second = key[1] if width > 1 else ord("=") | 0x20
        pair = key[0] << 8 | second
        hits = self.order[np.searchsorted(self.pairs, pair) : np.searchsorted(self.pairs, pair, side="right")]
        if where is not None:
            hits = hits[where[self.row[hits]]]
        hits = hits[self.length[hits] > width]
        hits = hits[self.data[self.start[hits] + width] == _EQ]
        if len(hits):  # the bucket matched two letters loosely (| 0x20): compare the whole name
            names = self.data[self.start[hits, None] + np.arange(width)]
            upper = (names >= ord("A")) & (names <= ord("Z"))
            hits = hits[(np.where(upper, names | 0x20, names) == np.frombuffer(key, dtype=np.uint8)).all(axis=1)]
        if len(hits):  # tokens are in row order: keep each row's first
            first_of_row = np.ones(len(hits), dtype=bool)
            first_of_row[1:] = self.row[hits[1:]] != self.row[hits[:-1]]
            hits = hits[first_of_row]
        value_start = self.start[hits] + width + 1
        value_end = self.start[hits] + self.length[hits]
        value_end -= self.data[value_end - 1] == _AMP  # the token's closing "&", if any
        starts = np.zeros(self.n, dtype=np.int64)
        ends = np.zeros(self.n, dtype=np.int64)
        rows = self.row[hits]
        starts[rows], ends[rows] = value_start, value_end
        valid = np.zeros(self.n, dtype=bool)
        valid[rows] = value_end > value_start  # an empty value is no value
        values = url_decode(gather(self.data, starts, ends, valid))
        if cache_key is not None:
            self._cache[cache_key] = values
        return values
