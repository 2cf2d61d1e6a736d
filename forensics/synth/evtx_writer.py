"""Streaming writer of valid ``.evtx`` files holding classic (EventLog-API) events.

Why: no public EVTX contains Exchange mailbox-audit events, so the viewer's tests, demo and
benchmarks need synthetic files that the real parsers (evtx, python-evtx, libevtx) read exactly
as they read Windows' own. The layout follows ``shared/EVTX_FORMAT.md``: 4 KiB file header,
64 KiB chunks with chunk-local name and template tables, CRC-32s, one flat template per event
shape, defined once per chunk and referenced by later records of that chunk.

Memory stays bounded: only the chunk being filled is held; each full chunk is written out.
"""

from __future__ import annotations

import hashlib
import struct
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from os import PathLike
from typing import BinaryIO, Iterable, Sequence

from forensics.synth.binxml import (
    FRAGMENT_HEADER,
    T_FILETIME,
    T_HEXINT64,
    T_SID,
    T_STRING,
    T_UINT8,
    T_UINT16,
    T_UINT32,
    T_UINT64,
    TOK_TEMPLATE_INSTANCE,
    Element,
    NameTable,
    Subst,
    Text,
    template_definition,
)

__all__ = ["ClassicEvent", "EvtxWriter", "UserData", "filetime", "encode_sid", "KEYWORDS_CLASSIC"]

KEYWORDS_CLASSIC = 0x80000000000000  # "EventlogClassic": what Windows shows for EventLog-API events
FILE_HEADER_SIZE = 4096
CHUNK_SIZE = 65536
CHUNK_HEADER_SIZE = 512
# A record must end *before* the chunk's last byte: libevtx silently drops a record that ends
# exactly at 64 KiB (found by experiment; python-evtx and evtx read it). Records are 8-aligned, so
# the usable end is 65528.
CHUNK_END = CHUNK_SIZE - 8
MAX_RECORD_SIZE = CHUNK_END - CHUNK_HEADER_SIZE
FILE_FLAG_DIRTY = 0x1
EVENT_XMLNS = "http://schemas.microsoft.com/win/2004/08/events/event"

_EPOCH_1601 = datetime(1601, 1, 1, tzinfo=timezone.utc)
_ONE_US = timedelta(microseconds=1)

# record header (magic, size, record id, written time) + fragment header, template instance
# head (0x0C 0x01, template id) and the chunk offset of the template definition
_RECORD_START = struct.Struct("<IIQQ10sI")
_RECORD_MAGIC = 0x00002A2A
_U32 = struct.Struct("<I")
_DESC = struct.Struct("<HBx")  # value descriptor: size, type, 0
_FILE_HEADER = struct.Struct("<8sQQQIHHHH76sI")
_CHUNK_HEAD = struct.Struct("<8sQQQQIIII")
_TABLES = struct.Struct("<96I")

# Value indexes of the flat classic template (EVTX_FORMAT.md §9, reordered so that every
# fixed-size number comes first and the Data strings last: the hot path packs one struct and
# encodes the strings in one call). Provider Name, Channel and Computer are literals in the
# template, as in Windows' own classic templates (one template per provider and computer).
_IX_QUALIFIERS, _IX_EVENT_ID, _IX_VERSION, _IX_LEVEL, _IX_TASK, _IX_OPCODE = 0, 1, 2, 3, 4, 5
_IX_KEYWORDS, _IX_TIME, _IX_RECORD_ID, _IX_PID, _IX_TID, _IX_SID = 6, 7, 8, 9, 10, 11
_IX_DATA = 12
_MAX_SHAPES = 4096  # bound on cached template shapes (many distinct computers or providers)

_FIXED_WITH_Q = struct.Struct("<HHBBHBQQQII")
_FIXED_NO_Q = struct.Struct("<HBBHBQQQII")
# Descriptors of values 1..10 (always present); 0 and 11 depend on the event.
_DESC_FIXED = b"".join(
    _DESC.pack(size, vtype)
    for size, vtype in (
        (2, T_UINT16),  # EventID
        (1, T_UINT8),  # Version
        (1, T_UINT8),  # Level
        (2, T_UINT16),  # Task
        (1, T_UINT8),  # Opcode
        (8, T_HEXINT64),  # Keywords
        (8, T_FILETIME),  # TimeCreated
        (8, T_UINT64),  # EventRecordID
        (4, T_UINT32),  # ProcessID
        (4, T_UINT32),  # ThreadID
    )
)
_DESC_NULL = _DESC.pack(0, 0)
_DESC_QUALIFIERS = _DESC.pack(2, T_UINT16)
_NUL = "\x00"
_ZEROS = tuple(b"\x00" * n for n in range(16))


