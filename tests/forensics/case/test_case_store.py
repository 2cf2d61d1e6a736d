"""Cases: create, reload, verify evidence, survive reopening; custody truncation detected."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helpers.fake_parser import SAMPLE  # registers the test-only "#TESTLOG" parser
from forensics.case import Case, CaseError
from forensics.case import verification
from forensics.custody.hashing import hash_file
from forensics.parsers.base import LoadOptions


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    folder = tmp_path / "evidence"
    folder.mkdir()
    path = folder / "a.testlog"
    path.write_text(SAMPLE)
    return path


@pytest.fixture
def case(tmp_path: Path, evidence: Path) -> Case:
    case = Case.create(tmp_path / "case", "Operation Quill", number="2024-017", examiner="E. Xam")
    case.add_evidence([evidence], LoadOptions(source_tz="+02:00"))
    case.save()
    return case


def test_create_refuses_to_overwrite(case: Case) -> None:
    with pytest.raises(CaseError, match="already holds a case"):
        Case.create(case.folder, "again")


def test_open_rejects_non_case(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="not a case folder"):
        Case.open(tmp_path)
    (tmp_path / "case.json").write_text("{broken")
    with pytest.raises(CaseError, match="not valid JSON"):
        Case.open(tmp_path)


def test_reopen_restores_everything(case: Case, evidence: Path) -> None:
    loaded = case.load()
    assert len(loaded.frame) == 3
    case.bookmarks.add(loaded.frame, [0, 2], "suspicious", "pat reads the CEO's mail", examiner="E. Xam")
    case.save_query("pat", "actor:pat is:nonowner", {"non_owner": True})
    case.current_query = "mailbox:ceo"
    case.notes = "Interviewed pat on 2024-03-07.\nLine two."
    case.save()

    again = Case.open(case.folder, examiner="Second Examiner")
    assert again.integrity_problems == []
    assert (again.name, again.number) == ("Operation Quill", "2024-017")
    assert again.notes == "Interviewed pat on 2024-03-07.\nLine two."
    assert [(q.name, q.text, q.toggles) for q in again.queries] == [("pat", "actor:pat is:nonowner", {"non_owner": True})]
    assert again.current_query == "mailbox:ceo"
    (entry,) = again.evidence
    assert entry.sha256 == hash_file(evidence).sha256 and entry.options == {"source_tz": "+02:00"}
    assert entry.load_options().source_tz == "+02:00"
    reloaded = again.load()
    assert [c.status for c in reloaded.checks] == [verification.VERIFIED]
    assert len(reloaded.frame) == 3
    tags = again.bookmarks.tag_column(reloaded.frame)
    assert tags.tolist()[0] == "suspicious" and tags.tolist()[2] == "suspicious" and tags.isna().tolist()[1]
    located = again.bookmarks.locate(reloaded.frame)
    assert located["position"].tolist() == [0, 2]
    assert set(located["comment"]) == {"pat reads the CEO's mail"}


def test_reloading_does_not_duplicate_rows(case: Case, evidence: Path, tmp_path: Path) -> None:
    first = case.load()
    copy = tmp_path / "copy.testlog"
    copy.write_bytes(evidence.read_bytes())
    result = case.add_evidence([evidence, copy], already_loaded=first.sources)
    assert len(result.frame) == 0
    assert {f.status for f in result.files} == {"duplicate"}
    assert len(case.load().frame) == 3  # copy recorded, but its identical rows are not added twice


def test_modified_evidence_is_a_loud_mismatch(case: Case, evidence: Path) -> None:
    evidence.write_text(SAMPLE + "2024-03-06T09:00:00Z,CONTOSO\\pat,cfo@contoso.com,MessageOpen\n")
    quick = case.quick_checks()
    assert quick[0].status == verification.CHANGED_QUICK
    loaded = case.load()
    (check,) = loaded.checks
    assert check.status == verification.MODIFIED and check.problem
    assert hash_file(evidence).sha256 in check.message
    kinds = [e["kind"] for e in case.custody.entries()]
    assert kinds[-1] == "evidence-mismatch"
    assert case.custody.entries()[-1]["status"] == "MODIFIED"
    assert [c.status for c in case.rehash_all()] == [verification.MODIFIED]


def test_missing_evidence_is_reported(case: Case, evidence: Path) -> None:
    evidence.unlink()
    loaded = case.load()
    assert [c.status for c in loaded.checks] == [verification.MISSING]
    assert len(loaded.frame) == 0
    assert case.custody.entries()[-1]["status"] == "MISSING"


def test_same_mtime_same_size_passes_quick_look(case: Case, evidence: Path) -> None:
    assert case.quick_checks()[0].status == verification.UNCHANGED_QUICK
    st = evidence.stat()
    os.utime(evidence, (st.st_atime, st.st_mtime + 60))
    assert case.quick_checks()[0].status == verification.CHANGED_QUICK


def test_truncated_custody_log_is_detected(case: Case) -> None:
    log = case.custody.path
    lines = log.read_text().splitlines(keepends=True)
    assert len(lines) >= 2
    log.write_text("".join(lines[:-1]))  # chain still valid: only the tail is gone
    reopened = Case.open(case.folder)
    assert any("removed from its end" in p for p in reopened.integrity_problems)
    assert reopened.custody.entries()[-1]["kind"] == "case-opened"
    assert reopened.custody.entries()[-1]["custody_problems"]


def test_edited_custody_entry_is_detected(case: Case) -> None:
    log = case.custody.path
    lines = log.read_text().splitlines()
    edited = json.loads(lines[-1])
    edited["examiner"] = "someone else"
    lines[-1] = json.dumps(edited)
    log.write_text("\n".join(lines) + "\n")
    problems = Case.open(case.folder).integrity_problems
    n = len(lines)
    assert problems == [
        f"entry {n}: signature does not match the entry (altered after it was written, or forged without "
        f"the key {edited['key'][:16]}…)",
        f"entry {n}: differs from the entry {n} recorded in custody.head.json",
        f"entry {n}: differs from the entry {n} recorded in case.json (custody_head)",
    ]


def test_moved_case_finds_evidence_by_relative_path(case: Case, evidence: Path, tmp_path: Path) -> None:
    moved = tmp_path / "moved"
    moved.mkdir()
    os.rename(case.folder, moved / "case")
    os.rename(evidence.parent, moved / "evidence")
    reopened = Case.open(moved / "case")
    assert [c.status for c in reopened.load().checks] == [verification.VERIFIED]


def test_case_adopts_evidence_from_an_existing_custody_log(tmp_path: Path, evidence: Path) -> None:
    from forensics.custody.log import CustodyLog
    from forensics.ingest import load_evidence

    folder = tmp_path / "loaded-first"
    load_evidence([evidence], options=LoadOptions(source_tz="-05:00"), custody=CustodyLog(folder, examiner="E"))
    case = Case.create(folder, "Later")
    (entry,) = case.evidence
    assert entry.sha256 == hash_file(evidence).sha256 and entry.options == {"source_tz": "-05:00"}
    assert [c.status for c in case.load().checks] == [verification.VERIFIED]
