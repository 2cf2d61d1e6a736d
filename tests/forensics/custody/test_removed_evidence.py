"""A file taken out of a case by a logged ``evidence-removed`` entry is not re-hashed by
``verify`` (it may be gone on purpose), but a mismatch logged before the removal still fails,
and a case whose only files were removed verifies nothing."""

from __future__ import annotations

from pathlib import Path

from forensics.custody.hashing import hash_file
from forensics.custody.log import CustodyLog


def _opened(log: CustodyLog, path: Path) -> None:
    log.record_open(path, hash_file(path), path.stat().st_mtime, status="loaded")


def test_removed_file_is_not_rehashed_and_not_counted(tmp_path: Path) -> None:
    kept, gone = tmp_path / "kept.log", tmp_path / "gone.log"
    kept.write_text("a\n")
    gone.write_text("b\n")
    log = CustodyLog(tmp_path / "case")
    _opened(log, kept)
    _opened(log, gone)
    log.append("evidence-removed", path=str(gone.resolve()), reason="wrong server")
    removed_at = len(log.entries())
    gone.unlink()
    result = log.verify()
    assert result.status == "VERIFIED" and not result.file_problems
    assert len(result.files_ok) == 1 and str(kept.resolve()) in result.files_ok[0]
    assert result.removed == [f"{gone.resolve()}: removed from the case in entry {removed_at}; not re-hashed"]


def test_removal_does_not_launder_a_logged_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "ev.log"
    path.write_text("a\n")
    log = CustodyLog(tmp_path / "case")
    _opened(log, path)
    path.write_text("edited\n")
    _opened(log, path)  # a later open recorded another hash
    log.append("evidence-removed", path=str(path.resolve()), reason="tidy up")
    result = log.verify()
    assert result.status == "VERIFICATION FAILED"
    assert any(str(path.resolve()) in p for p in result.file_problems)


def test_reopened_after_removal_is_checked_again(tmp_path: Path) -> None:
    path = tmp_path / "ev.log"
    path.write_text("a\n")
    log = CustodyLog(tmp_path / "case")
    _opened(log, path)
    log.append("evidence-removed", path=str(path.resolve()), reason="mistake")
    _opened(log, path)
    path.write_text("changed\n")
    result = log.verify()
    assert result.status == "VERIFICATION FAILED" and not result.removed
