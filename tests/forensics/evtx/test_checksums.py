"""CRC32 checks of .evtx headers and event records (shared/EVTX_FORMAT.md §2-§3; libyal
"Windows XML Event Log (EVTX)" File header / Chunk header: IEEE CRC-32 with initial value 0)."""

from __future__ import annotations

import struct
from datetime import datetime, timezone
from pathlib import Path

from forensics.evtx.checksums import chunk_mismatches, file_header_mismatch
from forensics.synth.evtx_damage import break_chunk_crc
from forensics.synth.evtx_writer import ClassicEvent, EvtxWriter

T0 = datetime(2024, 3, 1, 18, 0, tzinfo=timezone.utc)

DATA = Path(__file__).resolve().parents[2] / "data" / "evtx"


def _log(path: Path) -> bytes:
    with EvtxWriter(path) as writer:
        for i in range(900):
            writer.write(ClassicEvent(provider="MSExchangeIS", event_id=1009, time=T0, data=[f"user{i}"]))
    return path.read_bytes()


def test_a_clean_file_has_no_mismatch(tmp_path: Path) -> None:
    data = _log(tmp_path / "a.evtx")
    assert file_header_mismatch(data[:4096]) is None
    assert chunk_mismatches(data[4096:], 0, 0) == []


def test_each_mismatch_is_named_with_stored_and_computed_values(tmp_path: Path) -> None:
    path = tmp_path / "a.evtx"
    _log(path)
    break_chunk_crc(path, 1)
    data = bytearray(path.read_bytes())
    data[0x20] ^= 1  # a file header byte under its CRC
    assert "bytes 0-119 give" in (file_header_mismatch(bytes(data[:4096])) or "")
    found = chunk_mismatches(bytes(data[4096:]), 0, 0)
    assert [c for c, _ in found] == [1, 1]
    assert found[0][1].startswith("chunk header CRC32 at offset 124") and found[1][1].startswith("event records CRC32 at offset 52")


def test_sums_marked_absent_are_not_checked() -> None:
    """Application_no_crc32.evtx (public sample): file flags 0x4, chunk flags 0x5, no sums."""
    data = (DATA / "Application_no_crc32.evtx").read_bytes()
    assert struct.unpack_from("<I", data, 120)[0] & 0x4
    assert file_header_mismatch(data[:4096]) is None and chunk_mismatches(data[4096:], 0, 0x4) == []
