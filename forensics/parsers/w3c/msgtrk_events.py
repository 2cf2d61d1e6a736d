"""What a message tracking line means for "who sent what as whom".

Message tracking (``TransportRoles\\Logs\\MessageTracking\\MSGTRK*.LOG``) follows each message
through transport; one event tells of a mailbox action: ``SUBMIT`` (source ``STOREDRIVER``),
written when the store hands a message a mailbox sent to transport. Its ``source-context``
names the submitting mailbox (``MDB:<db>, Mailbox:<mailbox GUID>, Event:…, MessageClass:…,
CreationTime:…, ClientType:<MOMT|OWA|AirSync|…>``) and ``sender-address`` the From address,
so a submission from one mailbox with another person's address is SendAs / SendOnBehalf
evidence (``reference/evidence-formats.md`` §7; Microsoft "Message tracking in Exchange
Server"). A SUBMIT becomes one ``Send`` row: actor = the submitting mailbox (its GUID, linked
to a person through the directory export's ExchangeGuid), mailbox = the From address.
Every other event (RECEIVE, DELIVER, SEND, FAIL, HARECEIVE, NOTIFYMAPI, …) is transport
bookkeeping: counted per event id, rowed only with ``--all-events`` (operation ``Event``).

Why not also RECEIVE with source STOREDRIVER: it is the same submission as seen by the
transport service; rowing both would count each message sent twice.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from forensics.parsers.arrowtext import S, Uniq, extract, join

WANTED = frozenset({
    "date-time", "client-ip", "client-hostname", "server-ip", "server-hostname", "source-context", "source",
    "event-id", "message-id", "recipient-address", "message-subject", "sender-address", "original-client-ip",
    "directionality",
})
SKIP_HEADER = "field-name line repeated as data"
_MAILBOX = r"(?i)(?:^|,\s*)Mailbox:(?P<v>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
_CLIENT_TYPE = r"(?i)(?:^|,\s*)ClientType:(?P<v>[^,]+)"
_CLASS = r"(?i)(?:^|,\s*)MessageClass:(?P<v>[^,]+)"
_MDB = r"(?i)(?:^|,\s*)MDB:(?P<v>[^,]+)"


def skip_reason(event: str | None) -> str:
    return f"transport event {event or '(none)'} (no mailbox action)"


@dataclass
class TrackingChunk:
    columns: dict[str, pa.Array]
    skipped: Counter[str]
    bad_lines: list[tuple[int, str]]
    submitters: pa.Array  # the submitting mailbox GUID of each row (null for other events)


def _column(table: pa.Table, name: str) -> pa.Array:
    if name in table.column_names:
        column = table.column(name)
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return pa.nulls(table.num_rows, S)


def classify(table: pa.Table, times: pa.Array, all_events: bool) -> TrackingChunk:
    """Rows of one batch of tracking lines (lower-case field names, ``record_id``, ``raw_ref``)."""
    numbers = _column(table, "record_id").to_numpy(zero_copy_only=False)
    raw_time = _column(table, "date-time")
    header = pc.fill_null(pc.equal(pc.utf8_lower(raw_time), "date-time"), False).to_numpy(zero_copy_only=False)
    timed = pc.is_valid(times).to_numpy(zero_copy_only=False)
    skipped: Counter[str] = Counter()
    if header.any():
        skipped[SKIP_HEADER] = int(header.sum())
    bad = ~timed & ~header
    bad_lines = [(int(x), "date-time missing or not an ISO-8601 UTC time") for x in numbers[bad].tolist()]
    eligible = timed & ~header

    event = Uniq.encode(pc.utf8_upper(_column(table, "event-id")))
    source = Uniq.encode(pc.utf8_upper(_column(table, "source")))
    submit = event.mask(lambda v: pc.equal(v, "SUBMIT")) & source.mask(lambda v: pc.equal(v, "STOREDRIVER"))
    context = _column(table, "source-context")
    submitter = pc.if_else(pa.array(submit), extract(context, _MAILBOX), pa.scalar(None, S))
    named = submit & pc.is_valid(submitter).to_numpy(zero_copy_only=False)
    if (submit & ~named & eligible).any():  # a SUBMIT that names no mailbox cannot say who sent
        for number in numbers[submit & ~named & eligible].tolist():
            bad_lines.append((int(number), "SUBMIT whose source-context names no Mailbox:<GUID>"))
    keep = eligible & (named | (all_events & ~submit))
    other = eligible & ~named & ~submit
    if not all_events and other.any():
        labels = event.values.to_pylist() + [None]
        codes, counts = np.unique(event.index[other], return_counts=True)
        for code, count in zip(codes.tolist(), counts.tolist()):
            skipped[skip_reason(labels[code])] += int(count)
    keep_arrow = pa.array(keep)

    client_type = extract(context, _CLIENT_TYPE)
    events = event.rows()
    item = pc.if_else(pa.array(named), _column(table, "message-subject"),
                      pc.binary_join_element_wise(source.rows(), events, " "))
    details = join([
        events,
        pc.binary_join_element_wise("message-id=", _column(table, "message-id"), ""),
        pc.binary_join_element_wise("MessageClass=", extract(context, _CLASS), ""),
        pc.binary_join_element_wise("MDB=", extract(context, _MDB), ""),
        pc.if_else(pa.array(named), pc.binary_join_element_wise("submitted from mailbox ", submitter, ""),
                   pa.scalar(None, S)),
        pc.binary_join_element_wise("recipients=", _column(table, "recipient-address"), ""),
        pc.binary_join_element_wise("directionality=", _column(table, "directionality"), ""),
    ], "; ").filter(keep_arrow)
    operation = np.where(named, 0, 1).astype(np.int8)[keep]  # 0 Send, 1 Event
    server = pc.coalesce(_column(table, "server-hostname"), _column(table, "client-hostname"))
    columns = {
        "time": times.filter(keep_arrow),
        "operation": pa.array(operation, pa.int8()),
        "actor": pc.dictionary_encode(submitter.filter(keep_arrow)),
        "mailbox": pc.dictionary_encode(_column(table, "sender-address").filter(keep_arrow)),
        "item": item.filter(keep_arrow),
        "client_ip": pc.dictionary_encode(_column(table, "original-client-ip").filter(keep_arrow)),
        "client_app": pc.dictionary_encode(
            pc.binary_join_element_wise("ClientType: ", client_type, "").filter(keep_arrow)),
        "server": pc.dictionary_encode(server.filter(keep_arrow)),
        "record_id": _column(table, "record_id").filter(keep_arrow),
        "raw_ref": _column(table, "raw_ref").filter(keep_arrow),
        "details": details,
    }
    return TrackingChunk(columns, skipped, bad_lines, submitter.filter(keep_arrow))
