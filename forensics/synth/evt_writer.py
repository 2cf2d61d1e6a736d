"""A writer of legacy ``.evt`` event logs (Windows NT 4 - Server 2003) for synthetic evidence.

It lays records out as the EventLog service does (Microsoft "Event Log File Format";
libyal libevt documentation): the 48-byte ``ELF_LOGFILE_HEADER``, ``EVENTLOGRECORD``s one after
another, then the 40-byte ``ELF_EOF_RECORD``. With ``max_size`` the file is a circular buffer
of that size: when a record does not fit, the oldest records are dropped (``StartOffset``
moves on) and writing continues after the header, a record that reaches the end of the file
continuing after the header too; the header then carries the wrap flag. The header is written
clean (flags 0, as after a clean close) unless ``dirty`` is given.
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from forensics.evt.records import FIXED
from forensics.evt.structure import (
    EOF_SIZE, FLAG_DIRTY, FLAG_WRAPPED, HEADER_SIZE, SIGNATURE, build_eof, build_header,
)

#: EventType of an information event and of a success audit
INFORMATION = 4
AUDIT_SUCCESS = 8


@dataclass
class EvtEvent:
    """One event to write; ``qualifiers`` become the high 16 bits of the stored EventID."""

    source: str
    event_id: int
    time: datetime
    strings: list[str]
    event_type: int = INFORMATION
    category: int = 0
    qualifiers: int = 0
    sid: str | None = None
    data: bytes = b""
    computer: str = ""


def encode_sid(sid: str) -> bytes:
    parts = sid.split("-")
    subs = [int(x) for x in parts[3:]]
    return bytes([int(parts[1]), len(subs)]) + int(parts[2]).to_bytes(6, "big") + struct.pack(f"<{len(subs)}I", *subs)


def encode_record(e: EvtEvent, number: int, computer: str) -> bytes:
    """The bytes of one ``EVENTLOGRECORD`` numbered ``number``."""
    seconds = int(e.time.astimezone(timezone.utc).timestamp())
    names = (e.source + "\x00" + (e.computer or computer) + "\x00").encode("utf-16-le")
    sid = encode_sid(e.sid) if e.sid else b""
    pad = (-(FIXED.size + len(names))) % 4  # the service aligns the SID on a dword
    sid_offset = FIXED.size + len(names) + pad
    strings = "".join(s + "\x00" for s in e.strings).encode("utf-16-le")
    string_offset = sid_offset + len(sid)
    data_offset = string_offset + len(strings)
    body = data_offset + len(e.data)
    size = body + ((-body) % 4) + 4
    code = ((e.qualifiers & 0xFFFF) << 16) | (e.event_id & 0xFFFF)
    fixed = FIXED.pack(size, SIGNATURE, number, seconds, seconds, code, e.event_type, len(e.strings), e.category, 0,
                       0, string_offset, len(sid), sid_offset if sid else 0, len(e.data), data_offset)
    out = fixed + names + b"\x00" * pad + sid + strings + e.data
    return out + b"\x00" * (size - 4 - len(out)) + struct.pack("<I", size)


@dataclass
class _Live:
    offset: int
    size: int
    number: int


@dataclass
class EvtWriter:
    """Collects events, then lays the file out on ``close`` (the whole log is small)."""

    path: Path
    computer: str
    max_size: int | None = None  # None: the file grows to fit (no wrap)
    first_number: int = 1
    dirty: bool = False
    _records: list[tuple[int, bytes]] = field(default_factory=list)

    def write(self, event: EvtEvent) -> int:
        number = self._records[-1][0] + 1 if self._records else self.first_number
        self._records.append((number, encode_record(event, number, self.computer)))
        return number

    def remove(self, number: int) -> None:
        """Leave record ``number`` out, as log-editing tools do: its bytes gone, the records
        after it moved up, every other number unchanged (the tests' removed-record case)."""
        self._records = [(n, raw) for n, raw in self._records if n != number]

    def close(self) -> None:
        self.path.write_bytes(self.build())

    def build(self) -> bytes:
        if self.max_size is None:
            body = b"".join(raw for _, raw in self._records)
            end = HEADER_SIZE + len(body)
            oldest = self._records[0][0] if self._records else self.first_number
            nxt = self._records[-1][0] + 1 if self._records else self.first_number
            flags = FLAG_DIRTY if self.dirty else 0
            return (build_header(HEADER_SIZE, end, nxt, oldest, max(end + EOF_SIZE, 0x10000), flags)
                    + body + build_eof(HEADER_SIZE, end, nxt, oldest))
        return self._circular()

    def _circular(self) -> bytes:
        size = self.max_size or 0
        region = size - HEADER_SIZE
        buf = bytearray(size)
        live: deque[_Live] = deque()
        start = end = HEADER_SIZE
        wrapped = False

        def used() -> int:
            return (end - start) % region if live else 0

        for number, raw in self._records:
            if len(raw) + EOF_SIZE > region:
                raise ValueError(f"record {number} ({len(raw)} bytes) does not fit a {size}-byte log")
            while live and region - used() < len(raw) + EOF_SIZE:
                live.popleft()
                wrapped = True
                start = live[0].offset if live else end
            if not live:
                start = end
            _put(buf, end, raw)
            live.append(_Live(end, len(raw), number))
            end = HEADER_SIZE + (end - HEADER_SIZE + len(raw)) % region
        oldest = live[0].number if live else self.first_number
        nxt = self._records[-1][0] + 1 if self._records else self.first_number
        _put(buf, end, build_eof(start, end, nxt, oldest))
        flags = (FLAG_WRAPPED if wrapped else 0) | (FLAG_DIRTY if self.dirty else 0)
        buf[:HEADER_SIZE] = build_header(start, end, nxt, oldest, size, flags)
        return bytes(buf)


def _put(buf: bytearray, offset: int, raw: bytes) -> None:
    """Write ``raw`` at ``offset`` of the circular region, continuing after the header at the end."""
    room = len(buf) - offset
    if len(raw) <= room:
        buf[offset : offset + len(raw)] = raw
    else:
        buf[offset:] = raw[:room]
        buf[HEADER_SIZE : HEADER_SIZE + len(raw) - room] = raw[room:]
