"""Read every record of a damaged ``.evtx`` chunk, where the ``evtx`` engine stops.

Why a walker of our own: the engine trusts the chunk header. It stops a chunk at the first
record whose header it cannot read (an out-of-range written time, a bad signature), at the
chunk header's last record id (offset 32) and at its free-space offset (offset 48); it skips a
chunk without its ``ElfChnk`` signature and a partial chunk at the end of a truncated copy.
Records themselves are self-delimiting (``EVTX_FORMAT.md`` §4, libyal's "Windows XML Event Log
(EVTX)" *Event record* and *Recovery*): signature ``2a 2a 00 00``, size at offset 4 and a copy
of the size in the last 4 bytes. So the records of a chunk can be found without its header:

* the **chain**: from offset 512, record after record by their sizes (what Windows wrote);
* **carved** records: every signature in the chunk whose size copy agrees, which finds
  records lying past the announced end (slack) and records swallowed by the record before
  them (DanderSpritz ``eventlogedit`` hides a record by growing its predecessor).

Each one is then rendered by the same engine, from a patched copy of the chunk (never the
evidence): its header made permissive (signature, last record id, free-space offset) and,
when the record is not the first, a filler record at offset 512 reaching up to it, so the
engine starts exactly there. Records keep their offsets, so their templates and names (chunk
offsets) still resolve. A record the engine cannot render is returned with the engine's
message and its record id, so it is counted once, as bad.
"""

from __future__ import annotations

import bisect
import io
import struct
import zlib
from dataclasses import dataclass, field

import evtx

from forensics.evtx.chunks import CHUNK_MAGIC, CHUNK_SIZE

RECORD_MAGIC = b"\x2a\x2a\x00\x00"
CHUNK_HEADER_SIZE = 512
RECORD_HEADER_SIZE = 24
#: the smallest record: 24-byte header + 4-byte size copy
MIN_RECORD = 28
#: the filler record at 512 needs its 24-byte header and an EOF token at 536..539
_FILLER_MIN = 544
_FILLER_ID = 0xFFFF_FFFF_FFFF_FFFF
#: a written time every reader accepts (1970-01-01), put in place of an out-of-range one:
#: rows take their time from the XML's TimeCreated, never from the record header
_SAFE_TIME = 116_444_736_000_000_000
#: FILETIMEs past year 9999 are refused by the engine ("out-of-range date")
_MAX_TIME = 2_650_467_743_999_999_999


@dataclass(frozen=True)
class Found:
    """A record located in a chunk: where, how big, its header's record id, how it was found."""

    offset: int
    size: int
    record_id: int
    carved: bool  # False: on the chain from offset 512; True: found by its signature only
    slack: bool  # at or past the chunk's free-space offset, or an id past its last record id
    inside: int | None  # record id of the chain record whose bytes contain it (hidden), if any
    announced: bool = False  # its id lies in the chunk header's first..last record id range


@dataclass
class ChunkRecords:
    """What walking one chunk gave: rendered records, unreadable ones, and where the chain ended."""

    xml: list[str] = field(default_factory=list)
    found: list[Found] = field(default_factory=list)  # aligned with ``xml``
    unreadable: list[tuple[Found, str]] = field(default_factory=list)
    #: records the engine rendered that the walk had not located (kept: the engine read them)
    extra_xml: list[str] = field(default_factory=list)
    chain_end: int = CHUNK_HEADER_SIZE  # offset just past the last record of the chain
    times_fixed: list[int] = field(default_factory=list)  # ids whose header time was out of range
    cut: list[Found] = field(default_factory=list)  # records the end of a truncated copy goes through

    @property
    def ids(self) -> set[int]:
        return {f.record_id for f in self.found}


@dataclass
class WalkedChunk:
    """A chunk read record by record (``recovery``), with the ids of every record it gave."""

    records: ChunkRecords
    ids: set[int]  # header ids of walked records + XML ids of records only the engine gave
    partial: bool  # the file ends inside this chunk


def header_fields(chunk: bytes) -> tuple[int, int, int, int]:
    """(first record id, last record id, last record offset, free-space offset) of a chunk header."""
    if len(chunk) < 56:
        return 0, 0, 0, 0
    first, last = struct.unpack_from("<qq", chunk, 24)
    last_offset, free = struct.unpack_from("<II", chunk, 44)
    return first, last, last_offset, free


