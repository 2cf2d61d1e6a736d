"""The load pipeline: hash, detect, parse, normalize, log custody; never crash on bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers.fake_parser import SAMPLE  # registers the test-only parser
from forensics import schema
from forensics.custody.hashing import hash_file
from forensics.custody.log import CustodyLog
from forensics.errors import LoadCancelled
from forensics.ingest import expand_paths, fetch_raw, load_evidence


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    folder = tmp_path / "evidence"
    folder.mkdir()
    path = folder / "a.testlog"
    path.write_text(SAMPLE)
    return path


def test_load_accounts_for_every_record(evidence: Path, tmp_path: Path) -> None:
    log = CustodyLog(tmp_path / "case", examiner="Examiner A")
    result = load_evidence([evidence], custody=log)
    (report,) = result.files
    assert report.status == "loaded"
    assert report.records == 5 and report.accepted == 3 and report.bad == 1 and report.skipped["noise"] == 1
    assert report.balanced
    assert report.warnings[0].location == "line 4"
    frame = result.frame
    assert schema.validate(frame) == []
    assert len(frame) == 3
    sha = hash_file(evidence).sha256
    assert set(frame["evidence"]) == {sha[:16]}
    assert frame["logon_type"].tolist() == ["Delegate", "Owner", "Delegate"]
    assert frame["source_format"].unique().tolist() == ["testlog"]
    entry = log.entries()[-1]
    assert entry["sha256"] == sha and entry["records"] == 5 and entry["rows"] == 3
    assert entry["examiner"] == "Examiner A"
    # the period the file's rows cover, on the report and in custody (the skipped 22:12 row is not a row)
    assert (report.first_time, report.last_time) == ("2024-03-05T22:10:00Z", "2024-03-05T22:13:00Z")
    assert (entry["rows_from"], entry["rows_to"]) == ("2024-03-05T22:10:00Z", "2024-03-05T22:13:00Z")


def test_evidence_is_not_modified(evidence: Path, tmp_path: Path) -> None:
    before = (evidence.read_bytes(), os.stat(evidence).st_mtime_ns, sorted(os.listdir(evidence.parent)))
    load_evidence([evidence.parent], custody=CustodyLog(tmp_path / "case"))
    after = (evidence.read_bytes(), os.stat(evidence).st_mtime_ns, sorted(os.listdir(evidence.parent)))
    assert before == after


def test_same_content_twice_is_not_duplicated(evidence: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.testlog"
    copy.write_bytes(evidence.read_bytes())
    result = load_evidence([evidence, copy], custody=CustodyLog(None))
    assert len(result.frame) == 3
    assert [f.status for f in result.files] == ["loaded", "duplicate"]


def test_one_bad_file_leaves_others_loaded(evidence: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00\x01 not evidence")
    empty = tmp_path / "empty.testlog"
    empty.write_bytes(b"")
    result = load_evidence([junk, evidence, empty], custody=CustodyLog(None))
    statuses = {f.path.name: f.status for f in result.files}
    assert statuses == {"junk.bin": "failed", "a.testlog": "loaded", "empty.testlog": "failed"}
    assert "not a supported evidence format" in result.files[0].error
    assert "empty" in result.files[2].error
    assert len(result.frame) == 3


def test_changed_file_is_reported_loudly(evidence: Path, tmp_path: Path) -> None:
    log = CustodyLog(tmp_path / "case")
    load_evidence([evidence], custody=log)
    evidence.write_text(SAMPLE.replace("22:10", "22:15"))
    result = load_evidence([evidence], custody=log)
    assert any("EVIDENCE CHANGED" in note for note in result.files[0].notes)


def test_cancel_keeps_nothing_and_is_logged(evidence: Path, tmp_path: Path) -> None:
    log = CustodyLog(tmp_path / "case")
    with pytest.raises(LoadCancelled):
        load_evidence([evidence], custody=log, cancel=lambda: True)
    assert log.entries()[-1]["kind"] == "load-cancelled"


def test_progress_reaches_the_end(evidence: Path) -> None:
    seen = []
    load_evidence([evidence], progress=seen.append)
    assert seen and seen[-1].overall_fraction == 1.0 and seen[-1].file_count == 1


def test_folders_are_searched_recursively(evidence: Path) -> None:
    nested = evidence.parent / "deeper" / "b.testlog"
    nested.parent.mkdir()
    nested.write_text(SAMPLE)
    (evidence.parent / "readme.txt.unknownext").write_text("x")
    assert expand_paths([evidence.parent]) == sorted([evidence, nested])


def test_raw_record_is_fetched_from_evidence(evidence: Path) -> None:
    result = load_evidence([evidence])
    row = result.frame.iloc[0]
    raw = fetch_raw(result.sources, row["evidence"], int(row["raw_ref"]), int(row["record_id"]))
    assert raw == SAMPLE.splitlines()[1]


def test_an_unrecognised_file_is_hashed_and_logged(evidence: Path, tmp_path: Path) -> None:
    """Custody covers every file opened: one no parser claims is hashed (all three digests,
    over the whole file) and logged with a status that says it was not recognised."""
    junk = tmp_path / "notes.bin"
    junk.write_bytes(b"\x00\x01 not evidence " * 100_000)  # > 1 MiB: the hash must cover more than the sniffed head
    log = CustodyLog(tmp_path / "case")
    result = load_evidence([junk, evidence], custody=log)
    report = result.files[0]
    assert report.status == "failed" and "not a supported evidence format" in report.error
    assert report.hashes == hash_file(junk)
    assert report.custody_seq is not None
    entry = log.entries()[report.custody_seq - 1]
    assert entry["kind"] == "evidence-opened" and entry["status"] == "unrecognised"
    assert entry["sha256"] == hash_file(junk).sha256 and entry["size"] == junk.stat().st_size
    assert entry["parser"] == ""
    assert [e["status"] for e in log.entries() if e["kind"] != "examiner-key"] == ["unrecognised", "loaded"]
    assert result.options is not None and len(result.frame) == 3


def test_a_file_that_fails_midway_is_not_called_unrecognised(evidence: Path, tmp_path: Path) -> None:
    log = CustodyLog(tmp_path / "case")
    broken = tmp_path / "broken.testlog"
    broken.write_bytes(SAMPLE.encode() + b"\xff\xfe not UTF-8\n")  # the test parser crashes on it
    result = load_evidence([broken], custody=log)
    assert result.files[0].status == "failed" and result.files[0].parser == "testlog"
    assert [e.get("status") for e in log.entries() if e["kind"] != "examiner-key"] == ["failed"]


def test_folder_json_is_taken_only_when_a_parser_recognises_it(tmp_path: Path) -> None:
    # a case folder holds JSON that is no evidence (a synthetic case's truth.json, settings)
    # beside Management Activity API records; given explicitly, any file is still tried
    (tmp_path / "truth.json").write_text('{"scenario": "contoso", "formats": {}}', encoding="utf-8")
    api = tmp_path / "sub" / "audit.json"
    api.parent.mkdir()
    api.write_text('{"CreationTime":"2024-03-05T09:20:03","Id":"1","Operation":"SendAs","RecordType":2,'
                   '"Workload":"Exchange","UserId":"a@contoso.com","SendAsUserSmtp":"ceo@contoso.com"}\n', encoding="utf-8")
    assert expand_paths([tmp_path]) == [api]
    assert expand_paths([tmp_path / "truth.json"]) == [tmp_path / "truth.json"]
