"""The .evtx parser on real public samples: every record accounted for exactly as the evtx
engine reads it, bad chunks located, dirty files read in full, raw records retrievable,
evidence untouched, cancel honoured; Exchange events mapped end to end on written files."""

from __future__ import annotations

import faulthandler
import hashlib
import json
import os
import shutil
import struct
from datetime import datetime, timezone
from pathlib import Path

import evtx
import pandas as pd
import pytest

from forensics.parsers.eventlog import evtx_parser

from forensics import schema
from forensics.custody.log import CustodyLog
from forensics.errors import EvidenceError, LoadCancelled
from forensics.evtx.chunks import HEADER_SIZE
from forensics.ingest import load_evidence
from forensics.parsers import registry
from forensics.parsers.base import LoadOptions
from forensics.parsers.eventlog.evtx_parser import EvtxParser

DATA = Path(__file__).resolve().parents[3] / "data" / "evtx"
SAMPLES = sorted(DATA.glob("*.evtx"))


def engine_counts(path: Path) -> tuple[int, int]:
    """(records, errors) as the evtx engine itself reads the whole file, skipping errors."""
    records, errors = 0, 0
    iterator = evtx.PyEvtxParser(str(path)).records()
    while True:
        try:
            for _ in iterator:
                records += 1
            return records, errors
        except RuntimeError:
            errors += 1


def load(path: Path, **options) -> tuple[pd.DataFrame, object]:
    result = load_evidence([path], options=LoadOptions(**options))
    report = result.files[0]
    assert report.status == "loaded", report.error
    return result.frame, report


def test_registered_and_sniffs_content() -> None:
    assert registry.get("evtx") is EvtxParser
    head = (DATA / "Application_no_crc32.evtx").read_bytes()[:4096]
    assert EvtxParser.sniff(head, Path("renamed.log")) > 50
    assert EvtxParser.sniff(b"#Software: Microsoft Internet Information Services", Path("x.evtx")) == 0
    assert registry.detect(head, Path("renamed.bin")) is EvtxParser


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
@pytest.mark.parametrize("all_events", [False, True])
def test_every_record_accounted_as_the_engine_reads_it(path: Path, all_events: bool) -> None:
    records, errors = engine_counts(path)
    frame, report = load(path, all_events=all_events)
    assert report.balanced
    # every record the engine reads is read, and more where walking the chunks finds them
    # (damaged chunk headers, records past a record the engine stops at): never fewer
    assert report.records - report.bad >= records
    if not errors:
        assert report.records == records and report.bad == 0
    # cleared logs (Eventlog 104/1102; system_dirty.evtx holds two 104) are rows either way
    cleared = (frame["operation"] == "AuditConfigChange").to_numpy(bool) if len(frame) else []
    assert (frame.loc[cleared, "provider"] == "Microsoft-Windows-Eventlog").all()
    # and Exchange privileged-group changes (the 4756 sample) are PermissionChange rows either way
    groups = (frame["operation"] == "PermissionChange").to_numpy(bool) if len(frame) else []
    assert (frame.loc[groups, "event_id"] == 4756).all()
    cleared = cleared | groups if len(frame) else cleared
    if all_events:
        assert report.rows == report.accepted == report.records - report.bad
        assert (frame.loc[~cleared, "operation"] == "Event").all()
        assert frame["record_id"].notna().all() and frame["time"].notna().all()
        assert schema.validate(frame) == []
    else:
        assert report.rows == sum(cleared)
        assert sum(report.skipped.values()) == report.records - report.bad - report.rows


def test_skipped_events_counted_per_provider_and_id() -> None:
    # 7 real Security events, none an access or a privileged-group change (those: test_groups)
    _, report = load(DATA / "Security_short_selected.evtx")
    assert report.records == 7 and report.accepted == 0
    assert set(report.skipped) <= {f"Microsoft-Windows-Security-Auditing/{i}" for i in range(10000)}
    assert sum(report.skipped.values()) == 7
    assert report.skipped["Microsoft-Windows-Security-Auditing/5152"] == 2


