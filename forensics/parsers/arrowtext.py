"""Column-wise text tools on Arrow arrays for log parsers (IIS, UAL).

Why: web logs hold millions of lines but few *distinct* paths, user names and user agents.
``Uniq`` dictionary-encodes such a column once, so URL decoding, lower-casing and pattern
tests run on the distinct values (Python is allowed there) and reach every row through
an integer index. High-cardinality text (query strings) is split at the byte level
(``urlquery``). No Python loop over rows.
"""

from __future__ import annotations

from collections.abc import Callable
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

S = pa.string()


def as_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


class Uniq:
    """A text column as (distinct values, per-row index; -1 = missing)."""

    def __init__(self, values: pa.Array, index: np.ndarray) -> None:
        self.values = values
        self.index = index

    @classmethod
    def encode(cls, column: pa.Array | pa.ChunkedArray, transform: Callable[[str], str] | None = None) -> "Uniq":
        if pa.types.is_null(column.type):
            column = column.cast(S)
        encoded = pc.dictionary_encode(column, null_encoding="mask")
        if isinstance(encoded, pa.ChunkedArray):  # no copy of the text: unify, join indices
            encoded = encoded.unify_dictionaries()
            if encoded.num_chunks == 0:
                return cls(pa.array([], S), np.zeros(0, dtype=np.int64))
            values = encoded.chunk(0).dictionary
            index = np.concatenate(
                [pc.fill_null(c.indices, -1).to_numpy().astype(np.int64) for c in encoded.chunks]
            )
        else:
            values = encoded.dictionary
            index = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64)
        if transform is not None and len(values):
            values = pa.array([transform(v) for v in values.to_pylist()], S)
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, S), values) if len(values) else values
        return cls(values, index)

    def mask(self, test: Callable[[pa.Array], pa.Array]) -> np.ndarray:
        """Row mask from a boolean Arrow kernel run on the distinct values (NA → False)."""
        if not len(self.values):
            return np.zeros(len(self.index), dtype=bool)
        per_value = pc.fill_null(test(self.values), False).to_numpy(zero_copy_only=False)
        return np.append(per_value, False)[self.index]

    def derive(self, func: Callable[[pa.Array], pa.Array]) -> "Uniq":
        """A new column computed on the distinct values (e.g. a regex extraction)."""
        return Uniq(func(self.values) if len(self.values) else self.values, self.index)

    def rows(self, mask: np.ndarray | None = None) -> pa.Array:
        """Materialize the text of every row (or of the rows in ``mask``)."""
        index = self.index if mask is None else self.index[mask]
        return self.values.take(pa.array(index, mask=index < 0))

    def notna(self) -> np.ndarray:
        valid = np.append(pc.is_valid(self.values).to_numpy(zero_copy_only=False), False) if len(self.values) else np.array([False])
        return valid[self.index]

    def dictionary(self, mask: np.ndarray | None = None) -> pa.DictionaryArray:
        """The rows (or the rows in ``mask``) as a dictionary array over the distinct values,
        without materializing the text (values may repeat: decoding can merge two)."""
        if self.values.null_count:  # Arrow cannot merge dictionaries holding a null: encode anew
            return pc.dictionary_encode(self.rows(mask))
        index = self.index if mask is None else self.index[mask]
        values = self.values if len(self.values) else pa.array([], S)
        return pa.DictionaryArray.from_arrays(pa.array(index, pa.int32(), mask=index < 0), values)

    def categorical(self) -> pd.Categorical:
        return categorical_from(self.values, self.index)


def categorical_from(values: pa.Array, index: np.ndarray) -> pd.Categorical:
    """pandas categorical from distinct values + per-row index, merging duplicate values."""
    codes_of_value, categories = pd.factorize(pd.array(values.to_pylist(), dtype="string"), use_na_sentinel=True)
    lookup = np.append(codes_of_value, -1)
    return pd.Categorical.from_codes(lookup[index], categories=pd.Index(categories, dtype="string"))


def extract(values: pa.Array, pattern: str) -> pa.Array:
    """First named group of ``pattern`` (RE2) per value; null where it does not match or is empty."""
    if not len(values):
        return pa.array([], S)
    found = pc.struct_field(pc.extract_regex(values, pattern), [0])
    return pc.if_else(pc.equal(found, ""), pa.scalar(None, S), found)