def filetime(moment: datetime) -> int:
    """100-ns ticks since 1601-01-01 UTC; a naive datetime is taken as UTC (times are UTC here)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - _EPOCH_1601) // _ONE_US * 10


def encode_sid(sid: str) -> bytes:
    """``S-1-5-21-…`` to its binary form (revision, count, 48-bit big-endian authority, LE subs)."""
    parts = sid.strip().upper().split("-")
    if len(parts) < 3 or parts[0] != "S":
        raise ValueError(f"not a SID: {sid!r}")
    try:
        revision, authority, *subs = (int(p, 0) for p in parts[1:])
    except ValueError as exc:
        raise ValueError(f"not a SID: {sid!r}") from exc
    if len(subs) > 15:
        raise ValueError(f"too many sub-authorities in SID {sid!r}")
    return struct.pack(f"<BB6s{len(subs)}I", revision, len(subs), authority.to_bytes(6, "big"), *subs)


@dataclass(frozen=True, slots=True)
class UserData:
    """A manifest event's ``<UserData>`` layout: one ``element`` in namespace ``xmlns`` whose
    ``leaves`` take the event's data strings in order (e.g. a cleared log, Eventlog 104/1102).

    Why: tests need such events in real ``.evtx`` bytes, and the template only moves the same
    string substitutions from ``<EventData>`` into named leaves."""

    element: str
    xmlns: str
    leaves: tuple[str, ...]


@dataclass(slots=True, kw_only=True)
class ClassicEvent:
    """One event as the classic EventLog API writes it (Exchange providers log this way).

    ``data`` are the unnamed ``<Data>`` insertion strings in order. ``computer`` None means the
    writer's default. ``qualifiers`` None leaves the attribute out (modern-provider style).
    ``user_data`` writes ``data`` into ``<UserData>`` leaves instead of ``<EventData>``.
    """

    provider: str
    event_id: int
    time: datetime
    data: Sequence[str] = ()
    qualifiers: int | None = 0
    level: int = 4
    task: int = 0
    keywords: int = KEYWORDS_CLASSIC
    computer: str | None = None
    version: int = 0
    opcode: int = 0
    process_id: int = 0
    thread_id: int = 0
    user_sid: str | None = None
    user_data: UserData | None = None


def _classic_template(
    n_data: int, with_qualifiers: bool, with_sid: bool, provider: str, channel: str, computer: str,
    user_data: UserData | None = None,
) -> Element:
    """The XML skeleton Windows renders for classic events, with substitution slots."""

    def leaf(name: str, index: int, vtype: int) -> Element:
        return Element(name, children=(Subst(index, vtype),))

    event_id_attrs = (("Qualifiers", Subst(_IX_QUALIFIERS, T_UINT16)),) if with_qualifiers else ()
    security_attrs = (("UserID", Subst(_IX_SID, T_SID)),) if with_sid else ()
    system = Element(
        "System",
        children=(
            Element("Provider", attrs=(("Name", Text(provider)),)),
            Element("EventID", attrs=event_id_attrs, children=(Subst(_IX_EVENT_ID, T_UINT16),)),
            leaf("Version", _IX_VERSION, T_UINT8),
            leaf("Level", _IX_LEVEL, T_UINT8),
            leaf("Task", _IX_TASK, T_UINT16),
            leaf("Opcode", _IX_OPCODE, T_UINT8),
            leaf("Keywords", _IX_KEYWORDS, T_HEXINT64),
            Element("TimeCreated", attrs=(("SystemTime", Subst(_IX_TIME, T_FILETIME)),)),
            leaf("EventRecordID", _IX_RECORD_ID, T_UINT64),
            Element("Correlation"),
            Element(
                "Execution",
                attrs=(("ProcessID", Subst(_IX_PID, T_UINT32)), ("ThreadID", Subst(_IX_TID, T_UINT32))),
            ),
            Element("Channel", children=(Text(channel),) if channel else ()),
            Element("Computer", children=(Text(computer),) if computer else ()),
            Element("Security", attrs=security_attrs),
        ),
    )
    if user_data is not None:
        leaves = tuple(leaf(name, _IX_DATA + i, T_STRING) for i, name in enumerate(user_data.leaves))
        payload = Element("UserData", children=(
            Element(user_data.element, attrs=(("xmlns", Text(user_data.xmlns)),), children=leaves),
        ))
    else:
        payload = Element("EventData", children=tuple(leaf("Data", _IX_DATA + i, T_STRING) for i in range(n_data)))
    return Element("Event", attrs=(("xmlns", Text(EVENT_XMLNS)),), children=(system, payload))


@dataclass(slots=True)
class _Shape:
    """Per-shape constants: template skeleton, GUID/id, and the byte prefixes of each record."""

    root: Element
    guid: bytes
    instance_prefix: bytes  # fragment header + 0x0C 0x01 + template id
    bucket: int
    desc_head: bytes  # value count + descriptors of values 0..10 (+ the NULL SID when absent)
    fixed: struct.Struct
    lengths: struct.Struct  # n x u32: the Data strings' UTF-16 unit counts
    desc_base: int  # sum over i of 0x10002 << 32*i: added to 2 * packed lengths


@dataclass
class _Chunk:
    """The chunk being filled: its bytes, chunk-local tables and record bookkeeping."""

    buf: bytearray = field(default_factory=lambda: bytearray(CHUNK_HEADER_SIZE))
    names: NameTable = field(default_factory=NameTable)
    template_buckets: list[int] = field(default_factory=lambda: [0] * 32)
    template_offsets: dict[tuple, int] = field(default_factory=dict)
    first_id: int = 0
    last_id: int = 0
    last_offset: int = 0


class EvtxWriter:
    """Write classic events to a new ``.evtx`` file, chunk by chunk.

    Use as a context manager (or call :meth:`close`): the file header, which carries the chunk
    count and next record id, is written last. Record ids are assigned ``first_record_id``,
    +1, ... in write order.

    Damage options for reader tests (a clean file is the default):
    ``declare_chunks=N`` writes a header that claims only N chunks (and their last record) as on
    a log copied while Windows had it open; ``dirty`` sets the header's dirty flag (default: on
    exactly when ``declare_chunks`` is given). ``spare_chunks=N`` appends N all-zero chunk slots,
    as Windows pre-allocates them (not damage: the header does not count them). See
    ``forensics.synth.evtx_damage`` for broken chunks.
    """

    def __init__(
        self,
        path: str | PathLike[str],
        channel: str = "Application",
        computer: str = "localhost",
        *,
        first_record_id: int = 1,
        declare_chunks: int | None = None,
        dirty: bool | None = None,
        spare_chunks: int = 0,
    ) -> None:
        if first_record_id < 1:
            raise ValueError("record ids start at 1 or more")
        if declare_chunks is not None and declare_chunks < 0:
            raise ValueError("declare_chunks cannot be negative")
        if spare_chunks < 0:
            raise ValueError("spare_chunks cannot be negative")
        self._spare = spare_chunks
        self.path = path
        self.channel = channel
        self.computer = computer
        self._declare = declare_chunks
        self._dirty = (declare_chunks is not None) if dirty is None else dirty
        self._next_id = first_record_id
        self._first_id = first_record_id
        self._declared_last_id = first_record_id - 1
        self.records_written = 0
        self.chunks_written = 0
        self._shapes: dict[tuple, _Shape] = {}
        self._fresh_definitions: dict[bytes, tuple[int, bytes, NameTable]] = {}
        self._sids: dict[str, bytes] = {}
        self._chunk = _Chunk()
        self._file: BinaryIO | None = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._file.write(bytes(FILE_HEADER_SIZE))  # placeholder until close()

    # ---- context manager -----------------------------------------------------------------
    def __enter__(self) -> "EvtxWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- public API ----------------------------------------------------------------------
    def write_many(self, events: Iterable[ClassicEvent]) -> int:
        """Write every event; returns how many were written."""
        write = self.write
        count = 0
        for event in events:
            write(event)
            count += 1
        return count

    def write(self, event: ClassicEvent) -> int:
        """Append one event; returns its EventRecordID."""
        if self._file is None:
            raise ValueError("write to a closed EvtxWriter")
        data = event.data
        qualifiers = event.qualifiers
        sid = event.user_sid
        key = (len(data), qualifiers is not None, sid is not None, event.provider, event.computer or self.computer,
               event.user_data)
        shape = self._shapes.get(key)
        if shape is None:
            if event.user_data is not None and len(event.user_data.leaves) != len(data):
                raise ValueError(f"{len(data)} data strings for {len(event.user_data.leaves)} UserData leaves")
            shape = self._make_shape(key)

        # Data strings, each NUL-terminated as Windows stores them (so "" is not zero-length),
        # encoded in one call. Their descriptors (u16 size, u8 type 1, 0) read as u32 are
        # 2*units + 0x10002; all of them at once is one big-integer sum over packed lengths.
        if data:
            joined = _NUL.join(data)
            data_bytes = joined.encode("utf-16-le") + b"\x00\x00"
            if len(data_bytes) == 2 * len(joined) + 2:  # BMP only: one UTF-16 unit per char
                units = shape.lengths.pack(*map(len, data))
            else:
                units = shape.lengths.pack(*[len(s.encode("utf-16-le")) >> 1 for s in data])
            if len(data_bytes) > 0xFFFE:
                self._check_string_sizes(data)
            data_desc = ((int.from_bytes(units, "little") << 1) + shape.desc_base).to_bytes(len(units), "little")
        else:
            data_bytes = data_desc = b""

        record_id = self._next_id
        moment = event.time
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        ticks = (moment - _EPOCH_1601) // _ONE_US * 10
        try:
            if qualifiers is None:
                fixed = shape.fixed.pack(
                    event.event_id, event.version, event.level, event.task, event.opcode,
                    event.keywords, ticks, record_id, event.process_id, event.thread_id,
                )  # fmt: skip
            else:
                fixed = shape.fixed.pack(
                    qualifiers, event.event_id, event.version, event.level, event.task, event.opcode,
                    event.keywords, ticks, record_id, event.process_id, event.thread_id,
                )  # fmt: skip
        except struct.error as exc:
            raise ValueError(f"event field out of range for EVTX: {exc} in {event!r}") from exc
        if sid is None:
            sid_bytes = desc_sid = b""
        else:
            sid_bytes = self._sids.get(sid) or self._sid(sid)
            desc_sid = _DESC.pack(len(sid_bytes), T_SID)

        # 24 header + 14 instance head + 4 count + descriptors + values + EOF, then pad + size copy.
        payload = 42 + 4 * (_IX_DATA + len(data)) + len(fixed) + len(sid_bytes) + len(data_bytes) + 1
        chunk = self._chunk
        offset = len(chunk.buf)
        definition_at = chunk.template_offsets.get(key)
        definition = b""
        if definition_at is None:
            definition_at, definition, names = self._define(shape, chunk, offset)
        size = (payload + len(definition) + 11) & ~7
        if offset + size > CHUNK_END:
            if offset == CHUNK_HEADER_SIZE:
                raise ValueError(f"event {record_id} needs {size} bytes; EVTX records hold {MAX_RECORD_SIZE} at most")
            self._flush_chunk()
            chunk = self._chunk
            offset = CHUNK_HEADER_SIZE
            definition_at, definition, names = self._define(shape, chunk, offset)
            size = (payload + len(definition) + 11) & ~7
            if size > MAX_RECORD_SIZE:
                raise ValueError(f"event {record_id} needs {size} bytes; EVTX records hold {MAX_RECORD_SIZE} at most")
        if definition:
            chunk.names = names
            chunk.template_offsets[key] = definition_at
            chunk.template_buckets[shape.bucket] = definition_at
        if chunk.first_id == 0:
            chunk.first_id = record_id
        chunk.last_id = record_id
        chunk.last_offset = offset
        chunk.buf += b"".join(
            (
                _RECORD_START.pack(_RECORD_MAGIC, size, record_id, ticks, shape.instance_prefix, definition_at),
                definition,
                shape.desc_head,
                desc_sid,
                data_desc,
                fixed,
                sid_bytes,
                data_bytes,
                _ZEROS[size - payload - len(definition) - 3],  # EOF token + zero padding
                _U32.pack(size),
            )
        )
        self._next_id = record_id + 1
        self.records_written += 1
        return record_id

    def close(self) -> None:
        """Flush the last chunk and write the final file header. Safe to call twice."""
        if self._file is None:
            return
        try:
            if self._chunk.first_id or not self.chunks_written:
                # An empty log still gets one initialised, record-less chunk, so that the header's
                # chunk count (1) agrees with its first/last chunk numbers (0..0).
                self._flush_chunk()
            for _ in range(self._spare):
                self._file.write(bytes(CHUNK_SIZE))
            self._file.seek(0)
            self._file.write(self._file_header())
        finally:
            self._file.close()
            self._file = None

    # ---- internals -----------------------------------------------------------------------
    def _make_shape(self, key: tuple) -> _Shape:
        n_data, with_q, with_sid, provider, computer, user_data = key
        if len(self._shapes) >= _MAX_SHAPES:
            self._shapes.clear()
            self._fresh_definitions.clear()
        # A stable, shape-specific GUID: the same shape gets the same template id in every file.
        # (the seed of EventData shapes leaves user_data out: their files stay byte-identical)
        seed = repr(("mailbox-audit classic", key if user_data else key[:5], self.channel)).encode("utf-8")
        guid = hashlib.md5(seed, usedforsecurity=False).digest()
        shape = self._shapes[key] = _Shape(
            root=_classic_template(n_data, with_q, with_sid, provider, self.channel, computer, user_data),
            guid=guid,
            instance_prefix=FRAGMENT_HEADER + bytes((TOK_TEMPLATE_INSTANCE, 0x01)) + guid[:4],
            bucket=guid[0] % 32,
            desc_head=_U32.pack(_IX_DATA + n_data)
            + (_DESC_QUALIFIERS if with_q else _DESC_NULL)
            + _DESC_FIXED
            + (b"" if with_sid else _DESC_NULL),
            fixed=_FIXED_WITH_Q if with_q else _FIXED_NO_Q,
            lengths=struct.Struct(f"<{n_data}I"),
            desc_base=sum((0x10000 * T_STRING + 2) << (32 * i) for i in range(n_data)),
        )
        return shape

    def _define(self, shape: _Shape, chunk: _Chunk, record_offset: int) -> tuple[int, bytes, NameTable]:
        """An inline template definition for a record at ``record_offset`` (not yet committed)."""
        at = record_offset + 38  # 24 record header + 4 fragment header + 10 instance head
        fresh = not chunk.names.offsets  # first definition of a chunk: same bytes every chunk
        if fresh:
            cached = self._fresh_definitions.get(shape.guid)
            if cached is not None and cached[0] == at:
                return cached
        names = chunk.names.copy()
        result = at, template_definition(shape.root, shape.guid, at, names, chunk.template_buckets[shape.bucket]), names
        if fresh:
            self._fresh_definitions[shape.guid] = result  # its NameTable is only ever copied, never mutated
        return result

    @staticmethod
    def _check_string_sizes(data: Sequence[str]) -> None:
        for text in data:
            size = len(text.encode("utf-16-le")) + 2
            if size > 0xFFFF:
                raise ValueError(f"a string value of {size} bytes exceeds the 65535-byte EVTX limit")

    def _sid(self, sid: str) -> bytes:
        if len(self._sids) > 4096:
            self._sids.clear()
        value = self._sids[sid] = encode_sid(sid)
        return value

    def _flush_chunk(self) -> None:
        chunk = self._chunk
        buf = chunk.buf
        free = len(buf)
        # A record-less chunk keeps first = last = 0 (libevtx flags last < first as corrupt).
        _CHUNK_HEAD.pack_into(
            buf, 0, b"ElfChnk\x00", chunk.first_id, chunk.last_id, chunk.first_id, chunk.last_id,
            128, chunk.last_offset, free, zlib.crc32(memoryview(buf)[CHUNK_HEADER_SIZE:free]),
        )  # fmt: skip
        _TABLES.pack_into(buf, 128, *chunk.names.buckets, *chunk.template_buckets)
        # chunk flags (offset 120) stay 0; header CRC covers 0..119 and the two tables 128..511
        view = memoryview(buf)
        _U32.pack_into(buf, 124, zlib.crc32(view[128:CHUNK_HEADER_SIZE], zlib.crc32(view[:120])))
        view.release()
        buf += bytes(CHUNK_SIZE - free)
        assert self._file is not None
        self._file.write(buf)
        self.chunks_written += 1
        if self._declare is not None and self.chunks_written == self._declare:
            self._declared_last_id = chunk.last_id
        self._chunk = _Chunk()

    def _file_header(self) -> bytes:
        chunks = self.chunks_written
        if self._declare is None:
            declared, last_id = chunks, self._next_id - 1
        else:
            declared = self._declare
            last_id = self._declared_last_id if declared < chunks else self._next_id - 1
        head = _FILE_HEADER.pack(
            b"ElfFile\x00", 0, max(declared - 1, 0), last_id + 1, 128, 1, 3, FILE_HEADER_SIZE, declared,
            bytes(76), FILE_FLAG_DIRTY if self._dirty else 0,
        )  # fmt: skip
        return head + _U32.pack(zlib.crc32(head[:120])) + bytes(FILE_HEADER_SIZE - len(head) - 4)