def test_dirty_file_yields_every_record() -> None:
    frame, report = load(DATA / "system_dirty.evtx", all_events=True)
    assert report.records == 1881 and report.bad == 0 and len(frame) == 1881
    assert frame["record_id"].min() == 1 and frame["record_id"].max() == 1881
    assert any("header states 3 chunks but 15" in str(w) for w in report.warnings)


def test_bad_chunks_are_counted_and_located() -> None:
    _, report = load(DATA / "sample_with_a_bad_chunk_magic.evtx", all_events=True)
    locations = [w.location for w in report.warnings]
    # chunks 6 and 10 have zeroed headers: walked, their records carved; those whose templates
    # were in the zeroed part cannot be rendered and are bad records named by chunk and id
    assert any(x.startswith("chunk 6, record ") for x in locations)
    assert any(x.startswith("chunk 10, record ") for x in locations)
    assert any("damaged record" in w.message for w in report.warnings)  # an empty System block
    assert report.accepted == 350  # libevtx renders 267 + 81 recovered


def test_generic_rows_carry_system_fields_and_data() -> None:
    frame, _ = load(DATA / "Security_short_selected.evtx", all_events=True)
    row = frame[frame["event_id"] == 4625].iloc[0]
    assert row["provider"] == "Microsoft-Windows-Security-Auditing" and row["operation"] == "Event"
    assert row["time_basis"] == "utc" and str(row["time"].tz) == "UTC"
    assert row["server"] and row["source_format"] == "evtx"
    assert "TargetUserName=Administrator" in row["details"] and row["actor"] == "WORKGROUP\\TEMPORAL$"
    frame, _ = load(DATA / "Application_no_crc32.evtx", all_events=True)
    first = frame[frame["record_id"] == 427].iloc[0]
    assert first["details"] == "Windows Defender; SECURITY_PRODUCT_STATE_ON"
    assert first["time"] == pd.Timestamp("2021-03-31T23:51:50.531303Z") or first["time"].year == 2021


def test_raw_record_returns_the_records_xml() -> None:
    path = DATA / "system_dirty.evtx"
    frame, _ = load(path, all_events=True)
    for index in (0, 900, len(frame) - 1):
        row = frame.iloc[index]
        xml = EvtxParser.raw_record(path, int(row["raw_ref"]), int(row["record_id"]))
        assert f"<EventRecordID>{row['record_id']}</EventRecordID>" in xml
    assert frame["raw_ref"].max() == 14  # chunk index within the file
    assert "<EventRecordID>5</EventRecordID>" in EvtxParser.raw_record(path, 9, 5)  # stale locator
    with pytest.raises(EvidenceError):
        EvtxParser.raw_record(path, 0, 99999)


def test_slice_the_engine_refuses_outright_is_a_bad_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # fuzz: a damaged header block size (57600) and a file ending 2 bytes into a chunk made the
    # engine refuse that slice when it was built ("stream size is less than evtx header block
    # size"): a RuntimeError outside the per-record handling failed the whole file
    from forensics.evtx import engine  # noqa: PLC0415

    monkeypatch.setattr(engine, "ENGINE_CHUNKS", 1)  # the 2-byte tail is a slice of its own
    data = bytearray((DATA / "dns_log_malformed.evtx").read_bytes() + b"\0\0")
    struct.pack_into("<H", data, 40, 57600)
    path = tmp_path / "block.evtx"
    path.write_bytes(bytes(data))
    frame, report = load(path, all_events=True)
    # the chunk is walked with a clean header of its own: every record read, the refusal named
    assert report.accepted == 5 and report.bad == 0 and report.balanced and len(frame) == 5
    assert any("header block size" in w.message for w in report.warnings)


