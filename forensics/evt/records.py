"""One ``EVENTLOGRECORD``: the fixed 56 bytes, the two names, the SID, the insertion strings.

Layout (Microsoft "EVENTLOGRECORD structure"; libyal libevt documentation, "Event record"):
Length, Reserved ('LfLe'), RecordNumber, TimeGenerated, TimeWritten (32-bit Unix seconds, UTC),
EventID (full 32-bit message code: the id Event Viewer shows is the low 16 bits, the high
16 bits are severity/customer/facility, the "qualifiers" of .evtx), EventType, NumStrings,
EventCategory, ReservedFlags, ClosingRecordNumber, StringOffset, UserSidLength, UserSidOffset,
DataLength, DataOffset; then SourceName and Computername (UTF-16LE, NUL-terminated), the SID,
the strings, the binary data, padding, and a copy of Length as the last dword.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from forensics.evt.structure import SIGNATURE

FIXED = struct.Struct("<I4sIIIIHHHHIIIIII")
FIXED_SIZE = FIXED.size  # 56
#: the smallest record: the fixed part, two empty names (2 bytes each), the trailing size
MIN_RECORD = FIXED_SIZE + 4 + 4
#: EventType values (EVENTLOG_*_TYPE / AUDIT_*)
EVENT_TYPES = {0: "Success", 1: "Error", 2: "Warning", 4: "Information", 8: "Success Audit", 16: "Failure Audit"}
_U32 = struct.Struct("<I")


@dataclass(slots=True)
class EvtRecord:
    """What one record says. ``code`` is the stored 32-bit EventID; ``event_id`` its low 16 bits."""

    number: int
    generated: int  # Unix seconds, UTC
    written: int
    code: int
    event_type: int
    category: int
    source: str
    computer: str
    sid: str | None
    strings: list[str]
    data_length: int
    size: int

    @property
    def event_id(self) -> int:
        return self.code & 0xFFFF

    @property
    def qualifiers(self) -> int:
        return self.code >> 16


def frame_ok(buf: bytes, pos: int) -> bool:
    """Whether a record's frame stands at ``pos``: signature, a size that fits, and the same
    size as the record's last dword (what libevt and the EventLog service check first)."""
    if pos + 8 > len(buf) or buf[pos + 4 : pos + 8] != SIGNATURE:
        return False
    size = _U32.unpack_from(buf, pos)[0]
    if size < MIN_RECORD or pos + size > len(buf):
        return False
    return _U32.unpack_from(buf, pos + size - 4)[0] == size


def frame_problem(buf: bytes, pos: int) -> str:
    """Why no record frame stands at ``pos`` (the fields a bad-record warning names)."""
    if pos + 8 > len(buf):
        return f"{len(buf) - pos} bytes left, too few for a record"
    size = _U32.unpack_from(buf, pos)[0]
    sig = buf[pos + 4 : pos + 8]
    if sig != SIGNATURE:
        return f"no 'LfLe' signature (size field {size}, signature bytes {sig.hex()})"
    if size < MIN_RECORD:
        return f"size field {size} is below the {MIN_RECORD}-byte minimum"
    if pos + size > len(buf):
        return f"size field {size} runs {pos + size - len(buf)} bytes past the end of the log data"
    trailer = _U32.unpack_from(buf, pos + size - 4)[0]
    zero = " (zero: the record was never completely written, as in an unflushed live copy)" if trailer == 0 else ""
    return f"the size copy at the record's end is {trailer}, not {size}{zero}"


def parse(buf: bytes, pos: int) -> tuple[EvtRecord | None, str, list[str]]:
    """The record whose frame ``frame_ok`` accepted at ``pos``: (record, "", warnings), or
    (None, problem, []) when a field inside the frame points outside it."""
    (size, _, number, generated, written, code, event_type, num_strings, category, _flags, _closing,
     string_offset, sid_length, sid_offset, data_length, data_offset) = FIXED.unpack_from(buf, pos)
    body_end = size - 4
    warnings: list[str] = []
    if not FIXED_SIZE <= string_offset <= body_end:
        return None, f"StringOffset {string_offset} lies outside the {size}-byte record", []
    if sid_length and not (FIXED_SIZE <= sid_offset and sid_offset + sid_length <= body_end):
        return None, f"UserSidOffset {sid_offset} + UserSidLength {sid_length} lie outside the {size}-byte record", []
    strings_end = body_end
    if data_length and FIXED_SIZE <= data_offset <= body_end and data_offset >= string_offset:
        strings_end = data_offset
    elif data_length and data_offset + data_length > body_end:
        warnings.append(f"DataOffset {data_offset} + DataLength {data_length} lie outside the record: data ignored")
    parts: list[str] | None = None
    if not sid_length and not (string_offset - FIXED_SIZE) % 2:
        # the common layout (no SID): names and strings decoded at once, kept only when the two
        # names end exactly at StringOffset (else, e.g. a surrogate pair, the careful path below)
        whole = _utf16(buf[pos + FIXED_SIZE : pos + strings_end]).split("\x00", 2)
        if len(whole) == 3 and (len(whole[0]) + len(whole[1]) + 2) * 2 == string_offset - FIXED_SIZE:
            names = whole
            parts = whole[2].split("\x00") if num_strings else []
    if parts is None:
        names_end = min(string_offset, sid_offset) if sid_length else string_offset
        names = _utf16(buf[pos + FIXED_SIZE : pos + names_end]).split("\x00")
        parts = _utf16(buf[pos + string_offset : pos + strings_end]).split("\x00") if num_strings else []
    if len(names) < 3:
        return None, "SourceName and Computername are not two NUL-terminated UTF-16 strings before the strings", []
    strings: list[str] = []
    if num_strings:
        strings = parts[:num_strings]
        if len(parts) - 1 < num_strings:  # the last part has no terminator
            complete = max(len(parts) - 1, 0)
            strings = parts[:complete]
            warnings.append(f"NumStrings is {num_strings} but only {complete} terminated strings fit before "
                            f"the record's end: the others are missing")
    sid = _sid(buf[pos + sid_offset : pos + sid_offset + sid_length]) if sid_length else None
    return EvtRecord(number, generated, written, code, event_type, category, names[0], names[1], sid, strings,
                     data_length, size), "", warnings


def _utf16(raw: bytes) -> str:
    if len(raw) % 2:
        raw = raw[:-1]
    return raw.decode("utf-16-le", errors="replace")


def _sid(raw: bytes) -> str | None:
    """A binary SID as ``S-1-5-21-…`` (None when it is not one)."""
    if len(raw) < 8:
        return None
    revision, count = raw[0], raw[1]
    if len(raw) < 8 + 4 * count:
        return None
    authority = int.from_bytes(raw[2:8], "big")
    subs = struct.unpack_from(f"<{count}I", raw, 8)
    return "-".join(["S", str(revision), str(authority), *map(str, subs)])
