"""Field names the query language accepts: the table's columns plus short aliases.

Any column present in the frame is a field (so a ``tag`` column added by bookmarks makes
``tag:NAME`` work); aliases only save typing and never shadow a real column.
"""

from __future__ import annotations

#: alias -> column. Documented in SYNTAX.md; keep both in step.
ALIASES: dict[str, str] = {
    "op": "operation",
    "user": "actor",
    "who": "actor",
    "mbx": "mailbox",
    "owner": "mailbox",
    "logon": "logon_type",
    "type": "logon_type",
    "admin": "admin_rights",
    "subject": "item",
    "ip": "client_ip",
    "host": "client_host",
    "machine": "client_host",
    "app": "client_app",
    "client": "client_app",
    "result": "outcome",
    "id": "event_id",
    "eventid": "event_id",
    "record": "record_id",
    "file": "evidence",
    "format": "source_format",
    "source": "source_format",
}

#: the derived column of an open case's expected-access marks (``forensics.aggregate.expected``)
EXPECTED_COLUMN = "expected"

#: ``is:`` shorthands, with the definition shown in help and completion.
SHORTHANDS: dict[str, str] = {
    "nonowner": "logon_type is not Owner (Delegate, Admin, Unknown or not recorded)",
    "owner": "logon_type is Owner",
    "admin": "logon_type is Admin, or the source set the administrative-rights flag",
    "failure": "outcome is Failure",
    "success": "outcome is Success",
    "change": "operation is an administrative change or command, not a mailbox access "
              "(AuditConfigChange, PermissionChange, ForwardingChange, InboxRuleChange, MailboxExport, AdminCommand, "
              "GroupMembershipChange)",
    "probe": "Exchange's own health or test traffic (HealthMailbox…, extest_… accounts; managed-availability, "
             "MapiHttpClient or Test-*Connectivity user agents): not a person; left out of findings and the "
             "non-owner heatmap",
    "expected": "the row belongs to an actor–mailbox pair the examiner marked as expected access "
                "(a case's review marks; -is:expected leaves the unexplained access)",
}

#: Operations ``is:change`` matches (administrative changes bearing on access, and commands).
CHANGE_OPERATIONS: tuple[str, ...] = (
    "AuditConfigChange", "PermissionChange", "ForwardingChange", "InboxRuleChange", "MailboxExport", "AdminCommand",
    "GroupMembershipChange",  # a Security-log group change (forensics.evtx.groups): no mailbox access
)

#: Keys that are not columns: time comparisons and predicates on a field's presence.
SPECIAL_KEYS: tuple[str, ...] = ("is", "after", "before", "on", "hour", "weekday", "has", "missing")

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def resolve_field(name: str, columns: list[str] | tuple[str, ...]) -> str | None:
    """The column ``name`` refers to in a frame with ``columns`` (None when unknown).

    Exact column names win, then a case-insensitive column match, then aliases.
    """
    if name in columns:
        return name
    lowered = name.lower()
    for column in columns:
        if str(column).lower() == lowered:
            return str(column)
    target = ALIASES.get(lowered)
    if target is not None and target in columns:
        return target
    return None
