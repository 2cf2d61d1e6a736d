"""Record continuity of .evtx files: hidden records, removed chunks and damaged chunks are
named by their record ids; clean, wrapped, truncated and copied-chunk logs are not flagged."""

from __future__ import annotations

import shutil
import struct
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

from forensics.custody.log import CustodyLog
from forensics.evtx.continuity import RecordContinuity
from forensics.evtx.chunks import CHUNK_SIZE, chunk_ranges
from forensics.ingest import load_evidence
from forensics.parsers.base import FileReport
from forensics.synth.evtx_damage import chunk_count, corrupt_chunk_magic, hide_record, remove_chunk
from forensics.synth.evtx_writer import ClassicEvent, EvtxWriter

T0 = datetime(2024, 3, 1, 18, 0, tzinfo=timezone.utc)
DATA = Path(__file__).resolve().parents[2] / "data" / "evtx"
RECORDS = 3000  # 13 chunks of the events below


def write_log(path: Path, records: int = RECORDS, first_record_id: int = 1) -> Path:
    with EvtxWriter(path, channel="Exchange Auditing", first_record_id=first_record_id) as writer:
        for i in range(records):
            writer.write(ClassicEvent(
                provider="MSExchangeIS Auditing", event_id=10100, time=T0 + timedelta(seconds=i),
                data=["Folder: /Inbox", f"Mailbox: user{i % 7}", f"Accessing user: CONTOSO\\pat{i % 3}"],
            ))
    return path


def load_one(path: Path) -> FileReport:
    result = load_evidence([path])
    report = result.files[0]
    assert report.status == "loaded", report.error
    assert report.balanced
    return report


def continuity_warnings(report: FileReport) -> list[str]:
    return [f"{w.location}: {w.message}" for w in report.warnings if "record" in w.message and (
        "announces" in w.message or "in no chunk" in w.message or "more gaps" in w.message)]


@pytest.fixture(scope="module")
def clean_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_log(tmp_path_factory.mktemp("continuity") / "Exchange Auditing.evtx")


def copy_of(clean: Path, tmp_path: Path) -> Path:
    target = tmp_path / clean.name
    shutil.copy(clean, target)
    return target


def test_clean_log_has_no_gap(clean_log: Path) -> None:
    assert chunk_count(clean_log) > 10
    report = load_one(clean_log)
    assert report.notes == []
    assert continuity_warnings(report) == []


def test_a_hidden_record_is_found_inside_the_record_that_swallowed_it(clean_log: Path, tmp_path: Path) -> None:
    """eventlogedit grows record 99 over record 100 and fixes the checksums: walking the chunk
    finds record 100's signature inside record 99's bytes, reads it, and names the hiding."""
    path = copy_of(clean_log, tmp_path)
    hide_record(path, 100)
    report = load_one(path)
    assert report.records == RECORDS and report.bad == 0
    hidden = [w.message for w in report.warnings if "lies inside" in w.message]
    assert len(hidden) == 1 and hidden[0].startswith("record 100 lies inside the bytes of record 99")
    assert "eventlogedit" in hidden[0]
    assert [n for n in report.notes if n.startswith("RECORDS HIDDEN")] == [
        "RECORDS HIDDEN: record 100 lay inside the record before them (its size enlarged to cover them, as "
        "record-editing tools do); read from their bytes (see the warnings)"
    ]
    assert not any(n.startswith("RECORDS MISSING") for n in report.notes)


def test_runs_of_hidden_records_in_several_chunks(clean_log: Path, tmp_path: Path) -> None:
    path = copy_of(clean_log, tmp_path)
    for record in (500, 501, 502, 2900):
        hide_record(path, record)
    report = load_one(path)
    assert report.records == RECORDS
    (note,) = [n for n in report.notes if n.startswith("RECORDS HIDDEN")]
    assert note.startswith("RECORDS HIDDEN: records 500-502, 2900 (4)")
    hidden = sorted(w.location for w in report.warnings if "lies inside" in w.message)
    assert hidden == ["chunk 12", "chunk 2", "chunk 2", "chunk 2"]


def test_a_record_wiped_with_the_chain_relinked_is_named_as_removed(clean_log: Path, tmp_path: Path) -> None:
    """Hidden, then its signature wiped: nothing to carve; the record before runs straight into
    the one after, which is what removal leaves (EVTX_FORMAT.md §4: records chain by size)."""
    path = copy_of(clean_log, tmp_path)
    hide_record(path, 100)
    data = bytearray(path.read_bytes())
    at = _record_offset(data, 100)
    data[at : at + 4] = b"\x00\x00\x00\x00"
    path.write_bytes(bytes(data))
    report = load_one(path)
    assert report.records == RECORDS - 1
    (warning,) = continuity_warnings(report)
    assert warning.startswith("chunk 0: record 100 is missing although the chunk header announces it: record 99")
    assert "runs straight into record 101" in warning and "eventlogedit" in warning
    assert any(n.startswith("RECORDS MISSING: 1 record id") for n in report.notes)


def _record_offset(data: bytes | bytearray, record_id: int) -> int:
    """File offset of the record header (signature) with ``record_id``."""
    at = data.find(b"\x2a\x2a\x00\x00", 4096)
    while at >= 0:
        if struct.unpack_from("<Q", data, at + 8)[0] == record_id:
            return at
        at = data.find(b"\x2a\x2a\x00\x00", at + 1)
    raise ValueError(record_id)


def chunk_ids(path: Path, index: int) -> tuple[int, int]:
    """First and last record id that chunk ``index``'s header states."""
    _, first, last = chunk_ranges(path.read_bytes()[4096:])
    return int(first[index]), int(last[index])


