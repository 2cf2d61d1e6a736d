"""The text index answers free words and ``field:word`` exactly as a per-row scan does.

The reference below is the straightforward evaluation: for every row and text column, Python
``word.lower() in value.lower()`` (or ``word in value`` when case-sensitive). Frames are
random, with the shapes that pick each index path: categoricals, short and long Arrow string
columns, object columns, nulls, a mostly-unique column (the column is its own dictionary) and
``details``-like values made of ``key=value; key=value`` parts (the token + signature index,
forced on small frames by lowering its size threshold). The alphabet holds the separator
characters, so words that span two parts are generated too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from forensics.query import compile_query, text_index
from forensics.query.evaluate import is_text

# letters whose Python lower case is Arrow's (utf8proc simple mapping): Ä/é/Ω included;
# characters whose full mapping differs (İ, ß's upper case) are outside the definition
ALPHABET = "abAB1=-; Äé_Ω"
value = st.one_of(st.none(), st.text(ALPHABET, max_size=12))
word = st.text(ALPHABET.replace(" ", ""), min_size=1, max_size=4)


def _reference(frame: pd.DataFrame, words: list[str], case: bool) -> np.ndarray:
    out = np.ones(len(frame), dtype=bool)
    for w in words:
        hit = np.zeros(len(frame), dtype=bool)
        for name in frame.columns:
            if not is_text(frame[name]):
                continue
            for i, v in enumerate(frame[name].astype(object).tolist()):
                if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                    continue
                v = str(v)
                if (w in v) if case else (w.lower() in v.lower()):
                    hit[i] = True
        out &= hit
    return out


def _quote(w: str) -> str:
    return '"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"'


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    col = st.lists(value, min_size=n, max_size=n)
    details = st.lists(
        st.one_of(st.none(), st.lists(st.text(ALPHABET, max_size=6), min_size=1, max_size=3).map("; ".join)),
        min_size=n, max_size=n,
    )
    return pd.DataFrame({
        "operation": pd.Categorical(draw(col)),
        "item": pd.array(draw(col), dtype=pd.StringDtype("pyarrow")),
        "folder": pd.Series(draw(col), dtype=object),
        "details": pd.array(draw(details), dtype=pd.StringDtype("pyarrow")),
        "unique": pd.array([f"id{i}-{v}" for i, v in enumerate(draw(col))], dtype=pd.StringDtype("pyarrow")),
        "record_id": pd.array(range(n), dtype="Int64"),
    })


@pytest.fixture(autouse=True)
def _small_big_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give small frames the token + signature index the 5M-row ``details`` gets."""
    monkeypatch.setattr(text_index, "BIG_TEXT_BYTES", 16)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=frames(), words=st.lists(word, min_size=1, max_size=3), case=st.booleans())
def test_free_words_match_the_per_row_scan(frame: pd.DataFrame, words: list[str], case: bool) -> None:
    for w in words:
        assume(w.lower() == pc.utf8_lower(pa.scalar(w)).as_py())
    query = compile_query(" ".join(_quote(w) for w in words), case_sensitive=case)
    np.testing.assert_array_equal(query.mask(frame), _reference(frame, words, case))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=frames(), needle=word, column=st.sampled_from(["operation", "item", "folder", "details"]))
def test_field_word_matches_the_per_row_scan(frame: pd.DataFrame, needle: str, column: str) -> None:
    mask = compile_query(f"{column}:{_quote(needle)}").mask(frame)
    np.testing.assert_array_equal(mask, _reference(frame[[column]], [needle], case=False))


def test_later_words_tested_only_where_earlier_ones_matched_stay_exact() -> None:
    """The narrowed path (second word at the first word's few rows) on a frame large enough
    to take it, against the reference on the same rows."""
    rng = np.random.default_rng(5)
    n = 4000
    guids = [f"identifier={rng.integers(0, 16**8):08x}-{i:04x}; application_id=MSExchangeRPC" for i in range(n)]
    items = np.array(["Quarterly figures #1", "Budget 2024", "RE: quarterly", None], dtype=object)
    frame = pd.DataFrame({
        "item": pd.array(items[rng.integers(0, 4, n)], dtype=pd.StringDtype("pyarrow")),
        "details": pd.array(guids, dtype=pd.StringDtype("pyarrow")),
    })
    for words in (["budget", "rpc"], ["quarterly", "a1"], ["rpc", "quarterly", "ff"], ["figures", "; app"]):
        query = compile_query(" ".join(_quote(w) for w in words))
        np.testing.assert_array_equal(query.mask(frame), _reference(frame, words, False), err_msg=str(words))


def test_index_is_built_once_per_column_data_and_dropped_with_it() -> None:
    frame = pd.DataFrame({"details": pd.array([f"k={i}; app=x" for i in range(300)], dtype=pd.StringDtype("pyarrow"))})
    text_index.prepare(frame, is_text)
    first = text_index.column_text(frame["details"])
    assert first.codes is None  # mostly unique: the column is its own dictionary, not copied
    assert first._tokens is not None and not first._tokens.single
    assert text_index.column_text(frame["details"]) is first
    # a reload builds new Arrow data: a new entry (the old one dies with its data)
    reloaded = pd.DataFrame({"details": pd.array([f"k={i}; app=x" for i in range(300)], dtype=pd.StringDtype("pyarrow"))})
    assert text_index.column_text(reloaded["details"]) is not first
    key = id(text_index._arrow_data(frame["details"]))
    del frame, first
    import gc

    gc.collect()
    assert key not in text_index._CACHE


def test_signature_never_excludes_a_value_that_holds_the_word() -> None:
    values = pa.array(["identifier=9d86c73b-7c20", "", "Ωé; x", "application_id=msexchangerpc"], pa.large_string())
    sig = text_index.signatures(values)
    for i, v in enumerate(values.to_pylist()):
        for start in range(len(v)):
            for end in range(start + 1, len(v) + 1):
                q = text_index.needle_signature(v[start:end])
                assert ((sig[:, i] & q) == q).all(), (v, v[start:end])


def test_a_superseded_free_text_search_stops_between_columns() -> None:
    from forensics.query import Superseded

    frame = pd.DataFrame({"item": pd.array(["a", "b"], dtype=pd.StringDtype("pyarrow")),
                          "folder": pd.array(["/x", "/y"], dtype=pd.StringDtype("pyarrow"))})
    polls: list[int] = []

    def cancel() -> bool:
        polls.append(1)
        return len(polls) > 1  # wanted for the first column only

    with pytest.raises(Superseded):
        compile_query("a").mask(frame, cancel=cancel)
    assert len(polls) == 2
    np.testing.assert_array_equal(compile_query("a").mask(frame, cancel=lambda: False), [True, False])