def test_raw_record_is_found_by_the_xml_record_id() -> None:
    # found while fuzzing: in dns_log_malformed.evtx the record headers number 1-5 and the XML
    # says 101982-101986; rows carry the XML's ids, so the Detail view found no raw record
    path = DATA / "dns_log_malformed.evtx"
    frame, _ = load(path, all_events=True)
    for ref, rid in zip(frame["raw_ref"], frame["record_id"]):
        assert f"<EventRecordID>{rid}</EventRecordID>" in EvtxParser.raw_record(path, int(ref), int(rid))


def test_chunk_whose_string_table_loops_is_read_not_hung(tmp_path: Path) -> None:
    # fuzz: the engine never returned (holding the GIL) on a chunk header whose string table
    # links loop; a hang fails this test loudly instead of stalling the run
    data = bytearray((DATA / "dns_log_malformed.evtx").read_bytes())
    struct.pack_into("<I", data, HEADER_SIZE + 128, 40)  # string table entry 0 -> 40 -> 128 -> 40 ...
    path = tmp_path / "loop.evtx"
    path.write_bytes(bytes(data))
    faulthandler.dump_traceback_later(120, exit=True)
    try:
        frame, report = load(path, all_events=True)
        xml = EvtxParser.raw_record(path, int(frame["raw_ref"].iloc[0]), int(frame["record_id"].iloc[0]))
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert report.records == report.accepted == 5 and report.balanced and len(frame) == 5
    assert any(w.location == "chunk 0" and "string table links round in a loop" in w.message for w in report.warnings)
    assert f"<EventRecordID>{frame['record_id'].iloc[0]}</EventRecordID>" in xml


