"""The checklist shown before a triage collection is parsed: what is listed, and what the
examiner's choice loads (only the ticked files, only from that container)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from PySide6.QtCore import Qt

from app.dialogs.container_pick import ContainerPickDialog, exact_pattern, pick_from_containers
from forensics.containers import open_container
from forensics.ingest import load_evidence
from forensics.synth.generate import generate


def _zip(tmp_path: Path, name: str) -> Path:
    generate("contoso", tmp_path / f"synth-{name}", events=100, formats=("evtx",))
    archive = tmp_path / name
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:  # KAPE layout
        for f in sorted((tmp_path / f"synth-{name}" / "evidence" / "evtx").glob("*.evtx")):
            zf.write(f, f"C/Windows/System32/winevt/Logs/{f.name}")
    return archive


def test_checklist_lists_and_narrows(qtbot, tmp_path, monkeypatch) -> None:  # noqa: ANN001
    first, second = _zip(tmp_path, "a.zip"), _zip(tmp_path, "b.zip")
    with open_container(first) as container:
        members = container.evidence()
    dialog = ContainerPickDialog(first, members, [])
    qtbot.addWidget(dialog)
    assert dialog.tree.topLevelItemCount() == 3
    assert dialog.tree.topLevelItem(1).text(0) == "C/Windows/System32/winevt/Logs/Exchange Auditing.evtx"
    assert dialog.tree.topLevelItem(1).text(2) == "Windows event log"
    for row in (0, 2):
        dialog.tree.topLevelItem(row).setCheckState(0, Qt.CheckState.Unchecked)
    chosen = [exact_pattern(m.display) for m in dialog.chosen()]

    answers = {first: chosen, second: [exact_pattern(second.name) + "!*"]}
    monkeypatch.setattr(ContainerPickDialog, "ask", classmethod(lambda cls, parent, path: answers[path]))
    files, select = pick_from_containers(None, [first, second])
    result = load_evidence(files, select=select)
    loaded = sorted(f"{Path(str(r.path).split('!')[0]).name}:{r.path.name}" for r in result.files if r.container)
    assert loaded == ["a.zip:Exchange Auditing.evtx", "b.zip:Application.evtx", "b.zip:Exchange Auditing.evtx",
                      "b.zip:MSExchange Management.evtx"]


def test_skipping_every_container_loads_nothing(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    archive = _zip(tmp_path, "a.zip")
    monkeypatch.setattr(ContainerPickDialog, "ask", classmethod(lambda cls, parent, path: None))
    assert pick_from_containers(None, [archive]) is None
