"""Property: a random query equals a plain pandas reference expression built independently.

Hypothesis draws a random table and a random query *structure*; the structure is rendered
to query text (through ``quote``) and, separately, to a mask with ordinary pandas
expressions. The compiled query must give the same mask.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics.query import compile_query, quote
from forensics.schema import conform

MAILBOXES = ["ceo@contoso.com", "CFO@contoso.com", "hr", "Pat Assistant", 'odd "q" box']
ACTORS = ["ceo", "CONTOSO\\admin1", "pat assistant", "mallory", "hr"]
LOGONS = ["Owner", "Delegate", "Admin", "Unknown"]
FOLDERS = ["/Inbox", "/Sent Items", "/Inbox/Legal", "/Calendar"]
TEXT_COLUMNS = ["mailbox", "actor", "logon_type", "folder"]
BASE = pd.Timestamp("2024-03-01T00:00Z")

row = st.fixed_dictionaries(
    {
        "mailbox": st.one_of(st.none(), st.sampled_from(MAILBOXES)),
        "actor": st.one_of(st.none(), st.sampled_from(ACTORS)),
        "logon_type": st.one_of(st.none(), st.sampled_from(LOGONS)),
        "folder": st.one_of(st.none(), st.sampled_from(FOLDERS)),
        "hours": st.integers(0, 24 * 10),
    }
)


def make_frame(rows: list[dict]) -> pd.DataFrame:
    records = [
        {**{k: v for k, v in r.items() if k != "hours"}, "time": BASE + pd.Timedelta(hours=r["hours"])}
        for r in rows
    ]
    frame = conform(records) if records else conform([])
    return frame[["time", *TEXT_COLUMNS]]


def _obj(frame: pd.DataFrame, col: str) -> pd.Series:
    return frame[col].astype(object).where(frame[col].notna(), None)


def ref_contains(frame: pd.DataFrame, col: str, value: str) -> np.ndarray:
    return np.array([v is not None and value.lower() in v.lower() for v in _obj(frame, col)], dtype=bool)


def ref_exact(frame: pd.DataFrame, col: str, value: str) -> np.ndarray:
    return np.array([v == value for v in _obj(frame, col)], dtype=bool)


needles = st.one_of(
    st.sampled_from(MAILBOXES + ACTORS + FOLDERS + ["in", "o", "CONTOSO", "q\"", "box"]),
    st.text(alphabet='abcoe" \\/@', min_size=1, max_size=4),
)


@st.composite
def leaf(draw):
    kind = draw(st.sampled_from(["field", "exact", "free", "nonowner", "after", "before"]))
    if kind == "field":
        col, value = draw(st.sampled_from(TEXT_COLUMNS)), draw(needles)
        return f"{col}:{quote(value)}", lambda f, c=col, v=value: ref_contains(f, c, v)
    if kind == "exact":
        col = draw(st.sampled_from(TEXT_COLUMNS))
        value = draw(st.sampled_from(MAILBOXES + ACTORS + LOGONS + FOLDERS))
        return f"{col}:={quote(value)}", lambda f, c=col, v=value: ref_exact(f, c, v)
    if kind == "free":
        value = draw(needles)
        text = quote(value)
        if text in ("OR", "AND", "NOT"):
            text = f'"{text}"'
        return text, lambda f, v=value: np.logical_or.reduce(
            [ref_contains(f, c, v) for c in TEXT_COLUMNS] + [np.zeros(len(f), bool)]
        )
    if kind == "nonowner":
        return "is:nonowner", lambda f: np.array([v != "Owner" for v in _obj(f, "logon_type")], dtype=bool)
    hours = draw(st.integers(0, 24 * 10))
    stamp = BASE + pd.Timedelta(hours=hours)
    text = stamp.strftime("%Y-%m-%d %H:%M")
    if kind == "after":
        return f'after:"{text}"', lambda f, s=stamp: (f["time"] >= s).to_numpy(bool)
    return f'before:"{text}"', lambda f, s=stamp: (f["time"] < s).to_numpy(bool)


def combine(children):

    return st.one_of(
        st.tuples(children, children).map(
            lambda ab: (f"{ab[0][0]} {ab[1][0]}", lambda f, a=ab[0][1], b=ab[1][1]: a(f) & b(f))
        ),
        st.tuples(children, children).map(
            lambda ab: (f"({ab[0][0]} OR {ab[1][0]})", lambda f, a=ab[0][1], b=ab[1][1]: a(f) | b(f))
        ),
        children.map(lambda a: (f"-({a[0]})", lambda f, r=a[1]: ~r(f))),
        children.map(lambda a: (f"NOT ({a[0]})", lambda f, r=a[1]: ~r(f))),
    )


queries = st.recursive(leaf(), combine, max_leaves=6)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, max_size=30), query=queries)
def test_query_equals_pandas_reference(rows: list[dict], query) -> None:
    text, reference = query
    frame = make_frame(rows)
    got = compile_query(text, tz="UTC").mask(frame)
    np.testing.assert_array_equal(got, reference(frame), err_msg=text)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(row, min_size=1, max_size=30), query=queries)
def test_negation_is_complement(rows: list[dict], query) -> None:
    frame = make_frame(rows)
    text = query[0]
    mask = compile_query(text).mask(frame)
    np.testing.assert_array_equal(compile_query(f"-({text})").mask(frame), ~mask)
