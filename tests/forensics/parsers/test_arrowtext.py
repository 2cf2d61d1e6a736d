"""Column tools shared by the log parsers: per-distinct-value work, assembly, one-frame concat."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from forensics import schema
from forensics.parsers.arrowtext import Scatter, Uniq, complete_columns, concat_frames, join


def test_uniq_decodes_each_distinct_value_once() -> None:
    calls = []

    def upper(text: str) -> str:
        calls.append(text)
        return text.upper()

    u = Uniq.encode(pa.chunked_array([["a", "b", None], ["a", ""]]), upper)
    assert u.rows().to_pylist() == ["A", "B", None, "A", None]
    assert sorted(calls) == ["", "a", "b"] and u.notna().tolist() == [True, True, False, True, False]


def test_scatter_later_parts_win_and_join_skips_missing() -> None:
    s = Scatter(4)
    s.set(np.array([True, True, False, False]), "x")
    s.set(np.array([False, True, True, False]), pa.array(["y", "z"]))
    assert s.build().to_pylist() == ["x", "y", "z", None]
    joined = join([pa.array(["a", None, "", None]), pa.array(["b", "c", None, None])], "; ")
    assert joined.to_pylist() == ["a; b", "c", None, None]


def test_concat_frames_merges_categories_and_keeps_missing() -> None:
    one = pd.DataFrame({"c": pd.Categorical(["x", None, "y"]), "s": pd.array(["1", None, "3"], dtype="string")})
    two = pd.DataFrame({"c": pd.Categorical(["z", "x"]), "s": pd.array(["4", "5"], dtype="string")})
    empty = pd.DataFrame({"c": pd.Categorical.from_codes([-1], categories=pd.Index([], dtype="string")),
                          "s": pd.array([None], dtype="string")})
    out = concat_frames([one, two, empty])
    assert out["c"].astype(object).where(out["c"].notna(), None).tolist() == ["x", None, "y", "z", "x", None]
    assert out["s"].tolist()[:2] == ["1", pd.NA] and len(out) == 6


def test_complete_columns_make_conform_a_no_op() -> None:
    frame = complete_columns(pd.DataFrame({"time": pd.Series(pd.to_datetime(["2024-03-05"], utc=True))}), "iis")
    assert schema.validate(schema.conform(frame)) == []
    assert frame["source_format"].tolist() == ["iis"] and frame["event_id"].isna().all()
