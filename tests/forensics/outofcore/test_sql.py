"""The query language compiled to SQL selects exactly the rows the pandas evaluator selects.

Every node type (``forensics.query.nodes``) is covered, with nulls, case, empty strings,
unicode, sub-microsecond times, pre-1970 times and daylight-saving changes (conftest), in
four display zones; hypothesis then combines terms into random trees.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics.errors import QueryError
from forensics.outofcore.engine import OutOfCoreEngine
from forensics.outofcore.filter import condition, count, row_ids
from forensics.query import compile_query
from forensics.query.nodes import Node

from .conftest import reference

ZONES = ("UTC", "Europe/Berlin", "+05:30", "America/New_York")

QUERIES = [
    "",  # All
    "ceo", "CEO", "pat", "\"quarterly results\"", "straße", "ünï", "é",  # Free
    "mailbox:ceo", "mailbox:=ceo@contoso.com", "mailbox:=CEO@Contoso.com", 'mailbox:=""', "-mailbox:ceo",
    "mbx:contoso", "user:pat", "actor:=Pat", "actor:>M", "actor:<=ceo", "mailbox:>=c",  # Term on text
    "event_id:10102", "event_id:>=10100", "event_id:<10102", "id:4624", "-event_id:10100", "event_id:nan",
    "admin_rights:true", "admin_rights:no", "-admin_rights:true",  # Term on bool
    "time:2024-03-31", "time:>=2024-03-31", "time:<\"2024-03-31 03:00\"", "time:=\"2024-03-31 01:00:00Z\"",
    "time:>\"2024-03-31 00:59:59.9999999Z\"", "time:=2024-11-03",  # Term on time
    "after:2024-03-31", "before:2024-03-10", "on:2024-10-27", "on:2024-03-10", "after:\"2024-03-05 09:00+01:00\"",
    "before:1970-01-01", "after:\"2024-03-31 02:30\"",  # TimeBound (02:30 does not exist in Berlin)
    "hour:0", "hour:>=18", "hour:<3", "hour:23", "weekday:sun", "weekday:<=5", "weekday:7", "weekday:wed",  # Clock
    "has:client_app", "missing:mailbox", "missing:item", "has:event_id", "has:time",  # Presence
    "is:nonowner", "is:owner", "is:admin", "is:change", "is:probe", "is:expected", "is:failure", "is:success",
    "-is:probe", "is:nonowner -is:probe", "is:nonowner -is:change -is:probe -operation:=Event",  # Shorthand
    "mailbox:ceo OR actor:pat", "(mailbox:ceo OR is:admin) -is:owner", "NOT (is:owner OR missing:time)",
    "ceo pat", "contoso AND NOT ceo", "-(hour:<12 weekday:<=5)", "operation:bind is:nonowner after:2024-03-01",
]


def _pandas(frame, ids, text: str, tz: str) -> list[int]:
    return sorted(ids[compile_query(text, tz).mask(frame)].tolist())


@pytest.mark.parametrize("tz", ZONES)
def test_every_query_selects_the_same_rows_in_both_engines(tricky: OutOfCoreEngine, tz: str) -> None:
    frame, ids = reference(tricky)
    assert len(frame) == tricky.count() == 32
    for text in QUERIES:
        expected = _pandas(frame, ids, text, tz)
        assert row_ids(tricky, text, tz) == expected, (text, tz)
        assert count(tricky, text, tz) == len(expected), (text, tz)
    # the queries are not vacuous: most select some rows and not all
    sizes = {len(_pandas(frame, ids, q, "UTC")) for q in QUERIES}
    assert len(sizes) > 10


def test_case_sensitive_queries_agree(tricky: OutOfCoreEngine) -> None:
    frame, ids = reference(tricky)
    for text in ("CEO", "ceo", "mailbox:Contoso", "Quarterly"):
        query = compile_query(text, "UTC", case_sensitive=True)
        assert row_ids(tricky, query) == sorted(ids[query.mask(frame)].tolist()), text


def test_values_are_parameters_never_sql_text(tricky: OutOfCoreEngine) -> None:
    hostile = "x') OR TRUE OR ('"
    compiled = condition(tricky, f'mailbox:"{hostile}"')
    assert hostile not in compiled.sql and hostile.lower() in compiled.params
    assert count(tricky, f'mailbox:"{hostile}"') == 0


@pytest.mark.parametrize("text, message", [
    ("nosuch:x", "unknown field 'nosuch'"), ("event_id:abc", "expects a number"), ("hour:25", "hour: takes 0-23"),
    ("weekday:funday", "weekday: takes"), ("admin_rights:maybe", "true or false"), ("after:notadate", "not a date"),
    ("mailbox:\"\"", "empty value"),
])
def test_errors_are_the_pandas_errors(tricky: OutOfCoreEngine, text: str, message: str) -> None:
    frame, _ = reference(tricky)
    with pytest.raises(QueryError, match=message):
        compile_query(text).mask(frame)
    with pytest.raises(QueryError, match=message):
        count(tricky, text)


def test_an_unknown_node_names_the_construct(tricky: OutOfCoreEngine) -> None:
    from dataclasses import dataclass

    from forensics.outofcore.sql import compile_tree

    @dataclass(frozen=True)
    class Fuzzy(Node):
        pass

    with pytest.raises(QueryError, match="cannot run a Fuzzy node"):
        compile_tree(Fuzzy(0), tricky.columns, compile_query("").tz)


ATOMS = st.sampled_from([q for q in QUERIES if q and " " not in q and not q.startswith(("(", "-("))])


def _tree(depth: int) -> st.SearchStrategy[str]:
    if depth == 0:
        return ATOMS
    sub = _tree(depth - 1)
    return st.one_of(
        ATOMS,
        st.builds(lambda a, b: f"({a} OR {b})", sub, sub),
        st.builds(lambda a, b: f"{a} {b}", sub, sub),
        st.builds(lambda a: f"-({a})", sub),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_tree(3), tz=st.sampled_from(ZONES))
def test_random_query_trees_agree(tricky: OutOfCoreEngine, text: str, tz: str) -> None:
    frame, ids = reference(tricky)
    assert row_ids(tricky, text, tz) == _pandas(frame, ids, text, tz), (text, tz)


def test_named_zone_transitions_match_pandas() -> None:
    """The CASE over offsets equals pandas' wall clock at and around each change."""
    import pandas as pd

    from forensics.outofcore.sql import zone_transitions
    from forensics.query.zone import resolve_tz

    tz = resolve_tz("Europe/Berlin")
    lo, hi = pd.Timestamp("2023-01-01", tz="UTC").value, pd.Timestamp("2025-01-01", tz="UTC").value
    first, changes = zone_transitions(tz, lo, hi)
    assert len(changes) == 4  # two per year
    stamps = pd.DatetimeIndex([pd.Timestamp(at - d, tz="UTC") for at, _ in changes for d in (1, 0)])
    wall = stamps.tz_convert(tz).tz_localize(None).asi8 - stamps.tz_localize(None).asi8
    expected = []
    for at, off in changes:
        before = [o for a, o in changes if a <= at - 1]
        expected += [before[-1] if before else first, off]
    assert wall.tolist() == expected
    assert np.all(np.diff([a for a, _ in changes]) > 0)
