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
