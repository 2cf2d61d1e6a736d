"""The EVTX container layout: guarding the engine against chunk headers whose tables loop."""

from __future__ import annotations

import struct
from pathlib import Path

from forensics.evtx.chunks import CHUNK_SIZE, HEADER_SIZE, cut_link_loops

DATA = Path(__file__).resolve().parents[2] / "data" / "evtx"


def looping_copy() -> bytes:
    """dns_log_malformed.evtx with string table entry 0 pointing at offset 40 of the chunk
    header, whose value (the header size, 128) leads back to the entry: 40 -> 128 -> 40.
    The evtx engine never returns on it (found by mutation fuzzing: 10 bytes inserted into
    a chunk header shifted the table the same way)."""
    data = bytearray((DATA / "dns_log_malformed.evtx").read_bytes())
    struct.pack_into("<I", data, HEADER_SIZE + 128, 40)
    return bytes(data)


def test_looping_table_entry_is_cut_and_named() -> None:
    chunks = looping_copy()[HEADER_SIZE:]
    cut, found = cut_link_loops(chunks)
    assert found == [(0, "string")]
    assert cut == (DATA / "dns_log_malformed.evtx").read_bytes()[HEADER_SIZE:]  # the entry was empty


def test_clean_and_cut_off_chunks_are_left_alone() -> None:
    for name in ("dns_log_malformed.evtx", "system_dirty.evtx", "sample_with_a_bad_chunk_magic.evtx"):
        chunks = (DATA / name).read_bytes()[HEADER_SIZE:]
        for part in (chunks, chunks[: CHUNK_SIZE + 700], chunks[:300]):
            cut, found = cut_link_loops(part)
            assert found == [] and cut is part
