"""Turn an Exchange event's unnamed data strings into the fields of an access row.

The positions come from the event map (``forensics.evtx.maps``); when a record does not fit
its map (wrong string count, or a field whose content is not what the map expects), the
strings are assigned to the map's fields by content instead and the row is flagged
``mapping = "inferred"``. ``map_event`` is the per-record reference used by every parser
(``.evtx``, Event Viewer XML/CSV exports); ``map_group`` does the same for a whole group of
records of one provider/event id at once, for the ``.evtx`` hot path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from forensics.evtx.classify import SPECIFIC, blank_vector, class_fits, classify, fits, fits_vector, parse_bool
from forensics.evtx.handlers import handler_for
from forensics.evtx.maps import EventMap, FieldSpec, MapSet

#: fields a row cannot do without: an empty string there means the record does not fit
REQUIRED = frozenset({"folder", "item", "mailbox", "actor"})
#: fields kept as "name=value" in ``details``
DETAIL_FIELDS = ("identifier", "database", "error", "rights", "application_id")
#: extra identity forms of the actor, joined by "|" into ``actor_ids``
ACTOR_FORMS = ("actor_display", "actor_dn")
INFERRED = "inferred"


def _value(text: str | None) -> str | None:
    return text if text is not None and text.strip() else None


def field_fits(spec: FieldSpec, value: str | None) -> bool:
    if spec.name == "ignored":
        return True
    if _value(value) is None:
        return spec.name not in REQUIRED
    return fits(spec.kind, value)


def record_fits(event_map: EventMap, strings: Sequence[str | None]) -> bool:
    """Do ``strings`` match the map's layout: same count, each field's content as expected?"""
    return len(strings) == len(event_map.fields) and all(
        field_fits(spec, value) for spec, value in zip(event_map.fields, strings)
    )


def assign_by_content(
    event_map: EventMap, strings: Sequence[str | None]
) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """Assign strings to the map's fields by what they look like, not where they are.

    Strings of a specific class (path, legacyExchangeDN, DOMAIN\\user, IP, GUID, bool, int,
    .exe) go first, to the first free field expecting that class; then the rest (names,
    hosts, free text) fill the remaining fields in order. Returns the assignment and the
    strings left over (with their 0-based position).
    """
    free = [spec for spec in event_map.fields if spec.name != "ignored"]
    assigned: dict[str, str] = {}
    pending: list[tuple[int, str, str]] = []
    for index, raw in enumerate(strings):
        value = _value(raw)
        if value is None:
            continue
        pending.append((index, value, classify(value)))
    leftovers: list[tuple[int, str]] = []
    for specific_pass in (True, False):
        still: list[tuple[int, str, str]] = []
        for index, value, content in pending:
            if specific_pass and content not in SPECIFIC:
                still.append((index, value, content))
                continue
            for spec in free:
                if spec.name not in assigned and class_fits(content, spec.kind):
                    if specific_pass and spec.kind in ("mailbox", "host", "text"):
                        continue  # generic fields wait for the second pass
                    assigned[spec.name] = value
                    break
            else:
                still.append((index, value, content))
        pending = still
    leftovers = [(index, value) for index, value, _ in pending]
    return assigned, leftovers


def split_message_path(path: str) -> tuple[str, str]:
    """"/Inbox/Quarterly results" -> ("/Inbox", "Quarterly results")."""
    head, _, tail = path.rpartition("/")
    return (head or "/"), tail


def build_row(
    event_map: EventMap,
    values: dict[str, str],
    leftovers: Sequence[tuple[int, str]] = (),
    mapping: str | None = None,
) -> dict[str, Any]:
    """Row fields from named values (``field name -> string``)."""
    kinds = {spec.name: spec.kind for spec in event_map.fields}
    folder = values.get("folder")
    item = values.get("item")
    if item is not None and kinds.get("item") == "message-path":
        item_folder, item = split_message_path(item)
        folder = folder or item_folder
    name, pid = values.get("process_name"), values.get("process_id")
    app_parts = [p for p in (name, f"(pid {pid})" if pid else None) if p]
    actor_ids = [values[f] for f in ACTOR_FORMS if values.get(f)]
    details = [f"{f}={values[f]}" for f in DETAIL_FIELDS if values.get(f)]
    details += [f"%{index + 1}={value}" for index, value in leftovers]
    return {
        "operation": event_map.operation,
        "outcome": event_map.outcome,
        "mailbox": values.get("mailbox"),
        "actor": values.get("actor"),
        "folder": folder,
        "item": item,
        "admin_rights": parse_bool(values.get("admin_rights")),
        "client_ip": values.get("client_ip"),
        "client_host": values.get("client_host"),
        "client_app": " ".join(app_parts) or None,
        "actor_ids": "|".join(actor_ids) or None,
        "mailbox_ids": None,
        "details": "; ".join(details) or None,
        "mapping": mapping or event_map.mapping,
    }


def map_with(event_map: EventMap, strings: Sequence[str | None]) -> dict[str, Any]:
    """Row fields of one record under ``event_map`` (positional, or inferred when it does not fit)."""
    if record_fits(event_map, strings):
        values = {
            spec.name: v
            for spec, raw in zip(event_map.fields, strings)
            if spec.name != "ignored" and (v := _value(raw)) is not None
        }
        return build_row(event_map, values)
    values, leftovers = assign_by_content(event_map, strings)
    return build_row(event_map, values, leftovers, mapping=INFERRED)


def map_event(provider: str, event_id: int, data_strings: Sequence[str | None], maps: MapSet) -> dict[str, Any] | None:
    """Row fields for one event, or ``None`` when no map or handler makes it an access row.

    Returns the keys operation, outcome, mailbox, actor, folder, item, admin_rights,
    client_ip, client_host, client_app, actor_ids, mailbox_ids, details, mapping, plus
    provider and event_id.
    """
    event_map = maps.get(provider, event_id)
    if event_map is not None:
        row = map_with(event_map, data_strings)
    else:
        handler = handler_for(provider)
        if handler is None:
            return None
        row = handler(int(event_id), [s if s is not None else "" for s in data_strings])
        if row is None:
            return None
        row = dict(row)
    row.setdefault("provider", provider)
    row.setdefault("event_id", int(event_id))
    return row


# -- vectorized ---------------------------------------------------------------------------


def _nullify_empty(values: pa.Array) -> pa.Array:
    blank = blank_vector(values)
    return pc.if_else(blank, pa.scalar(None, pa.string()), values)


def _join(parts: list[pa.Array], sep: str) -> pa.Array:
    """Join non-null, non-empty values element-wise with ``sep``; null when none.

    (Not ``binary_join_element_wise(null_handling="skip")``: in pyarrow 2x it drops rows whose
    values are all null, shifting everything after them.)
    """
    joined = _nullify_empty(parts[0])
    for part in parts[1:]:
        part = _nullify_empty(part)
        both = pc.binary_join_element_wise(joined, part, sep)  # null where either is null
        joined = pc.coalesce(both, joined, part)
    return joined


def _prefixed(prefix: str, values: pa.Array, suffix: str = "") -> pa.Array:
    """prefix + value + suffix, null where value is null."""
    n = len(values)
    return pc.binary_join_element_wise(pa.repeat(prefix, n), values, pa.repeat(suffix, n), "")


def map_group(event_map: EventMap, columns: list[pa.Array]) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """``map_with`` for many records of one layout at once.

    ``columns[i]`` holds data string ``i`` of every record (all records have exactly
    ``len(event_map.fields)`` strings). Returns a mask of the records that fit the map and,
    for all records, the row field arrays (only meaningful where the mask is true; the caller
    maps the others one by one with ``map_with``).
    """
    n = len(columns[0]) if columns else 0
    ok = np.ones(n, dtype=bool)
    # every single-field step runs once per distinct value, then is spread to the rows:
    # most columns repeat a few names, hosts and flags
    encoded: dict[str, tuple[pa.Array, pa.Array]] = {}  # name -> (distinct values, row indices)
    for spec, column in zip(event_map.fields, columns):
        if spec.name == "ignored":
            continue
        codes = pc.dictionary_encode(column.cast(pa.string()))
        distinct, indices = codes.dictionary, codes.indices
        optional = spec.name not in REQUIRED
        if not (optional and spec.kind == "text"):  # an optional text field always fits
            fit = fits_vector(spec.kind, distinct)
            if optional:
                fit = pc.or_(fit, blank_vector(distinct))
            fit_rows = pc.fill_null(pc.take(fit, indices), optional)
            ok &= fit_rows.to_numpy(zero_copy_only=False)
        encoded[spec.name] = (_nullify_empty(distinct), indices)

    def rows(distinct: pa.Array, name: str) -> pa.Array:
        return pc.take(distinct, encoded[name][1])

    values = {name: rows(distinct, name) for name, (distinct, _) in encoded.items()}
    null = pa.nulls(n, pa.string())
    kinds = {spec.name: spec.kind for spec in event_map.fields}
    folder = values.get("folder", null)
    item = values.get("item", null)
    if "item" in encoded and kinds.get("item") == "message-path":
        parts = pc.extract_regex(encoded["item"][0], r"(?s)^(?P<head>.*)/(?P<tail>[^/]*)$")
        head = pc.struct_field(parts, "head")
        head = pc.if_else(pc.equal(head, ""), pa.scalar("/", pa.string()), head)
        item = rows(pc.struct_field(parts, "tail"), "item")
        folder = pc.coalesce(folder, rows(head, "item")) if "folder" in values else rows(head, "item")
    name = values.get("process_name", null)
    pid = rows(_prefixed("(pid ", encoded["process_id"][0], ")"), "process_id") if "process_id" in encoded else null
    client_app = _join([name, pid], " ")
    actor_ids = _join([values.get(f, null) for f in ACTOR_FORMS], "|")
    details = _join([rows(_prefixed(f"{f}=", encoded[f][0]), f) for f in DETAIL_FIELDS if f in encoded] or [null], "; ")
    if "admin_rights" in encoded:
        low = pc.utf8_lower(pc.utf8_trim_whitespace(encoded["admin_rights"][0]))
        truthy = pc.is_in(low, pa.array(["true", "yes"]))
        falsy = pc.is_in(low, pa.array(["false", "no"]))
        flags = pc.if_else(truthy, True, pc.if_else(falsy, False, pa.scalar(None, pa.bool_())))
        admin_rights = rows(flags, "admin_rights")
    else:
        admin_rights = pa.nulls(n, pa.bool_())
    fields = {
        "mailbox": values.get("mailbox", null),
        "actor": values.get("actor", null),
        "folder": folder,
        "item": item,
        "admin_rights": admin_rights,
        "client_ip": values.get("client_ip", null),
        "client_host": values.get("client_host", null),
        "client_app": client_app,
        "actor_ids": actor_ids,
        "details": details,
    }
    return ok, fields
