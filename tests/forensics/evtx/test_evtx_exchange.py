"""Exchange events -> access-row fields, from data-string lists, for every mapped event id."""

from __future__ import annotations

import pyarrow as pa
import pytest

from forensics.evtx.exchange import map_event, map_group, map_with, split_message_path
from forensics.evtx.maps import load_maps

AUDIT = "MSExchangeIS Auditing"
STORE = "MSExchangeIS Mailbox Store"
DN_B = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=userb"
DN_A = "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=usera"
GUID = "{0a1b2c3d-1111-2222-3333-444455556666}"


def audit_strings(first: str) -> list[str]:
    return [first, "UserA", "CONTOSO\\UserB", "User B", DN_B, "True", GUID, "WKS042", "10.1.2.3", "OUTLOOK.EXE", "4321", ""]


@pytest.fixture(scope="module")
def maps():
    return load_maps()


@pytest.mark.parametrize(
    ("event_id", "operation"),
    [(10100, "FolderOpen"), (10102, "MessageOpen"), (10104, "SendOnBehalf"), (10106, "SendAs")],
)
def test_exchange_auditing_events(maps, event_id: int, operation: str) -> None:
    first = "/Inbox" if event_id == 10100 else "/Inbox/Quarterly results"
    row = map_event(AUDIT, event_id, audit_strings(first), maps)
    assert row["operation"] == operation and row["outcome"] == "Success"
    assert row["mapping"] == f"map:MSExchangeIS_Auditing-{event_id}.json"
    assert row["mailbox"] == "UserA" and row["actor"] == "CONTOSO\\UserB"
    assert row["folder"] == "/Inbox"
    assert row["item"] == (None if event_id == 10100 else "Quarterly results")
    assert row["admin_rights"] is True
    assert row["client_host"] == "WKS042" and row["client_ip"] == "10.1.2.3"
    assert row["client_app"] == "OUTLOOK.EXE (pid 4321)"
    assert row["actor_ids"] == f"User B|{DN_B}"
    assert row["details"] == f"identifier={GUID}"
    assert row["provider"] == AUDIT and row["event_id"] == event_id


LOGON_CASES = [
    (1009, ["CONTOSO\\userb", DN_A], dict(operation="Logon", outcome="Success", actor="CONTOSO\\userb", mailbox=DN_A)),
    (1013, ["CONTOSO\\userb", DN_B, DN_A], dict(operation="Logon", actor="CONTOSO\\userb", mailbox=DN_A, actor_ids=DN_B)),
    (1016, ["CONTOSO\\userb", "usera@contoso.com"], dict(operation="Logon", actor="CONTOSO\\userb", mailbox="usera@contoso.com")),
    (1022, ["First Storage Group\\Mailbox Database", "CONTOSO\\userb", DN_A, "1144"],
     dict(operation="LogonFailure", outcome="Failure", actor="CONTOSO\\userb", mailbox=DN_A,
          details="database=First Storage Group\\Mailbox Database; error=1144")),
    (1023, ["CONTOSO\\userb", DN_B, DN_A], dict(operation="LogonFailure", outcome="Failure", actor="CONTOSO\\userb", mailbox=DN_A)),
    (1029, [DN_B, "ReadProperty, WriteProperty", DN_A],
     dict(operation="AccessDenied", outcome="Failure", actor=DN_B, mailbox=DN_A, details="rights=ReadProperty, WriteProperty")),
]


@pytest.mark.parametrize("provider", [STORE, "MSExchangeIS Private"])
@pytest.mark.parametrize(("event_id", "strings", "expected"), LOGON_CASES)
def test_store_logon_events(maps, provider: str, event_id: int, strings: list[str], expected: dict) -> None:
    row = map_event(provider, event_id, strings, maps)
    for key, value in expected.items():
        assert row[key] == value, key
    assert row["mapping"] == f"map:MSExchangeIS_Mailbox_Store-{event_id}.json"


