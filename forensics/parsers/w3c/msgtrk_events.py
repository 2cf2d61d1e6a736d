"""What a message tracking line means for "who sent what as whom".

Message tracking (``TransportRoles\\Logs\\MessageTracking\\MSGTRK*.LOG``) follows each message
through transport; two events tell of a mailbox action, both with source ``STOREDRIVER``:
``SUBMIT``, written by the mailbox submission service when the store hands transport a message
a mailbox sent, and ``RECEIVE``, written by the transport service when it takes that message in
("STOREDRIVER RECEIVE ... is the event that corresponds to a STOREDRIVER SUBMIT event ... These
can be on the same server ... or on different servers": Microsoft, "Understanding Message
Tracking", technet bb124375; on 2013+ the SUBMIT is in ``MSGTRKMS*``, the RECEIVE in ``MSGTRK*``).
Both carry a ``source-context`` naming the submitting mailbox (``MDB:<db>, Mailbox:<mailbox
GUID>, Event:…, MessageClass:…, CreationTime:…, ClientType:<MOMT|OWA|AirSync|…>``) and
``sender-address`` (field list: Microsoft "Description of Message Tracking Log Fields", cc539064;
``reference/evidence-formats.md`` §7), so a submission from one mailbox with another person's
address is SendAs / SendOnBehalf evidence. Each becomes one ``Send`` row: actor = the
submitting mailbox (its GUID, linked to a person through the directory export's ExchangeGuid),
mailbox = the sender address.

One message, one send: a RECEIVE and the SUBMIT of the same message (same ``message-id``,
submitting mailbox and sender address) in one log are paired in the parser (``msgtrk``: the
RECEIVE is counted as skipped, not rowed); in two logs (MSGTRKMS and MSGTRK) ``correlate``
makes them one access (rule ``tracking-same-message``). A RECEIVE STOREDRIVER whose
source-context names no mailbox cannot say who sent: it is counted, not rowed. Every other
event (DELIVER, SEND, FAIL, HARECEIVE, NOTIFYMAPI, SMTP RECEIVE, …) is transport bookkeeping:
counted per event id, rowed only with ``--all-events`` (operation ``Event``).
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
SKIP_RECEIVE_UNNAMED = "RECEIVE STOREDRIVER naming no submitting mailbox (no mailbox action shown)"
#: ``kind`` codes of rows (helper column ``_kind``, dropped before the frame is built)
KIND_SUBMIT, KIND_RECEIVE, KIND_OTHER = 0, 1, 2
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
    kinds: pa.Array  # int8 per row: KIND_SUBMIT, KIND_RECEIVE (STOREDRIVER) or KIND_OTHER
    message_ids: pa.Array  # the message-id of each row (pairs a RECEIVE with its SUBMIT)


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
    store = source.mask(lambda v: pc.equal(v, "STOREDRIVER"))
    submit = event.mask(lambda v: pc.equal(v, "SUBMIT")) & store
    receive = event.mask(lambda v: pc.equal(v, "RECEIVE")) & store
    context = _column(table, "source-context")
    submitter = pc.if_else(pa.array(submit | receive), extract(context, _MAILBOX), pa.scalar(None, S))
    named = (submit | receive) & pc.is_valid(submitter).to_numpy(zero_copy_only=False)
    if (submit & ~named & eligible).any():  # a SUBMIT that names no mailbox cannot say who sent
        for number in numbers[submit & ~named & eligible].tolist():
            bad_lines.append((int(number), "SUBMIT whose source-context names no Mailbox:<GUID>"))
    unnamed_receive = eligible & receive & ~named
    if not all_events and unnamed_receive.any():
        skipped[SKIP_RECEIVE_UNNAMED] = int(unnamed_receive.sum())
    keep = eligible & (named | (all_events & ~submit))
    other = eligible & ~named & ~submit & ~receive
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
    kinds = np.where(named & submit, KIND_SUBMIT, np.where(named & receive, KIND_RECEIVE, KIND_OTHER)).astype(np.int8)
    return TrackingChunk(columns, skipped, bad_lines, submitter.filter(keep_arrow), pa.array(kinds[keep], pa.int8()),
                         _column(table, "message-id").filter(keep_arrow))
