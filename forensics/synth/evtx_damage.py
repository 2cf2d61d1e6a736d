"""Deliberate damage to a *synthetic* ``.evtx`` written by ``EvtxWriter``, for error-tolerance tests.

Why: real logs arrive dirty (stale header, see ``EvtxWriter(declare_chunks=…)``) or with broken
chunks; the viewer's parsers must count and describe such damage instead of crashing. These
helpers edit a file in place, so they are only ever pointed at files the tests just generated.
"""

from __future__ import annotations

import struct
from os import PathLike

from forensics.synth.evtx_writer import CHUNK_SIZE, FILE_HEADER_SIZE

__all__ = ["chunk_offset", "corrupt_chunk_magic", "break_chunk_crc", "chunk_count"]


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
