"""The custody log is append-only and hash-chained; verify names the failing entry or file."""

from __future__ import annotations

import json
from pathlib import Path

from forensics.custody.hashing import hash_file
from forensics.custody.log import GENESIS, CustodyLog, line_hash


def _case_with_two_files(tmp_path: Path) -> tuple[CustodyLog, Path, Path]:
    case = tmp_path / "case"
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    a.write_text("alpha\n")
    b.write_text("beta\n")
    log = CustodyLog(case, examiner="Dana Examiner")
    for path in (a, b):
        log.record_open(path, hash_file(path), path.stat().st_mtime, parser="test")
    log.append("note", text="third entry")
    return log, a, b


def test_entries_are_chained_and_carry_provenance(tmp_path: Path) -> None:
    log, a, _ = _case_with_two_files(tmp_path)
    lines = log.lines()
    entries = [json.loads(line) for line in lines]
    assert entries[0]["prev"] == GENESIS
    assert entries[1]["prev"] == line_hash(lines[0])
    assert entries[2]["prev"] == line_hash(lines[1])
    assert entries[0]["kind"] == "examiner-key"  # the signing key's public half comes first
    first = entries[1]
    for key in ("sha256", "sha1", "md5", "size", "mtime", "path", "examiner", "host", "tool", "time"):
        assert key in first, key
    assert first["examiner"] == "Dana Examiner"
    assert first["time"].endswith("Z")
    assert log.head() == line_hash(lines[-1])
    result = log.verify()
    assert result.ok, result.describe()
    assert len(result.files_ok) == 2


def test_edited_entry_is_named(tmp_path: Path) -> None:
    log, _, _ = _case_with_two_files(tmp_path)
    lines = log.lines()
    lines[1] = lines[1].replace("Dana Examiner", "Someone Else")
    log.path.write_text("\n".join(lines) + "\n")
    result = log.verify(rehash=False)
    assert not result.ok
    assert any(p.startswith("entry 2: signature does not match") for p in result.chain_problems)
    assert any(p.startswith("entry 3:") for p in result.chain_problems)


def test_deleted_and_reordered_entries_are_detected(tmp_path: Path) -> None:
    log, _, _ = _case_with_two_files(tmp_path)
    lines = log.lines()
    log.path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    problems = log.verify_chain()
    assert any("entry 2" in p for p in problems)
    log.path.write_text("\n".join([lines[1], lines[0], lines[2]]) + "\n")
    assert log.verify_chain()


def test_changed_and_missing_evidence_are_named(tmp_path: Path) -> None:
    log, a, b = _case_with_two_files(tmp_path)
    a.write_text("alpha, altered\n")
    b.unlink()
    result = log.verify()
    assert not result.ok
    text = "\n".join(result.file_problems)
    assert str(a.resolve()) in text and "differs" in text
    assert str(b.resolve()) in text and "no such file" in text


def test_earlier_hashes_for_reopened_file(tmp_path: Path) -> None:
    log, a, _ = _case_with_two_files(tmp_path)
    assert log.earlier_hashes(a) == {hash_file(a).sha256}


def test_memory_log_without_case(tmp_path: Path) -> None:
    log = CustodyLog(None)
    log.append("note", text="x")
    log.append("note", text="y")
    assert len(log.entries()) == 2 and log.verify_chain() == []


def test_entries_cut_from_the_end_are_detected(tmp_path: Path) -> None:
    log, _, _ = _case_with_two_files(tmp_path)
    lines = log.lines()
    log.path.write_text("\n".join(lines[:-1]) + "\n")  # still a perfect chain, one entry short
    problems = log.verify_chain()
    assert any("removed from its end" in p for p in problems)


def test_appended_foreign_entry_is_detected(tmp_path: Path) -> None:
    log, _, _ = _case_with_two_files(tmp_path)
    forged = CustodyLog(None)
    forged._memory = log.lines()
    forged.append("note", text="forged")
    log.path.write_text("\n".join(forged._memory) + "\n")
    assert any("not written by this tool" in p for p in log.verify_chain())


def test_concurrent_writers_keep_one_chain(tmp_path: Path) -> None:
    import threading

    case = tmp_path / "case"
    logs = [CustodyLog(case, examiner=f"w{i}") for i in range(4)]

    def write(log: CustodyLog) -> None:
        for n in range(25):
            log.append("note", n=n)

    threads = [threading.Thread(target=write, args=(log,)) for log in logs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(logs[0].lines()) == 101  # the four writers share one examiner key: one key entry
    assert [e["kind"] for e in logs[0].entries()].count("examiner-key") == 1
    assert logs[0].verify_chain() == []
