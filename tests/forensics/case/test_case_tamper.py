"""Tamper suite for cases, end to end through the CLI: verify cannot be laundered by a
reload, case.json is never the source of truth for hashes, the heads anchor the log's end,
and a case can be checked against a report already handed out.

Evidence is an IIS W3C log of Exchange OWA requests (shape of ``reference/evidence-formats.md``
§3: ``#Fields`` header, space-separated, UTC times, mailbox from ``/owa/<smtp>/``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from forensics.case import Case
from forensics.case import verification
from forensics.cli.main import main
from forensics.custody.chain import HEAD_NAME
from forensics.custody.hashing import hash_file
from forensics.custody.log import CustodyLog
from forensics.custody.signing import load_key
from helpers.custody_tamper import read_entries, rechain

IIS = ("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2024-03-05 00:00:00\n"
       "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
       "sc-status sc-substatus sc-win32-status time-taken\n"
       "2024-03-05 10:00:00 10.0.0.1 GET /owa/ceo@contoso.com/ ae=Item&id=A1 443 CONTOSO\\eve 10.0.0.9 "
       "Mozilla/5.0 200 0 0 15\n"
       "2024-03-05 23:10:00 10.0.0.1 GET /owa/cfo@contoso.com/ ae=Item&id=B2 443 CONTOSO\\eve 10.0.0.9 "
       "Mozilla/5.0 200 0 0 15\n")


@pytest.fixture(autouse=True)
def keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "examiner-keys"
    monkeypatch.setenv("MAILBOX_AUDIT_KEY_DIR", str(folder))
    return folder


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    folder = tmp_path / "evidence"
    folder.mkdir()
    path = folder / "u_ex240305.log"
    path.write_text(IIS)
    return path


@pytest.fixture
def case(tmp_path: Path, evidence: Path) -> Path:
    folder = tmp_path / "case"
    assert main(["case", "new", str(folder), "--examiner", "Dana"]) == 0
    assert main(["case", "add", str(folder), str(evidence)]) == 0
    return folder


def _verify(case: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, list[str]]:
    capsys.readouterr()
    code = main(["verify", "--case", str(case), *extra])
    return code, capsys.readouterr().out.splitlines()


def _tamper(evidence: Path) -> str:
    evidence.write_text(IIS.replace("CONTOSO\\eve", "CONTOSO\\bob"))  # the rows move to another actor
    return hash_file(evidence).sha256


def _first(case: Path) -> dict:
    return next(e for e in read_entries(case) if e["kind"] == "evidence-opened")


def test_a_fresh_case_verifies(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _verify(case, capsys)
    assert code == 0 and out[-1] == "VERIFIED"


@pytest.mark.parametrize("reload", ["load", "report"])
def test_reload_does_not_launder_changed_evidence(
    reload: str, case: Path, evidence: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _first(case)
    now = _tamper(evidence)
    for n in range(2):  # twice: the second reload is where the latest hash used to be the new one
        if reload == "load":
            assert main(["load", str(evidence), "--case", str(case)]) == 0
        else:
            assert main(["report", "--case", str(case), "--out", str(tmp_path / "out" / f"r{n}.html")]) == 1
    code, out = _verify(case, capsys)
    assert code == 1 and out[-1] == "VERIFICATION FAILED"
    mismatches = [line for line in out if line.startswith("EVIDENCE MISMATCH: ")]
    assert mismatches[-1] == (f"EVIDENCE MISMATCH: {evidence}: SHA-256 is now {now}, which differs from the first "
                              f"recorded {first['sha256']} in entry {first['seq']} ({first['time']})")
    changed = [e for e in read_entries(case) if e.get("sha256") == now or e.get("current_sha256") == now]
    for entry in changed:  # every entry that recorded the new hash is named, with its number and time
        assert any(f"entry {entry['seq']} ({entry['time']})" in line and "not acknowledged" in line
                   for line in mismatches), entry["seq"]
    assert len(mismatches) == len(changed) + 1
    # the examiner acknowledges one of them: that hash is accepted, and the case passes again
    assert main(["case", "acknowledge", str(case), "--entry", str(changed[0]["seq"]),
                 "--reason", "customer re-exported the log; new copy accepted"]) == 0
    code, out = _verify(case, capsys)
    assert code == 0 and out[-1] == "VERIFIED"
    assert any(line.startswith("acknowledged: ") and "customer re-exported the log" in line for line in out)
    report = tmp_path / "out" / "after.html"
    assert main(["report", "--case", str(case), "--out", str(report)]) == 0
    html = report.read_text(encoding="utf-8")
    assert "Custody acknowledgement" in html and "customer re-exported the log; new copy accepted" in html
    assert verification.ACKNOWLEDGED in html


def test_restored_evidence_still_fails_until_the_logged_mismatch_is_acknowledged(
    case: Path, evidence: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _tamper(evidence)
    assert main(["report", "--case", str(case), "--out", str(tmp_path / "out" / "r.html")]) == 1
    evidence.write_text(IIS)  # put back
    mismatch = next(e for e in read_entries(case) if e["kind"] == "evidence-mismatch")
    code, out = _verify(case, capsys)
    assert code == 1
    assert any(line.startswith(f"EVIDENCE MISMATCH: {evidence}: entry {mismatch['seq']} ({mismatch['time']}) "
                               "logged an evidence mismatch: MODIFIED") for line in out)
    loaded = Case.open(case).load()
    assert [c.status for c in loaded.checks] == [verification.CHANGED_EARLIER]
    assert main(["case", "acknowledge", str(case), "--entry", str(mismatch["seq"]),
                 "--reason", "restored from the acquisition copy"]) == 0
    code, out = _verify(case, capsys)
    assert code == 0, out


def test_edited_case_json_hashes_never_read_verified(
    case: Path, evidence: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = _first(case)
    now = _tamper(evidence)
    new = hash_file(evidence)
    data = json.loads((case / "case.json").read_text())
    data["evidence"][0].update(sha256=new.sha256, sha1=new.sha1, md5=new.md5, size=new.size,
                               mtime=evidence.stat().st_mtime)
    (case / "case.json").write_text(json.dumps(data))
    report = tmp_path / "out" / "r.html"
    assert main(["report", "--case", str(case), "--out", str(report)]) == 1
    err = capsys.readouterr().err
    assert (f"EVIDENCE MODIFIED: {evidence}: SHA-256 is now {now}, first recorded {first['sha256']} in custody "
            f"entry {first['seq']} ({first['time']}); case.json records {now}, which the custody log never "
            "accepted (case.json edited?)") in err
    html = report.read_text(encoding="utf-8")
    assert ">verified<" not in html and "MODIFIED" in html
    code, out = _verify(case, capsys)
    assert code == 1
    assert (f"CASE FILE: case.json evidence 1 ({evidence}) records SHA-256 {now}, but the custody log first "
            f"recorded {first['sha256']} (entry {first['seq']}, {first['time']}): case.json was edited") in out


def test_case_json_hash_edited_alone_is_a_problem_not_verified(case: Path, evidence: Path) -> None:
    data = json.loads((case / "case.json").read_text())
    data["evidence"][0]["sha256"] = "f" * 64
    (case / "case.json").write_text(json.dumps(data))
    checks = Case.open(case).rehash_all()
    assert [c.status for c in checks] == [verification.CASE_FILE_DISAGREES]
    assert checks[0].problem and checks[0].message.endswith(
        f"case.json records {'f' * 64}, which the custody log never accepted (case.json edited?)")


def test_deleted_head_and_cut_tail(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (case / HEAD_NAME).unlink()
    code, out = _verify(case, capsys)
    assert code == 1
    assert f"CHAIN BROKEN: {HEAD_NAME} is missing: without it, entries cut from the end of the log would not show" in out
    log = case / "custody.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:-1]))  # a cut tail: the chain itself is still perfect
    code, out = _verify(case, capsys)
    recorded = json.loads((case / "case.json").read_text())["custody_head"]["entries"]
    assert code == 1
    assert (f"CHAIN BROKEN: custody log has {len(lines) - 1} entries but case.json (custody_head) records "
            f"{recorded}: entries were removed from its end") in out


def test_case_json_head_rewritten_without_the_key(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads((case / "case.json").read_text())
    data["custody_head"].pop("sig")
    (case / "case.json").write_text(json.dumps(data))
    code, out = _verify(case, capsys)
    assert code == 1
    assert ("CHAIN BROKEN: case.json (custody_head): the recorded custody head is not signed by a key of the log "
            "(rewritten without the examiner key?)") in out


def _report_anchor(report: Path) -> list[str]:
    """The --expect-head/--expect-key arguments the report prints."""
    text = report.read_text(encoding="utf-8")
    command = re.search(r"mailbox-audit verify --case &#34;[^&]+&#34; ([^<]+)<", text)
    assert command is not None
    return command.group(1).split()


def test_a_case_is_checked_against_a_report_handed_out(
    case: Path, evidence: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "out" / "handed-out.html"
    assert main(["report", "--case", str(case), "--out", str(report)]) == 0
    anchor = _report_anchor(report)
    own = load_key(create=False)
    assert own is not None and anchor == ["--expect-head", anchor[1], "--expect-key", own.fingerprint]
    assert f"{own.fingerprint} — examiner Dana" in report.read_text(encoding="utf-8")
    code, out = _verify(case, capsys, *anchor)
    assert code == 0 and out[-1] == "VERIFIED"
    # someone without the key rewrites the evidence and recomputes everything, signing with their own key
    entries = read_entries(case)
    _tamper(evidence)
    changed = hash_file(evidence)
    for entry in entries:
        if entry.get("path") == str(evidence.resolve()) and entry["kind"] == "evidence-opened":
            entry.update(sha256=changed.sha256, sha1=changed.sha1, md5=changed.md5, size=changed.size)
    data = json.loads((case / "case.json").read_text())
    data["evidence"][0].update(sha256=changed.sha256, sha1=changed.sha1, md5=changed.md5, size=changed.size)
    (case / "case.json").write_text(json.dumps(data))
    mallory = load_key(directory=tmp_path / "mallory")
    assert mallory is not None
    rechain(case, entries, key=mallory)
    code, out = _verify(case, capsys, *anchor)
    assert code == 1
    assert (f"CHAIN BROKEN: no entry of this custody log has the SHA-256 {anchor[1]} the report states: the log it "
            "was made from was altered or replaced (or it is another case)") in out
    assert f"CHAIN BROKEN: expected key {own.fingerprint} signed no entry of this log" in out
    code, out = _verify(case, capsys)  # without the report: consistent, but not signed by this examiner
    assert f"this machine's examiner key {own.fingerprint} signed none of the entries (expected if the case is a " \
           "colleague's; if you worked on it, the log was re-signed by someone else)" in out


def test_legacy_case_verifies_as_unsigned_and_is_signed_from_its_next_entry(
    tmp_path: Path, evidence: Path, keys: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "legacy"
    old = CustodyLog(folder, examiner="Dana", sign=False)  # as written before signing existed
    old.append("case-created", case_name="legacy")
    old.record_open(evidence, hash_file(evidence), evidence.stat().st_mtime, parser="iis", status="loaded")
    code, out = _verify(folder, capsys)
    assert code == 4 and out[-1] == "UNSIGNED (legacy)" and not keys.exists()
    assert main(["load", str(evidence), "--case", str(folder)]) == 0  # this version continues the log, signed
    code, out = _verify(folder, capsys)
    assert code == 0 and out[-1] == "VERIFIED"
    assert ("unsigned: entries 1–2 (written before signing began; the signature of entry 3 covers them as they "
            "were then, not before)") in out
