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


#: the chunk header's tables of linked lists: (offset in the chunk, entries, what they list)
LINK_TABLES = ((128, 64, "string"), (384, 32, "template"))


def cut_link_loops(batch: bytes) -> tuple[bytes, list[tuple[int, str]]]:
    """``batch`` with each string/template table entry whose chain of next-links loops set to
    0, and (chunk index, "string" | "template") of every chunk where one did.

    Why: the engine (``evtx`` 0.14) follows those links with no check for a loop and never
    returns, holding the GIL (a damaged or shifted chunk header is enough). The tables only
    pre-fill a cache: records point at their strings and templates themselves, so they are
    still read without the entry. Vectorized over every chain of the batch, one link per
    step; a chain holds at most one node per 8 bytes of chunk, so one still going after that
    many steps loops.
    """
    data = np.frombuffer(batch, dtype=np.uint8)
    starts = np.arange(0, max(len(batch) - 511, 0), CHUNK_SIZE, dtype=np.int64)
    starts = starts[[batch[s : s + 8] == CHUNK_MAGIC for s in starts.tolist()]]  # per chunk
    present = np.minimum(CHUNK_SIZE, len(batch) - starts)  # bytes of each chunk in the batch
    patched: bytearray | None = None
    found: list[tuple[int, str]] = []
    for table, entries, what in LINK_TABLES:
        base = np.repeat(starts, entries)
        limit = np.repeat(present, entries)
        entry_at = base + table + 4 * np.tile(np.arange(entries, dtype=np.int64), len(starts))
        chain = np.arange(len(entry_at))
        node = _u32(data, entry_at)
        for _ in range(CHUNK_SIZE // 8 + 1):
            going = (node > 0) & (node + 4 <= limit[chain])  # 0 ends a chain; a node past the data fails it
            chain, node = chain[going], node[going]
            if not len(chain):
                break
            node = _u32(data, base[chain] + node)
        for at in entry_at[chain].tolist():
            patched = patched if patched is not None else bytearray(batch)
            patched[at : at + 4] = bytes(4)
        found += sorted({(int(c) // CHUNK_SIZE, what) for c in base[chain].tolist()})
    return (bytes(patched) if patched is not None else batch), found


def _u32(data: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Little-endian 32-bit values at byte offsets ``at`` (any alignment)."""
    return (data[at].astype(np.int64) | data[at + 1].astype(np.int64) << 8
            | data[at + 2].astype(np.int64) << 16 | data[at + 3].astype(np.int64) << 24)


def locate(record_ids: np.ndarray, valid: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Chunk index (within the batch) holding each record id; -1 where no header claims it."""
    if len(record_ids) == 0 or not valid.any():
        return np.full(len(record_ids), -1, dtype=np.int64)
    ids = record_ids[:, None]
    inside = (ids >= first[None, :]) & (ids <= last[None, :]) & valid[None, :]
    found = inside.any(axis=1)
    return np.where(found, inside.argmax(axis=1), -1).astype(np.int64)


def assign(record_ids: np.ndarray, valid: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Chunk index (within the batch) of each record, for records in the engine's output order.

    The engine yields chunks in file order and, inside a chunk, strictly increasing record
    ids; so each chunk's records are one run whose ids lie in the chunk header's range and
    increase. Walking the chunks in order keeps duplicated id ranges (copied or recovered
    chunks) apart. Records no header claims (-1 ids, damaged headers) join the run before
    them. Work is per chunk (vectorized over the records), not per record.
    """
    n = len(record_ids)
    out = np.full(n, -1, dtype=np.int64)
    chunks = np.flatnonzero(valid)
    position, k, current = 0, 0, -1
    while position < n:
        rest = record_ids[position:]
        while k < len(chunks) and not (first[chunks[k]] <= rest[0] <= last[chunks[k]]):
            k += 1
        if k >= len(chunks):  # nothing claims this record: keep it with the chunk before
            out[position] = current
            position += 1
            k = int(np.searchsorted(chunks, current, side="left")) if current >= 0 else 0
            continue
        chunk = chunks[k]
        inside = (rest >= first[chunk]) & (rest <= last[chunk])
        rising = np.ones(len(rest), dtype=bool)
        rising[1:] = rest[1:] > rest[:-1]
        run_ok = inside & rising
        run = len(rest) if run_ok.all() else max(1, int(np.argmin(run_ok)))
        out[position : position + run] = chunk
        current = chunk
        position += run
        k += 1
    return out
