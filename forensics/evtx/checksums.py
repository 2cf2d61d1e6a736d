"""The CRC-32s an ``.evtx`` file carries, checked: file header, each chunk header, each
chunk's event records (``shared/EVTX_FORMAT.md`` §2-§3; libyal "Windows XML Event Log
(EVTX)" *File header*, *Chunk header*: IEEE CRC-32, as ``zlib.crc32``).

Why: none of the readers checks them by default (python-evtx only in ``verify()``, the
``evtx`` engine only with ``validate_checksums``, libevtx only flags the file), yet a
mismatch says the bytes changed after Windows wrote them: damage, a live copy whose last
chunk was still being written, or an edit that did not fix the sums. A flag of 0x4 (file or
chunk) marks the sums as absent; those are not checked.
"""

from __future__ import annotations

import struct
import zlib

from forensics.evtx.chunks import CHUNK_MAGIC, CHUNK_SIZE

NO_CRC_FLAG = 0x4


def file_header_mismatch(header: bytes) -> str | None:
    """A description of the file header CRC mismatch (offset 124 over bytes 0-119), or None."""
    if len(header) < 128:
        return None
    flags, stored = struct.unpack_from("<II", header, 120)
    if flags & NO_CRC_FLAG:
        return None
    computed = zlib.crc32(header[:120])
    if stored == computed:
        return None
    return f"file header CRC32 at offset 124 is 0x{stored:08x}, bytes 0-119 give 0x{computed:08x}"


def chunk_mismatches(batch: bytes, first_chunk: int, file_flags: int) -> list[tuple[int, str]]:
    """(file-wide chunk, description) of each chunk header or event-records CRC that does not match."""
    if file_flags & NO_CRC_FLAG:
        return []
    out: list[tuple[int, str]] = []
    for start in range(0, len(batch) - 511, CHUNK_SIZE):  # per chunk, C-speed CRCs
        if batch[start : start + 8] != CHUNK_MAGIC:
            continue
        number = first_chunk + start // CHUNK_SIZE
        free, data_crc = struct.unpack_from("<II", batch, start + 48)
        flags, header_crc = struct.unpack_from("<II", batch, start + 120)
        if flags & NO_CRC_FLAG:
            continue
        computed = zlib.crc32(batch[start + 128 : start + 512], zlib.crc32(batch[start : start + 120]))
        if computed != header_crc:
            out.append((number, f"chunk header CRC32 at offset 124 is 0x{header_crc:08x}, bytes 0-119 and 128-511 "
                                f"give 0x{computed:08x}"))
        if 512 <= free <= CHUNK_SIZE and start + free <= len(batch):
            computed = zlib.crc32(batch[start + 512 : start + free])
            if computed != data_crc:
                out.append((number, f"event records CRC32 at offset 52 is 0x{data_crc:08x}, bytes 512-{free - 1} "
                                    f"(up to the free-space offset) give 0x{computed:08x}"))
    return out
