"""The EVTX container layout: a 4096-byte file header, then 64 KiB chunks.

Only what the parser needs to stream a file in batches of chunks and to locate a record's
chunk (for ``raw_ref`` and error locations) is read here; records themselves are parsed by
the ``evtx`` engine.
"""

from __future__ import annotations

import struct

import numpy as np

FILE_MAGIC = b"ElfFile\x00"
CHUNK_MAGIC = b"ElfChnk\x00"
HEADER_SIZE = 4096
CHUNK_SIZE = 65536


def header_chunk_count(header: bytes) -> int | None:
    """Chunk count stated in the file header (offset 42); python-evtx trusts it."""
    if len(header) < 44 or not header.startswith(FILE_MAGIC):
        return None
    return struct.unpack_from("<H", header, 42)[0]


def chunk_ranges(batch: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each 64 KiB chunk in ``batch``: has a chunk magic, first and last record id."""
    count = (len(batch) + CHUNK_SIZE - 1) // CHUNK_SIZE
    valid = np.zeros(count, dtype=bool)
    first = np.zeros(count, dtype=np.int64)
    last = np.zeros(count, dtype=np.int64)
    for i in range(count):  # per chunk (a few hundred records each), not per record
        offset = i * CHUNK_SIZE
        if batch[offset : offset + 8] == CHUNK_MAGIC and len(batch) >= offset + 40:
            valid[i] = True
            first[i], last[i] = struct.unpack_from("<qq", batch, offset + 24)
    return valid, first, last


def locate(record_ids: np.ndarray, valid: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Chunk index (within the batch) holding each record id; -1 where no header claims it."""
    if len(record_ids) == 0 or not valid.any():
        return np.full(len(record_ids), -1, dtype=np.int64)
    ids = record_ids[:, None]
    inside = (ids >= first[None, :]) & (ids <= last[None, :]) & valid[None, :]
    found = inside.any(axis=1)
    return np.where(found, inside.argmax(axis=1), -1).astype(np.int64)