def test_strings_out_of_order_are_inferred(maps) -> None:
    good = audit_strings("/Inbox")
    shuffled = [good[2], good[0], good[1], *good[3:]]  # actor first, then folder, mailbox
    row = map_event(AUDIT, 10100, shuffled, maps)
    assert row["mapping"] == "inferred"
    assert row["folder"] == "/Inbox" and row["actor"] == "CONTOSO\\UserB" and row["mailbox"] == "UserA"
    assert row["client_ip"] == "10.1.2.3" and row["client_app"] == "OUTLOOK.EXE (pid 4321)"
    assert row["operation"] == "FolderOpen"


def test_logon_reversed_is_inferred(maps) -> None:
    row = map_event(STORE, 1009, [DN_A, "CONTOSO\\userb"], maps)
    assert row["mapping"] == "inferred" and row["actor"] == "CONTOSO\\userb" and row["mailbox"] == DN_A
    row = map_event(STORE, 1029, ["ReadProperty", DN_B, DN_A], maps)
    assert row["mapping"] == "inferred" and row["actor"] == DN_B and row["mailbox"] == DN_A
    assert "rights=ReadProperty" in row["details"]


def test_wrong_count_is_inferred_and_keeps_leftovers(maps) -> None:
    strings = audit_strings("/Inbox")[:11]  # no application id
    row = map_event(AUDIT, 10100, strings, maps)
    assert row["mapping"] == "inferred" and row["folder"] == "/Inbox" and row["mailbox"] == "UserA"
    extra = map_event(STORE, 1016, ["CONTOSO\\userb", "usera@contoso.com", "10.9.9.9", "surprise"], maps)
    assert extra["mapping"] == "inferred" and extra["actor"] == "CONTOSO\\userb"
    assert "%3=10.9.9.9" in extra["details"] and "%4=surprise" in extra["details"]


def test_empty_client_information_still_fits(maps) -> None:
    strings = audit_strings("/Calendar")
    strings[7:11] = ["", "", "", ""]
    row = map_event(AUDIT, 10100, strings, maps)
    assert row["mapping"].startswith("map:")
    assert row["client_ip"] is None and row["client_app"] is None


def test_empty_required_field_is_inferred(maps) -> None:
    strings = audit_strings("/Inbox")
    strings[1] = ""
    assert map_event(AUDIT, 10100, strings, maps)["mapping"] == "inferred"


def test_unmapped_provider_is_not_a_row(maps) -> None:
    assert map_event("Microsoft-Windows-Security-Auditing", 4624, ["x"], maps) is None
    assert map_event(AUDIT, 10101, audit_strings("/Inbox"), maps) is None


def test_message_path_split() -> None:
    assert split_message_path("/Inbox/Quarterly results") == ("/Inbox", "Quarterly results")
    assert split_message_path("/Top/Sub/Re: hello") == ("/Top/Sub", "Re: hello")
    assert split_message_path("/Note") == ("/", "Note")


def _cases(maps):
    yield 10100, AUDIT, [audit_strings("/Inbox"), audit_strings("/Sent Items"), [*audit_strings("/X")[:7], "", "", "", "", ""],
                         [audit_strings("/Inbox")[2], *audit_strings("/Inbox")[:2], *audit_strings("/Inbox")[3:]]]
    yield 10102, AUDIT, [audit_strings("/Inbox/A & B"), audit_strings("Inbox"), audit_strings("/Note")]
    for event_id, strings, _ in LOGON_CASES:
        yield event_id, STORE, [strings, list(reversed(strings))]


def test_vectorized_mapping_equals_per_record(maps) -> None:
    """map_group (the .evtx hot path) gives exactly map_with's fields wherever it accepts a record."""
    for event_id, provider, records in _cases(maps):
        event_map = maps.get(provider, event_id)
        columns = [pa.array([r[i] for r in records], pa.string()) for i in range(len(event_map.fields))]
        ok, fields = map_group(event_map, columns)
        for index, strings in enumerate(records):
            expected = map_with(event_map, strings)
            assert bool(ok[index]) == (expected["mapping"] != "inferred"), (event_id, strings)
            if ok[index]:
                for name, array in fields.items():
                    assert array[index].as_py() == expected[name], (event_id, name, strings)
