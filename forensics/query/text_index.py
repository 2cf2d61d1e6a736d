"""Per-column text indexes: free words and ``field:word`` tested on distinct values, not rows.

Why: a free word searches every text column. Scanning 5M Arrow strings per column and query
costs seconds; most columns hold a few thousand distinct values, and the one that does not
(``details``: a unique identifier in every row) is made of a few ``key=value`` parts. So, once
per column's data (cached weakly on the Arrow data or the categories, so a reload or a new
frame never reuses a stale entry):

- the distinct values and each row's code into them (categoricals: categories and codes);
- the distinct values lower-cased once (Unicode simple lower case, ``pyarrow.compute.utf8_lower``
  on both sides: the one definition of case-insensitive matching for every column);
- for columns whose distinct text is large, a token index: values split at ``"; "``, the
  distinct tokens, and per token a 192-bit signature of the bytes and byte pairs it holds.
  A word's token candidates are those whose signature covers the word's (an exact superset
  of the matches: a token holding the word holds all its bytes and pairs); only they are
  tested. A word holding ``;`` or a space could span two tokens: it is tested on whole values.

The answer per distinct value is then gathered by the rows' codes: no per-row Python.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: distinct text larger than this (bytes) gets the token + signature index
BIG_TEXT_BYTES = 8 * 2**20
#: parts of a value (``details``: ``identifier=...; application_id=...``)
SEPARATOR = "; "
#: more distinct values than this share of the rows: the column itself is the dictionary
IDENTITY_SHARE = 0.5
#: tokens per signature chunk (bounds the temporary arrays while building)
_CHUNK_TOKENS = 1 << 16

#: rows whose distinct count decides whether a column is mostly unique
_SAMPLE_ROWS = 100_000

_LOCK = threading.Lock()
#: per column being built: its lock (other columns are not held up)
_BUILDING: dict[int, threading.Lock] = {}
_CACHE: dict[int, tuple[weakref.ref, "ColumnText"]] = {}


def lower(needle: str) -> str:
    """The needle lower-cased exactly as the values are."""
    return str(pc.utf8_lower(pa.scalar(needle, pa.large_string())).as_py())


def _bool(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _match(values: pa.Array, needle: str) -> np.ndarray:
    """Per value: does it contain ``needle`` (a plain substring, nulls False)."""
    if len(values) == 0:
        return np.zeros(0, dtype=bool)
    return _bool(pc.match_substring(values, needle))


def _flat(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(int64 offsets, uint8 bytes) of a large_string array without nulls."""
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int64)[values.offset: values.offset + len(values) + 1]
    data_buffer = values.buffers()[2]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    return offsets, data


#: byte -> its bit (mod 64); pair hash (0..127) -> its bit in word 1 (hash < 64) or word 2
_BYTE_BIT = np.left_shift(np.uint64(1), (np.arange(256) & 63).astype(np.uint64))
_PAIR_LOW = np.where(np.arange(128) < 64, _BYTE_BIT[np.arange(128) & 63], 0).astype(np.uint64)
_PAIR_HIGH = np.where(np.arange(128) >= 64, _BYTE_BIT[np.arange(128) & 63], 0).astype(np.uint64)


