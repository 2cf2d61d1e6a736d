"""Lost audit evidence (provider ``Microsoft-Windows-Eventlog``): rows that stand out.

Clearing a log destroys evidence, and clearing the ``Exchange Auditing`` log destroys the
very mailbox-access records this tool reads. Windows writes:

* **1102** in the Security log ("The audit log was cleared"); UserData ``<LogFileCleared>``
  leaves: SubjectUserSid, SubjectUserName, SubjectDomainName, SubjectLogonId;
* **104** in the System log ("The <channel> log file was cleared"); UserData leaves:
  SubjectUserName, SubjectDomainName, Channel, BackupPath;
* **1101** in the Security log ("Audit events have been dropped by the transport"); UserData
  ``<AuditEventsDropped>`` leaf: Reason;
* **1104** in the Security log ("The security log is now full"): with a retention that does
  not overwrite, nothing more is recorded until the log is cleared or archived;
* **517** in a Windows 2003 Security log (source ``Security``, "The audit log was cleared"),
  seen in Event Viewer CSV/TXT exports: Primary and Client user, domain and logon id.

Each becomes an ``AuditConfigChange`` row (the operation the findings put first and mark:
each explains why audit records may be missing). Other Eventlog events (1100 service
shutdown at every reboot, 105/1105 automatic backup, …) lose nothing and return ``None``:
the parsers keep counting them as skipped.

Event Viewer CSV/TXT exports have only the rendered message; ``strings_from_message`` reads
the same strings back from it (fields the message does not state stay empty).
"""

from __future__ import annotations

import re

PROVIDER = "Microsoft-Windows-Eventlog"
SECURITY_CLEARED = 1102
LOG_CLEARED = 104
AUDIT_DROPPED = 1101
SECURITY_FULL = 1104
#: events of ``PROVIDER`` that ``eventlog_fields`` makes rows of
LOSS_EVENTS = frozenset({LOG_CLEARED, AUDIT_DROPPED, SECURITY_CLEARED, SECURITY_FULL})
#: Windows 2003 wrote its Security events under the source "Security"; 517 = log cleared
LEGACY_PROVIDER = "Security"
LEGACY_CLEARED = 517

#: What was lost when one of these logs was cleared (lower-case channel -> clause).
_LOST = {
    "exchange auditing": "the mailbox-access audit records written before this time are gone",
    "msexchange management": "the Exchange admin cmdlet records (permission, forwarding and "
                             "audit-configuration changes) written before this time are gone",
    "application": "the Exchange store logon events (MSExchangeIS 1009-1029) written before this time are gone",
}

#: bounded repeats and no ``\s*`` around a lazy value: a hostile message (a line of "The The …",
#: runs of blank lines or spaces) made the unbounded forms quadratic (40,000 characters: 1.5-3.6 s)
_CLEARED_104 = re.compile(r"The (?P<channel>.{1,256}?) log file was cleared\.")
_SUBJECT = {  # label in the rendered 1102 message -> position in the 1102 strings
    "Security ID": 0,
    "Account Name": 1,
    "Domain Name": 2,
    "Logon ID": 3,
}
_LEGACY = {  # label in the rendered 517 message -> position in its strings
    "Primary User Name": 0, "Primary Domain": 1, "Primary Logon ID": 2,
    "Client User Name": 3, "Client Domain": 4, "Client Logon ID": 5,
}
_LEGACY_LABEL = re.compile(r"^[ \t]*(?P<label>(?:Primary|Client) (?:User Name|Domain|Logon ID)):(?P<value>[^\r\n]*)", re.M)
_LABEL = re.compile(r"^[ \t]*(?P<label>Security ID|Account Name|Domain Name|Logon ID):(?P<value>[^\r\n]*)", re.M)


def _at(strings: list[str], index: int) -> str:
    return (strings[index] or "").strip() if index < len(strings) else ""


