"""From an event's named fields to the normalized table's columns.

Two ways to name an event's strings: an export's rendered message (``rendered.py``) or the
raw ``<Data>`` strings laid out by an event map. When a record's strings do not fit the map
(a field that must be a folder path is not one, or the count differs), the strings are
classified by content instead and the row is marked ``mapping = inferred``
(resources/maps/README.md lists the kinds).
"""

from __future__ import annotations

from collections.abc import Sequence

from forensics.evtx.classify import class_fits, classify, fits
from forensics.evtx.maps import EventMap

#: Map field names that are columns as they are.
_DIRECT = ("folder", "item", "mailbox", "actor", "admin_rights", "client_host", "client_ip")
#: Map field names kept in ``details`` (no column of their own).
_DETAIL = ("identifier", "database", "error", "rights", "process_id", "application_id")


def map_strings(emap: EventMap, strings: Sequence[str]) -> tuple[dict[str, str], str]:
    """Name ``strings`` by the map's positions: ``({name: value}, mapping)``.

    ``mapping`` is the map's ``map:<file>`` when every string fits its position,
    else ``inferred``: each string goes to the first still-free field of its content kind.
    Strings that fit nowhere are returned under ``unmapped<N>`` so nothing is lost.
    """
    strings = [("" if s is None else str(s)).strip() for s in strings]
    fields = emap.fields
    # an empty string fits any position (client information is often blank)
    if len(strings) == len(fields) and all(not s or fits(f.kind, s) for f, s in zip(fields, strings)):
        values = {f.name: s for f, s in zip(fields, strings) if f.name != "ignored"}
        return values, emap.mapping
    values: dict[str, str] = {}
    free = list(range(len(fields)))
    leftovers: list[tuple[int, str]] = []
    for pos, value in enumerate(strings):
        if not value:
            continue
        content = classify(value)
        choice = next((i for i in free if fields[i].kind != "text" and class_fits(content, fields[i].kind)), None)
        if choice is None:
            choice = next((i for i in free if fields[i].kind == "text"), None)
        if choice is None:
            leftovers.append((pos, value))
            continue
        free.remove(choice)
        if fields[choice].name != "ignored":
            values[fields[choice].name] = value
    for pos, value in leftovers:
        values[f"unmapped{pos + 1}"] = value
    return values, "inferred"


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value if value and value not in ("-", "N/A") else None


def values_to_row(emap: EventMap, values: dict[str, str]) -> dict[str, object]:
    """Columns of one row from named field values (missing ones stay NA)."""
    row: dict[str, object] = {"operation": emap.operation, "outcome": emap.outcome or None}
    for name in _DIRECT:
        if name in values:
            row[name] = _clean(values[name])
    row["client_app"] = _clean(values.get("process_name"))
    actor_ids = [v for v in (_clean(values.get(k)) for k in ("actor", "actor_display", "actor_dn")) if v]
    if not row.get("actor") and actor_ids:
        row["actor"] = actor_ids[0]
    row["actor_ids"] = "|".join(dict.fromkeys(actor_ids)) or None
    row["mailbox_ids"] = row.get("mailbox")
    details = [f"{k}={values[k]}" for k in _DETAIL if _clean(values.get(k))]
    details += [f"{k}={v}" for k, v in values.items() if k.startswith("unmapped") and v]
    row["details"] = "; ".join(details) or None
    return row
