"""URL decoding and query parameters, column-wise, against Python's own ``unquote_plus``."""

from __future__ import annotations

from urllib.parse import unquote_plus

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.parsers.w3c.urlquery import QueryParams, url_decode

PIECES = ["%", "+", "a", "B", "%4", "%41", "%2f", "%2F", "%C3", "%A9", "%FF", "%zz", "é", "=", "%%", "%E2%82%AC", "&"]
texts = st.lists(st.sampled_from(PIECES), max_size=10).map("".join)


def python_param(query: str | None, name: str) -> str | None:
    """The reference: first ``name=`` token, ASCII case aside, decoded; empty = missing."""
    if query is None:
        return None
    for token in query.split("&"):
        key, eq, value = token.partition("=")
        if eq and key.lower() == name.lower():
            return unquote_plus(value, errors="replace") or None
    return None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), texts), max_size=30), st.integers(0, 3))
def test_url_decode_is_unquote_plus(values: list[str | None], cut: int) -> None:
    array = pa.array(values, pa.string()).slice(min(cut, len(values)))
    expected = [None if v is None else unquote_plus(v, errors="replace") for v in values[min(cut, len(values)):]]
    assert url_decode(array).to_pylist() == expected


def test_query_params_first_value_case_insensitive_decoded() -> None:
    q = QueryParams(pa.array(["User=a%40b&cmd=Sync&Cmd=x", "user=c+d", None, "noequals&DeviceId=7", "Users=z",
                              "User=&User=late", "x=1&", "&&User=e&"]))
    assert q.get("User").to_pylist() == ["a@b", "c d", None, None, None, None, None, "e"]
    assert q.get("Cmd").to_pylist() == ["Sync", None, None, None, None, None, None, None]
    assert q.get("DeviceId").to_pylist() == [None, None, None, "7", None, None, None, None]
    assert q.get("x").to_pylist() == [None] * 6 + ["1", None]


def test_where_limits_the_rows_looked_at() -> None:
    q = QueryParams(pa.array(["id=1", "id=2", "id=3"]))
    assert q.get("id", np.array([True, False, True])).to_pylist() == ["1", None, "3"]
    assert q.get("id").to_pylist() == ["1", "2", "3"]


NAMES = ["User", "Cmd", "id", "t", "ae", "MailboxId", "Log"]
tokens = st.one_of(
    st.builds(lambda n, v: f"{n}={v}", st.sampled_from(NAMES + [n.upper() for n in NAMES] + ["Users", "x"]), texts),
    st.sampled_from(NAMES + ["", "=", "=x"]),
    texts,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.lists(tokens, max_size=6).map("&".join)), max_size=25), st.integers(0, 2))
def test_query_params_match_the_reference(queries: list[str | None], cut: int) -> None:
    array = pa.array(queries, pa.string()).slice(min(cut, len(queries)))
    params = QueryParams(array)
    for name in NAMES:
        assert params.get(name).to_pylist() == [python_param(q, name) for q in array.to_pylist()], name
