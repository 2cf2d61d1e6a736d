"""Records no reader may lose, and completeness notes that are true.

Each test builds evidence with ``forensics.synth.evtx_writer`` and damages it the way real
copies arrive (``forensics.synth.evtx_damage``), following ``shared/EVTX_FORMAT.md`` §2-§4 and
§8 and libyal's "Windows XML Event Log (EVTX)" format documentation (*File header*: flags
0x1 dirty, next record identifier; *Chunk header*: last record identifier, free-space
offset, CRC32s; *Event record*: signature ``**\\0\\0``, size at both ends; *Recovery*). Where
libevtx is installed (``libevtx-python``, a test dependency) every file is also read with it:
records read must never be fewer than libevtx renders.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from forensics.evtx.recovery import locate, read_chunk
from forensics.ingest import load_evidence
from forensics.parsers.base import FileReport, LoadOptions
from forensics.parsers.eventlog.evtx_parser import EvtxParser
from forensics.synth.evtx_damage import (
    break_chunk_crc, chunk_offset, edit_chunk_end, record_offsets, set_file_header, set_record_written_time,
    zero_from_record,
)
from forensics.synth.evtx_writer import CHUNK_SIZE, ClassicEvent, EvtxWriter

T0 = datetime(2024, 3, 1, 18, 0, tzinfo=timezone.utc)


def write_log(path: Path, records: int, *, dirty: bool = False) -> Path:
    with EvtxWriter(path, channel="Exchange Auditing", dirty=dirty) as writer:
        for i in range(records):
            writer.write(ClassicEvent(
                provider="MSExchangeIS Auditing", event_id=10100, time=T0 + timedelta(seconds=i),
                data=["Folder: /Inbox", f"Mailbox: user{i % 7}", f"Accessing user: CONTOSO\\pat{i % 3}"],
            ))
    return path


def load(path: Path) -> tuple[object, FileReport]:
    result = load_evidence([path], options=LoadOptions(all_events=True))
    report = result.files[0]
    assert report.status == "loaded", report.error
    assert report.balanced
    return result.frame, report


def libevtx_count(path: Path) -> int | None:
    """Records libevtx renders (normal + recovered), or None without libevtx."""
    try:
        import pyevtx  # noqa: PLC0415 - optional test dependency
    except ImportError:
        return None
    handle = pyevtx.file()
    handle.open(str(path))
    count = 0
    getters = [(handle.get_record, handle.number_of_records),
               (handle.get_recovered_record, handle.number_of_recovered_records)]
    for get, n in getters:
        for i in range(n):
            try:
                get(i).get_xml_string()
                count += 1
            except Exception:  # noqa: BLE001 - libevtx raises IOError on unrenderable records
                pass
    handle.close()
    return count


def assert_not_fewer_than_libevtx(path: Path, report: FileReport) -> None:
    theirs = libevtx_count(path)
    if theirs is not None:
        assert report.records - report.bad >= theirs


def warnings_of(report: FileReport) -> list[str]:
    return [f"{w.location}: {w.message}" for w in report.warnings]


# -- a dirty log is not tampering ------------------------------------------------------------


def test_a_dirty_log_with_a_zero_filled_tail_is_an_unflushed_live_copy(tmp_path: Path) -> None:
    """The chunk header announces records 1-20; from record 6 on, the pages were never flushed
    (record 6's header was written, its body and everything after is zero), and the file
    header says dirty (flags 0x1)."""
    path = write_log(tmp_path / "live.evtx", 20, dirty=True)
    zero_from_record(path, 6, keep=24)  # record 6 keeps its 24-byte header only
    frame, report = load(path)
    assert sorted(frame["record_id"].tolist()) == [1, 2, 3, 4, 5]
    assert report.bad == 1  # record 6: present but unreadable, named once
    # record 6's zeroed body renders as an empty <Event>: one damaged record
    assert sum("damaged record" in w.message for w in report.warnings) == 1
    (missing,) = [w for w in warnings_of(report) if "announces them" in w]
    assert missing.startswith("chunk 0: records 7-20 (14) are missing although the chunk header announces them")
    assert "file header flags 0x1 (dirty" in missing and "next record number 21" in missing
    assert "announces records up to 20" in missing and "are all zero" in missing
    assert "not records removed" in missing
    text = " ".join(report.notes + warnings_of(report))
    assert "eventlogedit" not in text and "removed or hidden" not in text
    (note,) = report.gap_notes()
    assert note.startswith("RECORDS MISSING (unflushed live copy): 14 record id(s)")  # 7-20, not record 6 again
    assert_not_fewer_than_libevtx(path, report)


def test_a_zero_filled_tail_without_the_dirty_flag_is_not_called_unflushed(tmp_path: Path) -> None:
    path = write_log(tmp_path / "closed.evtx", 20)
    zero_from_record(path, 7)
    _, report = load(path)
    (note,) = report.gap_notes()
    assert note.startswith("RECORDS MISSING (zero-filled): 14 record id(s)") and "flags 0x0 (not marked dirty)" in note
    assert "unflushed" not in note and "eventlogedit" not in note


# -- a truncated copy is named ---------------------------------------------------------------


def whole_chunks_of(path: Path) -> int:
    return (path.stat().st_size - 4096) // CHUNK_SIZE


def test_a_truncated_copy_names_the_records_the_header_announces(tmp_path: Path) -> None:
    """The header states 96 chunks and next record 10549; the copy holds 3 chunks."""
    path = write_log(tmp_path / "cut.evtx", 900)
    data = path.read_bytes()
    path.write_bytes(data[: 4096 + 3 * CHUNK_SIZE])
    set_file_header(path, chunks=96, next_record=10549)
    last = max(record_offsets(path))
    _, report = load(path)
    (note,) = report.gap_notes()
    assert note == (
        f"RECORDS MISSING (truncated copy): records {last + 1}-10548 ({10548 - last:,}) are in no chunk of this file: "
        f"the file header states 96 chunks and next record number 10549, the file holds 3 chunk(s) whose last "
        f"record id is {last} (the file is {4096 + 3 * CHUNK_SIZE:,} bytes where the header's chunk count needs "
        f"{4096 + 96 * CHUNK_SIZE:,}: a truncated copy)"
    )


def test_a_copy_cut_inside_a_chunk_reads_the_complete_records_before_the_cut(tmp_path: Path) -> None:
    """The file ends inside chunk 2: its records that end before the cut are read (every reader
    skips a partial chunk), the ones past it are named with the header fields."""
    path = write_log(tmp_path / "cut.evtx", 900)
    set_file_header(path, chunks=96, next_record=10549)
    cut = chunk_offset(path, 2) + 30000
    offsets = record_offsets(path)
    complete = sorted(rid for rid, (at, size) in offsets.items() if at + size <= cut)
    in_chunk_2 = sorted(rid for rid, (at, _) in offsets.items() if chunk_offset(path, 2) <= at < chunk_offset(path, 3))
    path.write_bytes(path.read_bytes()[:cut])
    frame, report = load(path)
    assert sorted(frame["record_id"].tolist()) == complete
    assert complete[-1] >= in_chunk_2[0] + 50  # records of the cut chunk were read
    (warning,) = [w for w in warnings_of(report) if "past the end of this truncated copy" in w]
    assert warning.startswith(f"chunk 2: records {complete[-1] + 1}-{in_chunk_2[-1]} ")
    (note,) = report.gap_notes()
    assert note.startswith(f"RECORDS MISSING (truncated copy): records {in_chunk_2[-1] + 1}-10548")
    assert f"{in_chunk_2[-1] - complete[-1]} record id(s) announced by the last chunk's header lie past the end" in note
    assert_not_fewer_than_libevtx(path, report)


# -- records no reader may lose --------------------------------------------------------------


def test_a_chunk_whose_end_was_edited_keeps_its_records_as_slack(tmp_path: Path) -> None:
    """Chunk 1 holds 40 records; its header's free-space offset and last record id are edited to
    announce none of them and its checksums fixed: the engine reads none of them."""
    probe = write_log(tmp_path / "probe.evtx", 700)
    per_chunk = sum(1 for at, _ in record_offsets(probe).values() if at < chunk_offset(probe, 1))
    path = write_log(tmp_path / "edited.evtx", per_chunk + 40)
    first = per_chunk + 1
    edit_chunk_end(path, 1, first - 1)
    frame, report = load(path)
    assert len(frame) == per_chunk + 40 and report.bad == 0
    (slack,) = [w for w in warnings_of(report) if "read from slack" in w]
    assert slack.startswith(f"chunk 1: records {first}-{first + 39} (40) read from slack, past the chunk's announced end "
                            f"(free-space offset 512, last record id {first - 1})")
    assert any(n.startswith("RECORDS FROM SLACK: 40 record(s)") for n in report.notes)
    assert not report.gap_notes()  # nothing is missing: every record was read
    # the detail view finds a slack record's XML too
    xml = EvtxParser.raw_record(path, 1, first + 5)
    assert f"<EventRecordID>{first + 5}</EventRecordID>" in xml
    assert_not_fewer_than_libevtx(path, report)


def test_a_chunk_cut_short_by_its_last_record_id_keeps_the_rest(tmp_path: Path) -> None:
    path = write_log(tmp_path / "edited.evtx", 200)
    edit_chunk_end(path, 0, 150)
    frame, report = load(path)
    assert len(frame) == 200
    assert any(w.startswith("chunk 0: records 151-200 (50) read from slack") for w in warnings_of(report))


def test_an_out_of_range_written_time_does_not_stop_its_chunk(tmp_path: Path) -> None:
    """The engine refuses a record header time no calendar holds and drops the rest of the chunk."""
    path = write_log(tmp_path / "time.evtx", 200)
    set_record_written_time(path, 60, 0xFFFF_FFFF_FFFF_FFFF)
    frame, report = load(path)
    assert len(frame) == 200 and report.bad == 0
    assert any(w.location == "chunk 0, record 60" and "written time is out of range" in w.message
               for w in report.warnings)
    assert not report.gap_notes()
    assert_not_fewer_than_libevtx(path, report)


def test_checksum_mismatches_are_notes(tmp_path: Path) -> None:
    path = write_log(tmp_path / "crc.evtx", 600)
    break_chunk_crc(path, 1)
    data = bytearray(path.read_bytes())
    data[124] ^= 0xFF  # file header CRC
    path.write_bytes(bytes(data))
    _, report = load(path)
    (note,) = [n for n in report.notes if n.startswith("CHECKSUMS DO NOT MATCH")]
    # the data CRC sits in the chunk header, so the chunk header CRC no longer matches either
    assert "3 CRC32(s)" in note and "file header" in note and "chunk 1" in note
    assert any(w.location == "chunk 1" and "event records CRC32 at offset 52" in w.message for w in report.warnings)
    assert report.records == 600 and report.bad == 0


def test_a_clean_log_is_not_walked_and_has_no_notes(tmp_path: Path) -> None:
    path = write_log(tmp_path / "clean.evtx", 600)
    _, report = load(path)
    assert report.notes == [] and report.warnings == [] and report.records == 600


def test_walking_a_clean_chunk_gives_what_the_engine_gives(tmp_path: Path) -> None:
    path = write_log(tmp_path / "clean.evtx", 100)
    chunk = path.read_bytes()[4096 : 4096 + CHUNK_SIZE]
    found, end = locate(chunk)
    walked = read_chunk(chunk)
    assert [f.record_id for f in found] == list(range(1, 101)) and not any(f.carved for f in found)
    assert [f.record_id for f in walked.found] == list(range(1, 101)) and walked.unreadable == []
    assert all(f"<EventRecordID>{i}</EventRecordID>" in x for i, x in zip(range(1, 101), walked.xml))
    assert end == found[-1].offset + found[-1].size


# -- real dirty and damaged logs (../shared/samples/evtx; skipped when absent) ---------------


def test_real_samples_read_at_least_what_libevtx_reads(shared_samples: Path) -> None:
    pytest.importorskip("pyevtx")
    for path in sorted(shared_samples.rglob("*.evtx")):
        _, report = load(path)
        assert_not_fewer_than_libevtx(path, report)
        text = " ".join(report.notes + warnings_of(report))
        if "flags 0x1 (dirty" in text:
            assert "eventlogedit" not in text or "lies inside" in text, path.name
        if path.name.startswith("2-vss_0-"):
            # a shadow-copy remnant: newer records written over an older chunk overlap its last
            # record; they are slack (ids past the chunk's last), not records hidden by editing
            assert not any(n.startswith("RECORDS HIDDEN") for n in report.notes)
            assert any(n.startswith("RECORDS FROM SLACK") for n in report.notes)
