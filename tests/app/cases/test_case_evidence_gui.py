"""Which files are in a case, from the GUI (issue 16, points 7 and 8): evidence open before
File > New case is adopted (re-hashed, fresh custody entries) or left out as the examiner
chooses; later loads record their real options; evidence is removed from a case through the
Evidence dock; the Custody dock's Verify names the broken entry, is never green on zero
files and is withdrawn when the log grows; ``mailbox-audit-gui --case DIR`` opens the case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forensics.case import Case
from forensics.custody.hashing import hash_file
from forensics.parsers.base import LoadOptions

pytestmark = pytest.mark.gui


def _load(qtbot, window, paths) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.session.loader.idle, timeout=20000):
        assert window.open_paths(paths)


def _wait(qtbot, task) -> None:  # type: ignore[no-untyped-def]
    assert task is not None
    qtbot.waitUntil(lambda: not task.is_running(), timeout=30000)
    qtbot.wait(50)  # let the done signal reach the GUI thread


def _answer(monkeypatch, choice):  # type: ignore[no-untyped-def]
    """The examiner's answer in the "Evidence already open" dialog (None = Cancel)."""
    from app.cases import dialogs

    asked: list[list[str]] = []

    def fake_exec(dialog) -> int:  # type: ignore[no-untyped-def]
        listing = dialog.findChild(dialogs.QListWidget)
        asked.append([listing.item(i).text() for i in range(listing.count())])
        if choice is None:
            return 0
        (dialog.adopt_button if choice == dialogs.ADOPT else dialog.leave_button).click()
        return 1

    monkeypatch.setattr(dialogs.OpenEvidenceDialog, "exec", fake_exec)
    return asked


def _verify(qtbot, window) -> str:  # type: ignore[no-untyped-def]
    panel = window.custody_panel
    panel.verify()
    _wait(qtbot, panel.task)
    return panel.result.text()


def test_new_case_asks_and_adopts_open_evidence_rehashed_with_its_options(  # type: ignore[no-untyped-def]
        qtbot, make_window, evidence_folder, tmp_path, monkeypatch) -> None:
    window = make_window()
    window.session.load_options = LoadOptions(source_tz="+05:00")
    _load(qtbot, window, [evidence_folder])
    rows = len(window.session.frame)
    asked = _answer(monkeypatch, "adopt")
    case = window.cases.new_case(tmp_path / "case", "Quill")
    assert case is not None and len(asked) == 1 and len(asked[0]) == 2  # both open files were named
    _wait(qtbot, window.cases.task)
    assert len(window.session.frame) == rows
    assert sorted(Path(e.path).name for e in case.evidence) == ["server1.guitest", "server2.guitest"]
    assert all(e.options == {"source_tz": "+05:00"} for e in case.evidence)
    opened = [e for e in case.custody.entries() if e["kind"] == "evidence-opened"]
    assert len(opened) == 2 and all(e["adopted"] for e in opened)
    assert {e["sha256"] for e in opened} == {hash_file(Path(e.path)).sha256 for e in case.evidence}
    # the Evidence dock's custody column names the entries of the case's own log
    seqs = {e["seq"] for e in opened}
    assert {f.custody_seq for f in window.session.files} == seqs
    table = window.custody_panel.table  # the dock shows the case's log at once
    assert table.rowCount() == len(case.custody.entries())
    assert table.item(table.rowCount() - 1, 6).text() == "loaded (adopted into the case)"
    saved = json.loads((case.folder / "case.json").read_text(encoding="utf-8"))
    assert [e["options"] for e in saved["evidence"]] == [{"source_tz": "+05:00"}] * 2
    text = _verify(qtbot, window)
    assert text.startswith("VERIFIED") and "2 file(s) match" in text
    assert window.custody_panel.result.property("ok") is True


def test_leaving_open_evidence_out_closes_it_and_verify_is_not_green(  # type: ignore[no-untyped-def]
        qtbot, make_window, evidence_folder, tmp_path, monkeypatch) -> None:
    window = make_window()
    _load(qtbot, window, [evidence_folder])
    _answer(monkeypatch, "leave")
    case = window.cases.new_case(tmp_path / "case", "Quill")
    assert case is not None and case.evidence == []
    assert len(window.session.frame) == 0 and window.session.files == []
    assert case.custody.entries()[-1]["kind"] == "evidence-left-out"
    text = _verify(qtbot, window)
    assert text.startswith("NOT VERIFIED") and "no evidence file" in text
    assert window.custody_panel.result.property("ok") is False


def test_cancel_in_the_open_evidence_dialog_creates_no_case(  # type: ignore[no-untyped-def]
        qtbot, make_window, evidence_folder, tmp_path, monkeypatch) -> None:
    window = make_window()
    _load(qtbot, window, [evidence_folder])
    _answer(monkeypatch, None)
    assert window.cases.new_case(tmp_path / "case", "Quill") is None
    assert not (tmp_path / "case").exists() and window.cases.case is None
    assert len(window.session.files) == 2


