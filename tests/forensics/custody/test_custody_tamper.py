"""Tamper suite for the custody log itself: every edit an attacker with write access to the
case folder (but not the examiner's private key) can make is refused with a named entry.

Evidence files are IIS W3C logs (Exchange OWA lines in the shape of
``reference/evidence-formats.md`` §3); at this level their bytes are only hashed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from forensics.custody.chain import HEAD_NAME, line_hash
from forensics.custody.hashing import hash_file
from forensics.custody.log import CustodyLog
from forensics.custody.signing import load_key
from forensics.custody.verify import FAILED, UNSIGNED, VERIFIED
from helpers.custody_tamper import read_entries, rechain

IIS = ("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
       "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
       "sc-status sc-substatus sc-win32-status time-taken\n"
       "2024-03-05 10:00:00 10.0.0.1 GET /owa/ceo@contoso.com/ ae=Item&id=A1 443 CONTOSO\\eve 10.0.0.9 "
       "Mozilla/5.0 200 0 0 15\n")


@pytest.fixture
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "examiner-keys"
    monkeypatch.setenv("MAILBOX_AUDIT_KEY_DIR", str(folder))
    return folder


@pytest.fixture
def log(tmp_path: Path, keys: Path) -> CustodyLog:
    """Entries: 1 examiner-key, 2 opened a, 3 opened b, 4 note."""
    case = tmp_path / "case"
    log = CustodyLog(case, examiner="Dana")
    for name in ("a", "b"):
        path = tmp_path / f"u_ex24030{'5' if name == 'a' else '6'}.log"
        path.write_text(IIS.replace("A1", name))
        log.record_open(path, hash_file(path), path.stat().st_mtime, parser="iis")
    log.append("note", text="checked")
    return log


def _write(log: CustodyLog, lines: list[str]) -> None:
    assert log.path is not None
    log.path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _key_prefix(log: CustodyLog) -> str:
    return log.key_fingerprint[:16]


def test_untouched_log_is_verified_and_names_its_key(log: CustodyLog) -> None:
    result = log.verify()
    assert result.status == VERIFIED and result.ok
    assert result.keys == [log.key_fingerprint]
    assert result.signing[0].startswith(f"signed by key {log.key_fingerprint} (Ed25519, examiner Dana on ")
    assert result.signing[0].endswith("signed 4 entries (1–4)")
    assert len(result.files_ok) == 2


def test_edited_entry(log: CustodyLog) -> None:
    lines = log.lines()
    lines[1] = lines[1].replace('"parser": "iis"', '"parser": "evtx"')
    _write(log, lines)
    assert log.verify(rehash=False).chain_problems == [
        f"entry 2: signature does not match the entry (altered after it was written, or forged without the key "
        f"{_key_prefix(log)}…)",
        "entry 3: previous-entry hash does not match entry 2 (an earlier entry was edited, deleted or reordered)",
    ]


def test_deleted_entry(log: CustodyLog) -> None:
    lines = log.lines()
    _write(log, lines[:2] + lines[3:])
    assert log.verify(rehash=False).chain_problems == [
        "entry 3: sequence number 4 (entries deleted or reordered)",
        "entry 3: previous-entry hash does not match entry 2 (an earlier entry was edited, deleted or reordered)",
        f"custody log has 3 entries but {HEAD_NAME} records 4: entries were removed from its end",
    ]


def test_reordered_entries(log: CustodyLog) -> None:
    lines = log.lines()
    _write(log, [lines[0], lines[2], lines[1], lines[3]])
    problems = log.verify(rehash=False).chain_problems
    assert problems == [
        "entry 2: sequence number 3 (entries deleted or reordered)",
        "entry 2: previous-entry hash does not match entry 1 (an earlier entry was edited, deleted or reordered)",
        "entry 3: sequence number 2 (entries deleted or reordered)",
        "entry 3: previous-entry hash does not match entry 2 (an earlier entry was edited, deleted or reordered)",
        "entry 4: previous-entry hash does not match entry 3 (an earlier entry was edited, deleted or reordered)",
    ]


def test_cut_tail(log: CustodyLog) -> None:
    _write(log, log.lines()[:-1])
    assert log.verify(rehash=False).chain_problems == [
        f"custody log has 3 entries but {HEAD_NAME} records 4: entries were removed from its end",
    ]


def test_deleted_head(log: CustodyLog) -> None:
    assert log.head_path is not None
    log.head_path.unlink()
    assert log.verify(rehash=False).chain_problems == [
        f"{HEAD_NAME} is missing: without it, entries cut from the end of the log would not show",
    ]


def test_cut_tail_with_a_head_rewritten_without_the_key(log: CustodyLog) -> None:
    lines = log.lines()[:-1]
    _write(log, lines)
    assert log.head_path is not None
    log.head_path.write_text(json.dumps({"entries": 3, "last_hash": line_hash(lines[-1])}))
    assert log.verify(rehash=False).chain_problems == [
        f"{HEAD_NAME}: the recorded custody head is not signed by a key of the log (rewritten without the examiner key?)",
    ]


def test_appended_unsigned_entry(log: CustodyLog) -> None:
    forged = CustodyLog(None)  # writes chained but unsigned entries
    forged._memory = log.lines()
    forged.append("note", text="forged")
    _write(log, forged._memory)
    assert log.verify(rehash=False).chain_problems == [
        "entry 5: not signed, although the log is signed from entry 1 on (an entry was inserted or rewritten "
        "without the examiner key)",
        f"custody log has 1 entries after entry 4 that were not written by this tool ({HEAD_NAME} records 4)",
    ]


def _forge(log: CustodyLog, how: str, tmp_path: Path) -> list[dict]:
    """The three rewrites of issue 16: append a forged entry, remove one, replace evidence
    and rewrite its hashes."""
    entries = read_entries(log.case_dir)  # type: ignore[arg-type]
    if how == "append":
        entries.append({**entries[-1], "text": "forged: examiner saw nothing"})
    elif how == "remove":
        del entries[2]
    else:
        a = Path(entries[1]["path"])
        a.write_text(IIS.replace("CONTOSO\\eve", "CONTOSO\\bob"))
        new = hash_file(a)
        entries[1].update(sha256=new.sha256, sha1=new.sha1, md5=new.md5, size=new.size)
    return entries


@pytest.mark.parametrize("how", ["append", "remove", "replace-evidence"])
def test_chain_recomputed_with_the_old_signatures_fails(log: CustodyLog, how: str, tmp_path: Path) -> None:
    head = log.head()
    entries = _forge(log, how, tmp_path)
    # recompute seq/prev but keep each entry's original key and signature
    lines, prev = [], "0" * 64
    for number, entry in enumerate(entries, start=1):
        entry = {**entry, "seq": number, "prev": prev}
        lines.append(json.dumps(entry, ensure_ascii=False))
        prev = line_hash(lines[-1])
    _write(log, lines)
    result = log.verify(expect_head=head)
    assert result.status == FAILED
    first_changed = {"append": 5, "remove": 3, "replace-evidence": 2}[how]
    assert result.chain_problems[0] == (
        f"entry {first_changed}: signature does not match the entry (altered after it was written, or forged "
        f"without the key {_key_prefix(log)}…)")


@pytest.mark.parametrize("how", ["append", "remove", "replace-evidence"])
def test_chain_recomputed_unsigned_is_never_verified(log: CustodyLog, how: str, tmp_path: Path) -> None:
    head, key = log.head(), log.key_fingerprint
    rechain(log.case_dir, _forge(log, how, tmp_path))  # type: ignore[arg-type]
    plain = log.verify()
    # consistent and unsigned: never VERIFIED, but only an anchor can show what changed
    assert plain.status == UNSIGNED and not plain.ok
    assert plain.signing[-1].startswith("UNSIGNED (legacy): none of the")
    anchored = log.verify(expect_head=head, expect_keys=[key])
    assert anchored.status == FAILED
    assert anchored.chain_problems == [
        f"no entry of this custody log has the SHA-256 {head} the report states: the log it was made from was "
        "altered or replaced (or it is another case)",
        f"expected key {key} signed no entry of this log",
        "the log is unsigned: no entry can be tied to an expected key",
    ]


@pytest.mark.parametrize("how", ["append", "remove", "replace-evidence"])
def test_chain_resigned_with_another_key_fails_against_the_report(
    log: CustodyLog, how: str, tmp_path: Path
) -> None:
    head, key = log.head(), log.key_fingerprint
    mallory = load_key(directory=tmp_path / "mallory-keys")
    assert mallory is not None and mallory.fingerprint != key
    rechain(log.case_dir, _forge(log, how, tmp_path), key=mallory)  # type: ignore[arg-type]
    plain = log.verify()
    # without an anchor the re-signed log is consistent; it names the key that signed it
    assert plain.keys == [mallory.fingerprint]
    assert plain.signing[0].startswith(f"signed by key {mallory.fingerprint} (Ed25519, examiner mallory on attacker")
    anchored = log.verify(expect_head=head, expect_keys=[key])
    assert anchored.status == FAILED
    n = len(log.lines())
    assert anchored.chain_problems == [
        f"no entry of this custody log has the SHA-256 {head} the report states: the log it was made from was "
        "altered or replaced (or it is another case)",
        f"expected key {key} signed no entry of this log",
        f"entries 1–{n} are signed by key {mallory.fingerprint}, not by an expected key",
    ]


def test_expectations_hold_for_an_untouched_log(log: CustodyLog) -> None:
    head = log.head()
    log.append("note", text="later work")  # the log grows after the report
    result = log.verify(expect_head=head, expect_keys=[log.key_fingerprint.upper()])
    assert result.status == VERIFIED
    assert result.confirmations == [
        f"expected head {head} is entry 4: entries 1–4 are the ones the report saw",
        f"every signed entry is signed by an expected key ({log.key_fingerprint})",
    ]


def test_legacy_unsigned_log_is_not_green_and_edits_still_fail(tmp_path: Path, keys: Path) -> None:
    case = tmp_path / "old-case"
    old = CustodyLog(case, examiner="Dana", sign=False)  # as written before signing existed
    path = tmp_path / "u_ex240305.log"
    path.write_text(IIS)
    old.record_open(path, hash_file(path), path.stat().st_mtime, parser="iis")
    old.append("note", text="legacy")
    result = CustodyLog(case).verify()
    assert result.status == UNSIGNED and not result.ok and not result.chain_problems
    assert result.signing == [
        "UNSIGNED (legacy): none of the 2 entries is signed; the hash chain shows edits only if nobody "
        "recomputed it, so compare the head hash with a report handed out (--expect-head)",
    ]
    assert not keys.exists()  # verifying created no key
    lines = old.lines()
    lines[0] = lines[0].replace('"parser": "iis"', '"parser": "evtx"')
    _write(old, lines)
    assert CustodyLog(case).verify().status == FAILED


def test_legacy_log_continued_by_this_version_is_covered_from_the_first_signature(tmp_path: Path, keys: Path) -> None:
    case = tmp_path / "old-case"
    old = CustodyLog(case, examiner="Dana", sign=False)
    old.append("case-created", case_name="old")
    old.append("note", text="legacy")
    new = CustodyLog(case, examiner="Dana")
    new.append("case-opened")
    result = new.verify()
    assert result.status == VERIFIED
    assert result.signing[-1] == ("unsigned: entries 1–2 (written before signing began; the signature of entry 3 "
                                  "covers them as they were then, not before)")
    lines = new.lines()
    lines[1] = lines[1].replace("legacy", "rewritten")
    _write(new, lines)
    assert new.verify().chain_problems[0] == (
        "entry 3: previous-entry hash does not match entry 2 (an earlier entry was edited, deleted or reordered)")


def test_second_examiner_adds_a_key_entry(log: CustodyLog, tmp_path: Path) -> None:
    first = log.key_fingerprint
    head = log.head()
    colleague = CustodyLog(log.case_dir, examiner="Sam", key_dir=tmp_path / "sam-keys")
    colleague.append("note", text="second opinion")
    entries = log.entries()
    assert [e["kind"] for e in entries[4:]] == ["examiner-key", "note"]
    assert entries[4]["public_key"] and entries[5]["key"] == colleague.key_fingerprint
    result = log.verify()
    assert result.status == VERIFIED and result.keys == [first, colleague.key_fingerprint]
    only_first = log.verify(expect_head=head, expect_keys=[first])
    assert only_first.chain_problems == [
        f"entries 5–6 are signed by key {colleague.key_fingerprint}, not by an expected key"]
    assert log.verify(expect_keys=[first, colleague.key_fingerprint]).status == VERIFIED


def test_evidence_is_checked_against_its_first_hash_not_the_latest(log: CustodyLog) -> None:
    a = Path(log.entries()[1]["path"])
    a.write_text(IIS.replace("CONTOSO\\eve", "CONTOSO\\bob"))
    first = log.entries()[1]
    reopened = log.record_open(a, hash_file(a), a.stat().st_mtime, parser="iis")  # a reload of changed evidence
    result = log.verify()
    assert result.status == FAILED
    now = hash_file(a).sha256
    assert result.file_problems == [
        f"{a}: entry {reopened['seq']} ({reopened['time']}) recorded SHA-256 {now}, which differs from the first "
        f"recorded {first['sha256']} (entry 2, {first['time']}); not acknowledged "
        f"(mailbox-audit case acknowledge DIR --entry {reopened['seq']} --reason TEXT)",
        f"{a}: SHA-256 is now {now}, which differs from the first recorded {first['sha256']} in entry 2 "
        f"({first['time']})",
    ]
    ack = log.acknowledge(reopened["seq"], "re-exported by the customer; the new copy is the evidence")
    assert ack["sha256"] == now and ack["first_sha256"] == first["sha256"]
    after = log.verify()
    assert after.status == VERIFIED
    assert after.acknowledgements == [
        f"entry {ack['seq']} ({ack['time']}, Dana) acknowledged entry {reopened['seq']} for {a} (accepting SHA-256 "
        f"{now}): re-exported by the customer; the new copy is the evidence"]


def test_acknowledge_refuses_what_is_not_a_mismatch(log: CustodyLog) -> None:
    from forensics.errors import CustodyError

    with pytest.raises(CustodyError, match=r"^entry 4 \(note\) is not an evidence mismatch"):
        log.acknowledge(4, "because")
    with pytest.raises(CustodyError, match=r"^entry 2 \(evidence-opened\) is not an evidence mismatch"):
        log.acknowledge(2, "the first hash is the baseline, nothing to acknowledge")
    with pytest.raises(CustodyError, match=r"^the custody log has no entry 99 \(it has 4\)$"):
        log.acknowledge(99, "x")
    log.append("evidence-mismatch", path=log.entries()[1]["path"], status="MISSING", current_sha256=None)
    with pytest.raises(CustodyError, match="^an acknowledgement needs a reason"):
        log.acknowledge(5, "   ")
    log.acknowledge(5, "file moved to the archive share")
    with pytest.raises(CustodyError, match=r"^entry 5 was already acknowledged by entry 6$"):
        log.acknowledge(5, "again")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX FIFOs")
def test_a_fifo_named_in_the_log_is_not_read(log: CustodyLog, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    log.append("evidence-opened", path=str(fifo), sha256="0" * 64)
    problems = log.verify().file_problems
    assert problems == [f"{fifo}: is a FIFO (named pipe), not a regular file; not read "
                        f"(first recorded {'0' * 64} in entry 5 ({log.entries()[4]['time']}))"]


def test_hostile_lines_are_named_never_a_crash(log: CustodyLog) -> None:
    lines = log.lines()
    deep = "[" * 100_000 + "]" * 100_000  # deeper than json's recursion limit
    hostile = [deep, "[1, 2, 3]", json.dumps({"seq": 10 ** 400, "kind": "evidence-opened", "path": ["x"],
                                              "sha256": {"a": 1}, "key": [[]], "sig": 5})]
    _write(log, lines + hostile)
    result = log.verify()
    assert result.chain_problems[:3] == [
        "entry 5: not valid JSON (edited or truncated)",
        "entry 6: not valid JSON (edited or truncated)",
        f"entry 7: sequence number {10 ** 400} (entries deleted or reordered)",
    ]
    assert result.status == FAILED
    assert [e["kind"] for e in log.entries()[4:]] == ["unreadable", "unreadable", "evidence-opened"]
    assert log.histories().keys() == {e["path"] for e in log.entries()[1:3]}
