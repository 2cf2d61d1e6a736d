"""One Event Viewer *export* record (XML, CSV, TXT) -> the fields of one table row.

Exports differ from ``.evtx`` in what they carry: XML has the raw ``<Data>`` strings and,
when saved with display information, the rendered message; CSV/TXT have only the rendered
description. The rendered message is self-describing, so it wins whenever it matches the
event map's template; the ``<Data>`` strings and the event map (``exchange.map_with``) are
used otherwise, exactly as for ``.evtx``. Providers without a map go to their handler
(e.g. the Exchange cmdlet log, cleared logs); anything else is a generic event.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from forensics.evtx import eventlog, groups
from forensics.evtx.exchange import build_row, map_with
from forensics.evtx.handlers import handler_for
from forensics.evtx.maps import MapSet
from forensics.evtx.rendered import match_many, named, parse_rendered, strings_without_description

RENDERED = "rendered"
#: Longest message text kept in ``details`` of a row whose message could not be read.
MAX_DETAIL_MESSAGE = 2000

# The rendered text of MSExchange CmdletLogs 1/6 ("Cmdlet succeeded. Cmdlet X, parameters Y.")
_CMDLET_MESSAGE = re.compile(r"Cmdlet\s+(?P<cmdlet>[A-Za-z]+-[A-Za-z0-9]+)\s*,\s*parameters\s*(?P<params>.*)", re.S)


def event_id_of(text: str) -> int | None:
    """The event id an export writes, or None. Why not ``int``: Windows event ids are 16-bit
    decimals, and ``int`` also takes signs and ``1_0``, refuses the "²" that ``isdigit``
    lets through, and gives numbers past the table's Int32 that failed the whole file."""
    text = text.strip()
    if not (0 < len(text) <= 10 and text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= 0xFFFF else None


@dataclass
class ExportRow:
    """The outcome for one export record: a row (or None = not an access event) and the
    warnings the record deserves (kept per file by the parser)."""

    row: dict[str, Any] | None
    warnings: list[str] = field(default_factory=list)


def _generic(provider: str, event_id: int | None, strings: Sequence[str] | None, message: str | None) -> dict[str, Any]:
    if strings:
        details = " | ".join(strings)
    else:
        details = (message or "")[:MAX_DETAIL_MESSAGE]
    return {"operation": "Event", "provider": provider, "event_id": event_id, "details": details or None,
            "mapping": "native"}


#: One exported event: (provider, event id, data strings or None, message or None).
ExportEvent = tuple[str, int, Sequence[str] | None, str | None]


def export_rows(events: Sequence[ExportEvent], maps: MapSet, all_events: bool) -> list[ExportRow]:
    """``export_event_row`` for a batch: the messages of each event map are read together
    (one RE2 pass per map, ``rendered.match_many``)."""
    by_map: dict[str, list[int]] = {}
    emaps = {}
    for index, (provider, event_id, _, message) in enumerate(events):
        emap = maps.get(provider, event_id) if provider and message else None
        if emap is not None:
            by_map.setdefault(emap.file, []).append(index)
            emaps[emap.file] = emap
    rendered: dict[int, tuple[dict[str, str], str]] = {}
    for file, indexes in by_map.items():
        emap = emaps[file]
        for index, (slots, status) in zip(indexes, match_many(emap, [events[i][3] for i in indexes])):
            rendered[index] = (named(emap, slots), status)
    return [
        export_event_row(provider, event_id, strings, message, maps, all_events, rendered.get(index))
        for index, (provider, event_id, strings, message) in enumerate(events)
    ]


def export_event_row(
    provider: str,
    event_id: int,
    strings: Sequence[str] | None,
    message: str | None,
    maps: MapSet,
    all_events: bool,
    rendered_values: tuple[dict[str, str], str] | None = None,
) -> ExportRow:
    """Fields of the row for one exported event (see the module docstring).

    ``strings`` is None when the export has no raw strings (CSV/TXT); ``message`` is None
    when it has no rendered text (XML saved without display information);
    ``rendered_values`` is the message already read (``export_rows``).
    """
    emap = maps.get(provider, event_id) if provider else None
    if emap is not None:
        if rendered_values is not None:
            values, status = rendered_values
        else:
            values, status = parse_rendered(emap, message) if message else ({}, "none")
        if strings is None and message:
            strings = strings_without_description(message)
            if strings is not None and len(strings) < len(emap.fields):
                # trailing empty strings cannot be told from the text's trailing blank lines
                strings = strings + [""] * (len(emap.fields) - len(strings))
        if status == "full":
            row = build_row(emap, values, mapping=RENDERED)
        elif strings:
            row = map_with(emap, strings)
            if status == "partial":  # what the message does say beats positional guesses
                rendered = build_row(emap, values, mapping=RENDERED)
                row.update({k: v for k, v in rendered.items() if v is not None and k not in ("operation", "mapping")})
                row["mapping"] = f"{RENDERED}+{row['mapping']}"  # e.g. "rendered+inferred"
        elif status == "partial":
            row = build_row(emap, values, mapping=RENDERED)
            missing = sorted({f.name for f in emap.fields} - set(values) - {"ignored"})
            return ExportRow(_finish(row, provider, event_id),
                             [f"message matched its template only in part; not read: {', '.join(missing)}"])
        else:
            row = build_row(emap, {}, mapping="inferred")
            row["details"] = (message or "")[:MAX_DETAIL_MESSAGE] or None
            return ExportRow(_finish(row, provider, event_id), [
                f"{provider} {event_id}: the message does not match the event map's template "
                f"({emap.file}) and the export has no data strings; row kept with the text in details"
            ])
        return ExportRow(_finish(row, provider, event_id))
    handler = handler_for(provider) if provider else None
    if handler is not None:
        if strings is None and message:
            strings = strings_without_description(message) or _message_strings(provider, int(event_id), message)
        row = handler(int(event_id), list(strings or []))
        if row is not None:
            return ExportRow(_finish(dict(row), provider, event_id))
    return ExportRow(_generic(provider, event_id, strings, message) if all_events else None)


def _message_strings(provider: str, event_id: int, message: str) -> list[str] | None:
    """A handled provider's strings read back from its rendered message (CSV/TXT exports)."""
    if provider.lower() in (eventlog.PROVIDER.lower(), eventlog.LEGACY_PROVIDER.lower()):
        return eventlog.strings_from_message(event_id, message)
    if provider.lower() == groups.PROVIDER.lower():
        return groups.strings_from_message(event_id, message)
    return _cmdlet_strings(message)


def _cmdlet_strings(message: str) -> list[str] | None:
    """Cmdlet name and parameters from a rendered cmdlet-log message (exports without data:
    the caller and SIDs are then unknown)."""
    hit = _CMDLET_MESSAGE.search(message)
    if not hit:
        return None
    params = hit.group("params").strip()
    params = params[:-1] if params.endswith(".") else params
    return [hit.group("cmdlet"), params]


def _finish(row: dict[str, Any], provider: str, event_id: int) -> dict[str, Any]:
    row.setdefault("provider", provider)
    row.setdefault("event_id", int(event_id))
    return row
