"""Evidence formats the tool recognises but does not read yet: named, never mistaken.

Why: Exchange writes a dozen logs of one shape (``#Software: Microsoft Exchange Server``,
``#Log-type: …``, comma-separated ``#Fields:``). Taken for an IIS log, each line of them
was "corrupt"; refused with "not a supported evidence format", the investigator could not
tell a damaged file from one this tool does not read. (HttpProxy and message tracking logs,
once named here, are read now: ``httpproxy``, ``msgtrk``.) ``describe`` names such a file from
its directives (``#Log-type:``, else the field list), so the refusal says what it is.
Sources of the names and field lists: ``reference/evidence-formats.md`` §3.2 and §7.
"""

from __future__ import annotations

from forensics.parsers.w3c.exchange_log import directives, field_names

#: ``#Log-type:`` values (lower-case) -> what to call the file
LOG_TYPES = {
    "smtp receive protocol log": "Exchange SMTP receive protocol log",
    "smtp send protocol log": "Exchange SMTP send protocol log",
    "ews logs": "Exchange EWS protocol log",
    "rps cmdlet logs": "Exchange remote PowerShell cmdlet log",
    "rps http logs": "Exchange remote PowerShell HTTP log",
    "ecp activity context log": "Exchange control panel (ECP) activity log",
    "ecp server log": "Exchange control panel (ECP) server log",
    "agent log": "Exchange transport agent log",
    "connectivity log": "Exchange transport connectivity log",
    "transport connectivity log": "Exchange transport connectivity log",  # the value Microsoft documents
    "audit": "Exchange audit queue log",
}
#: read by the httpproxy and msgtrk parsers
READ_LOG_TYPES = {"httpproxy logs", "message tracking log"}
#: leading field names (lower-case) of logs that may come without a ``#Log-type:``
FIELD_PREFIXES = (
    (("date-time", "connector-id", "session-id", "sequence-number", "local-endpoint", "remote-endpoint"),
     "Exchange SMTP protocol log"),
    (("date-time", "session-id", "seq-number", "client-name"), "Exchange RPC Client Access log"),
)


def describe(head: bytes) -> str | None:
    """What an unread format is ("Exchange SMTP receive protocol log (not read yet)"), or None."""
    found = directives(head)
    log_type = found.get("log-type", "").strip()
    key = log_type.lower()
    if key in READ_LOG_TYPES:
        return None
    name = LOG_TYPES.get(key)
    if name is None and ("rpc client access" in key or key.startswith("rca")):
        name = "Exchange RPC Client Access log"
    if name is None:
        names = field_names(found.get("fields", "")) if "fields" in found else []
        name = next((label for prefix, label in FIELD_PREFIXES if tuple(names[: len(prefix)]) == prefix), None)
    if name is None and log_type and "exchange" in found.get("software", "").lower():
        name = f"Exchange log of type '{log_type}'"
    return f"{name} (not read yet)" if name else None