def _pair_hash(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    return ((first.astype(np.uint16) * 31 + second) & 127).astype(np.uint8)


def signatures(values: pa.Array) -> np.ndarray:
    """(3, n) uint64: per value, the bits of its bytes (mod 64) and of its byte pairs (hashed
    to 128). Word-major, so a query scans three contiguous arrays."""
    values = values.cast(pa.large_string())
    n = len(values)
    sig = np.zeros((3, n), dtype=np.uint64)
    offsets, data = _flat(values)
    for t0 in range(0, n, _CHUNK_TOKENS):
        t1 = min(n, t0 + _CHUNK_TOKENS)
        b0, b1 = int(offsets[t0]), int(offsets[t1])
        if b1 == b0:
            continue
        chunk = data[b0:b1]
        starts = np.minimum(offsets[t0:t1] - b0, b1 - b0 - 1)
        sig[0, t0:t1] = np.bitwise_or.reduceat(_BYTE_BIT[chunk], starts)
        # a token's last byte pairs with the next token's first: an extra bit, never a missing one
        pairs = _pair_hash(chunk, data[b0 + 1: b1 + 1] if b1 < len(data) else np.append(chunk[1:], 0).astype(np.uint8))
        sig[1, t0:t1] = np.bitwise_or.reduceat(_PAIR_LOW[pairs], starts)
        sig[2, t0:t1] = np.bitwise_or.reduceat(_PAIR_HIGH[pairs], starts)
    empty = offsets[1:] == offsets[:-1]
    sig[:, empty] = 0
    return sig


def needle_signature(needle: str) -> np.ndarray:
    """The three words a value's signature must cover to possibly contain ``needle``."""
    data = np.frombuffer(needle.encode("utf-8"), dtype=np.uint8)
    q = np.zeros(3, dtype=np.uint64)
    if len(data) == 0:
        return q
    q[0] = np.bitwise_or.reduce(_BYTE_BIT[data])
    if len(data) > 1:
        pairs = _pair_hash(data[:-1], data[1:])
        q[1] = np.bitwise_or.reduce(_PAIR_LOW[pairs])
        q[2] = np.bitwise_or.reduce(_PAIR_HIGH[pairs])
    return q


@dataclass
class TokenIndex:
    """Distinct lower-cased parts of a column's distinct values, with signatures."""

    tokens: pa.Array  # distinct tokens, lower-cased
    sig: np.ndarray  # (3, len(tokens)) uint64
    token_of: np.ndarray  # per occurrence: token number
    value_of: np.ndarray  # per occurrence: value number
    single: bool  # every value is one token (no separator anywhere): any needle may use it

    @classmethod
    def build(cls, lowered: pa.Array) -> TokenIndex:
        parts = pc.split_pattern(lowered, SEPARATOR)
        flat = pc.list_flatten(parts)
        width = np.int32 if len(flat) < 2**31 else np.int64  # half the memory of int64 offsets
        value_of = np.asarray(pc.list_parent_indices(parts).to_numpy(zero_copy_only=False), dtype=width)
        encoded = pc.dictionary_encode(flat.cast(pa.large_string()))
        tokens = encoded.dictionary
        token_of = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=width)
        return cls(tokens, signatures(tokens), token_of, value_of, single=len(flat) == len(lowered))

    def usable(self, needle: str) -> bool:
        return self.single or not any(ch in needle for ch in SEPARATOR)

    def value_hits(self, needle: str, n_values: int) -> np.ndarray:
        """Per distinct value: does it contain the (lower-case) needle (``usable`` needles only)."""
        q = needle_signature(needle)
        # the word with most bits first (it excludes most), the others on its survivors only
        words = sorted((w for w in range(3) if q[w]), key=lambda w: -int(q[w]).bit_count())
        candidates = np.arange(len(self.tokens))
        for i, word in enumerate(words):
            column = self.sig[word] if i == 0 else self.sig[word][candidates]
            keep = (column & q[word]) == q[word]
            candidates = np.flatnonzero(keep) if i == 0 else candidates[keep]
        hits = np.zeros(n_values, dtype=bool)
        if len(candidates) == 0:
            return hits
        matched = candidates[_match(self.tokens.take(pa.array(candidates)), needle)]
        if len(matched) == 0:
            return hits
        token_hit = np.zeros(len(self.tokens), dtype=bool)
        token_hit[matched] = True
        hits[self.value_of[token_hit[self.token_of]]] = True
        return hits


class ColumnText:
    """One column's distinct values (as recorded and lower-cased) and the rows' codes."""

    def __init__(self, values: pa.Array, codes: np.ndarray | None) -> None:
        self.values = values.cast(pa.large_string())  # distinct values (or every row's value)
        self.codes = codes  # per row: value number, -1 missing; None = value i is row i
        self._lowered: pa.Array | None = None
        self._tokens: TokenIndex | None = None
        self._build = threading.Lock()

    @property
    def big(self) -> bool:
        return len(self.values) > 0 and int(_flat(self.values)[0][-1]) > BIG_TEXT_BYTES

    def lowered(self) -> pa.Array:
        if self._lowered is None:
            with self._build:
                if self._lowered is None:
                    self._lowered = pc.utf8_lower(self.values)
        return self._lowered

    def tokens(self) -> TokenIndex:
        if self._tokens is None:
            with self._build:
                if self._tokens is None:
                    lowered = self._lowered if self._lowered is not None else pc.utf8_lower(self.values)
                    self._tokens = TokenIndex.build(lowered)
                    if not self._tokens.single:
                        self._lowered = None  # tokens answer almost every word: don't keep both copies
        return self._tokens

    def prepare(self) -> None:
        """Build what case-insensitive words need (a worker calls this after a load)."""
        if self.big:
            self.tokens()
        else:
            self.lowered()

    def value_hits(self, needle: str, case: bool) -> np.ndarray:
        """Per distinct value: does it contain ``needle``."""
        if case:
            return _match(self.values, needle)
        needle = lower(needle)
        if self.big:
            index = self.tokens()
            if index.usable(needle):
                return index.value_hits(needle, len(self.values))
        lowered = self._lowered if self._lowered is not None else pc.utf8_lower(self.values)
        return _match(lowered, needle)

    def row_hits(self, needle: str, case: bool) -> np.ndarray | None:
        """Rows whose value contains ``needle``, or None when no row does (no allocation)."""
        hits = self.value_hits(needle, case)
        if not hits.any():
            return None
        if self.codes is None:
            return hits
        return np.append(hits, False)[self.codes]

    def row_mask(self, needle: str, case: bool) -> np.ndarray:
        rows = self.row_hits(needle, case)
        return rows if rows is not None else np.zeros(self.n_rows, dtype=bool)

    @property
    def n_rows(self) -> int:
        return len(self.values) if self.codes is None else len(self.codes)

    def row_mask_at(self, needle: str, case: bool, rows: np.ndarray) -> np.ndarray:
        """``row_mask`` at ``rows`` only: the distinct values those rows hold are tested (a
        dictionary no larger than ``rows`` is tested whole: cheaper than finding which)."""
        if self.codes is not None and len(self.values) <= len(rows):
            return np.append(self.value_hits(needle, case), False)[self.codes[rows]]
        if self.codes is None:  # the column is its own dictionary: the rows' values, as they are
            subset = self.values.take(pa.array(rows, pa.int64()))
            if case:
                return _match(subset, needle)
            source = self._lowered.take(pa.array(rows, pa.int64())) if self._lowered is not None else pc.utf8_lower(subset)
            return _match(source, lower(needle))
        ids = self.codes[rows]
        present = ids >= 0
        wanted, back = np.unique(ids[present], return_inverse=True)
        subset = self.values.take(pa.array(wanted, pa.int64()))
        if case:
            hits = _match(subset, needle)
        else:
            source = self._lowered.take(pa.array(wanted, pa.int64())) if self._lowered is not None else pc.utf8_lower(subset)
            hits = _match(source, lower(needle))
        out = np.zeros(len(rows), dtype=bool)
        out[present] = hits[back.reshape(-1)]
        return out