class Scatter:
    """Assemble one output column from per-row-subset parts; later parts win.

    Each ``set`` gives a row mask and either a scalar, an array as long as the mask's true
    count, or a full-length array. ``build`` does a single ``take``.
    """

    def __init__(self, n: int, type_: pa.DataType = S) -> None:
        self.n = n
        self.type = type_
        self.source = np.full(n, -1, dtype=np.int64)
        self.pool: list[pa.Array] = []
        self.size = 0

    def set(self, mask: np.ndarray, values: object) -> None:
        rows = np.flatnonzero(mask)
        if not len(rows):
            return
        if isinstance(values, (pa.Array, pa.ChunkedArray)):
            values = as_array(values).cast(self.type)
            if len(values) == self.n and len(rows) != self.n:
                values = values.take(pa.array(rows))
            self.source[rows] = self.size + np.arange(len(rows))
            self.pool.append(values)
            self.size += len(values)
        elif isinstance(values, Uniq):
            self.set(mask, values.rows(mask))
        else:
            self.source[rows] = self.size
            self.pool.append(pa.array([values], self.type))
            self.size += 1

    def set_where_valid(self, mask: np.ndarray, values: Uniq) -> None:
        """Like ``set``, but rows whose value is missing keep what they had."""
        self.set(mask & values.notna(), values)

    def build(self) -> pa.Array:
        if not self.pool:
            return pa.nulls(self.n, self.type)
        pool = pa.concat_arrays(self.pool)
        return pool.take(pa.array(self.source, mask=self.source < 0))



def to_categorical(values: pa.Array | pa.ChunkedArray) -> pd.Categorical:
    return Uniq.encode(values).categorical()


def to_string_series(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    return pd.Series(pd.array(values, dtype=pd.StringDtype("pyarrow")))


def join(parts: list[pa.Array], sep: str) -> pa.Array:
    """Element-wise join of text columns, skipping nulls and empties (null when all are).

    (Not ``binary_join_element_wise(null_handling="skip")``: in the pyarrow we ship (26) it drops the
    rows whose parts are all null, misaligning the column.)
    """
    none = pa.scalar(None, S)
    out: pa.Array | None = None
    for part in parts:
        part = part.cast(S)
        if pc.any(pc.equal(part, "")).as_py():
            part = pc.if_else(pc.equal(part, ""), none, part)
        if out is None:
            out = part
            continue
        both = pc.binary_join_element_wise(out, part, sep)
        out = pc.coalesce(both, out, part)
    if out is None:
        raise ValueError("join() needs at least one column")
    return out


def complete_columns(frame: pd.DataFrame, source_format: str) -> pd.DataFrame:
    """Add every schema column ``frame`` lacks as an all-missing column of its final dtype
    (and ``source_format``), so ``schema.conform`` has nothing left to convert row by row."""
    from forensics.schema import COLUMNS  # schema imports nothing of ours

    n = len(frame)
    frame["source_format"] = pd.Categorical.from_codes(
        np.zeros(n, dtype=np.int8), categories=pd.Index([source_format], dtype="string")
    )
    for name, dtype in COLUMNS.items():
        if name not in frame.columns:
            frame[name] = missing_column(dtype, n)
    return frame


def missing_column(dtype: object, n: int) -> object:
    """An all-missing column of a schema dtype, built from buffers (n Nones would be slow)."""
    from forensics.schema import STRING_DTYPE, TIME_DTYPE

    if dtype == "category":
        return pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8), categories=pd.Index([], dtype="string"))
    if dtype == "boolean":
        return pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    if dtype in ("Int32", "Int64"):
        return pd.arrays.IntegerArray(np.zeros(n, dtype=str(dtype).lower()), np.ones(n, dtype=bool))
    if dtype is STRING_DTYPE:
        return pd.array(pa.nulls(n, S), dtype=STRING_DTYPE)
    if dtype is TIME_DTYPE:
        return pd.Series(pd.NaT, index=pd.RangeIndex(n), dtype=TIME_DTYPE).array
    return pd.array([None] * n, dtype=dtype)


def concat_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate frames with the same columns into one, categoricals recoded once.

    Why not ``pd.concat``/``schema.concat``: those copy every batch and re-map each
    categorical per batch; here each categorical's distinct values are merged (few) and
    only integer codes are concatenated, so a parser can hand ingest one frame per file.
    """
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    out: dict[str, object] = {}
    for column in frames[0].columns:
        parts = [f[column] for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            values = pd.unique(np.concatenate([p.cat.categories.to_numpy(dtype=object) for p in parts]))
            categories = pd.Index(values, dtype="string")
            codes = []
            for p in parts:
                own = p.cat.codes.to_numpy().astype(np.int64)
                remap = categories.get_indexer(p.cat.categories.astype("string"))
                codes.append(np.where(own >= 0, remap[np.maximum(own, 0)] if len(remap) else -1, -1))
            out[column] = pd.Categorical.from_codes(np.concatenate(codes), categories=categories)
        else:
            out[column] = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(out)
