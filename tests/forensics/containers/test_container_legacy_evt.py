"""A triage zip of an Exchange 2003 server: its event logs live as ``.evt`` in
``WINDOWS\\system32\\config`` (Windows Server 2003 default, e.g. ``AppEvent.Evt``). Found by
location and read by the .evt parser: the same rows as the files loaded directly."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from forensics.custody.log import CustodyLog
from forensics.ingest import load_evidence
from forensics.synth.generate import generate
from helpers.disk_images import canonical


def test_kape_zip_of_a_2003_server_loads_its_evt_logs(tmp_path: Path) -> None:
    generate("contoso", tmp_path / "synth", events=200, formats=("evt",))
    logs = sorted((tmp_path / "synth" / "evidence" / "evt").glob("*.evt"))
    assert len(logs) == 2
    archive = tmp_path / "kape.zip"
    with zipfile.ZipFile(archive, "w") as zf:  # KAPE keeps the drive letter as the first folder
        for log in logs:
            zf.write(log, f"C/WINDOWS/system32/config/{log.name}")
    case = tmp_path / "case"
    result = load_evidence([archive], custody=CustodyLog(case))
    members = [r for r in result.files if r.source_format != "container"]
    assert sorted(r.parser for r in members) == ["evt", "evt"], [(r.path, r.error) for r in members]
    assert all(r.status == "loaded" for r in members)
    direct = load_evidence(logs)
    assert len(direct.frame) > 0
    pd.testing.assert_frame_equal(canonical(result.frame), canonical(direct.frame))
    opened = {e["inner_path"] for e in CustodyLog(case).entries() if e["kind"] == "member-opened"}
    assert opened == {f"C/WINDOWS/system32/config/{log.name}" for log in logs}