def locate(chunk: bytes) -> tuple[list[Found], int]:
    """Every record of ``chunk`` (its chain, then carved ones by offset) and the chain's end."""
    size = len(chunk)
    first_id, last_id, _, free = header_fields(chunk) if chunk.startswith(CHUNK_MAGIC) else (0, 0, 0, 0)
    announced_end = free if CHUNK_HEADER_SIZE <= free <= size else size
    has_last = chunk.startswith(CHUNK_MAGIC) and last_id > 0

    def slack(offset: int, record_id: int) -> bool:
        return offset >= announced_end or (has_last and record_id > last_id)

    chain: list[Found] = []
    offset = CHUNK_HEADER_SIZE
    while offset + MIN_RECORD <= size and chunk[offset : offset + 4] == RECORD_MAGIC:
        length, record_id = struct.unpack_from("<IQ", chunk, offset + 4)
        if length < MIN_RECORD or offset + length > size:
            break
        chain.append(Found(offset, length, record_id, False, slack(offset, record_id), None,
                           0 < first_id <= record_id <= last_id))
        offset += length
    chain_end = offset
    on_chain = {f.offset for f in chain}
    starts = [f.offset for f in chain]  # the chain's records follow each other: sorted, disjoint
    carved: list[Found] = []
    hit = chunk.find(RECORD_MAGIC, CHUNK_HEADER_SIZE)
    while 0 <= hit <= size - MIN_RECORD:  # signatures are rare outside record headers
        if hit not in on_chain:
            length, record_id = struct.unpack_from("<IQ", chunk, hit + 4)
            if MIN_RECORD <= length <= size - hit:
                copy = struct.unpack_from("<I", chunk, hit + length - 4)[0]
                k = bisect.bisect_right(starts, hit) - 1
                around = (chain[k].offset, chain[k].offset + chain[k].size, chain[k].record_id) \
                    if k >= 0 and hit < chain[k].offset + chain[k].size else None
                # a swallowed record's size copy was overwritten by its swallower's (eventlogedit rewrites
                # the last 4 bytes of the grown record): inside a record, fitting in it is enough
                if copy == length or (around is not None and hit + length <= around[1]):
                    inside = around[2] if around is not None else None
                    carved.append(Found(hit, length, record_id, True, slack(hit, record_id), inside,
                                        0 < first_id <= record_id <= last_id))
        hit = chunk.find(RECORD_MAGIC, hit + 1)
    return sorted(chain + carved, key=lambda f: f.offset), chain_end