def eventlog_fields(event_id: int, strings: list[str]) -> dict | None:
    """Row columns of a lost-evidence event (104, 1101, 1102, 1104), else ``None``.

    ``strings`` are the UserData leaf texts in document order (see the module docstring);
    missing or empty ones are simply not recorded: the event itself is still a row.
    """
    event_id = int(event_id)
    sid = logon_id = backup = ""
    user = domain = ""
    if event_id == SECURITY_CLEARED:
        sid, user, domain, logon_id = (_at(strings, i) for i in range(4))
        channel, item = "Security", "log cleared: Security"
        what = "event 1102: the Security audit log was cleared"
    elif event_id == LOG_CLEARED:
        user, domain, channel, backup = (_at(strings, i) for i in range(4))
        item = f"log cleared: {channel}" if channel else "log cleared"
        what = f"event 104: the {channel} log was cleared" if channel else "event 104: a log was cleared (channel not recorded)"
    elif event_id == AUDIT_DROPPED:
        reason = _at(strings, 0)
        channel, item = "", "audit events dropped: Security"
        what = ("event 1101: audit events were dropped by the transport" + (f" (reason code {reason})" if reason else "")
                + "; Security audit records of this time are missing")
    elif event_id == SECURITY_FULL:
        channel, item = "", "log full: Security"
        what = ("event 1104: the Security log was full; unless it was set to archive, no Security audit record "
                "was written from this time until the log was cleared or archived")
    else:
        return None
    return _row(what, item, channel, user, domain, sid, logon_id, backup)


def legacy_security_fields(event_id: int, strings: list[str]) -> dict | None:
    """Row columns of a Windows 2003 Security 517 ("The audit log was cleared"), else ``None``.

    Strings: Primary User Name, Primary Domain, Primary Logon ID, Client User Name, Client
    Domain, Client Logon ID. The client, when stated, is who cleared it (impersonation).
    """
    if int(event_id) != LEGACY_CLEARED:
        return None
    primary, client = [_at(strings, i) for i in range(3)], [_at(strings, i) for i in range(3, 6)]
    user, domain, logon_id = client if client[0] and client[0] != "-" else primary
    return _row("event 517: the Security audit log was cleared (Windows 2003)", "log cleared: Security", "Security",
                user, domain, "", logon_id, "")


def _row(what: str, item: str, channel: str, user: str, domain: str, sid: str, logon_id: str, backup: str) -> dict:
    account = f"{domain}\\{user}" if domain and user else user
    actor = account or sid or None
    sentence = what
    if logon_id:
        sentence += f" (logon ID {logon_id})"
    if backup:
        sentence += f"; backed up to {backup}"
    lost = _LOST.get(channel.lower())
    if lost:
        sentence += f"; {lost}"
    return {
        "operation": "AuditConfigChange",
        "outcome": "Success",
        "mailbox": None,
        "mailbox_ids": None,
        "folder": None,
        "actor": actor,
        "actor_ids": "|".join(v for v in dict.fromkeys([account, sid]) if v) or None,
        "client_app": None,
        "item": item,
        "details": sentence + ".",
        "mapping": "native",
    }


def strings_from_message(event_id: int, message: str) -> list[str] | None:
    """The 1102/104/517 strings read back from a rendered (English) message, or ``None``.

    1102 names the subject ("Security ID:", "Account Name:", …); 104 names only the channel
    ("The Exchange Auditing log file was cleared."); 517 its primary and client user.
    Unstated fields are "". 1101 and 1104 need no strings (their rows say what they mean).
    """
    if int(event_id) == LEGACY_CLEARED:
        strings = [""] * 6
        for hit in _LEGACY_LABEL.finditer(message):
            strings[_LEGACY[hit.group("label")]] = hit.group("value").strip()
        return strings if any(strings) else None
    if int(event_id) == SECURITY_CLEARED:
        strings = [""] * 4
        for hit in _LABEL.finditer(message):
            strings[_SUBJECT[hit.group("label")]] = hit.group("value").strip()
        return strings if any(strings) else None
    if int(event_id) == LOG_CLEARED:
        hit = _CLEARED_104.search(message)
        return ["", "", hit.group("channel").strip(), ""] if hit else None
    return None
