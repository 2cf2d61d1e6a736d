"""Windows Security log: members added to / removed from Exchange's privileged groups.

Why: membership of these groups opens every mailbox without one ``Add-MailboxPermission``
ever being run (Exchange Trusted Subsystem and Exchange Servers hold Full Access on every
mailbox database; Exchange Windows Permissions may rewrite Active Directory permissions;
Organization Management can grant itself any right; Discovery Management searches every
mailbox). So a group change is a ``PermissionChange`` row, listed in the findings next to the
mailbox permission cmdlets.

Events (provider ``Microsoft-Windows-Security-Auditing``, security-enabled groups): 4728 /
4729 global, 4732 / 4733 local, 4756 / 4757 universal group member added / removed. Their
``<Data>`` order (Microsoft's event documentation, and the public sample
``ID4756-Exchange admin group change.evtx`` of mdecrevoisier/EVTX-to-MITRE-Attack):
MemberName (a DN, or ``-``), MemberSid, TargetUserName (the group), TargetDomainName,
TargetSid, SubjectUserSid, SubjectUserName, SubjectDomainName, SubjectLogonId, PrivilegeList.
Event Viewer CSV/TXT exports carry only the rendered message: ``strings_from_message`` reads
the same strings back from its Subject / Member / Group sections.

Nesting: a group added as a member of a privileged group passes its rights on. Membership
changes of every other security group are therefore rows too (``GroupMembershipChange``), and
``group_nesting`` makes those of a group the loaded records show nested (at any depth) into
a privileged group ``PermissionChange`` rows, naming the record that nests it. Nesting that
no loaded record shows (set up before the log begins) cannot be seen without a directory
export. When the member's DN is one of the groups below or lies in Exchange's ``Microsoft
Exchange Security Groups`` OU, the row says the member is itself an Exchange group.
"""

from __future__ import annotations

import re

PROVIDER = "Microsoft-Windows-Security-Auditing"
ADDED = {4728: "global", 4732: "local", 4756: "universal"}
REMOVED = {4729: "global", 4733: "local", 4757: "universal"}
GROUP_EVENTS = frozenset(ADDED) | frozenset(REMOVED)
#: operation of a membership change of any other security group
MEMBERSHIP_CHANGE = "GroupMembershipChange"

#: groups whose members can open every mailbox (lower-case name -> why)
OPENS_EVERY_MAILBOX = {
    "exchange trusted subsystem": "holds Full Access on every mailbox database",
    "exchange servers": "the Exchange servers' group: Full Access on every mailbox database",
    "exchange windows permissions": "may change Active Directory permissions, so can grant itself any mailbox right",
    "organization management": "administers all of Exchange: can grant itself Full Access or impersonation on any mailbox",
    "discovery management": "can search every mailbox (eDiscovery / Mailbox Search)",
    "exchange organization administrators": "Exchange 2007 full administrators: can grant themselves any mailbox right",
    "exchange domain servers": "Exchange 2000/2003 servers' group: full access to every mailbox store",
    "exchange enterprise servers": "Exchange 2000/2003 servers' group",
}
#: other Exchange role groups (the ``Microsoft Exchange Security Groups`` OU; Exchange 2007's
#: administrator groups): changes bear on who may administer mailboxes
EXCHANGE_ROLE_GROUPS = {
    "recipient management": "can grant mailbox permissions on any mailbox (Mail Recipients role)",
    "compliance management": "",
    "delegated setup": "",
    "exchangelegacyinterop": "Exchange role group (legacy server interoperation)",
    "help desk": "",
    "hygiene management": "",
    "managed availability servers": "Exchange servers' role group",
    "public folder management": "",
    "records management": "",
    "security administrator": "",
    "security reader": "",
    "server management": "",
    "um management": "",
    "view-only organization management": "Exchange role group (read-only)",
    "exchange recipient administrators": "Exchange 2007 administrator group",
    "exchange view-only administrators": "Exchange 2007 administrator group (read-only)",
    "exchange public folder administrators": "Exchange 2007 administrator group",
    "exchange install domain servers": "Exchange servers' group",
}
_EXCHANGE_OU = "ou=microsoft exchange security groups"
_CN = re.compile(r"^\s*CN=(?P<cn>(?:\\.|[^,\\])+)", re.I)


def _at(strings: list[str], index: int) -> str:
    value = (strings[index] or "").strip() if index < len(strings) else ""
    return "" if value == "-" else value


