"""Vectorized extraction from evtx XML: System fields, data items, unescaping, chunk runs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from forensics.evtx import xml_fields
from forensics.evtx.chunks import assign

HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>'


def record(provider: str, event_id: int, record_id: int, data: str, computer: str = "EX01") -> str:
    return (
        f'{HEAD}<Provider Name="{provider}"></Provider><EventID Qualifiers="0">{event_id}</EventID><Version>0</Version>'
        f'<TimeCreated SystemTime="2010-03-04T15:22:41.123456Z"></TimeCreated><EventRecordID>{record_id}</EventRecordID>'
        f"<Channel>Application</Channel><Computer>{computer}</Computer><Security></Security></System>{data}</Event>"
    )


def test_provider_event_and_system_fields() -> None:
    long_name = "P" * 500  # longer than the head window: read from the whole record
    xml = pa.array([
        record("MSExchangeIS Auditing", 10100, 7, "<EventData><Data>/Inbox</Data></EventData>"),
        record("A &amp; B", 5, 8, "<EventData></EventData>", computer="srv&lt;1&gt;"),
        record(long_name, 1, 9, ""),
        '<?xml version="1.0"?>\n<Event><System><Provider></Provider></System></Event>',
    ])
    providers, codes, events = xml_fields.provider_event(xml)
    assert [providers[c] if c >= 0 else None for c in codes] == ["MSExchangeIS Auditing", "A & B", long_name, None]
    assert events.tolist() == [10100, 5, 1, -1]
    system = xml_fields.system_fields(xml.slice(0, 2))
    assert system["record_id"].to_pylist() == [7, 8]
    assert system["computer"].to_pylist() == ["EX01", "srv<1>"]
    assert str(system["time"][0].as_py()) == "2010-03-04 15:22:41.123456+00:00"


def test_data_items_named_unnamed_empty_and_escaped() -> None:
    xml = pa.array([
        record("P", 1, 1, "<EventData><Data>/Inbox/Q &amp; A &lt;x&gt; &#x41;&#66;</Data><Data></Data><Data>last</Data><Binary>00</Binary></EventData>"),
        record("P", 1, 2, '<EventData><Data Name="User">CONTOSO\\x</Data><Data Name="Empty"></Data></EventData>'),
        record("P", 1, 3, "<UserData><Thing xmlns='x'><A>one</A><B>two &amp; three</B></Thing></UserData>"),
    ])
    values, names, has = xml_fields.data_items(xml)
    # no <EventData>: the UserData leaves stand in for the data strings (has stays False)
    assert values.to_pylist() == [["/Inbox/Q & A <x> AB", "", "last"], ["CONTOSO\\x", ""], ["one", "two & three"]]
    assert names.to_pylist()[1:] == [["User", "Empty"], ["A", "B"]]
    assert has.to_pylist() == [True, True, False]
    assert xml_fields.user_data_text(xml).to_pylist()[2] == "one two & three"


def test_unescape_order() -> None:
    assert xml_fields.unescape(pa.array(["&amp;lt;", "a&quot;b&apos;", None, "&#233;"])).to_pylist() == ["&lt;", "a\"b'", None, "é"]


def test_assign_keeps_duplicate_ranges_apart() -> None:
    valid = np.array([True, False, True, True])
    first = np.array([1, 0, 1, 200])
    last = np.array([100, 0, 100, 300])
    ids = np.array([1, 2, 3, 1, 2, 250, -1, 251])
    assert assign(ids, valid, first, last).tolist() == [0, 0, 0, 2, 2, 3, 3, 3]


def test_data_text_for_generic_rows() -> None:
    xml = pa.array([
        record("P", 1, 1, '<EventData><Data Name="User">CONTOSO\\x</Data><Data Name="Empty"></Data><Data Name="Q">a &amp; b; c</Data></EventData>'),
        record("P", 1, 2, "<EventData><Data>one</Data><Data></Data><Data>three</Data><Binary>00FF</Binary></EventData>"),
        record("P", 1, 3, "<UserData><Thing xmlns='x'><A>one</A></Thing></UserData>"),
        record("P", 1, 4, "<EventData></EventData>"),
    ])
    assert xml_fields.data_text(xml).to_pylist() == [
        "User=CONTOSO\\x; Empty=; Q=a & b; c",
        "one; ; three",
        "one",
        "",
    ]
    values, names, _ = xml_fields.data_items(xml)
    assert values.to_pylist()[0] == ["CONTOSO\\x", "", "a & b; c"] and names.to_pylist()[0] == ["User", "Empty", "Q"]


def test_mixed_named_and_unnamed_items_use_the_pattern_path() -> None:
    xml = pa.array([
        record("P", 1, 1, '<EventData><Data>u1</Data><Data Name="n">v</Data></EventData>'),
        record("P", 1, 2, '<EventData><Data Name="a"/><Data Name="b">x</Data></EventData>'),
        record("P", 1, 3, "<EventData><Data>plain</Data></EventData>"),
    ])
    values, names, _ = xml_fields.data_items(xml)
    assert values.to_pylist() == [["u1", "v"], ["", "x"], ["plain"]]
    assert names.to_pylist()[1] == ["a", "b"]


CLEARED = "http://manifests.microsoft.com/win/2004/08/windows/eventlog"


def test_user_data_leaves_compact_and_indented() -> None:
    compact = (f'<UserData><LogFileCleared xmlns="{CLEARED}"><SubjectUserName>tony</SubjectUserName>'
               "<SubjectDomainName>D&amp;1</SubjectDomainName><Channel>Exchange Auditing</Channel>"
               "<BackupPath></BackupPath></LogFileCleared></UserData>")
    indented = (f'<UserData>\n  <LogFileCleared xmlns="{CLEARED}">\n    <SubjectUserName>eve</SubjectUserName>\n'
                '    <ns:Channel a="x/y">MSExchange Management</ns:Channel>\n    <BackupPath/>\n'
                "    <Reason>\n    </Reason>\n    <!-- a comment -->\n  </LogFileCleared>\n</UserData>")
    xml = pa.array([
        record("Microsoft-Windows-Eventlog", 104, 1, compact),
        record("P", 1, 2, "<EventData><Data>kept</Data></EventData>"),
        record("Microsoft-Windows-Eventlog", 104, 3, indented),
        record("P", 1, 4, ""),  # neither EventData nor UserData
        record("P", 1, 5, f'<UserData><Empty xmlns="{CLEARED}"/></UserData>'),
    ])
    values, names, has = xml_fields.data_items(xml)
    assert values.to_pylist() == [
        ["tony", "D&1", "Exchange Auditing", ""], ["kept"], ["eve", "MSExchange Management", "", ""], [], [""],
    ]
    assert names.to_pylist()[0] == ["SubjectUserName", "SubjectDomainName", "Channel", "BackupPath"]
    assert names.to_pylist()[2] == ["SubjectUserName", "Channel", "BackupPath", "Reason"]
    assert has.to_pylist() == [False, True, False, False, False]
    # the UserData records alone give the same lists (the single-path branch)
    alone, _, _ = xml_fields.data_items(xml.take(pa.array([0, 2])))
    assert alone.to_pylist() == [values.to_pylist()[0], values.to_pylist()[2]]
