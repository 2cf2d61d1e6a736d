"""The .evt parser end to end (``load_evidence``: hashing, detection, maps, notes) on logs built
from the documented format (``helpers.evt_build``): records = rows + skipped + bad on every
file, and every note names the bytes or fields it rests on."""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

import pandas as pd
import pytest

from forensics.errors import UnsupportedFormatError
from forensics.evt.structure import FLAG_DIRTY, FLAG_LOGFULL, HEADER_SIZE
from forensics.evt.walk import walk
from forensics.ingest import load_evidence
from forensics.parsers import registry
from forensics.parsers.base import LoadOptions
from forensics.parsers.eventlog.evt_parser import EvtParser
from helpers.evt_build import write_log
from helpers.run_parser import run_parser


def load(path: Path, **options) -> tuple[pd.DataFrame, object]:
    result = load_evidence([path], options=LoadOptions(**options))
    report = result.files[0]
    assert report.status == "loaded", report.error
    assert report.balanced and report.records == report.accepted + sum(report.skipped.values()) + report.bad
    return result.frame, report


def gap_notes(report) -> list[str]:
    return [n for n in report.notes if n.startswith("RECORDS MISSING")]


def test_registered_and_sniffs_content(tmp_path: Path) -> None:
    head = write_log(tmp_path / "a.evt").read_bytes()[:4096]
    assert registry.get("evt") is EvtParser
    assert registry.detect(head, Path("renamed.bin")) is EvtParser
    assert EvtParser.sniff(b"ElfFile\x00" + bytes(100), Path("x.evt")) == 0


def test_well_formed_rows_follow_the_evtx_maps(tmp_path: Path) -> None:
    path = write_log(tmp_path / "a.evt", 30)
    frame, report = load(path)
    # 10 Folder Access, 10 logons 1016, 10 defragmentation 1221 (counted, not rowed)
    assert (report.records, report.accepted, report.bad) == (30, 20, 0)
    assert report.skipped == {"MSExchangeIS Mailbox Store/1221": 10}
    assert not report.notes
    folder = frame[frame.operation == "FolderOpen"].iloc[0]
    assert (folder.folder, folder.mailbox, folder.actor, folder.client_ip, folder.client_host) == (
        "/Inbox/Sub0", "Alice Ames", "CONTOSO\\bob", "10.0.0.23", "WKS-BOB")
    assert folder.event_id == 10100 and folder.server == "EXCH2003" and folder.source_format == "evt"
    assert str(folder.time) == "2008-03-04 09:00:00+00:00" and folder.record_id == 1
    logon = frame[frame.operation == "Logon"].iloc[0]
    assert (logon.actor, logon.mailbox, logon.event_id) == ("CONTOSO\\user1", "alice@contoso.com", 1016)
    # custody: the bytes parsed are the bytes hashed
    assert report.hashes.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    raw = EvtParser.raw_record(path, int(folder.raw_ref), 1)
    assert "String 1: /Inbox/Sub0" in raw and "stored code 0x40002774" in raw


def test_all_events_keeps_the_rest_as_generic_rows(tmp_path: Path) -> None:
    frame, report = load(write_log(tmp_path / "a.evt", 30), all_events=True)
    assert report.accepted == 30 and (frame.operation == "Event").sum() == 10


def test_wrapped_log_is_no_gap(tmp_path: Path) -> None:
    path = write_log(tmp_path / "w.evt", 200, max_size=8192)
    frame, report = load(path)
    assert report.bad == 0 and not gap_notes(report)
    assert any(n.startswith("WRAPPED") and "not a gap" in n for n in report.notes)
    assert report.records == len(walk(path.read_bytes()).records) < 200


def test_dirty_live_copy_is_not_tampering(tmp_path: Path) -> None:
    path = write_log(tmp_path / "d.evt", 30)
    data = bytearray(path.read_bytes())
    struct.pack_into("<II", data, 20, HEADER_SIZE + 500, 5)  # the header as at an earlier close
    struct.pack_into("<I", data, 36, FLAG_DIRTY)
    path.write_bytes(bytes(data))
    _, report = load(path)
    assert report.records == 30 and report.bad == 0 and not gap_notes(report)
    [dirty] = [n for n in report.notes if n.startswith("DIRTY LOG")]
    assert "Not a sign of tampering" in dirty and "next record" in dirty and "end offset" in dirty


