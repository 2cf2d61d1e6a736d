"""Per-provider event handlers for events that a positional event map cannot describe.

A handler turns (event id, data strings) into the fields of one row (the same dict shape as
``forensics.evtx.exchange.map_event`` returns) or ``None`` when the event is not an access
row. Parsers of ``.evtx`` and of Event Viewer exports consult this registry for providers no
event map covers; other modules register theirs at import, e.g.
``PROVIDER_HANDLERS["MSExchange CmdletLogs"] = cmdlet_handler``.

``Microsoft-Windows-Eventlog`` is here because a cleared log (Security 1102, System 104) is
the one trace left of destroyed audit evidence: it becomes an ``AuditConfigChange`` row
(``forensics.evtx.eventlog``). Its strings are UserData leaves, not ``<Data>`` items: the
parsers pass those when an event has no ``<EventData>``.
"""

from __future__ import annotations

from collections.abc import Callable

from forensics.evtx.cmdlets import cmdlet_fields
from forensics.evtx.eventlog import PROVIDER as EVENTLOG, eventlog_fields

Handler = Callable[[int, list[str]], "dict | None"]

PROVIDER_HANDLERS: dict[str, Handler] = {
    "MSExchange CmdletLogs": cmdlet_fields,
    # cleared logs (Security 1102, System 104): destroyed audit evidence must stand out
    EVENTLOG: eventlog_fields,
}


def handler_for(provider: str) -> Handler | None:
    """The handler registered for ``provider`` (exact name first, then case-insensitive)."""
    handler = PROVIDER_HANDLERS.get(provider)
    if handler is not None:
        return handler
    low = provider.lower()
    for name, candidate in PROVIDER_HANDLERS.items():
        if name.lower() == low:
            return candidate
    return None
