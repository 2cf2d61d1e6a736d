"""CLI exits on hostile case folders and outputs that would overwrite evidence (issue 16).

Each attack ends in a clear line on stderr and a non-zero exit, never a hang, an internal
error or a write over evidence. Commands that could block on a FIFO or read a device run
under a timeout. Evidence: IIS 10 W3C logs, default Exchange 2010–2019 field set
(reference/evidence-formats.md §3.1).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from helpers.timeouts import within
from forensics.cli.main import main

pytestmark = pytest.mark.skipif(os.name == "nt", reason="hard links, FIFOs and /dev/zero are POSIX here")

HEADER = (
    "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
)
LINE = "2024-03-01 09:0{m}:00 10.0.0.2 GET /owa/ceo@contoso.com/ - 443 CONTOSO\\pat 10.0.0.5 Mozilla/5.0 - 200 0 0 15\n"


@pytest.fixture
def evidence(tmp_path: Path) -> Path:
    path = tmp_path / "W3SVC1" / "u_ex240301.log"
    path.parent.mkdir()
    path.write_text(HEADER + "".join(LINE.format(m=m) for m in range(5)))
    return path


@pytest.fixture
def case(tmp_path: Path, evidence: Path) -> Path:
    folder = tmp_path / "case"
    assert main(["case", "new", str(folder), "--name", "Hostile CLI"]) == 0
    assert main(["case", "add", str(folder), str(evidence)]) == 0
    return folder


def test_load_out_over_its_own_evidence_is_refused(tmp_path: Path, evidence: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    before = evidence.read_bytes()
    case = tmp_path / "case"
    hard = tmp_path / "table.csv"
    os.link(evidence, hard)
    for out in (evidence, hard):
        capsys.readouterr()
        assert main(["load", str(evidence), "--case", str(case), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert err == (f"mailbox-audit: error: {out}: is the evidence file {evidence} (same device and inode); "
                       "refusing to overwrite evidence — choose another output file\n")
    assert evidence.read_bytes() == before
    assert not case.exists()  # a refused output writes nothing, not even custody


def test_report_to_a_hard_link_of_evidence_is_refused(tmp_path: Path, evidence: Path, case: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    before = evidence.read_bytes()
    reports = tmp_path / "reports"
    reports.mkdir()
    out = reports / "report.csv"
    os.link(evidence, out)
    capsys.readouterr()
    assert main(["report", "--case", str(case), "--out", str(out)]) == 2
    assert f"{out}: is the evidence file {evidence} (same device and inode)" in capsys.readouterr().err
    assert evidence.read_bytes() == before


def test_report_over_evidence_that_does_not_parse_is_refused_before_any_load(
        tmp_path: Path, case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "W3SVC1" / "notes.csv"
    junk.write_text("not,evidence,we,know\n")
    log_before = (case / "custody.jsonl").read_bytes()
    capsys.readouterr()
    assert main(["report", str(junk), "--case", str(case), "--out", str(junk)]) == 2
    assert f"{junk}: is the evidence file {junk} (same device and inode)" in capsys.readouterr().err
    assert junk.read_text() == "not,evidence,we,know\n"
    assert (case / "custody.jsonl").read_bytes() == log_before  # refused before the case was even opened


def test_tampered_cache_fails_verify_and_is_loud_in_report(tmp_path: Path, case: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--case", str(case)]) == 0
    (sidecar,) = (case / "cache").glob("*.json")
    meta = json.loads(sidecar.read_text())
    meta["report"]["notes"] = ["nothing to see"]
    sidecar.write_text(json.dumps(meta))
    capsys.readouterr()
    assert main(["verify", "--case", str(case)]) == 1
    out = capsys.readouterr().out
    assert f"CACHE MISMATCH: cache/{sidecar.name}: SHA-256 " in out
    assert out.rstrip().endswith("VERIFICATION FAILED")
    assert main(["report", "--case", str(case), "--out", str(tmp_path / "r.csv")]) == 1
    err = capsys.readouterr().err
    assert f"mailbox-audit: CACHE TAMPERED: cache/{sidecar.name} of u_ex240301.log differ(s)" in err
    assert main(["verify", "--case", str(case)]) == 0  # the cache was replaced and recorded afresh
    kinds = [json.loads(line)["kind"] for line in (case / "custody.jsonl").read_text().splitlines()]
    assert kinds.count("cache-discarded") == 1


def test_fifo_evidence_fails_report_and_verify_without_hanging(tmp_path: Path, evidence: Path, case: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    evidence.unlink()
    os.mkfifo(evidence)
    capsys.readouterr()
    assert within(30, lambda: main(["report", "--case", str(case), "--out", str(tmp_path / "r.csv")])) == 1
    assert f"{evidence}: is a FIFO (named pipe), not a regular file" in capsys.readouterr().err
    assert within(30, lambda: main(["verify", "--case", str(case)])) == 1
    assert "is a FIFO (named pipe), not a regular file" in capsys.readouterr().out


def test_device_as_identities_fails_in_seconds(tmp_path: Path, case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads((case / "case.json").read_text())
    data["evidence"][0]["options"]["identities"] = "/dev/zero"
    (case / "case.json").write_text(json.dumps(data))
    capsys.readouterr()
    assert within(30, lambda: main(["report", "--case", str(case), "--out", str(tmp_path / "r.csv")])) == 2
    assert capsys.readouterr().err == ("mailbox-audit: error: /dev/zero: identity file is a character device, "
                                       "not a regular file; refusing to read it\n")


def test_traversal_is_refused_unless_allowed(tmp_path: Path, evidence: Path, case: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    copy = elsewhere / "u_ex240301.log"
    copy.write_bytes(evidence.read_bytes())
    data = json.loads((case / "case.json").read_text())
    data["evidence"][0].update(path=str(tmp_path / "gone" / "u_ex240301.log"), relative="../elsewhere/u_ex240301.log")
    (case / "case.json").write_text(json.dumps(data))
    capsys.readouterr()
    assert main(["report", "--case", str(case), "--out", str(tmp_path / "r.csv")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mailbox-audit: EVIDENCE REFUSED: ") and f": {copy}: outside the case's evidence folders (" in err
    assert main(["report", "--case", str(case), "--out", str(tmp_path / "r2.csv"), "--allow-outside-evidence"]) == 0
    kinds = [json.loads(line)["kind"] for line in (case / "custody.jsonl").read_text().splitlines()]
    assert "evidence-roots-confirmed" in kinds


@pytest.mark.parametrize("text, message", [
    ('{"format": "mailbox-audit-case", "evidence": [{"path": 1}]}', "evidence[0]: missing 'evidence_id'"),
    ('{"format": "mailbox-audit-case", "bookmarks": {"a": 1}}', "bookmarks: expected a list, got an object"),
    ("[" * 100_000, "nested too deeply to be a case file"),
])
def test_malformed_case_json_is_a_clear_error(case: Path, text: str, message: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    (case / "case.json").write_text(text)
    capsys.readouterr()
    assert main(["case", "show", str(case)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mailbox-audit: error: {case / 'case.json'}: ") and message in err
    assert "internal error" not in err
