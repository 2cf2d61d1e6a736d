"""Completion, custody verification, the Open dialog, time zones, the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt

from conftest import ROWS, load

REPO = Path(__file__).resolve().parents[2]


def test_completion_of_fields_and_values(qtbot, loaded_window) -> None:
    w = loaded_window
    edit = w.query_bar.edit
    edit.setFocus()
    edit.clear()
    qtbot.keyClicks(edit, "mailb")
    qtbot.waitUntil(lambda: "mailbox:" in edit.completions(), timeout=3000)
    edit.clear()
    qtbot.keyClicks(edit, "mailbox:cf")
    qtbot.waitUntil(lambda: any("cfo@contoso.com" in c for c in edit.completions()), timeout=3000)
    # accepting a completion replaces only the token being typed
    edit._insert_completion("mailbox:cfo@contoso.com")
    assert edit.text() == "mailbox:cfo@contoso.com"


def test_completion_samples_large_frames(loaded_window, monkeypatch) -> None:
    import app.session as session_module

    s = loaded_window.session
    assert s.completion_frame() is s.frame
    monkeypatch.setattr(session_module, "COMPLETION_SAMPLE", 3)
    s._completion = None
    sample = s.completion_frame()
    assert len(sample) == 3 and list(sample.index) == [0, 3, 6]


def test_custody_verify_button(qtbot, loaded_window) -> None:
    panel = loaded_window.custody_panel
    panel.verify_button.click()
    qtbot.waitUntil(lambda: panel.last_result is not None, timeout=10000)
    assert panel.last_result.ok
    assert panel.result.text().startswith("VERIFIED")
    assert panel.verify_button.isEnabled()


def test_custody_verify_reports_tampering(qtbot, loaded_window) -> None:
    log_path = loaded_window.session.custody_log().path
    lines = log_path.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("Test Examiner", "Someone Else")
    log_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    panel = loaded_window.custody_panel
    panel.verify_button.click()
    qtbot.waitUntil(lambda: panel.last_result is not None, timeout=10000)
    assert not panel.last_result.ok
    assert "FAILED" in panel.result.text()


def test_open_dialog(qtbot, window, evidence_folder, monkeypatch) -> None:
    from PySide6.QtWidgets import QFileDialog

    files = [str(evidence_folder / "server1.guitest")]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: (files, "")))
    with qtbot.waitSignal(window.session.loader.idle, timeout=20000):
        window.action_open.trigger()
    assert len(window.session.frame) == 4


def test_second_load_adds_rows_and_skips_duplicates(qtbot, loaded_window, evidence_folder) -> None:
    w = loaded_window
    load(qtbot, w, [evidence_folder / "server1.guitest"])
    assert len(w.session.frame) == len(ROWS)  # same content: not added twice
    assert w.session.files[-1].status == "duplicate"


def test_local_zone_and_fixed_offset_dialog(loaded_window, monkeypatch, dialogs) -> None:
    from PySide6.QtWidgets import QInputDialog

    w = loaded_window
    w.action_zone_local.trigger()
    assert w.session.zone.kind == "local"
    assert w.zone_label.text().startswith("Time zone: Local (")
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("-05:30", True)))
    w.action_zone_offset.trigger()
    assert w.session.zone.label() == "UTC-05:30"
    assert w.model.display_text(0, w.model.column_index("time")) == "2024-03-05 02:30:00.000"
    monkeypatch.setattr(QInputDialog, "getText", staticmethod(lambda *a, **k: ("banana", True)))
    w.action_zone_offset.trigger()
    assert "not a time zone: 'banana'" in dialogs.texts()  # names are accepted now: the message says so
    assert w.session.zone.label() == "UTC-05:30"


def test_zone_persists(make_window) -> None:
    from app.display_tz import DisplayZone

    first = make_window()
    first.set_zone(DisplayZone.parse("+03:00"))
    first.close()
    assert make_window().session.zone == DisplayZone("offset", 180)


def test_escape_action_clears_query(loaded_window) -> None:
    w = loaded_window
    w.set_query("mailbox:hr")
    assert w.model.rowCount() == 1
    w.action_clear_query.trigger()
    assert w.query_bar.edit.text() == "" and w.model.rowCount() == len(ROWS)


def test_column_chooser_hides_and_shows(loaded_window) -> None:
    w = loaded_window
    menu = w.table.column_menu()
    folder = next(a for a in menu.actions() if a.text() == "Folder")
    folder.setChecked(False)
    assert w.table.isColumnHidden(w.model.column_index("folder"))
    folder.setChecked(True)
    assert not w.table.isColumnHidden(w.model.column_index("folder"))
    assert w.table.isColumnHidden(w.model.column_index("actor_ids"))  # provenance hidden by default


def test_gui_command_line_exit_after_load(tmp_path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MAILBOX_AUDIT_SETTINGS=str(tmp_path / "s.ini"),
               MAILBOX_AUDIT_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.run([sys.executable, "-m", "app", "--exit-after-load", str(REPO / "tests" / "data" / "evtx")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "loaded" in proc.stdout
    assert list((tmp_path / "data" / "sessions").glob("*/custody.jsonl"))


def test_gui_command_line_missing_path(tmp_path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MAILBOX_AUDIT_SETTINGS=str(tmp_path / "s.ini"),
               MAILBOX_AUDIT_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.run([sys.executable, "-m", "app", "--exit-after-load", str(tmp_path / "missing.evtx")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1
    assert "do not exist" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_session_extra_column_validation(loaded_window) -> None:
    import pytest

    s = loaded_window.session
    with pytest.raises(ValueError):
        s.set_extra_column("tag", ["x"])  # wrong length
    with pytest.raises(ValueError):
        s.set_extra_column("actor", [""] * len(s.frame))  # schema column
    s.set_extra_column("tag", ["a"] * len(s.frame))
    s.set_extra_column("tag", None)
    assert "tag" not in loaded_window.model.columns


def test_selection_status_and_frame_rows(loaded_window) -> None:
    w = loaded_window
    w.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    w.table.selectRow(0)
    assert w.selected_frame_rows() == [len(ROWS) - 1]
    assert w.selected_label.text() == "Selected: 1"


def test_load_options_dialog_validates_and_applies(qtbot, window, evidence_folder, monkeypatch, tmp_path) -> None:
    from app.dialogs.load_options import LoadOptionsDialog, validate
    from forensics.parsers.base import LoadOptions

    dialog = LoadOptionsDialog(window, LoadOptions())
    qtbot.addWidget(dialog)
    dialog.source_tz.setText("Mars/Olympus")
    dialog._accept()
    assert dialog.problem.isVisibleTo(dialog) and "unknown time zone" in dialog.problem.text()
    dialog.source_tz.setText("+02:00")
    dialog.identities.setText(str(tmp_path / "missing.csv"))
    assert "not found" in validate(dialog.options())
    dialog.identities.setText("")
    assert validate(dialog.options()) is None
    assert dialog.options().source_tz == "+02:00"
    dialog.w3c_fields.setText("date c-ip")  # header-less IIS lines: the list must name date and time
    assert "W3C fields" in validate(dialog.options())
    dialog.w3c_fields.setText("date time c-ip cs-username cs-uri-stem")
    assert validate(dialog.options()) is None and dialog.options().w3c_fields == "date time c-ip cs-username cs-uri-stem"
    dialog.w3c_fields.setText("")

    monkeypatch.setattr(LoadOptionsDialog, "ask", classmethod(lambda cls, parent, current: LoadOptions(source_tz="+02:00")))
    window.action_load_options.trigger()
    assert window.session.load_options.source_tz == "+02:00"
    load(qtbot, window, [evidence_folder])
    opened = [e for e in window.session.custody_log().entries() if e["kind"] == "evidence-opened"]
    assert opened and all(e["options"] == {"source_tz": "+02:00"} for e in opened)


def test_gui_command_line_rejects_bad_zone(tmp_path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", MAILBOX_AUDIT_SETTINGS=str(tmp_path / "s.ini"),
               MAILBOX_AUDIT_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.run([sys.executable, "-m", "app", "--exit-after-load", "--source-tz", "Mars/Olympus", str(tmp_path)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "unknown time zone" in proc.stderr and "Traceback" not in proc.stderr


def test_typed_queries_run_in_background_on_large_frames(qtbot, loaded_window, monkeypatch) -> None:
    import app.session as session_module

    monkeypatch.setattr(session_module, "ASYNC_QUERY_ROWS", 0)  # treat the test frame as large
    w = loaded_window
    s = w.session
    busy: list[bool] = []
    s.query_busy.connect(busy.append)
    w.query_bar.edit.setText("mailbox:ceo")
    w.query_bar.apply_typed()
    qtbot.waitUntil(lambda: w.model.rowCount() == 3, timeout=5000)
    assert busy[0] is True and busy[-1] is False
    # an unknown field is found while evaluating: shown inline, view kept
    w.query_bar.edit.setText("nosuchfield:x")
    w.query_bar.apply_typed()
    qtbot.waitUntil(lambda: s.query_error is not None, timeout=5000)
    assert w.query_bar.error_label.isVisible() and w.model.rowCount() == 3
    # a newer query supersedes one still running
    s.apply_query_async("mailbox:cfo")
    w.set_query("mailbox:hr")
    s.wait_idle()
    qtbot.wait(50)
    assert w.model.rowCount() == 1 and s.query_text == "mailbox:hr"


def test_style_icon_and_stylesheet(window) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    from app.application import apply_style

    assert apply_style(app) == "Fusion"
    assert "QueryEdit" in app.styleSheet()
    assert not app.windowIcon().isNull()


def test_query_mask_cache_is_bounded(loaded_window, monkeypatch) -> None:
    import app.session as session_module

    monkeypatch.setattr(session_module, "MASK_CACHE_SIZE", 3)
    s = loaded_window.session
    for name in ("ceo", "cfo", "hr", "pat", "eve"):
        s.set_query(f"actor:{name}")
    assert len(s._mask_cache) == 3
    assert ("actor:eve", "utc") in s._mask_cache and ("actor:ceo", "utc") not in s._mask_cache


def test_sort_cache_is_bounded(loaded_window) -> None:
    import app.session as session_module

    s = loaded_window.session
    for name in ("time", "actor", "mailbox", "operation", "outcome", "folder"):
        s.sort(name)
    # each order is cached by its keys (time is always the last one)
    assert list(s._order_cache) == [((n, False), ("time", False)) for n in ("mailbox", "operation", "outcome", "folder")][-session_module.SORT_CACHE_SIZE:]
