"""Deliberate damage to a *synthetic* ``.evtx`` written by ``EvtxWriter``, for error-tolerance tests.

Why: real logs arrive dirty (stale header, see ``EvtxWriter(declare_chunks=…)``) or with broken
chunks; the viewer's parsers must count and describe such damage instead of crashing. These
helpers edit a file in place, so they are only ever pointed at files the tests just generated.
"""

from __future__ import annotations

import struct
import zlib
from os import PathLike

from forensics.synth.evtx_writer import CHUNK_SIZE, FILE_HEADER_SIZE

__all__ = [
    "chunk_offset", "corrupt_chunk_magic", "break_chunk_crc", "chunk_count", "hide_record", "remove_chunk",
    "record_offsets", "zero_from_record", "set_file_header", "edit_chunk_end", "set_record_written_time",
]

_RECORD_MAGIC = b"\x2a\x2a\x00\x00"


def chunk_count(path: str | PathLike[str]) -> int:
    """Whole 64 KiB chunk slots in the file (what a reader that ignores the header would walk)."""
    with open(path, "rb") as handle:
        size = handle.seek(0, 2)
    return max(0, (size - FILE_HEADER_SIZE) // CHUNK_SIZE)


def chunk_offset(path: str | PathLike[str], index: int) -> int:
    """File offset of chunk ``index``; IndexError if the file has no such chunk."""
    if not 0 <= index < chunk_count(path):
        raise IndexError(f"{path} has no chunk {index}")
    return FILE_HEADER_SIZE + index * CHUNK_SIZE


def corrupt_chunk_magic(path: str | PathLike[str], index: int, magic: bytes = b"ElfChnX\x00") -> None:
    """Overwrite chunk ``index``'s ``ElfChnk\\0`` signature (evtx then skips that chunk)."""
    if len(magic) != 8:
        raise ValueError("a chunk magic is 8 bytes")
    at = chunk_offset(path, index)
    with open(path, "r+b") as handle:
        handle.seek(at)
        handle.write(magic)


def break_chunk_crc(path: str | PathLike[str], index: int) -> None:
    """Invert chunk ``index``'s event-records CRC32 (checksum-validating readers drop the chunk)."""
    at = chunk_offset(path, index) + 52
    with open(path, "r+b") as handle:
        handle.seek(at)
        (crc,) = struct.unpack("<I", handle.read(4))
        handle.seek(at)
        handle.write(struct.pack("<I", crc ^ 0xFFFFFFFF))


def hide_record(path: str | PathLike[str], record_id: int) -> None:
    """Hide record ``record_id`` the way record-editing tools do (DanderSpritz ``eventlogedit``):
    the record before it in its chunk grows to swallow it, and the chunk's checksums are
    recomputed, so every reader walks past it. The chunk header still announces its id."""
    data = bytearray(open(path, "rb").read())
    for chunk in range(chunk_count(path)):
        at = chunk_offset(path, chunk)
        free = struct.unpack_from("<I", data, at + 48)[0]
        offset, previous = at + 512, None
        while offset < at + free and data[offset : offset + 4] == _RECORD_MAGIC:
            size, rid = struct.unpack_from("<IQ", data, offset + 4)
            if rid == record_id:
                if previous is None:
                    raise ValueError(f"record {record_id} is the first of its chunk: nothing can swallow it")
                merged = offset + size - previous
                struct.pack_into("<I", data, previous + 4, merged)
                struct.pack_into("<I", data, previous + merged - 4, merged)
                _fix_chunk_crcs(data, at, free)
                with open(path, "r+b") as handle:
                    handle.write(data)
                return
            previous, offset = offset, offset + size
    raise ValueError(f"{path} holds no record {record_id}")


def remove_chunk(path: str | PathLike[str], index: int) -> None:
    """Cut chunk ``index`` out of the file and make the file header agree (chunk count, CRC),
    as someone deleting a stretch of a log would: its records leave a gap in the ids."""
    at = chunk_offset(path, index)
    data = bytearray(open(path, "rb").read())
    del data[at : at + CHUNK_SIZE]
    count = struct.unpack_from("<H", data, 42)[0]
    struct.pack_into("<H", data, 42, max(count - 1, 0))
    struct.pack_into("<Q", data, 16, max(count - 2, 0))  # last chunk number
    struct.pack_into("<I", data, 124, zlib.crc32(bytes(data[:120])))
    with open(path, "wb") as handle:
        handle.write(data)


def _fix_chunk_crcs(data: bytearray, at: int, free: int) -> None:
    """Recompute a chunk's event-records CRC and header CRC after its records were edited."""
    struct.pack_into("<I", data, at + 52, zlib.crc32(bytes(data[at + 512 : at + free])))
    header_crc = zlib.crc32(bytes(data[at + 128 : at + 512]), zlib.crc32(bytes(data[at : at + 120])))
    struct.pack_into("<I", data, at + 124, header_crc)


def record_offsets(path: str | PathLike[str]) -> dict[int, tuple[int, int]]:
    """record id -> (file offset, size) of every record on its chunk's chain (EVTX_FORMAT.md §4)."""
    data = open(path, "rb").read()
    out: dict[int, tuple[int, int]] = {}
    for chunk in range(chunk_count(path)):
        at = chunk_offset(path, chunk)
        free = struct.unpack_from("<I", data, at + 48)[0]
        offset = at + 512
        while offset < at + free and data[offset : offset + 4] == _RECORD_MAGIC:
            size, rid = struct.unpack_from("<IQ", data, offset + 4)
            out[rid] = (offset, size)
            offset += size
    return out


def zero_from_record(path: str | PathLike[str], record_id: int, keep: int = 0) -> None:
    """Zero-fill a chunk from record ``record_id`` (after its first ``keep`` bytes) to the chunk's
    free-space offset, leaving the chunk header (which still announces every record) as is: what a
    copy of a live log shows when Windows had not yet flushed those pages (a dirty file)."""
    offset, _ = record_offsets(path)[record_id]
    chunk_start = FILE_HEADER_SIZE + (offset - FILE_HEADER_SIZE) // CHUNK_SIZE * CHUNK_SIZE
    with open(path, "r+b") as handle:
        handle.seek(chunk_start + 48)
        (free,) = struct.unpack("<I", handle.read(4))
        handle.seek(offset + keep)
        handle.write(bytes(chunk_start + free - offset - keep))


def set_file_header(path: str | PathLike[str], *, chunks: int | None = None, next_record: int | None = None,
                    flags: int | None = None) -> None:
    """Set the file header's chunk count (and last chunk number), next record id and flags, CRC fixed."""
    with open(path, "r+b") as handle:
        head = bytearray(handle.read(128))
        if chunks is not None:
            struct.pack_into("<H", head, 42, chunks)
            struct.pack_into("<Q", head, 16, max(chunks - 1, 0))
        if next_record is not None:
            struct.pack_into("<Q", head, 24, next_record)
        if flags is not None:
            struct.pack_into("<I", head, 120, flags)
        struct.pack_into("<I", head, 124, zlib.crc32(bytes(head[:120])))
        handle.seek(0)
        handle.write(head)


def edit_chunk_end(path: str | PathLike[str], index: int, last_record_id: int) -> None:
    """Make chunk ``index``'s header end at ``last_record_id`` (last record number and id, last
    record offset, free-space offset) and recompute its checksums, so readers that trust the header
    stop there; a ``last_record_id`` before the chunk's first record announces none of them. The
    records after it stay in the chunk, past its announced end."""
    data = bytearray(open(path, "rb").read())
    at = chunk_offset(path, index)
    first = struct.unpack_from("<Q", data, at + 24)[0]
    offsets = {rid: (off, size) for rid, (off, size) in record_offsets(path).items() if at <= off < at + CHUNK_SIZE}
    if last_record_id >= first:
        offset, size = offsets[last_record_id]
        last_offset, free = offset - at, offset - at + size
    else:
        last_offset, free = 0, 512
    struct.pack_into("<Q", data, at + 16, last_record_id)
    struct.pack_into("<Q", data, at + 32, last_record_id)
    struct.pack_into("<II", data, at + 44, last_offset, free)
    _fix_chunk_crcs(data, at, free)
    with open(path, "wb") as handle:
        handle.write(data)


def set_record_written_time(path: str | PathLike[str], record_id: int, ticks: int) -> None:
    """Put ``ticks`` in record ``record_id``'s header written time (offset 16) and fix its chunk's
    checksums; e.g. 0xFFFFFFFFFFFFFFFF, a time no calendar holds."""
    data = bytearray(open(path, "rb").read())
    offset, _ = record_offsets(path)[record_id]
    struct.pack_into("<Q", data, offset + 16, ticks)
    at = FILE_HEADER_SIZE + (offset - FILE_HEADER_SIZE) // CHUNK_SIZE * CHUNK_SIZE
    _fix_chunk_crcs(data, at, struct.unpack_from("<I", data, at + 48)[0])
    with open(path, "wb") as handle:
        handle.write(data)
