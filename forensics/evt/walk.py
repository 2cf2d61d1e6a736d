"""Walk a ``.evt`` file's circular buffer record by record, naming every byte range it skips.

The live log runs from the oldest record (``StartOffset``) to the end-of-file record
(``EndOffset``). Once the log has wrapped, it runs to the end of the file and continues right
after the 48-byte header, and a record (or the EOF record) may be split across that seam.
The walk joins the two parts into one stream and reads it in order. Where no record frame
stands (damage, an edited size, the zero-filled tail of an unflushed write) it resynchronises on
the next 'LfLe' signature whose frame checks out, and the bytes skipped become one ``Damage``.
Bytes between the last record and the seam that are all padding (zeros, or the 0x00000027
dwords the EventLog service fills with) are not damage.

Why the EOF record and not the header decides the live range: the service rewrites the EOF
record after every event, the header only when the log is closed cleanly (libyal libevt
documentation, "Corruption scenarios: dirty file with invalid offset values").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from forensics.evt.records import EvtRecord, frame_ok, frame_problem, parse
from forensics.evt.structure import EOF_SIZE, HEADER_SIZE, SIGNATURE, EofRecord, FileHeader, find_eof

_PAD_DWORD = b"\x27\x00\x00\x00"


@dataclass(frozen=True)
class Damage:
    """Bytes of the live log no record could be read from."""

    offset: int  # file offset of the first byte
    length: int
    reason: str
    before: int | None  # number of the last record read before it (None: none)
    after: int | None  # number of the first record read after it (None: none)
    at_cut: bool = False  # the range runs into the end of a file shorter than its log


@dataclass
class Walk:
    """What the walk found; ``records[i]`` lies at file offset ``offsets[i]``."""

    header: FileHeader
    eof: EofRecord | None
    size: int
    records: list[EvtRecord] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    damage: list[Damage] = field(default_factory=list)
    field_problems: list[tuple[int, str]] = field(default_factory=list)  # (offset, problem): frames whose fields are bad
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (offset, warning) on records read anyway
    start: int = HEADER_SIZE
    end: int | None = None  # the EOF record's offset (None: not found)
    wrapped: bool = False
    basis: str = ""  # what the live range was taken from
    padding: int = 0
    slack: list[tuple[int, EvtRecord]] = field(default_factory=list)  # (offset, record) outside the live log

    @property
    def slack_records(self) -> int:
        return len(self.slack)

    def slack_split(self) -> tuple[list[tuple[int, EvtRecord]], list[tuple[int, EvtRecord]], list[tuple[int, EvtRecord]]]:
        """Slack records as (new, copies, conflicts): numbers the live log does not hold (first
        copy of each), byte-for-byte-equal copies of live records or of an earlier slack copy,
        and records whose number a live record carries with other content."""
        live = {r.number: r for r in self.records}
        seen: dict[int, EvtRecord] = {}
        new, copies, conflicts = [], [], []
        for offset, record in self.slack:
            other = live.get(record.number) or seen.get(record.number)
            if other is None:
                seen[record.number] = record
                new.append((offset, record))
            elif other == record:
                copies.append((offset, record))
            else:
                conflicts.append((offset, record))
        return new, copies, conflicts


def walk(data: bytes) -> Walk:
    """Read every record of the live log in ``data`` (the whole file)."""
    header = FileHeader.parse(data)
    if header is None:
        raise ValueError("not an .evt file (no 48-byte ELF_LOGFILE_HEADER with the 'LfLe' signature)")
    eof = find_eof(data)
    result = Walk(header=header, eof=eof, size=len(data))
    start, end, basis = _live_range(data, header, eof)
    result.start, result.end, result.basis = start, end, basis
    stop = end if end is not None else len(data)
    if start <= stop:
        segments = [(start, stop)]
    else:
        result.wrapped = True
        segments = [(start, len(data)), (HEADER_SIZE, stop)]
    stream = b"".join(data[a:b] for a, b in segments)
    first_len = segments[0][1] - segments[0][0]
    cut = end is None  # the stream then runs to the file's last byte: damage there is the cut end

    def file_offset(pos: int) -> int:
        return segments[0][0] + pos if pos < first_len else HEADER_SIZE + pos - first_len

    pos = 0
    last: int | None = None
    pending: tuple[int, str] | None = None  # (stream position, reason) of damage not yet closed
    while pos < len(stream):
        if frame_ok(stream, pos):
            record, problem, warnings = parse(stream, pos)
            if pending is not None:
                result.damage.append(_damage(pending, pos, file_offset, last, record.number if record else None))
                pending = None
            if record is None:
                result.field_problems.append((file_offset(pos), problem))
            else:
                result.records.append(record)
                result.offsets.append(file_offset(pos))
                if warnings:
                    result.warnings.extend((file_offset(pos), w) for w in warnings)
                last = record.number
            pos += _size(stream, pos)
            continue
        if pending is None and result.wrapped and pos < first_len and _is_padding(stream[pos:first_len]):
            result.padding += first_len - pos
            pos = first_len
            continue
        if pending is None:
            pending = (pos, frame_problem(stream, pos))
        nxt = _next_frame(stream, pos + 1)
        if nxt is None:
            tail = stream[pending[0]:]
            if not tail.strip(b"\x00") and end is not None:
                # zeros up to the EOF record: an unflushed write in a live copy, reported as damage all the same
                pending = (pending[0], pending[1] + "; the bytes up to the end-of-file record are zeros")
            result.damage.append(_damage(pending, len(stream), file_offset, last, None, at_cut=cut))
            pending = None
            break
        pos = nxt
    result.slack = _slack(data, segments)
    return result


def _live_range(data: bytes, header: FileHeader, eof: EofRecord | None) -> tuple[int, int | None, str]:
    """(start, EOF offset or None, basis) of the live log."""
    def valid(offset: int) -> bool:
        return HEADER_SIZE <= offset < len(data)

    if eof is not None and valid(eof.start_offset):
        return eof.start_offset, eof.offset, "end-of-file record"
    if eof is not None:
        return HEADER_SIZE, eof.offset, "end-of-file record (its start offset is outside the file: read from the header's end)"
    if valid(header.start_offset):
        return header.start_offset, None, "file header (no end-of-file record found)"
    return HEADER_SIZE, None, "scan from the first byte after the header (no usable offsets)"


def _size(stream: bytes, pos: int) -> int:
    return int.from_bytes(stream[pos : pos + 4], "little")


def _next_frame(stream: bytes, pos: int) -> int | None:
    """Start of the next position holding a valid record frame (signature 4 bytes in)."""
    hit = stream.find(SIGNATURE, pos + 4)
    while hit >= 0:
        if frame_ok(stream, hit - 4):
            return hit - 4
        hit = stream.find(SIGNATURE, hit + 1)
    return None


def _is_padding(raw: bytes) -> bool:
    if not raw.strip(b"\x00"):
        return True
    return len(raw) % 4 == 0 and raw == _PAD_DWORD * (len(raw) // 4)


def _damage(pending: tuple[int, str], stop: int, file_offset: Callable[[int], int], before: int | None, after: int | None,
            at_cut: bool = False) -> Damage:
    start, reason = pending
    return Damage(file_offset(start), stop - start, reason, before, after, at_cut)


def _slack(data: bytes, segments: list[tuple[int, int]]) -> list[tuple[int, EvtRecord]]:
    """Complete records in the bytes outside the live log (space the log overwrote, or left
    from before a clear): (file offset, record). Their frames check out as live records' do."""
    outside: list[tuple[int, int]] = []
    cursor = HEADER_SIZE
    for a, b in sorted(segments):
        if a > cursor:
            outside.append((cursor, a))
        cursor = max(cursor, b + (EOF_SIZE if b < len(data) else 0))
    if cursor < len(data):
        outside.append((cursor, len(data)))
    found: list[tuple[int, EvtRecord]] = []
    for a, b in outside:
        piece = data[a:b]
        hit = piece.find(SIGNATURE, 4)
        while hit >= 0:
            start = hit - 4
            record = parse(piece, start)[0] if frame_ok(piece, start) else None
            if record is not None:
                found.append((a + start, record))
                hit = piece.find(SIGNATURE, start + record.size + 4)
            else:
                hit = piece.find(SIGNATURE, hit + 1)
    return found
