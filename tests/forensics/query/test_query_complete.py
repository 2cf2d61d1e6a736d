"""Completion: field names, is: shorthands and the most frequent values of a field."""

from __future__ import annotations

import pandas as pd

from forensics.query import complete, compile_query, token_span
from forensics.schema import conform


def frame() -> pd.DataFrame:
    rows = [dict(mailbox="ceo@contoso.com", actor="pat", folder="/Inbox")] * 5
    rows += [dict(mailbox="cfo@contoso.com", actor="pat assistant", folder="/Inbox/Legal")] * 3
    rows += [dict(mailbox="hr@contoso.com", actor="eve", folder="/Sent Items")]
    f = conform(rows)
    f["tag"] = pd.Series(["hot"] * 2 + [None] * 7, dtype="category")
    return f


def test_field_names() -> None:
    f = frame()
    assert complete("mai", 3, f) == ["mailbox:", "mailbox_ids:", "mailbox_key:"]
    assert "tag:" in complete("ta", 2, f)  # an extra column is a field
    assert "ip:" in complete("i", 1, f) and "is:" in complete("i", 1, f)  # alias and keyword
    assert complete("is:n", 4, f) == ["is:nonowner"]


def test_values_by_frequency_and_quoted() -> None:
    f = frame()
    assert complete("mailbox:c", 9, f) == ["mailbox:ceo@contoso.com", "mailbox:cfo@contoso.com", "mailbox:hr@contoso.com"]
    assert complete("mailbox:cf", 10, f) == ["mailbox:cfo@contoso.com"]
    assert complete("actor:pat", 9, f) == ["actor:pat", 'actor:"pat assistant"']
    assert complete("-actor:=ev", 10, f) == ["actor:=eve"]  # span starts after the minus
    assert complete("folder:sent", 11, f) == ['folder:"/Sent Items"']  # string column
    assert complete("nosuch:x", 8, f) == [] and complete("after:2024", 10, f) == []
    for suggestion in complete("actor:", 6, f):
        assert compile_query(suggestion).count(f) > 0  # every suggestion is a valid query that matches


def test_token_span_mid_text() -> None:
    text = 'mailbox:ceo actor:"pat as'
    assert token_span(text, len(text)) == (12, len(text))
    assert token_span(text, 5) == (0, 5)
    assert token_span("a (mailbox:c", 12) == (3, 12)