def test_evidence_bytes_and_mtime_unchanged(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    target = evidence / "Application.evtx"
    shutil.copy(DATA / "Application_no_crc32.evtx", target)
    os.utime(target, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    before = (hashlib.sha256(target.read_bytes()).hexdigest(), target.stat().st_mtime_ns, sorted(os.listdir(evidence)))
    case = tmp_path / "case"
    case.mkdir()
    result = load_evidence([evidence], options=LoadOptions(all_events=True), custody=CustodyLog(case / "custody.jsonl"))
    assert result.files[0].status == "loaded" and len(result.frame) == 17
    after = (hashlib.sha256(target.read_bytes()).hexdigest(), target.stat().st_mtime_ns, sorted(os.listdir(evidence)))
    assert after == before
    assert result.files[0].hashes.sha256 == before[0]


def _big_file(tmp_path: Path, copies: int) -> Path:
    data = (DATA / "system_dirty.evtx").read_bytes()
    path = tmp_path / "big.evtx"
    path.write_bytes(data[:4096] + data[4096:] * copies)
    return path


def test_cancel_mid_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evtx_parser, "BATCH_CHUNKS", 32)
    path = _big_file(tmp_path, 15)  # 225 chunks: several batches
    size = path.stat().st_size
    seen: list[int] = []
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 1

    with pytest.raises(LoadCancelled):
        load_evidence([path], options=LoadOptions(all_events=True), cancel=cancel,
                      progress=lambda p: seen.append(p.file_done))
    assert seen and max(seen) < size  # stopped before reading the whole file


def test_multi_batch_file_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(evtx_parser, "BATCH_CHUNKS", 64)
    path = _big_file(tmp_path, 6)  # 6 x 17 chunk slots (15 used): two batches
    records, errors = engine_counts(path)
    frame, report = load(path, all_events=True)
    assert report.records == records == 1881 * 6 and errors == 0
    assert frame["raw_ref"].max() == 5 * 17 + 14
    # record ids repeat in every copy: the locator must still point at the right chunk
    assert frame["raw_ref"].iloc[0] == 0 and frame["raw_ref"].iloc[1881] == 17
    for index in (1880, 1881, 4000, len(frame) - 1):
        row = frame.iloc[index]
        chunk = int(row["raw_ref"])
        assert chunk % 17 == int(frame["raw_ref"].iloc[index % 1881]), index
        xml = EvtxParser.raw_record(path, chunk, int(row["record_id"]))
        assert f"<EventRecordID>{row['record_id']}</EventRecordID>" in xml


def test_forced_evtx_parser_on_other_bytes(tmp_path: Path) -> None:
    path = tmp_path / "notes.evtx"
    path.write_text("not an event log\n" * 10)
    result = load_evidence([path], options=LoadOptions(parser="evtx"))
    report = result.files[0]
    assert report.status == "failed" and "not an EVTX file" in report.error and "\n" not in report.error


# -- Exchange events end to end, on files written by the synthetic EVTX writer --------------

AUDIT = "MSExchangeIS Auditing"
DN = "/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=userb"


def _audit(first: str) -> list[str]:
    return [first, "UserA", "CONTOSO\\UserB", "User B", DN, "False", "{0a1b2c3d-1111-2222-3333-444455556666}",
            "WKS042", "10.1.2.3", "OUTLOOK.EXE", "4321", ""]


@pytest.fixture
def exchange_evtx(tmp_path: Path) -> Path:
    writer_mod = pytest.importorskip("forensics.synth.evtx_writer")
    when = datetime(2010, 3, 4, 15, 22, 41, 123456, tzinfo=timezone.utc)
    path = tmp_path / "Exchange Auditing.evtx"
    event = writer_mod.ClassicEvent
    with writer_mod.EvtxWriter(path, channel="Exchange Auditing", computer="EXMBX01.contoso.com") as writer:
        writer.write(event(provider=AUDIT, event_id=10100, time=when, data=_audit("/Inbox")))
        writer.write(event(provider=AUDIT, event_id=10102, time=when, data=_audit("/Inbox/Q & A <draft>")))
        shuffled = _audit("/Calendar")
        writer.write(event(provider=AUDIT, event_id=10100, time=when, data=[shuffled[2], shuffled[0], shuffled[1], *shuffled[3:]]))
        writer.write(event(provider="MSExchangeIS Mailbox Store", event_id=1016, time=when, data=["CONTOSO\\x", "x@contoso.com"]))
        writer.write(event(provider="MSExchangeIS", event_id=1029, time=when, data=[DN, "ReadProperty", "/o=Contoso/cn=usera"]))
        writer.write(event(provider="Service Control Manager", event_id=7036, time=when, data=["Spooler", "running"]))
    return path


def test_exchange_events_become_access_rows(exchange_evtx: Path) -> None:
    frame, report = load(exchange_evtx)
    assert report.records == 6 and report.accepted == 5 and report.skipped == {"Service Control Manager/7036": 1}
    rows = frame.set_index("record_id")
    first = rows.loc[1]
    assert first["operation"] == "FolderOpen" and first["folder"] == "/Inbox" and first["mailbox"] == "UserA"
    assert first["actor"] == "CONTOSO\\UserB" and first["admin_rights"] == False  # noqa: E712
    assert first["client_app"] == "OUTLOOK.EXE (pid 4321)" and first["client_ip"] == "10.1.2.3"
    assert first["server"] == "EXMBX01.contoso.com" and first["mapping"] == "map:MSExchangeIS_Auditing-10100.json"
    assert first["time"] == pd.Timestamp("2010-03-04T15:22:41.123456Z")
    assert first["logon_type"] == "Delegate"
    second = rows.loc[2]
    assert second["operation"] == "MessageOpen" and second["folder"] == "/Inbox" and second["item"] == "Q & A <draft>"
    third = rows.loc[3]
    assert third["mapping"] == "inferred" and third["folder"] == "/Calendar" and third["actor"] == "CONTOSO\\UserB"
    assert rows.loc[4, "operation"] == "Logon" and rows.loc[4, "logon_type"] == "Owner"
    assert rows.loc[5, "operation"] == "AccessDenied" and rows.loc[5, "outcome"] == "Failure"
    assert schema.validate(frame) == []


def test_user_maps_dir_is_used(exchange_evtx: Path, tmp_path: Path) -> None:
    from forensics.evtx.maps import bundled_maps_dir

    custom = json.loads((bundled_maps_dir() / "MSExchangeIS_Auditing-10100.json").read_text())
    custom["operation"] = "FolderBind"
    maps = tmp_path / "maps"
    maps.mkdir()
    (maps / "custom-10100.json").write_text(json.dumps(custom))
    frame, _ = load(exchange_evtx, maps_dir=maps)
    row = frame[frame["record_id"] == 1].iloc[0]
    assert row["operation"] == "FolderBind" and row["mapping"] == "map:custom-10100.json"
    (maps / "broken.json").write_text("{")
    result = load_evidence([exchange_evtx], options=LoadOptions(maps_dir=maps))
    assert result.files[0].status == "failed" and "broken.json: malformed event map" in result.files[0].error


# -- the whole shared corpus (skips cleanly when ../shared is absent) ------------------------


def test_shared_corpus_counts_equal_engine(shared_samples: Path) -> None:
    files = sorted(shared_samples.rglob("*.evtx"))
    assert files
    for path in files:
        records, errors = engine_counts(path)
        result = load_evidence([path], options=LoadOptions(all_events=True))
        report = result.files[0]
        assert report.status == "loaded", (path.name, report.error)
        assert report.balanced, path.name
        assert report.accepted == report.records - report.bad >= records, path.name


# -- hostile input: damaged copies of a real log never crash and stay accounted -------------


def _damaged(tmp_path: Path) -> dict[str, Path]:
    import random

    data = (DATA / "system_dirty.evtx").read_bytes()
    rng = random.Random(1)
    flipped = bytearray(data)
    for index in range(4096, len(flipped)):
        if rng.random() < 0.001:
            flipped[index] ^= 0xFF
    variants = {
        "truncated": data[: 4096 + 65536 * 2 + 30000],
        "garbage": data[:4096] + bytes(rng.getrandbits(8) for _ in range(65536 * 2)),
        "flipped": bytes(flipped),
        "header_only": data[:4096],
    }
    paths = {}
    for name, content in variants.items():
        paths[name] = tmp_path / f"{name}.evtx"
        paths[name].write_bytes(content)
    return paths


@pytest.mark.parametrize("all_events", [False, True])
def test_damaged_copies_are_accounted(tmp_path: Path, all_events: bool) -> None:
    for name, path in _damaged(tmp_path).items():
        records, errors = engine_counts(path)
        result = load_evidence([path], options=LoadOptions(all_events=all_events))
        report = result.files[0]
        assert report.status == "loaded", (name, report.error)
        assert report.balanced and report.records - report.bad >= records, name
        if all_events:
            assert len(result.frame) == report.accepted
    _, report = load(tmp_path / "truncated.evtx")
    assert any("ends 30000 bytes into this 65536-byte chunk" in w.message for w in report.warnings)


def test_a_time_beyond_the_table_keeps_the_row_and_says_so(tmp_path: Path) -> None:
    """A FILETIME after 2262 (damaged or forged) cannot be a nanosecond time: row kept, warned."""
    writer_mod = pytest.importorskip("forensics.synth.evtx_writer")
    path = tmp_path / "Exchange Auditing.evtx"
    event = writer_mod.ClassicEvent
    with writer_mod.EvtxWriter(path, channel="Exchange Auditing", computer="EXMBX01.contoso.com") as writer:
        writer.write(event(provider=AUDIT, event_id=10100, time=datetime(2010, 3, 4, tzinfo=timezone.utc), data=_audit("/Inbox")))
        writer.write(event(provider=AUDIT, event_id=10100, time=datetime(9000, 1, 1, tzinfo=timezone.utc), data=_audit("/Inbox")))
    frame, report = load(path)
    assert len(frame) == 2 and frame["time"].isna().tolist() == [False, True]
    assert [w.location for w in report.warnings] == ["record 2"] and "without a time" in report.warnings[0].message
