"""The filter row's terms: read from and written into the query text, which stays the one
source of truth; what the examiner typed elsewhere in the query is kept as typed."""

from __future__ import annotations

import pandas as pd
import pytest

from forensics import schema
from forensics.query import compile_query
from forensics.query.columns import read_filters, replace_filter, text_term, values_term

COLUMNS = list(schema.COLUMNS)


def test_terms_written_by_cells() -> None:
    assert text_term("actor", "pat") == "actor:pat"
    assert text_term("actor", "-svc backup") == '-actor:"svc backup"'
    assert text_term("actor", "  ") == ""
    assert text_term("time", "2024-03-05") == "on:2024-03-05"
    assert text_term("time", ">=2024-03-05 10:00") == 'time:>="2024-03-05 10:00"'
    assert values_term("operation", ["Logon"]) == "operation:=Logon"
    assert values_term("operation", ["Logon", "Send As", None]) == \
        '(operation:=Logon OR operation:="Send As" OR missing:operation)'
    assert values_term("operation", []) == ""


def test_read_back_what_was_written_and_what_was_typed() -> None:
    query = 'jsmith user:pat (op:=Logon OR op:=FolderOpen) -mailbox:ceo on:2024-03-05 is:admin'
    found = read_filters(query, COLUMNS)
    assert found["actor"].text == "pat"  # an alias names the column
    assert found["operation"].values == ["Logon", "FolderOpen"]
    assert found["mailbox"].text == "-ceo"
    assert found["time"].text == "2024-03-05"
    assert set(found) == {"actor", "operation", "mailbox", "time"}
    start, end = found["operation"].span
    assert query[start:end] == "(op:=Logon OR op:=FolderOpen)"
    # not shown: a column named twice, an OR across columns, a top-level OR, a broken query
    assert "actor" not in read_filters("actor:a actor:b", COLUMNS)
    assert read_filters("(actor:=a OR mailbox:=b)", COLUMNS) == {}
    assert read_filters("actor:a OR mailbox:b", COLUMNS) == {}
    assert read_filters('actor:"open', COLUMNS) == {}


@pytest.mark.parametrize("query, column, term, expected", [
    ("", "actor", "actor:pat", "actor:pat"),
    ("jsmith", "actor", "actor:pat", "jsmith actor:pat"),
    ("jsmith user:ann is:admin", "actor", "actor:pat", "jsmith actor:pat is:admin"),
    ("jsmith user:ann is:admin", "actor", "", "jsmith is:admin"),
    ("jsmith AND user:ann AND is:admin", "actor", "", "jsmith AND is:admin"),
    ("(op:=A OR op:=B) x", "operation", "operation:=C", "operation:=C x"),
    ("a OR b", "actor", "actor:pat", "(a OR b) actor:pat"),
    ("actor:pat", "actor", "", ""),
])
def test_replace_keeps_the_rest_of_the_query(query: str, column: str, term: str, expected: str) -> None:
    assert replace_filter(query, column, term, COLUMNS) == expected


def test_written_terms_select_the_rows_the_cells_describe() -> None:
    frame = schema.conform({
        "time": pd.to_datetime(["2024-03-05T10:00Z", "2024-03-06T10:00Z", "2024-03-05T23:00Z"], utc=True),
        "actor": ["CONTOSO\\pat", "CONTOSO\\ann", "svc backup"],
        "operation": ["Logon", "Send As", None],
    })
    query = replace_filter("", "operation", values_term("operation", ["Send As", None]), COLUMNS)
    assert compile_query(query).mask(frame).tolist() == [False, True, True]
    query = replace_filter(query, "actor", text_term("actor", "-svc backup"), COLUMNS)
    assert compile_query(query).mask(frame).tolist() == [False, True, False]
    query = replace_filter("", "time", text_term("time", "2024-03-05"), COLUMNS)
    assert compile_query(query).mask(frame).tolist() == [True, False, True]
