"""``mailbox-audit load IMAGE --list`` and ``--select GLOB`` on a triage collection."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from forensics.cli.main import main
from forensics.synth.generate import generate


def _collection(tmp_path: Path) -> Path:
    generate("contoso", tmp_path / "synth", events=200, formats=("evtx", "iis"))
    ev = tmp_path / "synth" / "evidence"
    archive = tmp_path / "kape.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:  # KAPE's C/<path> layout
        for f in sorted((ev / "evtx").glob("*.evtx")):
            zf.write(f, f"C/Windows/System32/winevt/Logs/{f.name}")
        for f in sorted((ev / "iis" / "W3SVC1").glob("*.log"))[:2]:
            zf.write(f, f"C/inetpub/logs/LogFiles/W3SVC1/{f.name}")
        zf.writestr("C/Windows/notes.txt", "not evidence")
    return archive


def test_list_then_select(tmp_path, capsys) -> None:  # noqa: ANN001
    archive = _collection(tmp_path)
    assert main(["load", str(archive), "--list"]) == 0
    out = capsys.readouterr().out
    assert "5 evidence file(s)" in out and "notes.txt" not in out
    assert "C/Windows/System32/winevt/Logs/Exchange Auditing.evtx  [Windows event log]" in out
    assert "nothing was parsed or logged" in out

    case = tmp_path / "case"
    table = tmp_path / "rows.jsonl"
    assert main(["load", str(archive), "--select", "*Auditing*", "--case", str(case), "--out", str(table)]) == 0
    out = capsys.readouterr().out
    assert "kape.zip!C/Windows/System32/winevt/Logs/Exchange Auditing.evtx" in out
    assert "u_ex" not in out and "Application.evtx" not in out
    entries = [json.loads(line) for line in (case / "custody.jsonl").read_text().splitlines()]
    assert [e["inner_path"] for e in entries if e["kind"] == "member-opened"] == [
        "C/Windows/System32/winevt/Logs/Exchange Auditing.evtx"]
    assert main(["verify", "--case", str(case)]) == 0


def test_extract_copies_into_the_case_only(tmp_path, capsys) -> None:  # noqa: ANN001
    archive = _collection(tmp_path)
    with zipfile.ZipFile(archive, "a") as zf:  # a traversal name: its copy must stay inside the case
        zf.writestr("../../outside/u_ex240101.log", (tmp_path / "synth" / "evidence" / "iis" / "W3SVC1" /
                                                     "u_ex240304.log").read_bytes() + b"\n")
    assert main(["load", str(archive), "--extract"]) == 2  # refused without a case folder
    case = tmp_path / "case"
    assert main(["load", str(archive), "--case", str(case), "--extract", "--select", "*Auditing*",
                 "--select", "*outside*"]) == 0
    out = capsys.readouterr().out
    copies = sorted(p.relative_to(case).as_posix() for p in (case / "extracted").rglob("*") if p.is_file())
    assert copies == ["extracted/kape.zip/C_/Windows/System32/winevt/Logs/Exchange Auditing.evtx",
                      "extracted/kape.zip/outside/u_ex240101.log"], copies
    assert not (tmp_path / "outside").exists()
    entries = [json.loads(line) for line in (case / "custody.jsonl").read_text().splitlines()]
    extracted = [e for e in entries if e["kind"] == "member-extracted"]
    opened = {e["path"]: e["sha256"] for e in entries if e["kind"] == "member-opened"}
    assert len(extracted) == 2 and all(opened[e["path"]] == e["sha256"] for e in extracted)
    assert out.count("extracted: ") == 2