def test_truncated_copy(tmp_path: Path) -> None:
    path = write_log(tmp_path / "t.evt", 30)
    data = path.read_bytes()
    path.write_bytes(data[: walk(data).offsets[20] + 30])  # cut inside record 21
    frame, report = load(path)
    assert (report.records, report.bad) == (21, 1)  # 20 records + the cut one
    assert "truncated copy" in report.warnings[0].message and report.warnings[0].location.startswith("offset 0x")
    [gap] = gap_notes(report)
    assert "records 21-30 (10)" in gap and "truncated copy" in gap


def test_corrupt_middle_record(tmp_path: Path) -> None:
    path = write_log(tmp_path / "c.evt", 30)
    data = bytearray(path.read_bytes())
    offset = walk(bytes(data)).offsets[14]
    data[offset + 4 : offset + 8] = b"\x00\x00\x00\x00"
    path.write_bytes(bytes(data))
    _, report = load(path)
    assert (report.records, report.bad) == (30, 1)
    assert report.warnings[0].location == f"offset 0x{offset:x}" and "record 15 was in these bytes" in report.warnings[0].message
    [gap] = gap_notes(report)
    assert gap.startswith("RECORDS MISSING: record 15:") and "unreadable bytes" in gap


def test_removed_record_is_named(tmp_path: Path) -> None:
    _, report = load(write_log(tmp_path / "r.evt", 30, remove=(12, 13)))
    assert report.records == 28 and report.bad == 0
    [gap] = gap_notes(report)
    assert "records 12-13 (2)" in gap and "adjacent and intact" in gap and "not a wrap" in gap
    assert report.missing and report.missing[0].start == "2008-03-04T09:10:00Z"


def test_removed_newest_record_is_named(tmp_path: Path) -> None:
    path = write_log(tmp_path / "e.evt", 30)
    data = bytearray(path.read_bytes())
    eof = walk(bytes(data)).eof
    struct.pack_into("<I", data, eof.offset + 28, 33)  # the EOF record says 32 was the newest
    struct.pack_into("<I", data, 24, 33)  # and so does the clean header
    path.write_bytes(bytes(data))
    _, report = load(path)
    [gap] = gap_notes(report)
    assert "records 31-32 (2)" in gap and "removed from the end" in gap


def test_log_full_flag(tmp_path: Path) -> None:
    path = write_log(tmp_path / "f.evt", 6)
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, 36, FLAG_LOGFULL)
    path.write_bytes(bytes(data))
    _, report = load(path)
    assert any(n.startswith("LOG FULL") for n in report.notes)


def test_not_an_evt(tmp_path: Path) -> None:
    path = tmp_path / "x.evt"
    path.write_bytes(b"this is not an event log\r\n" * 10)
    result = load_evidence([path])
    assert result.files[0].status == "failed" and "not a supported evidence format" in result.files[0].error
    with pytest.raises(UnsupportedFormatError):
        registry.detect(path.read_bytes(), path)


def test_evidence_untouched(tmp_path: Path) -> None:
    path = write_log(tmp_path / "u.evt", 12)
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)
    load(path)
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before


