"""Per-provider event handlers for events that a positional event map cannot describe.

A handler turns (event id, data strings) into the fields of one row (the same dict shape as
``forensics.evtx.exchange.map_event`` returns) or ``None`` when the event is not an access
row. Parsers of ``.evtx`` and of Event Viewer exports consult this registry for providers no
event map covers; other modules register theirs at import, e.g.
``PROVIDER_HANDLERS["MSExchange CmdletLogs"] = cmdlet_handler``.

``Microsoft-Windows-Eventlog`` is here because a cleared log (Security 1102, System 104) is
the one trace left of destroyed audit evidence, and a full Security log (1104) or dropped
audit events (1101) mean records are missing: each becomes an ``AuditConfigChange`` row
(``forensics.evtx.eventlog``). ``Microsoft-Windows-Security-Auditing`` 4728/4729, 4732/4733,
4756/4757 on Exchange's privileged groups are ``PermissionChange`` rows (``forensics.evtx.groups``). Its strings are UserData leaves, not ``<Data>`` items: the
parsers pass those when an event has no ``<EventData>``. Windows 2003's Security log clear
(source ``Security``, 517) reaches us only in Event Viewer exports.
"""

from __future__ import annotations

from collections.abc import Callable

from forensics.evtx.cmdlets import cmdlet_fields
from forensics.evtx.groups import GROUP_EVENTS, PROVIDER as SECURITY, group_fields
from forensics.evtx.eventlog import (
    LEGACY_CLEARED, LEGACY_PROVIDER, LOSS_EVENTS, PROVIDER as EVENTLOG, eventlog_fields, legacy_security_fields,
)

Handler = Callable[[int, list[str]], "dict | None"]

PROVIDER_HANDLERS: dict[str, Handler] = {
    "MSExchange CmdletLogs": cmdlet_fields,
    # cleared logs (Security 1102, System 104), a full Security log, dropped audit events:
    # destroyed or missing audit evidence must stand out
    EVENTLOG: eventlog_fields,
    LEGACY_PROVIDER: legacy_security_fields,
    # members added to Exchange's privileged groups: rights that open every mailbox
    SECURITY: group_fields,
}
#: the event ids a provider's handler can make rows of (absent: any); other events of the
#: provider are not handed to it, so a Security log full of Eventlog 1100s costs nothing
HANDLED_EVENTS: dict[str, frozenset[int]] = {
    "MSExchange CmdletLogs": frozenset({1, 6}),
    EVENTLOG: LOSS_EVENTS,
    LEGACY_PROVIDER: frozenset({LEGACY_CLEARED}),
    SECURITY: GROUP_EVENTS,
}


def handler_for(provider: str, event_id: int | None = None) -> Handler | None:
    """The handler registered for ``provider`` (exact name first, then case-insensitive),
    or ``None`` when there is none or it does not handle ``event_id``."""
    name = provider if provider in PROVIDER_HANDLERS else next(
        (known for known in PROVIDER_HANDLERS if known.lower() == provider.lower()), None)
    if name is None:
        return None
    handled = HANDLED_EVENTS.get(name)
    if event_id is not None and handled is not None and event_id not in handled:
        return None
    return PROVIDER_HANDLERS[name]
