"""Plain words for the table's columns, with the column id in the tooltip.

The grid's headers, the Detail pane and the column chooser show ``column_label``; hovering
shows ``column_tip``: what the column holds and its id, which is what the query language
uses (``mailbox_key:amorgan``). The ids themselves are the public table contract
(DESIGN.md) and stay unchanged.
"""

from __future__ import annotations

#: header labels for the schema's columns (anything else is capitalised)
HEADERS: dict[str, str] = {
    "time": "Time",
    "operation": "Operation",
    "mailbox": "Mailbox",
    "actor": "Actor",
    "logon_type": "Logon type",
    "admin_rights": "Admin rights",
    "folder": "Folder",
    "item": "Item",
    "client_ip": "Client IP",
    "client_host": "Client host",
    "client_app": "Client app",
    "outcome": "Outcome",
    "server": "Server",
    "event_id": "Event ID",
    "record_id": "Record ID",
    "evidence": "Evidence",
    "source_format": "Source format",
    "provider": "Event source",
    "mapping": "How fields were read",
    "logon_rule": "Logon type decided by",
    "time_basis": "How the time was recorded",
    "actor_ids": "Actor identities",
    "mailbox_ids": "Mailbox identities",
    "actor_key": "Actor (person)",
    "mailbox_key": "Mailbox (person)",
    "details": "Details",
    "raw_ref": "Position in file",
    "access_id": "Access number",
    "access_operation": "Access operation",
    "access_sources": "Sources of the access",
    "access_seen_in": "Access seen in",
    "access_rule": "Why rows were merged",
    "tag": "Tag",
    "expected": "Expected access",
}

#: what each column holds, for the tooltip (the id is added by ``column_tip``)
DESCRIPTIONS: dict[str, str] = {
    "time": "When it happened, in the display time zone (stored as UTC)",
    "logon_type": "Owner, Delegate, Admin or Unknown: who opened the mailbox relative to its owner",
    "admin_rights": "The source says administrative rights were used",
    "evidence": "The evidence file the row comes from",
    "source_format": "The format of that evidence file",
    "provider": "The event source (provider) that wrote the record",
    "mapping": "How the record's fields were obtained: rendered by the source, from an event map, or inferred",
    "logon_rule": "The rule that decided the logon type (the source's own value, an alias or SID match, "
                  "the admin flag…); the Detail pane explains it in a sentence",
    "time_basis": "How the time was obtained: recorded in UTC, or converted from a local time with the zone named",
    "actor_ids": "Every form of the actor seen (account, UPN, SID, legacy DN), for identity resolution",
    "mailbox_ids": "Every form of the mailbox seen (address, GUID, legacy DN), for identity resolution",
    "actor_key": "The person behind the actor, one name for all their accounts and addresses "
                 "(what Findings and the heatmap group by)",
    "mailbox_key": "The person whose mailbox it is, one name for all its addresses and ids "
                   "(what Findings and the heatmap group by)",
    "raw_ref": "Where the raw record sits in its evidence file (chunk, byte offset or line); "
               "the Detail pane fetches the record from there",
    "record_id": "The record's number in its file (EventRecordID, or the line of a text export)",
    "access_id": "Rows with the same number record one access, seen by several sources",
    "access_rule": "The rule that merged this row with others into one access",
    "details": "Text the source carried that has no column of its own",
    "tag": "The examiner's tag on this row (bookmark)",
    "expected": "The examiner marked this actor–mailbox pair as expected access",
}


def column_label(name: str) -> str:
    """What the examiner reads for column ``name``."""
    return HEADERS.get(name, name.replace("_", " ").capitalize())


def column_tip(name: str) -> str:
    """The tooltip: what the column holds and its id as the query language names it."""
    description = DESCRIPTIONS.get(name, "")
    lead = f"{description}\n" if description else ""
    return f"{lead}Column id: {name} (in queries: {name}:…)"