def test_mutated_logs_never_crash_and_balance(tmp_path: Path) -> None:
    """Hostile input: random byte damage anywhere (header, records, EOF record)."""
    import random

    base = write_log(tmp_path / "m.evt", 40, max_size=4096).read_bytes()
    rng = random.Random(19)
    path = tmp_path / "mut.evt"
    for _ in range(150):
        data = bytearray(base)
        for _ in range(rng.randrange(1, 6)):
            data[rng.randrange(HEADER_SIZE, len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(HEADER_SIZE, len(data))]
        path.write_bytes(bytes(data))
        _, report = run_parser(EvtParser, path)
        assert report.balanced


def test_windows_2003_security_log(tmp_path: Path) -> None:
    """SecEvent.Evt of a Server 2003 Exchange host: 517 "The audit log was cleared" is a row
    (the same handler as Event Viewer exports); 528/540 logons are counted per source/id, as
    .evtx counts 4624 (Windows logons are not mailbox access). String orders: the 2003 message
    texts of 517 (Primary/Client user, domain, logon id) and 528/540 (User Name, Domain, Logon
    ID, Logon Type, Logon Process, Authentication Package, Workstation Name, …)."""
    from forensics.synth.evt_writer import AUDIT_SUCCESS, EvtEvent, EvtWriter
    from helpers.evt_build import T0

    path = tmp_path / "SecEvent.Evt"
    writer = EvtWriter(path, "EXCH2003")
    sid = "S-1-5-21-1004336348-1177238915-682003330-1104"
    writer.write(EvtEvent("Security", 528, T0, ["bob", "CONTOSO", "(0x0,0x3E7)", "2", "User32", "Negotiate", "WKS-BOB"],
                          event_type=AUDIT_SUCCESS, category=2, sid=sid))
    writer.write(EvtEvent("Security", 540, T0, ["bob", "CONTOSO", "(0x0,0x3E8)", "3", "NtLmSsp", "NTLM", "WKS-BOB"],
                          event_type=AUDIT_SUCCESS, category=2, sid=sid))
    writer.write(EvtEvent("Security", 517, T0, ["SYSTEM", "NT AUTHORITY", "(0x0,0x3E7)", "mallory", "CONTOSO",
                                                "(0x0,0x1A2B3)"], event_type=AUDIT_SUCCESS, category=1, sid="S-1-5-18"))
    writer.close()
    frame, report = load(path)
    assert report.skipped == {"Security/528": 1, "Security/540": 1} and report.accepted == 1
    [row] = frame.itertuples()
    assert (row.operation, row.actor, row.event_id) == ("AuditConfigChange", "CONTOSO\\mallory", 517)
    frame, report = load(path, all_events=True)
    generic = frame[frame.event_id == 528].iloc[0]
    assert generic.actor == sid and "CONTOSO" in generic.details


def test_empty_log(tmp_path: Path) -> None:
    frame, report = load(write_log(tmp_path / "empty.evt", 0))
    assert (report.records, len(frame), report.notes) == (0, 0, [])


def test_unflushed_last_record_in_a_live_copy(tmp_path: Path) -> None:
    """libyal's "Truncated event record" scenario: the record's tail is zero-filled and its
    size copy is 0 (written by a live copy before the service finished the record)."""
    path = write_log(tmp_path / "live.evt", 12, dirty=True)
    data = bytearray(path.read_bytes())
    found = walk(bytes(data))
    offset, size = found.offsets[-1], found.records[-1].size
    data[offset + size // 2 : offset + size] = bytes(size - size // 2)
    path.write_bytes(bytes(data))
    _, report = load(path)
    assert (report.records, report.bad) == (12, 1)
    assert "never completely written" in report.warnings[0].message
    assert any(n.startswith("DIRTY LOG") for n in report.notes)
    [gap] = gap_notes(report)
    assert gap.startswith("RECORDS MISSING: record 12:") and "unreadable bytes after the last record" in gap


def test_clean_header_that_disagrees_with_the_end_of_file_record(tmp_path: Path) -> None:
    path = write_log(tmp_path / "h.evt", 10)
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, 28, 4)  # the clean header's oldest record edited from 1 to 4
    path.write_bytes(bytes(data))
    _, report = load(path)
    [note] = [n for n in report.notes if n.startswith("HEADER DISAGREES")]
    assert "oldest record" in note and "header: oldest 4" in note and not gap_notes(report)


def test_record_numbers_running_backwards(tmp_path: Path) -> None:
    path = write_log(tmp_path / "b.evt", 10)
    data = bytearray(path.read_bytes())
    offset = walk(bytes(data)).offsets[6]
    struct.pack_into("<I", data, offset + 8, 3)  # record 7 renumbered 3 (a spliced log)
    path.write_bytes(bytes(data))
    _, report = load(path)
    assert any(n.startswith("RECORD ORDER: record 3 at offset") for n in report.notes)
    assert report.records == 10 and report.bad == 0
    # 4-6 were read before the renumbered record: only 7 is named missing
    [gap] = gap_notes(report)
    assert gap.startswith("RECORDS MISSING: record 7:")


def test_cancel_is_honoured(tmp_path: Path) -> None:
    from forensics.errors import LoadCancelled

    path = write_log(tmp_path / "c.evt", 30)
    with pytest.raises(LoadCancelled):
        load_evidence([path], cancel=lambda: True)
