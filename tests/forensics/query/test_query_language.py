"""Each construct of the query language, on a small hand-made table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forensics.errors import QueryError
from forensics.query import compile_query, exact, quote, time_range
from forensics.schema import conform

ROWS = [
    dict(time="2024-03-05T07:30:00Z", mailbox="ceo@contoso.com", actor="Pat Assistant", logon_type="Delegate",
         operation="MessageOpen", outcome="Success", admin_rights="false", event_id=10102, folder="/Inbox",
         item='Board "Q1" pack', client_ip="10.0.0.5"),
    dict(time="2024-03-05T19:00:00Z", mailbox="ceo@contoso.com", actor="ceo", logon_type="Owner",
         operation="FolderOpen", outcome="Success", event_id=10100, folder="/Sent Items"),
    dict(time="2024-03-06T17:30:00Z", mailbox="cfo@contoso.com", actor="CONTOSO\\admin1", logon_type="Admin",
         operation="MessageOpen", outcome="Success", admin_rights="true", event_id=10102, folder="/Inbox"),
    dict(time="2024-03-07T09:00:00Z", mailbox="CFO@contoso.com", actor="mallory", logon_type="Unknown",
         operation="LogonFailure", outcome="Failure", event_id=1022),
]


@pytest.fixture
def frame() -> pd.DataFrame:
    f = conform(ROWS)
    f["tag"] = pd.Series(["suspicious", None, "suspicious", "review"], dtype="category")
    return f


def rows(query: str, frame: pd.DataFrame, tz: str = "UTC") -> list[int]:
    return np.flatnonzero(compile_query(query, tz).mask(frame)).tolist()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [0, 1, 2, 3]),
        ("ceo", [0, 1]),  # free word: mailbox or actor
        ("inbox", [0, 2]),  # free word reaches string columns (folder)
        ('"sent items"', [1]),  # quoted phrase
        ("mailbox:cfo", [2, 3]),  # case-insensitive substring
        ('actor:"pat assistant"', [0]),
        ("mailbox:ceo actor:pat", [0]),  # implicit AND
        ("mailbox:ceo AND actor:pat", [0]),
        ("-mailbox:ceo", [2, 3]),
        ("NOT mailbox:ceo", [2, 3]),
        ("mailbox:ceo OR op:failure", [0, 1, 3]),
        ("mailbox:ceo | op:failure", [0, 1, 3]),
        ("(mailbox:ceo OR mailbox:cfo) is:nonowner", [0, 2, 3]),
        ("-(mailbox:ceo OR mailbox:cfo)", []),
        ("mailbox:ceo OR mailbox:cfo is:admin", [0, 1, 2]),  # AND binds tighter than OR
        ("mailbox:=cfo@contoso.com", [2]),  # exact and case-sensitive
        ("mailbox:=CFO@contoso.com", [3]),
        ("mailbox:=cfo", []),
        ("is:nonowner", [0, 2, 3]),
        ("is:owner", [1]),
        ("is:admin", [2]),
        ("is:failure", [3]),
        ("is:success", [0, 1, 2]),
        ("after:2024-03-06", [2, 3]),
        ('before:"2024-03-06 18:00"', [0, 1, 2]),
        ("on:2024-03-05", [0, 1]),
        ('after:"2024-03-05 19:00Z" before:2024-03-07', [1, 2]),
        ("time:>=2024-03-06", [2, 3]),
        ('time:<"2024-03-05 19:00"', [0]),
        ("time:2024-03-06", [2]),
        ("event_id:10102", [0, 2]),
        ("id:>=10100", [0, 1, 2]),
        ("admin_rights:true", [2]),
        ("admin:false", [0]),
        ("missing:client_ip", [1, 2, 3]),
        ("has:client_ip", [0]),
        ("tag:susp", [0, 2]),  # any extra column is a field
        ("-tag:susp", [1, 3]),
        ('item:"\\"Q1\\""', [0]),  # escaped quote inside a phrase
        ("MAILBOX:CEO", [0, 1]),  # field names are case-insensitive
        ("ip:10.0", [0]),
        ("user:mallory", [3]),
        ("is:change", []),
        ("-is:change", [0, 1, 2, 3]),
        ("hour:7", [0]),  # 2024-03-05 07:30 UTC
        ("hour:>=17", [1, 2]),
        ("weekday:tue", [0, 1]),  # 2024-03-05 was a Tuesday
        ("weekday:>=3", [2, 3]),  # ISO numbers: Wednesday=3
        ("weekday:thursday hour:9", [3]),
    ],
)
def test_construct(frame: pd.DataFrame, query: str, expected: list[int]) -> None:
    assert rows(query, frame) == expected


def test_display_zone_applies_to_naive_times(frame: pd.DataFrame) -> None:
    # 2024-03-05 20:00 in Berlin (UTC+1) is 19:00 UTC: row 1 is at that instant
    assert rows('after:"2024-03-05 20:00"', frame, tz="Europe/Berlin") == [1, 2, 3]  # inclusive
    assert rows('after:"2024-03-05 20:00"', frame, tz="UTC") == [2, 3]
    assert rows('after:"2024-03-05 19:30"', frame, tz="+01:00") == [1, 2, 3]
    # on: is the day in the display zone: 2024-03-05 in UTC-08:00 starts at 08:00 UTC
    assert rows("on:2024-03-05", frame, tz="-08:00") == [1]
    # hour/weekday are wall-clock in the display zone: 19:00 UTC on Tuesday is 04:00 Wednesday in Tokyo
    assert rows("hour:4 weekday:wed", frame, tz="Asia/Tokyo") == [1]


def test_case_sensitive_option(frame: pd.DataFrame) -> None:
    assert np.flatnonzero(compile_query("mailbox:CFO", case_sensitive=True).mask(frame)).tolist() == [3]


@pytest.mark.parametrize(
    ("query", "position", "fragment"),
    [
        ('mailbox:"ceo', 8, "unterminated quote"),
        ('"abc', 0, "unterminated quote"),
        ("(a b", 0, "unmatched '('"),
        ("a b)", 3, "unmatched ')'"),
        ("a OR", 2, "OR needs"),
        ("OR a", 0, "OR needs"),
        ("a AND OR b", 2, "AND needs"),
        ("mailbox:", 8, "missing value"),
        ("x -", 2, "nothing to negate"),
        ("is:bogus", 3, "unknown is:bogus"),
        ("()", 0, "empty parentheses"),
        ("a NOT", 2, "nothing to negate"),
        ("time:>", 6, "missing value"),
    ],
)
def test_syntax_errors_carry_positions(query: str, position: int, fragment: str) -> None:
    with pytest.raises(QueryError) as info:
        compile_query(query)
    assert info.value.position == position
    assert fragment in str(info.value)
    assert f"position {position + 1}" in info.value.user_message


@pytest.mark.parametrize(
    ("query", "position", "fragment"),
    [
        ("nosuch:x", 0, "unknown field 'nosuch'"),
        ("a mailbox:ceo after:garbage", 20, "not a date/time"),
        ("event_id:abc", 9, "expects a number"),
        ("admin_rights:maybe", 13, "true or false"),
        ("missing:nosuch", 0, "unknown field"),
        ("hour:25", 5, "0-23"),
        ("weekday:someday", 8, "mon..sun"),
    ],
)
def test_errors_found_against_the_frame(frame: pd.DataFrame, query: str, position: int, fragment: str) -> None:
    compiled = compile_query(query)  # syntax is fine
    with pytest.raises(QueryError) as info:
        compiled.mask(frame)
    assert info.value.position == position
    assert fragment in str(info.value)


def test_unknown_zone_is_a_query_error() -> None:
    with pytest.raises(QueryError):
        compile_query("a", tz="Mars/Olympus")


def test_builders_round_trip(frame: pd.DataFrame) -> None:
    for value in ["ceo@contoso.com", "CONTOSO\\admin1", "Pat Assistant", 'odd "value"', "OR", "-x"]:
        text = exact("actor", value)
        compile_query(text)  # parses
    assert rows(exact("actor", "CONTOSO\\admin1"), frame) == [2]
    assert rows(exact("actor", "Pat Assistant"), frame) == [0]
    assert rows(exact("client_ip", None), frame) == [1, 2, 3]
    assert quote("plain") == "plain" and quote("two words") == '"two words"'
    start, end = pd.Timestamp("2024-03-05T19:00Z"), pd.Timestamp("2024-03-06T17:30Z")
    for tz in ("UTC", "Europe/Berlin", "-05:30"):
        assert rows(time_range(start, end, tz), frame, tz="UTC") == [1]


def test_empty_frame_and_empty_query() -> None:
    empty = conform([])
    assert compile_query("mailbox:ceo is:nonowner after:2024-01-01").mask(empty).shape == (0,)
    assert compile_query("   ").is_empty


def test_syntax_reference_covers_every_construct() -> None:
    from forensics.query import ALIASES, SHORTHANDS, SYNTAX

    for token in ("mailbox:=", "OR", "after:", "before:", "on:", "hour:", "weekday:", "has:", "missing:", '\\"'):
        assert token in SYNTAX, token
    for name in SHORTHANDS:
        assert f"is:{name}" in SYNTAX, name
    for alias in ALIASES:
        assert f"`{alias}`" in SYNTAX, alias