def _arrow_data(series: pd.Series) -> Any | None:
    array: Any = series.array
    if getattr(series.dtype, "storage", "") != "pyarrow" or not hasattr(array, "__arrow_array__"):
        return None
    return array.__arrow_array__()


def _cached(key_object: Any, make: Callable[[], ColumnText]) -> ColumnText:
    key = id(key_object)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0]() is key_object:
            return hit[1]
    with _LOCK:
        building = _BUILDING.setdefault(key, threading.Lock())
    with building:  # a query and the after-load worker wanting one column build it once
        with _LOCK:
            hit = _CACHE.get(key)
            if hit is not None and hit[0]() is key_object:
                return hit[1]
        column = make()
        _store(key, key_object, column)
    with _LOCK:
        _BUILDING.pop(key, None)
    return column


def _store(key: int, key_object: Any, column: ColumnText) -> None:
    try:
        ref = weakref.ref(key_object, lambda _r, key=key: _CACHE.pop(key, None))
    except TypeError:
        return
    with _LOCK:
        _CACHE[key] = (ref, column)


def _from_strings(data: pa.ChunkedArray | pa.Array, n: int) -> ColumnText:
    arrow = data.combine_chunks() if isinstance(data, pa.ChunkedArray) else data
    arrow = arrow.cast(pa.large_string())
    sample = arrow.slice(0, _SAMPLE_ROWS)
    if n and pc.count_distinct(sample).as_py() > IDENTITY_SHARE * len(sample):
        return ColumnText(arrow, None)  # mostly unique: a dictionary would copy the column
    encoded = pc.dictionary_encode(arrow)
    codes = np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False))
    return ColumnText(encoded.dictionary, codes.astype(np.int32 if len(encoded.dictionary) < 2**31 else np.int64))


def _category_text(categories: pd.Index) -> ColumnText:
    return ColumnText(pa.array(np.asarray(categories.astype(str), dtype=object), pa.large_string()), None)


def column_text(series: pd.Series) -> ColumnText:
    """The (cached) text index of a categorical, string or object column."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.cat.categories
        base = _cached(categories, lambda: _category_text(categories))
        return _CategoryView(base, series.cat.codes.to_numpy())  # native width: no copy
    data = _arrow_data(series)
    if data is None:
        strings = series.astype("string[pyarrow]")
        return _from_strings(pa.array(strings.array), len(series))
    return _cached(data, lambda: _from_strings(data, len(series)))


class _CategoryView(ColumnText):
    """A categorical series' codes over the cached text of its categories."""

    def __init__(self, base: ColumnText, codes: np.ndarray) -> None:  # noqa: D107 - shares state
        self._base_column = base
        self.values = base.values
        self.codes = codes

    @property
    def _lowered(self) -> pa.Array | None:  # type: ignore[override]
        return self._base_column._lowered

    @property
    def _tokens(self) -> TokenIndex | None:  # type: ignore[override]
        return self._base_column._tokens

    def lowered(self) -> pa.Array:
        return self._base_column.lowered()

    def tokens(self) -> TokenIndex:
        return self._base_column.tokens()


def prepare(frame: pd.DataFrame, is_text: Callable[[pd.Series], bool], cancel: Callable[[], bool] | None = None) -> None:
    """Build every text column's index now (a worker thread after a load) so the first
    free word does not pay for it."""
    for name in frame.columns:
        if cancel is not None and cancel():
            return
        series = frame[name]
        if is_text(series):
            column_text(series).prepare()