def test_a_file_changed_since_it_was_opened_is_not_adopted(  # type: ignore[no-untyped-def]
        qtbot, make_window, evidence_folder, tmp_path, dialogs) -> None:
    window = make_window()
    _load(qtbot, window, [evidence_folder])
    victim = evidence_folder / "server1.guitest"
    victim.write_text(victim.read_text() + "2024-03-07T10:00:00Z,CONTOSO\\x,ceo@contoso.com,MessageOpen,Delegate,Success\n")
    case = window.cases.new_case(tmp_path / "case", "Quill", adopt_open=True)
    _wait(qtbot, window.cases.task)
    assert "EVIDENCE CHANGED SINCE IT WAS OPENED" in dialogs.texts()
    assert [Path(e.path).name for e in case.evidence] == ["server2.guitest"]
    assert [f.path.name for f in window.session.files] == ["server2.guitest"]
    assert len(window.session.frame) == 3  # server1's four rows are no longer on screen
    refused = [e for e in case.custody.entries() if e["kind"] == "evidence-not-adopted"]
    assert len(refused) == 1 and refused[0]["path"] == str(victim.resolve())


def test_loads_into_an_open_case_record_their_options(qtbot, make_window, evidence_folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    case = window.cases.new_case(tmp_path / "case", "Quill")  # nothing open: nothing to ask
    export = tmp_path / "identities.csv"
    export.write_text("DisplayName,Alias,PrimarySmtpAddress,SamAccountName\nPat,pat,pat@contoso.com,pat\n",
                      encoding="utf-8")
    window.session.load_options = LoadOptions(source_tz="-03:00", identities=export)
    _load(qtbot, window, [evidence_folder / "server1.guitest"])
    (entry,) = Case.open(case.folder).evidence
    assert entry.options == {"source_tz": "-03:00", "identities": str(export)}
    assert entry.identities_sha256 == hash_file(export).sha256


def test_remove_evidence_from_the_case_in_the_evidence_dock(  # type: ignore[no-untyped-def]
        qtbot, make_window, evidence_folder, tmp_path, monkeypatch) -> None:
    from app.cases import dialogs

    window = make_window()
    _load(qtbot, window, [evidence_folder])
    case = window.cases.new_case(tmp_path / "case", "Quill", adopt_open=True)
    _wait(qtbot, window.cases.task)
    tree = window.evidence_panel.tree
    row = next(i for i in range(tree.topLevelItemCount()) if tree.topLevelItem(i).text(0) == "server1.guitest")
    tree.topLevelItem(row).child(0).setSelected(True)  # a detail line selects its file
    chosen = window.evidence_panel.selected_reports()
    assert [r.path.name for r in chosen] == ["server1.guitest"]

    def fake_exec(dialog) -> int:  # type: ignore[no-untyped-def]
        dialog.reason.setText("wrong server")
        return 1

    monkeypatch.setattr(dialogs.RemoveEvidenceDialog, "exec", fake_exec)
    with qtbot.waitSignal(window.cases.evidence.removed, timeout=5000) as removed:
        window.evidence_panel.remove_requested.emit(chosen)
    assert removed.args == [4]
    assert len(window.session.frame) == 3 and tree.topLevelItemCount() == 1
    assert [Path(e.path).name for e in case.evidence] == ["server2.guitest"]
    entry = case.custody.entries()[-1]
    assert entry["kind"] == "evidence-removed" and entry["reason"] == "wrong server"
    assert entry["sha256"] == hash_file(evidence_folder / "server1.guitest").sha256
    again = make_window()
    _wait(qtbot, again.cases.open_case(case.folder))
    assert len(again.session.frame) == 3 and [f.path.name for f in again.session.files] == ["server2.guitest"]


def test_verify_names_the_broken_entry_and_its_time(qtbot, make_window, evidence_folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    _load(qtbot, window, [evidence_folder])
    case = window.cases.new_case(tmp_path / "case", "Quill", adopt_open=True)
    _wait(qtbot, window.cases.task)
    log = case.folder / "custody.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[1])
    entry["examiner"] = "someone else"  # entry 2 edited: its signature fails, and the chain breaks at entry 3
    lines[1] = json.dumps(entry)
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = _verify(qtbot, window)
    assert text.startswith("VERIFICATION FAILED: CHAIN BROKEN: entry 2 (" + entry["time"] + "): signature does not match")
    assert "(+1 more: see the tooltip)" in text
    assert "entry 3" in window.custody_panel.result.toolTip() and "previous-entry hash" in window.custody_panel.result.toolTip()
    assert window.custody_panel.result.property("ok") is False


def test_verify_result_is_withdrawn_when_the_log_grows(qtbot, make_window, evidence_folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    _load(qtbot, window, [evidence_folder])
    case = window.cases.new_case(tmp_path / "case", "Quill", adopt_open=True)
    _wait(qtbot, window.cases.task)
    panel = window.custody_panel
    assert _verify(qtbot, window).startswith("VERIFIED")
    count = len(case.custody.lines())
    assert window.cases.tag_rows([0], "look") == 1  # appends "bookmarks-added"
    assert panel.result.text() == f"Not verified since entry {count + 1} was added ({count + 1} entries now): press Verify"
    assert panel.result.property("ok") is None and panel.last_result is None
    assert _verify(qtbot, window).startswith("VERIFIED")
    # an entry written by another program (the CLI on the same case) withdraws it too
    Case.open(case.folder)  # appends "case-opened"
    qtbot.waitUntil(lambda: panel.result.text().startswith("Not verified since"), timeout=5000)


def test_unrecognised_file_is_in_the_custody_dock(qtbot, make_window, tmp_path, dialogs) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    junk = tmp_path / "readme.guitest"
    junk.write_text("this is not evidence\n", encoding="utf-8")
    _load(qtbot, window, [junk])
    (report,) = window.session.files
    assert report.status == "failed" and report.hashes is not None and report.custody_seq is not None
    panel = window.custody_panel
    assert panel.table.item(panel.table.rowCount() - 1, 6).text() == "unrecognised"
    from app.widgets.evidence_dock import custody_status

    assert custody_status(report) == f"entry {report.custody_seq}"


def test_gui_case_option_opens_the_case(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``mailbox-audit-gui --case DIR`` loads the case's evidence (it used to show the name only)."""
    import os
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[3]
    evidence = sorted((repo / "tests" / "data" / "evtx").glob("*.evtx"))[:2]
    folder = tmp_path / "case"
    case = Case.create(folder, "Quill")
    loaded = case.add_evidence(evidence)
    case.save()
    rows = len(loaded.frame)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MAILBOX_AUDIT_SETTINGS=str(tmp_path / "s.ini"),
               MAILBOX_AUDIT_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.run([sys.executable, "-m", "app", "--case", str(folder), "--exit-after-load"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"case Quill: {rows:,} rows from {len(evidence)} file(s); 0 failed; 0 evidence problem(s)" in proc.stdout
    kinds = [e["kind"] for e in Case.open(folder).custody.entries()]
    assert kinds.count("evidence-opened") == 2 * len(evidence)  # added, then re-hashed by the GUI
    assert not (tmp_path / "data" / "sessions").exists()  # the case's log, not a session folder


def test_ctrl_b_without_a_case_waits_for_the_adoption(qtbot, make_window, evidence_folder, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Ctrl+B with no case creates one; while the open rows are being re-hashed into it
    (some may still be refused and leave the grid) no row positions are tagged."""
    from PySide6.QtWidgets import QMessageBox

    from app.cases import dialogs

    window = make_window()
    _load(qtbot, window, [evidence_folder])
    _answer(monkeypatch, "adopt")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)

    def fake_new_case(dialog) -> int:  # type: ignore[no-untyped-def]
        dialog.folder.setText(str(tmp_path / "case"))
        return 1

    monkeypatch.setattr(dialogs.NewCaseDialog, "exec", fake_new_case)
    import time

    from app.cases import evidence

    real_adopt = evidence.adopt_open_files
    monkeypatch.setattr(evidence, "adopt_open_files", lambda *a: (time.sleep(0.5), real_adopt(*a))[1])  # big files
    tagged: list[object] = []
    monkeypatch.setattr(dialogs.TagDialog, "exec", lambda dialog: tagged.append(dialog) or 0)
    window.table.selectRow(0)
    window.cases.tag_selected_dialog()
    task = window.cases.task
    assert task is not None and task.is_running()
    assert tagged == [] and "press Ctrl+B again" in window.statusBar().currentMessage()
    _wait(qtbot, task)
    assert window.cases.case is not None and len(window.cases.case.evidence) == 2


@pytest.mark.parametrize("confirmed", [False, True])
def test_open_case_asks_before_opening_evidence_outside_its_folders(  # type: ignore[no-untyped-def]
        qtbot, make_window, evidence_folder, tmp_path, confirmed) -> None:
    """A received case.json edited to name a file elsewhere (issue 16, point 5): the GUI asks;
    refused, the file is not opened (REFUSED, logged); confirmed, its folder is logged as
    confirmed and the file loads."""
    from forensics.case import verification

    case = Case.create(tmp_path / "case", "Received")
    case.add_evidence([evidence_folder / "server1.guitest"])
    case.save()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    copy = elsewhere / "server1.guitest"
    copy.write_bytes((evidence_folder / "server1.guitest").read_bytes())
    data = json.loads((case.folder / "case.json").read_text(encoding="utf-8"))
    data["evidence"][0].update(path=str(copy), relative=None)
    (case.folder / "case.json").write_text(json.dumps(data), encoding="utf-8")
    window = make_window()
    _wait(qtbot, window.cases.open_case(case.folder, confirm_outside=confirmed))
    kinds = [e["kind"] for e in Case.open(case.folder).custody.entries()]
    statuses = [c.status for c in window.cases.case.last_checks]
    if confirmed:
        assert "evidence-roots-confirmed" in kinds and verification.REFUSED not in statuses
        assert len(window.session.frame) == 4
    else:
        assert "evidence-roots-confirmed" not in kinds and statuses == [verification.REFUSED]
        assert "evidence-refused" in kinds and len(window.session.frame) == 0