def _group_of_dn(dn: str) -> str:
    hit = _CN.match(dn)
    return hit.group("cn").replace("\\", "").strip().lower() if hit else ""


def group_fields(event_id: int, strings: list[str]) -> dict | None:
    """Row columns of a security-group membership change: ``PermissionChange`` for Exchange's
    privileged groups, ``GroupMembershipChange`` for any other group; ``None`` for other events."""
    event_id = int(event_id)
    if event_id not in GROUP_EVENTS:
        return None
    member, member_sid, group, domain, group_sid = (_at(strings, i) for i in range(5))
    subject_sid, subject, subject_domain, logon_id = (_at(strings, i) for i in range(5, 9))
    key = group.lower()
    if key in OPENS_EVERY_MAILBOX:
        tier, why = "opens every mailbox", OPENS_EVERY_MAILBOX[key]
    elif key in EXCHANGE_ROLE_GROUPS:
        tier, why = "Exchange role group", EXCHANGE_ROLE_GROUPS[key]
    else:
        tier, why = "", ""
    added = event_id in ADDED
    scope = (ADDED if added else REMOVED)[event_id]
    account = f"{subject_domain}\\{subject}" if subject and subject_domain else subject
    group_name = f"{domain}\\{group}" if domain else group
    who = member or member_sid or "(member not recorded)"
    details = [f"event {event_id}: member {'added to' if added else 'removed from'} a security-enabled {scope} group"]
    if tier:
        details.append(f"{tier}: {why}" if why else tier)
    # the fields group_nesting reads back (AD names hold no ";")
    details += [f"Group={group_name}", f"TargetSid={group_sid}", f"Member={member}", f"MemberSid={member_sid}"]
    if member and (_group_of_dn(member) in OPENS_EVERY_MAILBOX or _group_of_dn(member) in EXCHANGE_ROLE_GROUPS
                   or _EXCHANGE_OU in member.lower()):
        details.append("the member is itself an Exchange group (nesting passes its members' rights on)")
    if logon_id:
        details.append(f"SubjectLogonId={logon_id}")
    return {
        # other groups: kept as rows too, so that a group nested into a privileged one can be
        # recognised from the records (``group_nesting``); they are no mailbox right by themselves
        "operation": "PermissionChange" if tier else MEMBERSHIP_CHANGE,
        "outcome": "Success",
        "mailbox": None,
        "mailbox_ids": None,
        "folder": None,
        "actor": account or subject_sid or None,
        "actor_ids": "|".join(v for v in dict.fromkeys([account, subject_sid]) if v) or None,
        "client_app": None,
        "item": f"{'add' if added else 'remove'} {who} {'to' if added else 'from'} {group_name}",
        "details": "; ".join(details),
        "mapping": "native",
    }


_SECTION = re.compile(r"^[ \t]*(?P<name>Subject|Member|Group|Additional Information):[ \t\r]*$", re.M)
_FIELD = re.compile(r"^[ \t]*(?P<label>Security ID|Account Name|Account Domain|Group Name|Group Domain|Logon ID)"
                    r":[ \t]*(?P<value>[^\r\n]*)", re.M)
_POSITIONS = {
    ("Member", "Account Name"): 0, ("Member", "Security ID"): 1,
    ("Group", "Group Name"): 2, ("Group", "Account Name"): 2, ("Group", "Group Domain"): 3,
    ("Group", "Account Domain"): 3, ("Group", "Security ID"): 4,
    ("Subject", "Security ID"): 5, ("Subject", "Account Name"): 6, ("Subject", "Account Domain"): 7,
    ("Subject", "Logon ID"): 8,
}


def strings_from_message(event_id: int, message: str) -> list[str] | None:
    """The 47xx strings read back from the rendered (English) message, or ``None``."""
    if int(event_id) not in GROUP_EVENTS:
        return None
    strings = [""] * 10
    sections = list(_SECTION.finditer(message))
    for i, section in enumerate(sections):
        end = sections[i + 1].start() if i + 1 < len(sections) else len(message)
        for hit in _FIELD.finditer(message, section.end(), end):
            slot = _POSITIONS.get((section.group("name"), hit.group("label")))
            if slot is not None and not strings[slot]:
                strings[slot] = hit.group("value").strip()
    return strings if strings[2] else None
