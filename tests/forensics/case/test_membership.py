"""What belongs to a case: adopting already-open evidence (re-hashed, logged), removing
evidence (logged, its rows gone), the directory export checked on reopen, and the CLI's
``case remove-evidence`` and ``verify`` on a case without evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.fake_parser import SAMPLE  # registers the test-only "#TESTLOG" parser
from forensics.case import Case
from forensics.case.membership import (
    IDENTITIES_CHANGED,
    MembershipError,
    adopt_open_files,
    leave_out_open_files,
    matching_entries,
    remove_evidence,
)
from forensics.cli.main import main
from forensics.custody.hashing import hash_file
from forensics.custody.log import CustodyLog
from forensics.ingest import load_evidence
from forensics.parsers.base import LoadOptions

# a directory export in the documented Get-Recipient | Export-Csv shape (DESIGN.md, identity resolution)
IDENTITIES = "DisplayName,Alias,PrimarySmtpAddress,SamAccountName\nPat,pat,pat@contoso.com,pat\n"


@pytest.fixture
def two_files(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "evidence"
    folder.mkdir()
    a = folder / "a.testlog"
    a.write_text(SAMPLE)
    b = folder / "b.testlog"
    b.write_text(SAMPLE.replace("22:1", "23:1"))
    return a, b


def test_open_files_are_adopted_rehashed_into_the_case_log(tmp_path: Path, two_files: tuple[Path, Path]) -> None:
    a, b = two_files
    session = CustodyLog(tmp_path / "session")
    options = LoadOptions(source_tz="+02:00")
    result = load_evidence([a, b], options=options, custody=session)
    case = Case.create(tmp_path / "case", "Quill")
    b.write_text(SAMPLE + "2024-03-05T22:20:00Z,x,y,FolderOpen\n")  # b changes after it was opened
    adoption = adopt_open_files(case, [(f, options) for f in result.files])
    assert [e.path for e in adoption.adopted] == [str(a.resolve())]
    assert adoption.adopted[0].options == {"source_tz": "+02:00"}
    ((refused, why),) = adoption.refused
    assert refused.path == b and "SHA-256 is now" in why
    entries = case.custody.entries()
    opened = [e for e in entries if e["kind"] == "evidence-opened"]
    assert len(opened) == 1 and opened[0]["adopted"] is True and opened[0]["sha256"] == hash_file(a).sha256
    assert opened[0]["options"] == {"source_tz": "+02:00"}
    assert entries[-1]["kind"] == "evidence-not-adopted" and entries[-1]["path"] == str(b.resolve())
    assert result.files[0].custody_seq == opened[0]["seq"]  # the Evidence dock names the case's entry


def test_leaving_open_files_out_is_logged(tmp_path: Path, two_files: tuple[Path, Path]) -> None:
    result = load_evidence(list(two_files), custody=CustodyLog(None))
    case = Case.create(tmp_path / "case", "Quill")
    assert leave_out_open_files(case, result.files) == 2
    entry = case.custody.entries()[-1]
    assert entry["kind"] == "evidence-left-out" and len(entry["paths"]) == 2
    assert case.evidence == []


def test_removed_evidence_is_logged_and_its_rows_go(tmp_path: Path, two_files: tuple[Path, Path]) -> None:
    a, b = two_files
    case = Case.create(tmp_path / "case", "Quill")
    case.add_evidence([a, b])
    case.save()
    assert len(case.load().frame) == 6
    entry = next(e for e in case.evidence if e.path == str(b.resolve()))
    assert matching_entries(case, [entry.evidence_id]) == [entry]
    assert matching_entries(case, [entry.sha256.upper()]) == [entry]
    assert matching_entries(case, [str(b)]) == [entry]
    with pytest.raises(MembershipError, match="not evidence of this case: nope"):
        matching_entries(case, [str(b), "nope"])
    remove_evidence(case, [entry], "copied by mistake")
    case.save()
    again = Case.open(case.folder)
    assert [e.path for e in again.evidence] == [str(a.resolve())]
    loaded = again.load()
    assert len(loaded.frame) == 3 and set(loaded.frame["evidence"]) == {hash_file(a).sha256[:16]}
    removed = [e for e in again.custody.entries() if e["kind"] == "evidence-removed"]
    assert len(removed) == 1 and removed[0]["sha256"] == entry.sha256 and removed[0]["reason"] == "copied by mistake"


def test_cli_remove_evidence(tmp_path: Path, two_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    a, b = two_files
    folder = tmp_path / "case"
    assert main(["case", "new", str(folder)]) == 0
    assert main(["case", "add", str(folder), str(a), str(b)]) == 0
    assert main(["case", "remove-evidence", str(folder), "deadbeef"]) == 2  # unknown: nothing removed
    assert "not evidence of this case: deadbeef" in capsys.readouterr().err
    assert len(Case.open(folder).evidence) == 2
    assert main(["case", "remove-evidence", str(folder), str(a), "--reason", "wrong server"]) == 0
    assert "1 file(s) removed; 1 remain" in capsys.readouterr().out
    data = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    assert [e["path"] for e in data["evidence"]] == [str(b.resolve())]
    kinds = [e["kind"] for e in CustodyLog(folder).entries()]
    assert kinds.count("evidence-removed") == 1


def test_cli_verify_of_a_case_without_evidence_is_not_green(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "case"
    assert main(["case", "new", str(folder)]) == 0
    capsys.readouterr()
    assert main(["verify", "--case", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "NOT VERIFIED" in out and "\nVERIFIED" not in out


def test_the_directory_export_is_recorded_and_a_change_is_loud(tmp_path: Path, two_files: tuple[Path, Path]) -> None:
    a, _ = two_files
    export = tmp_path / "identities.csv"
    export.write_text(IDENTITIES, encoding="utf-8")
    case = Case.create(tmp_path / "case", "Quill")
    case.add_evidence([a], LoadOptions(identities=export))
    case.save()
    (entry,) = case.evidence
    assert entry.identities_sha256 == hash_file(export).sha256
    assert entry.options["identities"] == str(export)
    assert not [n for f in Case.open(case.folder).load().files for n in f.notes if IDENTITIES_CHANGED in n]
    export.write_text(IDENTITIES + "CEO,ceo,ceo@contoso.com,ceo\n", encoding="utf-8")
    again = Case.open(case.folder)
    loaded = again.load()
    notes = [n for f in loaded.files for n in f.notes if IDENTITIES_CHANGED in n]
    assert len(notes) == 1 and hash_file(export).sha256 in notes[0] and entry.identities_sha256 in notes[0]
    assert again.custody.entries()[-1]["kind"] == "load-options-changed"


def test_identities_digest_never_reads_a_device_or_fifo(tmp_path: Path) -> None:
    """A received case.json may name /dev/zero or a FIFO as its directory export: the
    digest must not read it (it would never end)."""
    import os

    from forensics.case.membership import identities_digest

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert identities_digest(LoadOptions(identities=fifo)) == "missing or not a regular file"
    if Path("/dev/zero").exists():
        assert identities_digest(LoadOptions(identities=Path("/dev/zero"))) == "missing or not a regular file"
    assert identities_digest(LoadOptions(identities=tmp_path / "gone.csv")) == "missing or not a regular file"
    assert identities_digest(LoadOptions()) == ""