def read_chunk(chunk: bytes) -> ChunkRecords:
    """Every record of one chunk (``chunk`` may be short: the end of a truncated copy)."""
    data = bytes(chunk) + bytes(CHUNK_SIZE - len(chunk)) if len(chunk) < CHUNK_SIZE else bytes(chunk)
    found, chain_end = locate(data)
    out = ChunkRecords(chain_end=chain_end)
    if len(chunk) < CHUNK_SIZE:  # a record the cut goes through is not complete: not read
        out.cut = [f for f in found if f.offset + f.size > len(chunk)]
        found = [f for f in found if f.offset + f.size <= len(chunk)]
        out.chain_end = min(chain_end, len(chunk))
    if not found:
        return out
    base = bytearray(data)
    base[:8] = CHUNK_MAGIC  # a damaged signature would make the engine skip the chunk
    struct.pack_into("<qqII", base, 24, 0, 0x7FFF_FFFF_FFFF_FFFE, 0, CHUNK_SIZE)  # ids, last offset, free
    struct.pack_into("<q", base, 8, 0)  # first/last record numbers: no limit either
    struct.pack_into("<q", base, 16, 0x7FFF_FFFF_FFFF_FFFE)
    # the string and template tables only pre-fill the engine's caches (records point at their
    # names and templates themselves, EVTX_FORMAT.md §3.2-3.3): one damaged entry fails the
    # whole chunk ("Failed to build string cache"), so the copy goes without them
    base[128:CHUNK_HEADER_SIZE] = bytes(CHUNK_HEADER_SIZE - 128)
    for f in found:
        if f.offset + 24 <= len(base):
            written = struct.unpack_from("<Q", base, f.offset + 16)[0]
            if written > _MAX_TIME:
                struct.pack_into("<Q", base, f.offset + 16, _SAFE_TIME)
                out.times_fixed.append(f.record_id)
    cut_ids = {f.record_id for f in out.cut}  # rendered from zero padding: not the record
    by_id: dict[int, list[int]] = {}  # indexes into ``found`` per record id, by offset
    for index, f in enumerate(found):
        by_id.setdefault(f.record_id, []).append(index)
    done: set[int] = set()
    done_ids: set[int] = set()
    position = 0
    while True:
        while position in done:
            position += 1
        if position >= len(found):
            break
        target = found[position]
        if target.offset != CHUNK_HEADER_SIZE and target.offset < _FILLER_MIN:
            out.unreadable.append((target, "the record overlaps the chunk's first record and cannot be isolated"))
            done.add(position)
            continue
        rendered, errors = _engine_pass(_isolate(base, target.offset, found, done))
        for record_id, xml in rendered:
            match = next((i for i in by_id.get(record_id, ()) if i not in done and found[i].offset >= target.offset), None)
            if match is None:  # the filler, a record rendered before, half a record, or one the walk missed
                if record_id != _FILLER_ID and record_id not in cut_ids and record_id not in done_ids:
                    out.extra_xml.append(xml)
                    done_ids.add(record_id)
                continue
            out.xml.append(xml)
            out.found.append(found[match])
            done.add(match)
            done_ids.add(record_id)
        if position not in done:  # the engine could not render the target: say why, move on
            reason = errors[0] if errors else "the evtx engine returned nothing for it"
            out.unreadable.append((target, reason))
            done.add(position)
    return out


def _isolate(base: bytearray, offset: int, found: list[Found], done: set[int]) -> bytes:
    """``base`` with a filler record over 512..offset (so the engine starts at ``offset``) and
    the free-space offset at the next record already rendered after it (so it stops there)."""
    patched = bytearray(base)
    if offset > CHUNK_HEADER_SIZE:
        struct.pack_into("<IIQQ", patched, CHUNK_HEADER_SIZE, 0x2A2A, offset - CHUNK_HEADER_SIZE, _FILLER_ID, _SAFE_TIME)
        patched[CHUNK_HEADER_SIZE + 24 : CHUNK_HEADER_SIZE + 28] = bytes(4)  # its XML: EOF at once
    stop = min((found[i].offset for i in done if found[i].offset > offset), default=CHUNK_SIZE)
    struct.pack_into("<I", patched, 48, stop)
    return bytes(patched)


def one_chunk_header() -> bytes:
    """A clean file header for one chunk (``EVTX_FORMAT.md`` §2): recovery never depends on the
    evidence's own header, which may be damaged."""
    head = struct.pack("<8sQQQIHHHH76sI", b"ElfFile\x00", 0, 0, 1, 128, 1, 3, 4096, 1, bytes(76), 0)
    return (head + struct.pack("<I", zlib.crc32(head[:120]))).ljust(4096, b"\x00")


_ONE_CHUNK_HEADER = one_chunk_header()


def _engine_pass(chunk: bytes) -> tuple[list[tuple[int, str]], list[str]]:
    """(record id, XML) of every record the engine renders from a one-chunk file, and its errors."""
    rendered: list[tuple[int, str]] = []
    errors: list[str] = []
    try:
        records = evtx.PyEvtxParser(io.BytesIO(_ONE_CHUNK_HEADER + chunk), number_of_threads=1, indent=False).records()
    except RuntimeError as exc:
        return rendered, [" ".join(str(exc).split())]
    for _ in range(CHUNK_SIZE // MIN_RECORD + 2):  # each round renders or fails at least one record
        try:
            for record in records:
                rendered.append((int(record["event_record_id"]), record["data"]))
            break
        except RuntimeError as exc:
            message = " ".join(str(exc).split())
            if str(_FILLER_ID) not in message:
                errors.append(message)
    return rendered, errors
