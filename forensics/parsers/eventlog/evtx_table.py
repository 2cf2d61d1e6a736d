"""One ``.evtx`` batch's mapped pieces -> an Arrow table of every schema column.

Split from ``evtx_parser``: the parser maps records into pieces (row numbers + fields);
this module lays those pieces out as plain Arrow columns in record order, without
per-row Python except for pieces a slow-path handler produced as lists.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from forensics.evtx.classify import parse_bool
from forensics.schema import COLUMNS, STRING_DTYPE

#: Arrow types of the schema's non-text dtypes (columns no mapped piece provides are all-null)
_ARROW_TYPES = {"boolean": pa.bool_(), "Int32": pa.int32(), "Int64": pa.int64()}
#: columns ``batch_table`` fills from the records themselves, not from the mapped fields
_NATIVE = frozenset({"provider", "event_id", "time", "record_id", "server", "raw_ref", "time_basis", "source_format"})


def as_arrow(values: Any, name: str, n: int) -> pa.Array:
    """A piece's column as an Arrow array of the column's plain type."""
    if values is None:
        values = [None] * n
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        if pa.types.is_dictionary(values.type):
            values = values.cast(values.type.value_type)
        return values
    if name == "admin_rights":
        return pa.array([v if v is None or isinstance(v, bool) else parse_bool(str(v)) for v in values], pa.bool_())
    if name in ("event_id", "record_id", "raw_ref"):
        return pa.array([None if v is None else int(v) for v in values], pa.int64())
    if name == "time":
        return pa.array(pd.to_datetime(pd.Series(values), utc=True, errors="coerce"), pa.timestamp("ns", tz="UTC"))
    return pa.array([None if v is None else str(v) for v in values], pa.string())


def string_category(values: pa.Array) -> pd.Categorical:
    """String array -> a Categorical exactly as ``schema.conform`` makes it ("" = not recorded)."""
    values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
    encoded = pc.dictionary_encode(values)
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int32)
    categories = pd.Index(pd.array(encoded.dictionary.to_pylist(), dtype=STRING_DTYPE))
    return pd.Categorical.from_codes(codes, categories=categories)


def batch_table(
    pieces: list[tuple[np.ndarray, dict[str, Any]]],
    system: dict[str, pa.Array],
    chunk: np.ndarray,
    providers: list[str],
    provider_codes: np.ndarray,
    events: np.ndarray,
) -> pa.Table:
    """One batch's rows, every schema column as a plain Arrow array, rows in record order
    (``evtx_parser._to_frame`` makes the typed frame, once for many batches)."""
    rows = np.concatenate([piece_rows for piece_rows, _ in pieces])
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    take_rows = pa.array(rows)
    n = len(rows)
    out: dict[str, pa.Array] = {}
    for name, dtype in COLUMNS.items():
        if name in _NATIVE:
            continue
        if not any(name in fields for _, fields in pieces):
            out[name] = pa.nulls(n, _ARROW_TYPES.get(str(dtype), pa.string()))
            continue
        arrays = [as_arrow(fields.get(name), name, len(piece_rows)) for piece_rows, fields in pieces]
        target = arrays[0].type if all(a.type == arrays[0].type for a in arrays) else None
        if target is None:
            arrays = [a.cast(pa.string()) for a in arrays]
        column = pa.concat_arrays(arrays).take(pa.array(order))
        out[name] = column.cast(pa.string()) if dtype == "category" or dtype is STRING_DTYPE else column
    out["provider"] = pa.array(providers, pa.string()).take(pa.array(provider_codes[rows]))
    out["event_id"] = pa.array(events[rows], pa.int32())
    out["time"] = system["time"].take(take_rows)
    out["record_id"] = system["record_id"].take(take_rows).cast(pa.int64())
    out["server"] = system["computer"].take(take_rows).cast(pa.string())
    out["raw_ref"] = pa.array(chunk[rows], pa.int64())
    return pa.table({name: out[name] for name in COLUMNS if name in out})
