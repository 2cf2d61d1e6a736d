"""A case folder received from someone else is hostile input (issue 16, points 2 and 5).

Each attack reproduces one found against the case layer: symbolic links planted where the
tool writes, FIFOs and devices named as evidence or as the identities file, paths that
climb out of the evidence folders, and case.json files with every kind of wrong field.
Each test asserts the exact outcome: the message, what was (not) written, what custody says.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from helpers.fake_parser import SAMPLE  # registers the test-only "#TESTLOG" parser
from helpers.timeouts import within
from forensics.case import Case, CaseError
from forensics.case import verification
from forensics.case.store import CaseFileInvalid
from forensics.errors import CustodyError, EvidenceError
from forensics.parsers.base import LoadOptions

pytestmark = pytest.mark.skipif(os.name == "nt", reason="symlinks, FIFOs and /dev/zero are POSIX here")


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    folder = tmp_path / "evidence"
    folder.mkdir()
    path = folder / "a.testlog"
    path.write_text(SAMPLE)
    return path


@pytest.fixture
def case(tmp_path: Path, evidence: Path) -> Case:
    case = Case.create(tmp_path / "case", "Hostile", examiner="E. Xam")
    case.add_evidence([evidence], LoadOptions(source_tz="+02:00"))
    case.save()
    return case


def _edit(case: Case, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(case.case_file.read_text())
    change(data)
    case.case_file.write_text(json.dumps(data))


def _kinds(case: Case) -> list[str]:
    return [e["kind"] for e in case.custody.entries()]


# -- symbolic links where the tool writes ------------------------------------------------------
def test_symlinked_case_json_is_refused(case: Case, evidence: Path) -> None:
    before = evidence.read_bytes()
    case.case_file.unlink()
    case.case_file.symlink_to(evidence)
    with pytest.raises(CaseError, match=r"case\.json: case\.json is a symbolic link; refusing to follow it"):
        Case.open(case.folder)
    with pytest.raises(CaseError, match=r"case\.json is a symbolic link"):
        case.save()
    assert evidence.read_bytes() == before


def test_symlinked_custody_log_is_neither_read_nor_appended(case: Case, evidence: Path) -> None:
    before = evidence.read_bytes()
    log = case.folder / "custody.jsonl"
    log.unlink()
    log.symlink_to(evidence)
    with pytest.raises(CustodyError, match=r"custody\.jsonl: custody log is a symbolic link; refusing to follow it"):
        Case.open(case.folder)
    with pytest.raises(CustodyError, match="custody log is a symbolic link"):
        case.custody.append("note", text="$(touch /tmp/pwned)")
    assert evidence.read_bytes() == before


def test_hard_linked_custody_log_is_not_appended(case: Case, evidence: Path) -> None:
    before = evidence.read_bytes()
    log = case.folder / "custody.jsonl"
    log.unlink()
    os.link(evidence, log)
    with pytest.raises(CustodyError, match=r"custody log has 2 hard links \(it may be another name for evidence\)"):
        case.custody.append("note")
    assert evidence.read_bytes() == before


def test_symlinked_or_fifo_lock_file_is_refused(case: Case, evidence: Path) -> None:
    before, lines = evidence.read_bytes(), case.custody.lines()
    lock = case.folder / "custody.jsonl.lock"
    lock.unlink()
    lock.symlink_to(evidence)
    with pytest.raises(CustodyError, match=r"custody\.jsonl\.lock: custody lock file is a symbolic link"):
        case.custody.append("note")
    lock.unlink()
    os.mkfifo(lock)
    with pytest.raises(CustodyError, match=r"custody lock file is a FIFO \(named pipe\), not a regular file"):
        within(20, lambda: case.custody.append("note"))
    assert evidence.read_bytes() == before and case.custody.lines() == lines


def test_symlinked_custody_head_is_refused_before_the_log_grows(case: Case, evidence: Path) -> None:
    before, lines = evidence.read_bytes(), case.custody.lines()
    head = case.folder / "custody.head.json"
    head.unlink()
    head.symlink_to(evidence)
    with pytest.raises(CustodyError, match=r"custody\.head\.json: custody head file is a symbolic link"):
        Case.open(case.folder)
    assert evidence.read_bytes() == before and case.custody.lines() == lines  # nothing appended


def test_planted_temp_file_links_are_never_followed(case: Case, evidence: Path) -> None:
    """The names the old code wrote through (fixed ``.tmp`` names) now mean nothing."""
    before = evidence.read_bytes()
    for name in ("case.json.tmp", "custody.head.json.tmp"):
        (case.folder / name).symlink_to(evidence)
    for parquet in case.cache_dir.glob("*.parquet"):
        parquet.with_suffix(".parquet.tmp").symlink_to(evidence)
    reopened = Case.open(case.folder)
    reopened.load(use_cache=False)
    reopened.save()
    assert evidence.read_bytes() == before
    assert reopened.integrity_problems == []


def test_symlinked_cache_folder_is_not_used_or_written(case: Case, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    shutil.move(str(case.cache_dir), elsewhere)
    snapshot = {p.name: p.read_bytes() for p in elsewhere.iterdir()}
    case.cache_dir.symlink_to(elsewhere, target_is_directory=True)
    loaded = Case.open(case.folder).load()
    assert len(loaded.frame) == 3  # parsed from the evidence
    assert loaded.warnings and all("cache folder is a symbolic link" in w for w in loaded.warnings)
    assert {p.name: p.read_bytes() for p in elsewhere.iterdir()} == snapshot  # nothing written through it


def test_symlinked_cache_file_is_refused_and_replaced(case: Case, evidence: Path) -> None:
    before = evidence.read_bytes()
    (parquet,) = case.cache_dir.glob("*.parquet")
    parquet.unlink()
    parquet.symlink_to(evidence)
    loaded = Case.open(case.folder).load()
    assert loaded.warnings == [f"CACHE NOT USED: {parquet}: cache file is a symbolic link; refusing to follow it "
                               "(a case folder from elsewhere can point its files at evidence or system files); "
                               "a.testlog was parsed again"]
    assert evidence.read_bytes() == before
    assert parquet.is_file() and not parquet.is_symlink()  # a fresh, recorded cache took its place


# -- FIFOs and devices where the tool reads ----------------------------------------------------
def test_fifo_as_evidence_is_refused_without_hanging(case: Case, evidence: Path) -> None:
    evidence.unlink()
    os.mkfifo(evidence)
    reopened = Case.open(case.folder)
    loaded = within(20, reopened.load)
    (check,) = loaded.checks
    assert check.status == verification.UNREADABLE
    assert check.message == f"{evidence}: is a FIFO (named pipe), not a regular file; refusing to read it as evidence"
    (check,) = within(20, reopened.rehash_all)
    assert check.status == verification.UNREADABLE


@pytest.mark.parametrize("device, kind", [("/dev/zero", "a character device"), ("/dev/null", "a character device")])
def test_device_as_evidence_is_refused(case: Case, device: str, kind: str) -> None:
    _edit(case, lambda d: d["evidence"][0].update(path=device, relative=None))
    loaded = within(20, Case.open(case.folder).load)
    (check,) = loaded.checks
    assert (check.status, check.message) == (
        verification.UNREADABLE, f"{device}: is {kind}, not a regular file; refusing to read it as evidence")


@pytest.mark.parametrize("maker", ["/dev/zero", "fifo"])
def test_identities_file_that_is_a_device_or_fifo_is_refused(case: Case, tmp_path: Path, maker: str) -> None:
    target = "/dev/zero"
    kind = "a character device"
    if maker == "fifo":
        target = str(tmp_path / "ids.csv")
        os.mkfifo(target)
        kind = "a FIFO (named pipe)"
    _edit(case, lambda d: d["evidence"][0]["options"].update(identities=target))
    with pytest.raises(EvidenceError, match=re.escape(f"{target}: identity file is {kind}, not a regular file; refusing")):
        within(20, Case.open(case.folder).load)


# -- paths leaving the evidence folders -------------------------------------------------------------
def test_traversal_through_the_relative_path_is_refused(case: Case) -> None:
    _edit(case, lambda d: d["evidence"][0].update(path="/nonexistent/a.testlog", relative="../../../../../../../../etc/passwd"))
    reopened = Case.open(case.folder)
    assert reopened.outside_evidence() == [Path("/etc/passwd")]
    loaded = reopened.load()
    (check,) = loaded.checks
    assert check.status == verification.REFUSED
    assert check.message.startswith("/etc/passwd: outside the case's evidence folders (")
    assert check.message.endswith("; not opened (confirm it, or pass --allow-outside-evidence, if it really is evidence)")
    entries = reopened.custody.entries()
    assert entries[-1]["kind"] == "evidence-refused" and entries[-1]["path"] == "/etc/passwd"
    assert not any(e.get("path") == "/etc/passwd" for e in entries if e["kind"] == "evidence-opened")


def test_absolute_path_outside_is_refused_until_confirmed(case: Case, evidence: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    copy = elsewhere / "a.testlog"
    copy.write_bytes(evidence.read_bytes())  # same content: only the place is wrong
    _edit(case, lambda d: d["evidence"][0].update(path=str(copy), relative=None))
    reopened = Case.open(case.folder)
    assert [c.status for c in reopened.load().checks] == [verification.REFUSED]
    assert reopened.confirm_outside_evidence() == [elsewhere]
    assert _kinds(reopened)[-1] == "evidence-roots-confirmed"
    # opened now, but custody never recorded a hash at this path: only case.json vouches for it
    assert [c.status for c in reopened.load().checks] == [verification.NOT_IN_CUSTODY]
    assert Case.open(case.folder).outside_evidence() == []  # the confirmation is remembered (in custody)


def test_allow_flag_opens_without_remembering(case: Case, evidence: Path, tmp_path: Path) -> None:
    _edit(case, lambda d: d["evidence"][0].update(path=str(tmp_path / "evidence" / ".." / "a.testlog"), relative=None))
    (tmp_path / "a.testlog").write_bytes(evidence.read_bytes())
    reopened = Case.open(case.folder)
    reopened.allow_outside_evidence = True
    # opened, but custody recorded no hash at this path: only case.json vouches for it
    assert [c.status for c in reopened.load().checks] == [verification.NOT_IN_CUSTODY]


# -- malformed case.json --------------------------------------------------------------------------
def _set(*path: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    return change


def _delete(*path: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        target = data
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]
    return change


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


MALFORMED = [
    (_delete("format"), 'format: not a Mailbox Audit case file (expected "mailbox-audit-case")'),
    (_set("version", value="1"), "version: expected a whole number, got text"),
    (_set("name", value=5), "name: expected text, got a whole number"),
    (_set("notes", value=["a"]), "notes: expected text, got a list"),
    (_set("display_tz", value={"zone": "UTC"}), "display_tz: expected text, got an object"),
    (_set("display_tz", value="Mars/Olympus_Mons"), "display_tz: unknown time zone or offset 'Mars/Olympus_Mons'"),
    (_set("display_tz", value="../../../etc/passwd"), "display_tz: unknown time zone or offset '../../../etc/passwd'"),
    (_set("evidence", 0, "options", "source_tz", value="+99:00"),
     "evidence[0].options.source_tz: unknown time zone or offset '+99:00'"),
    (_set("evidence", value={}), "evidence: expected a list, got an object"),
    (_set("evidence", value=["x"]), "evidence[0]: expected an object, got text"),
    (_delete("evidence", 0, "sha256"), "evidence[0]: missing 'sha256'"),
    (_delete("evidence", 0, "size"), "evidence[0]: missing 'size'"),
    (_set("evidence", 0, "sha256", value="zz"), "evidence[0].sha256: expected 64 hexadecimal digits"),
    (_set("evidence", 0, "path", value=None), "evidence[0].path: expected text, got null"),
    (_set("evidence", 0, "size", value="12"), "evidence[0].size: expected a whole number, got text"),
    (_set("evidence", 0, "size", value=True), "evidence[0].size: expected a whole number, got true/false"),
    (_set("evidence", 0, "size", value=-1), "evidence[0].size: -1 is out of range (0 to 9223372036854775807)"),
    (_set("evidence", 0, "size", value=10**40), "evidence[0].size: a huge number is out of range (0 to 9223372036854775807)"),
    (_set("evidence", 0, "size", value=1.5), "evidence[0].size: expected a whole number, got a number"),
    (_set("evidence", 0, "mtime", value="now"), "evidence[0].mtime: expected a number, got text"),
    (_set("evidence", 0, "mtime", value=1e300), "evidence[0].mtime: a huge number is out of range (0 to 253402300799)"),
    (_set("evidence", 0, "options", value=[]), "evidence[0].options: expected an object of load options, got a list"),
    (_set("evidence", 0, "options", "source_tz", value=5), "evidence[0].options.source_tz: expected text or null, got a whole number"),
    (_set("evidence", 0, "options", "all_events", value="yes"), "evidence[0].options.all_events: expected true or false, got text"),
    (_set("evidence", 0, "options", "identities", value={"a": 1}), "evidence[0].options.identities: expected text or null, got an object"),
    (_set("evidence", 0, "options", "extra", value=[1]), "evidence[0].options.extra: unknown option must be a plain value, got a list"),
    (_set("evidence", 0, "relative", value=3), "evidence[0].relative: expected text or null, got a whole number"),
    (_set("queries", value=[{"name": "q"}]), "queries[0]: missing 'text'"),
    (_set("queries", value=[{"name": "q", "text": "x", "toggles": "on"}]), "queries[0].toggles: expected an object, got text"),
    (_set("bookmarks", value=[{"evidence": "e", "record_id": "1", "raw_ref": None, "fingerprint": "f", "tag": "t"}]),
     "bookmarks[0].record_id: expected a whole number or null, got text"),
    (_set("bookmarks", value=[{"evidence": "e", "record_id": 1, "raw_ref": 2, "fingerprint": "f", "tag": "t",
                               "summary": {"actor": 1}}]), "bookmarks[0].summary.actor: expected text, got a whole number"),
    (_set("bookmarks", value="all"), "bookmarks: expected a list, got text"),
    (_set("expected_access", value=[{"mailbox": "x"}]), "expected_access[0]: missing 'actor'"),
    (_set("expected_access", value=[{"actor": ["x"]}]), "expected_access[0].actor: expected text, got a list"),
    (_set("current_filters", value=[]), "current_filters: expected an object, got a list"),
    (_set("current_filters", value=_nested(40)), "current_filters: nested more than 16 levels deep"),
    (_set("custody_head", value=[]), "custody_head: expected an object, got a list"),
    (_set("custody_head", "entries", value="3"), "custody_head.entries: expected a whole number, got text"),
    (_set("custody_head", "last_hash", value=7), "custody_head.last_hash: expected text, got a whole number"),
]


@pytest.mark.parametrize("change, problem", MALFORMED, ids=[m[1][:50] for m in MALFORMED])
def test_malformed_field_is_one_clear_problem(case: Case, change: Callable[[dict[str, Any]], None], problem: str) -> None:
    _edit(case, change)
    with pytest.raises(CaseError) as raised:
        Case.open(case.folder)
    if isinstance(raised.value, CaseFileInvalid):
        assert raised.value.problems == [problem]
        assert str(raised.value) == f"{case.case_file}: damaged case file (1 problem(s)):\n  {problem}"
    else:  # the format check stops before any field is read
        assert str(raised.value).endswith(problem)


def test_every_problem_is_listed_at_once(case: Case) -> None:
    _edit(case, lambda d: d.update(name=1, evidence=[{"path": 2}]))
    with pytest.raises(CaseFileInvalid) as raised:
        Case.open(case.folder)
    assert raised.value.problems == [
        "name: expected text, got a whole number",
        "evidence[0].path: expected text, got a whole number", "evidence[0]: missing 'evidence_id'", "evidence[0]: missing 'sha256'", "evidence[0]: missing 'sha1'",
        "evidence[0]: missing 'md5'", "evidence[0]: missing 'size'", "evidence[0]: missing 'mtime'",
    ]


def _raw(case: Case, text: str) -> str:
    case.case_file.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    with pytest.raises(CaseError) as raised:
        Case.open(case.folder)
    return str(raised.value)


def test_raw_text_attacks(case: Case) -> None:
    good = case.case_file.read_text()
    path = case.case_file
    assert _raw(case, "[" * 200_000 + "]" * 200_000) == (
        f"{path}: nested too deeply to be a case file: the case file is damaged")
    huge = good.replace('"size": ', '"size": 1' + "0" * 5000 + ', "x": ', 1)
    assert _raw(case, huge).startswith(f"{path}: holds a value that cannot be read (")
    assert _raw(case, good.replace('"mtime": ', '"mtime": 1e400, "x": ', 1)).endswith(
        "evidence[0].mtime: expected a finite number, got inf")
    assert _raw(case, good.replace('"mtime": ', '"mtime": NaN, "x": ', 1)).endswith(
        "evidence[0].mtime: expected a finite number, got nan")
    assert _raw(case, "[1, 2]").endswith("expected an object at the top level, got a list")
    assert _raw(case, "null").endswith("expected an object at the top level, got null")
    case.case_file.write_bytes(b'{"format": "\xff"}')
    with pytest.raises(CaseError, match=r"not UTF-8 text \(byte 12\)"):
        Case.open(case.folder)


def test_fifo_and_oversized_case_json(case: Case) -> None:
    case.case_file.unlink()
    os.mkfifo(case.case_file)
    with pytest.raises(CaseError, match=r"case\.json is a FIFO \(named pipe\), not a regular file"):
        within(20, lambda: Case.open(case.folder))
    case.case_file.unlink()
    with open(case.case_file, "wb") as fh:
        fh.truncate(64 * 1024 * 1024 + 1)  # sparse: no disk used
    with pytest.raises(CaseError, match=r"case\.json is 67,108,865 bytes, more than the 67,108,864 allowed"):
        Case.open(case.folder)
