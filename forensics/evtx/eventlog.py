"""Cleared event logs (provider ``Microsoft-Windows-Eventlog``): rows that stand out.

Clearing a log destroys evidence, and clearing the ``Exchange Auditing`` log destroys the
very mailbox-access records this tool reads. Windows writes:

* **1102** in the Security log ("The audit log was cleared"); UserData ``<LogFileCleared>``
  leaves: SubjectUserSid, SubjectUserName, SubjectDomainName, SubjectLogonId;
* **104** in the System log ("The <channel> log file was cleared"); UserData leaves:
  SubjectUserName, SubjectDomainName, Channel, BackupPath.

Each becomes an ``AuditConfigChange`` row (the operation the findings put first and mark).
Other Eventlog events (1100 service shutdown, 105/1105 automatic backup, …) lose nothing and
return ``None``: the parsers keep counting them as skipped.

Event Viewer CSV/TXT exports have only the rendered message; ``strings_from_message`` reads
the same strings back from it (fields the message does not state stay empty).
"""

from __future__ import annotations

import re

PROVIDER = "Microsoft-Windows-Eventlog"
SECURITY_CLEARED = 1102
LOG_CLEARED = 104

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
_LABEL = re.compile(r"^[ \t]*(?P<label>Security ID|Account Name|Domain Name|Logon ID):(?P<value>[^\r\n]*)", re.M)


def _at(strings: list[str], index: int) -> str:
    return (strings[index] or "").strip() if index < len(strings) else ""


def eventlog_fields(event_id: int, strings: list[str]) -> dict | None:
    """Row columns of a log-clear event (1102, 104), else ``None``.

    ``strings`` are the UserData leaf texts in document order (see the module docstring);
    missing or empty ones are simply not recorded: the clear itself is still a row.
    """
    event_id = int(event_id)
    if event_id == SECURITY_CLEARED:
        sid, user, domain, logon_id = (_at(strings, i) for i in range(4))
        channel, backup = "Security", ""
        what = "event 1102: the Security audit log was cleared"
    elif event_id == LOG_CLEARED:
        user, domain, channel, backup = (_at(strings, i) for i in range(4))
        sid = logon_id = ""
        what = f"event 104: the {channel} log was cleared" if channel else "event 104: a log was cleared (channel not recorded)"
    else:
        return None
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
        "item": f"log cleared: {channel}" if channel else "log cleared",
        "details": sentence + ".",
        "mapping": "native",
    }


def strings_from_message(event_id: int, message: str) -> list[str] | None:
    """The 1102/104 strings read back from a rendered (English) message, or ``None``.

    1102 names the subject ("Security ID:", "Account Name:", …); 104 names only the channel
    ("The Exchange Auditing log file was cleared."). Unstated fields are "".
    """
    if int(event_id) == SECURITY_CLEARED:
        strings = [""] * 4
        for hit in _LABEL.finditer(message):
            strings[_SUBJECT[hit.group("label")]] = hit.group("value").strip()
        return strings if any(strings) else None
    if int(event_id) == LOG_CLEARED:
        hit = _CLEARED_104.search(message)
        return ["", "", hit.group("channel").strip(), ""] if hit else None
    return None