def test_a_removed_chunk_leaves_a_gap_in_the_ids(clean_log: Path, tmp_path: Path) -> None:
    path = copy_of(clean_log, tmp_path)
    lo, hi = chunk_ids(path, 1)
    remove_chunk(path, 1)
    report = load_one(path)
    (warning,) = continuity_warnings(report)
    assert warning.startswith(
        f"chunks 0, 1: record ids {lo}-{hi} ({hi - lo + 1}) are in no chunk of the file: removed from the file"
    )
    assert f"RECORDS MISSING: {hi - lo + 1} record ids" in report.notes[0]
    assert report.records == RECORDS - (hi - lo + 1)


def test_a_chunk_without_its_signature_is_walked_and_its_records_read(clean_log: Path, tmp_path: Path) -> None:
    """The engine skips a chunk whose ElfChnk signature is damaged; its records are still there."""
    path = copy_of(clean_log, tmp_path)
    corrupt_chunk_magic(path, 1)
    report = load_one(path)
    assert report.records == RECORDS and report.bad == 0
    assert continuity_warnings(report) == []
    assert any("walked record by record" in w.message for w in report.warnings)


def test_a_chunk_with_its_records_wiped_is_named_as_a_possible_cause(clean_log: Path, tmp_path: Path) -> None:
    path = copy_of(clean_log, tmp_path)
    lo, hi = chunk_ids(path, 1)
    data = bytearray(path.read_bytes())
    start = 4096 + CHUNK_SIZE
    data[start : start + CHUNK_SIZE] = bytes([0x55]) * CHUNK_SIZE  # signature and records overwritten
    path.write_bytes(bytes(data))
    report = load_one(path)
    (warning,) = continuity_warnings(report)
    assert warning == (
        f"chunks 0, 2: record ids {lo}-{hi} ({hi - lo + 1}) are in no chunk of the file: "
        "removed, or lost with one of the file's 1 damaged chunks"
    )


def test_a_wrapped_log_starting_late_is_not_a_gap(tmp_path: Path) -> None:
    """A circular log that overwrote its oldest chunks starts at a later id: nothing is missing."""
    report = load_one(write_log(tmp_path / "wrapped.evtx", records=600, first_record_id=1_000_000))
    assert report.notes == [] and continuity_warnings(report) == []


def test_a_truncated_copy_is_reported_as_truncated_not_as_tampering(clean_log: Path, tmp_path: Path) -> None:
    path = tmp_path / "truncated.evtx"
    data = clean_log.read_bytes()
    path.write_bytes(data[: 4096 + 2 * CHUNK_SIZE + CHUNK_SIZE // 2])
    report = load_one(path)
    assert any("truncated copy" in w.message for w in report.warnings)
    assert not any("removed or hidden" in text for text in continuity_warnings(report))


def test_the_custody_entry_keeps_the_finding(clean_log: Path, tmp_path: Path) -> None:
    path = copy_of(clean_log, tmp_path)
    hide_record(path, 1234)
    custody = CustodyLog(tmp_path / "case")
    load_evidence([path], custody=custody)
    (entry,) = [e for e in custody.entries() if e.get("kind") == "evidence-opened"]
    assert any(note.startswith("RECORDS HIDDEN: record 1234") for note in entry["notes"])


@pytest.mark.parametrize("name", ["Application_no_crc32.evtx", "system_dirty.evtx", "ID4756-Exchange_admin_group_change.evtx"])
def test_real_clean_samples_are_not_flagged(name: str) -> None:
    report = load_one(DATA / name)
    assert continuity_warnings(report) == [] and not any(n.startswith("RECORDS MISSING") for n in report.notes)


def test_real_sample_with_a_zeroed_chunk_magic() -> None:
    report = load_one(DATA / "sample_with_a_bad_chunk_magic.evtx")
    warnings = continuity_warnings(report)
    assert any("damaged chunks" in w for w in warnings)
    assert any(n.startswith("RECORDS MISSING") for n in report.notes)
    # the two chunks whose headers are zeroed are walked: records past their zeroed start are found
    assert report.records - report.bad >= 348  # libevtx renders 267 records + 81 recovered ones


# -- the bookkeeping alone -------------------------------------------------------------------


def _batch(ranges: list[tuple[int, int]]) -> tuple[bytes, np.ndarray, np.ndarray, np.ndarray]:
    n = len(ranges)
    valid = np.ones(n, dtype=bool)
    first = np.array([a for a, _ in ranges], dtype=np.int64)
    last = np.array([b for _, b in ranges], dtype=np.int64)
    return bytes(n * CHUNK_SIZE), valid, first, last


def test_copied_chunks_overlapping_leave_no_gap() -> None:
    batch, valid, first, last = _batch([(1, 100), (101, 200), (101, 200), (150, 260), (261, 300)])
    continuity = RecordContinuity()
    continuity.add_batch(0, batch, valid, first, last)
    report = FileReport(path=Path("x.evtx"))
    assert continuity.report_to(report) == 0 and report.warnings == []


def test_gaps_across_batches_and_implausible_headers() -> None:
    continuity = RecordContinuity()
    batch, valid, first, last = _batch([(1, 100), (101, 200)])
    continuity.add_batch(0, batch, valid, first, last)
    # next batch: a chunk claiming 1e9 records is damaged (not trusted), then ids resume at 301
    batch, valid, first, last = _batch([(201, 1_000_000_000), (301, 400)])
    continuity.add_batch(2, batch, valid, first, last)
    report = FileReport(path=Path("x.evtx"))
    assert continuity.report_to(report) == 100
    assert [w.location for w in report.warnings] == ["chunks 1, 3"]
    assert "record ids 201-300 (100)" in report.warnings[0].message
