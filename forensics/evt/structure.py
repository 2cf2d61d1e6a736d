"""The fixed structures of a ``.evt`` file: the 48-byte file header and the 40-byte end-of-file
record (``ELF_LOGFILE_HEADER`` / ``ELF_EOF_RECORD``).

Sources: Microsoft, "Event Log File Format" (ELF_LOGFILE_HEADER, EVENTLOGRECORD, ELF_EOF_RECORD,
learn.microsoft.com/windows/win32/eventlog/event-log-file-format) and libyal's "Windows Event Log
(EVT) format" (github.com/libyal/libevt, documentation/), whose "Corruption scenarios" section
explains why the end-of-file record, not the header, is trusted in a dirty file: the service
rewrites the EOF record after every event but the header only on a clean close.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER_SIZE = 48
SIGNATURE = b"LfLe"
EOF_SIZE = 40
#: the four signature dwords of the end-of-file record, after its size
EOF_MAGIC = struct.pack("<4I", 0x11111111, 0x22222222, 0x33333333, 0x44444444)

FLAG_DIRTY = 0x1  # ELF_LOGFILE_HEADER_DIRTY: the log was open (not cleanly closed) when copied
FLAG_WRAPPED = 0x2  # ELF_LOGFILE_HEADER_WRAP: the oldest records were overwritten
FLAG_LOGFULL = 0x4  # ELF_LOGFILE_LOGFULL_WRITTEN: a write failed for lack of space
FLAG_ARCHIVE = 0x8  # ELF_LOGFILE_ARCHIVE_SET

_HEADER = struct.Struct("<I4s10I")
_EOF = struct.Struct("<I16s5I")


@dataclass(frozen=True)
class FileHeader:
    """``ELF_LOGFILE_HEADER``. ``next_record`` is ``CurrentRecordNumber``: the number the next
    event will get (Microsoft's definition, and "record count + 1" in other readers' notes), so
    the newest record present is ``next_record - 1``; libyal's documentation names the field
    "last (newest) record number", so checks built on it never claim on a difference of one."""

    start_offset: int  # StartOffset: the oldest record
    end_offset: int  # EndOffset: the ELF_EOF_RECORD
    next_record: int
    oldest_record: int
    max_size: int
    flags: int
    retention: int
    major: int
    minor: int

    @classmethod
    def parse(cls, data: bytes) -> FileHeader | None:
        """The header, or None when the first 48 bytes are not one (size 48, 'LfLe', size 48)."""
        if len(data) < HEADER_SIZE:
            return None
        size, sig, major, minor, start, end, current, oldest, max_size, flags, retention, size2 = _HEADER.unpack_from(data)
        if size != HEADER_SIZE or sig != SIGNATURE or size2 != HEADER_SIZE:
            return None
        return cls(start, end, current, oldest, max_size, flags, retention, major, minor)

    @property
    def dirty(self) -> bool:
        return bool(self.flags & FLAG_DIRTY)

    @property
    def wrapped(self) -> bool:
        return bool(self.flags & FLAG_WRAPPED)

    def flag_names(self) -> list[str]:
        names = [(FLAG_DIRTY, "DIRTY"), (FLAG_WRAPPED, "WRAPPED"), (FLAG_LOGFULL, "LOGFULL"), (FLAG_ARCHIVE, "ARCHIVE")]
        return [name for bit, name in names if self.flags & bit]


@dataclass(frozen=True)
class EofRecord:
    """``ELF_EOF_RECORD``: the same four fields as the header, as they stood at the last write."""

    offset: int  # where in the file it lies (its first byte)
    start_offset: int
    end_offset: int
    next_record: int
    oldest_record: int


def find_eof(data: bytes) -> EofRecord | None:
    """The end-of-file record: an occurrence of its signature with the 0x28 size at both ends,
    preferring one whose own ``end_offset`` names where it lies.
    A record split by the wrap (its tail continuing after the header) is found too."""
    found: list[EofRecord] = []
    pos = data.find(EOF_MAGIC, HEADER_SIZE + 4)
    while pos >= 0:
        record = _eof_at(data, pos - 4)
        if record is not None:
            found.append(record)
        pos = data.find(EOF_MAGIC, pos + 1)
    if not found:
        split = _split_eof(data)
        found = [split] if split is not None else []
    consistent = [r for r in found if r.end_offset == r.offset] or found
    # each new record overwrites the EOF record it starts at, so a second one is a leftover
    # (slack, a spliced file): the one naming the highest next record is the latest state
    return max(consistent, key=lambda r: r.next_record) if consistent else None


def _eof_at(data: bytes, start: int) -> EofRecord | None:
    whole = data[start : start + EOF_SIZE]
    if len(whole) < EOF_SIZE:  # split at the end of the buffer: the rest follows the header
        whole += data[HEADER_SIZE : HEADER_SIZE + EOF_SIZE - len(whole)]
    if len(whole) != EOF_SIZE:
        return None
    size, _, first, end, current, oldest, size2 = _EOF.unpack(whole)
    if size != EOF_SIZE or size2 != EOF_SIZE:
        return None
    return EofRecord(start, first, end, current, oldest)


def _split_eof(data: bytes) -> EofRecord | None:
    """An EOF record whose signature itself straddles the wrap (end of file | after header)."""
    if len(data) <= HEADER_SIZE + EOF_SIZE:
        return None
    tail = data[-(EOF_SIZE - 1):]
    joined = tail + data[HEADER_SIZE : HEADER_SIZE + EOF_SIZE]
    pos = joined.find(EOF_MAGIC)
    while pos >= 0:
        start = pos - 4
        if 0 <= start < len(tail) and start + EOF_SIZE > len(tail):
            whole = joined[start : start + EOF_SIZE]
            size, _, first, end, current, oldest, size2 = _EOF.unpack(whole)
            if size == EOF_SIZE and size2 == EOF_SIZE:
                return EofRecord(len(data) - len(tail) + start, first, end, current, oldest)
        pos = joined.find(EOF_MAGIC, pos + 1)
    return None


def build_header(start: int, end: int, next_record: int, oldest: int, max_size: int, flags: int,
                 retention: int = 0) -> bytes:
    """The 48 header bytes (the synthetic writer and tests use it)."""
    return _HEADER.pack(HEADER_SIZE, SIGNATURE, 1, 1, start, end, next_record, oldest, max_size, flags, retention, HEADER_SIZE)


def build_eof(start: int, end: int, next_record: int, oldest: int) -> bytes:
    """The 40 end-of-file record bytes."""
    return _EOF.pack(EOF_SIZE, EOF_MAGIC, start, end, next_record, oldest, EOF_SIZE)
