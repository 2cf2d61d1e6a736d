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

__all__ = ["chunk_offset", "corrupt_chunk_magic", "break_chunk_crc", "chunk_count", "hide_record", "remove_chunk"]

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
