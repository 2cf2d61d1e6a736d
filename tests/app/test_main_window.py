"""The workbench end to end: loading through the worker, queries, toggles, drag and drop,
cancel, broken files, detail, copy, persistence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent, QGuiApplication

from conftest import ROWS, load, write_guitest


def test_loads_folder_through_worker(qtbot, loaded_window) -> None:
    w = loaded_window
    assert len(w.session.frame) == len(ROWS)
    assert w.model.rowCount() == len(ROWS)
    assert {f.status for f in w.session.files} == {"loaded"}
    assert w.rows_label.text() == f"Rows: {len(ROWS)} of {len(ROWS)}"
    # evidence dock lists both files with short hashes and counts
    tree = w.evidence_panel.tree
    assert tree.topLevelItemCount() == 2
    first = tree.topLevelItem(0)
    assert first.text(0) == "server1.guitest" and len(first.text(2)) == 16 and first.text(4) == "4"
    assert first.text(8).startswith("entry ")
    # custody dock shows the entries, written with the remembered examiner
    kinds = w.custody_panel.entry_kinds()
    assert kinds.count("evidence-opened") == 2
    entries = w.session.custody_log().entries()
    assert all(e["examiner"] == "Test Examiner" for e in entries)


def test_custody_log_lives_in_user_data_dir_not_next_to_evidence(loaded_window, evidence_folder, tmp_path) -> None:
    path = loaded_window.session.custody_log().path
    assert path.is_file()
    assert (tmp_path / "appdata" / "sessions") in path.parents
    assert not list(evidence_folder.rglob("custody.jsonl"))


def test_query_filters_rows_and_status(qtbot, loaded_window) -> None:
    w = loaded_window
    w.set_query("mailbox:ceo")
    assert w.model.rowCount() == 3
    assert w.rows_label.text() == f"Rows: 3 of {len(ROWS)}"
    # typing in the bar applies after the debounce
    w.query_bar.edit.clear()
    qtbot.keyClicks(w.query_bar.edit, "actor:pat")
    qtbot.waitUntil(lambda: w.model.rowCount() == 2, timeout=3000)
    qtbot.keyClick(w.query_bar.edit, Qt.Key.Key_Escape)
    assert w.model.rowCount() == len(ROWS)


def test_syntax_error_is_shown_inline_and_keeps_view(qtbot, loaded_window) -> None:
    w = loaded_window
    w.set_query("mailbox:cfo")
    assert w.model.rowCount() == 3
    w.set_query('mailbox:"unterminated')
    assert w.model.rowCount() == 3  # previous result stays
    assert w.query_bar.error_label.isVisible()
    assert "position" in w.query_bar.error_label.text()
    assert w.query_bar.edit.property("invalid") is True
    w.set_query("mailbox:hr")
    assert not w.query_bar.error_label.isVisible()
    assert w.model.rowCount() == 1


def test_quick_toggles(qtbot, loaded_window) -> None:
    w = loaded_window
    w.query_bar.toggle_buttons["nonowner"].click()
    nonowner = sum(1 for r in ROWS if r[4] != "Owner")
    assert w.model.rowCount() == nonowner
    w.query_bar.toggle_buttons["failure"].click()
    assert w.model.rowCount() == 1
    w.query_bar.toggle_buttons["failure"].click()
    w.query_bar.toggle_buttons["nonowner"].click()
    w.query_bar.toggle_buttons["admin"].click()
    assert w.model.rowCount() == 1
    w.query_bar.toggle_buttons["admin"].click()
    assert w.model.rowCount() == len(ROWS)


def test_operation_checklist(loaded_window) -> None:
    w = loaded_window
    actions = w.query_bar.operation_actions
    assert set(actions) == {r[3] for r in ROWS}
    actions["Logon"].setChecked(False)
    assert w.model.rowCount() == len(ROWS) - 2
    assert w.query_bar.operations_button.text() == f"Operations: {len(actions) - 1}/{len(actions)}"
    w.query_bar.set_operations(None)
    assert w.model.rowCount() == len(ROWS)


def test_time_range_control(loaded_window) -> None:
    import pandas as pd

    w = loaded_window
    w.query_bar.time_range.set_range(pd.Timestamp("2024-03-06T00:00:00Z"), None)
    assert w.model.rowCount() == 3
    w.query_bar.time_range.set_range(pd.Timestamp("2024-03-05T09:00:00Z"), pd.Timestamp("2024-03-05T09:16:00Z"))
    assert w.model.rowCount() == 2  # the To second is inclusive
    w.query_bar.time_range.set_range(None, None)
    assert w.model.rowCount() == len(ROWS)


def _drop(window, paths: list[Path]) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def test_drag_and_drop_folder(qtbot, window, evidence_folder) -> None:
    from PySide6.QtGui import QDragEnterEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(evidence_folder))])
    enter = QDragEnterEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(window.session.loader.idle, timeout=20000):
        _drop(window, [evidence_folder])
    assert len(window.session.frame) == len(ROWS)
    assert sorted(f.path.name for f in window.session.files) == ["server1.guitest", "server2.guitest"]


def test_cancel_midway_keeps_no_rows(qtbot, window, tmp_path, dialogs) -> None:
    first = write_guitest(tmp_path / "a.guitest")
    slow = write_guitest(tmp_path / "slow.guitest", ROWS, extra=["SLEEP"] * 3000)
    progressed: list[object] = []
    window.session.loader.progress.connect(progressed.append)
    with qtbot.waitSignal(window.session.loader.cancelled, timeout=20000):
        window.open_paths([first, slow])
        assert window.cancel_button.isVisible()
        qtbot.waitUntil(lambda: any(getattr(p, "name", "") == "slow.guitest" for p in progressed), timeout=10000)
        qtbot.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
    assert len(window.session.frame) == 0
    assert window.model.rowCount() == 0
    assert not window.cancel_button.isVisible()
    entries = window.session.custody_log().entries()
    assert entries[-1]["kind"] == "load-cancelled"
    assert "cancelled" in entries[-1]["note"]
    assert "load-cancelled" in window.custody_panel.entry_kinds()
    assert not dialogs.shown  # a cancel is not an error


def test_parse_error_in_one_file_leaves_others_loaded(qtbot, window, tmp_path, dialogs) -> None:
    good = write_guitest(tmp_path / "good.guitest")
    bad = write_guitest(tmp_path / "bad.guitest", ROWS[:2], extra=["BOOM"])
    load(qtbot, window, [good, bad])
    assert len(window.session.frame) == len(ROWS)
    statuses = {f.path.name: f.status for f in window.session.files}
    assert statuses == {"good.guitest": "loaded", "bad.guitest": "failed"}
    assert "corrupt" in dialogs.texts() or any("need attention" in m for _, m in dialogs.shown)
    failed_item = window.evidence_panel.tree.topLevelItem(1)
    assert failed_item.text(7) == "failed"
    children = [failed_item.child(i).text(1) for i in range(failed_item.childCount())]
    assert any("corrupt" in c for c in children)


def test_warnings_and_skipped_visible_in_evidence_dock(qtbot, window, tmp_path) -> None:
    path = write_guitest(tmp_path / "dirty.guitest", ROWS[:2], extra=["only,three,fields", "SLEEP"])
    load(qtbot, window, [path])
    item = window.evidence_panel.tree.topLevelItem(0)
    assert item.text(5) == "1" and item.text(6) == "1"
    children = {item.child(i).text(0): item.child(i).text(1) for i in range(item.childCount())}
    assert "expected 6 fields" in children["Warning"]
    assert children["Skipped"] == "1 × sleep"


def test_missing_path_shows_error_dialog(window, tmp_path, dialogs) -> None:
    assert not window.open_paths([tmp_path / "nope.evtx"])
    assert "do not exist" in dialogs.texts()


def test_detail_shows_fields_and_raw_record(qtbot, loaded_window) -> None:
    w = loaded_window
    w.table.setFocus()
    w.table.setCurrentIndex(w.model.index(1, 0))
    qtbot.keyClick(w.table, Qt.Key.Key_Return)
    assert w.detail_panel.frame_row == int(w.session.view[1])
    text = w.detail_panel.fields_text()
    assert "Actor\tCONTOSO\\pat" in text
    assert "2024-03-05 09:15:00.000" in text
    assert "Why this logon type\tthe evidence record states it" in text
    assert w.detail_panel.raw.toPlainText() == ",".join(ROWS[1])
    w.detail_panel.copy_raw()
    assert QGuiApplication.clipboard().text() == ",".join(ROWS[1])


def test_double_click_opens_detail(qtbot, loaded_window) -> None:
    w = loaded_window
    w.detail_dock.hide()
    index = w.model.index(3, w.model.column_index("actor"))
    rect = w.table.visualRect(index)
    # a real double click is press, release, then the double-click event
    qtbot.mouseClick(w.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(w.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert w.detail_dock.isVisible()
    assert w.detail_panel.frame_row == int(w.session.view[3])


def test_copy_cells(qtbot, loaded_window) -> None:
    w = loaded_window
    actor, mailbox = w.model.column_index("actor"), w.model.column_index("mailbox")
    sel = w.table.selectionModel()
    from PySide6.QtCore import QItemSelectionModel

    sel.select(w.model.index(0, actor), QItemSelectionModel.SelectionFlag.Select)
    sel.select(w.model.index(0, mailbox), QItemSelectionModel.SelectionFlag.Select)
    sel.select(w.model.index(1, actor), QItemSelectionModel.SelectionFlag.Select)
    w.table.setFocus()
    qtbot.keyClick(w.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    # on-screen column order (actor before mailbox), blanks for unselected cells
    assert QGuiApplication.clipboard().text() == "CONTOSO\\ceo\tceo@contoso.com\nCONTOSO\\pat\t"
    assert w.selected_label.text() == "Selected: 2"


def test_context_menu_filter_and_exclude(loaded_window) -> None:
    w = loaded_window
    col = w.model.column_index("mailbox")
    actions = {a.text().split(" (")[0]: a for a in w.table.cell_actions(w.model.index(0, col))}
    actions["Filter to this value"].trigger()
    assert w.query_bar.edit.text() == "mailbox:=ceo@contoso.com"
    assert w.model.rowCount() == 3
    actions = {a.text().split(" (")[0]: a for a in w.table.cell_actions(w.model.index(0, w.model.column_index("actor")))}
    actions["Exclude this value"].trigger()
    assert w.model.rowCount() == 2
    actions = {a.text().split(" (")[0]: a for a in w.table.cell_actions(w.model.index(0, 0))}
    actions["Copy row"].trigger()
    assert "CONTOSO\\pat" in QGuiApplication.clipboard().text()


def test_sort_by_column_header(loaded_window) -> None:
    w = loaded_window
    col = w.model.column_index("actor")
    w.table.sortByColumn(col, Qt.SortOrder.AscendingOrder)
    actors = [w.model.display_text(r, col) for r in range(w.model.rowCount())]
    assert actors == sorted(actors, key=str.lower)
    w.table.sortByColumn(col, Qt.SortOrder.DescendingOrder)
    assert [w.model.display_text(r, col) for r in range(w.model.rowCount())] == sorted(actors, key=str.lower, reverse=True)
    w.set_query("is:nonowner")  # filtering keeps the sort
    shown = [w.model.display_text(r, col) for r in range(w.model.rowCount())]
    assert shown == sorted(shown, key=str.lower, reverse=True) and len(shown) == 4


def test_display_zone_changes_display_not_data(loaded_window) -> None:
    from app.display_tz import DisplayZone

    w = loaded_window
    tcol = w.model.column_index("time")
    assert w.model.display_text(0, tcol) == "2024-03-05 08:00:00.000"
    w.set_zone(DisplayZone.parse("+02:00"))
    assert w.model.display_text(0, tcol) == "2024-03-05 10:00:00.000"
    assert w.zone_label.text() == "Time zone: UTC+02:00"
    assert str(w.session.frame["time"].dt.tz) == "UTC"
    w.set_query("after:2024-03-06")  # read in the display zone: 2024-03-05 22:00 UTC
    assert w.model.rowCount() == 4


def test_keyboard_shortcuts_in_menus(loaded_window) -> None:
    w = loaded_window
    assert w.action_open.shortcut().toString() == "Ctrl+O"
    assert w.action_find.shortcut().toString() == "Ctrl+L"  # Ctrl+F finds rows (issue 22)
    assert w.action_find_rows.shortcut().toString() == "Ctrl+F"
    assert w.action_clear_query.shortcut().toString() == "Esc"
    assert w.action_copy.shortcut().toString() == "Ctrl+C"
    assert w.menu_file.actions()[-1] is w.action_quit  # extensions never push Quit up
    assert w.action_quit.shortcut().toString() == "Ctrl+Q"
    w.table.setFocus()
    w.action_find.trigger()
    assert w.query_bar.edit.hasFocus()


def test_layout_and_columns_persist(qtbot, make_window, isolated_settings) -> None:
    first = make_window()
    col = first.model.column_index("details")
    first.table.setColumnHidden(col, True)
    first.table.setColumnWidth(first.model.column_index("actor"), 321)
    header = first.table.horizontalHeader()
    header.moveSection(header.visualIndex(first.model.column_index("mailbox")), 0)
    # Time and Actor are pinned: a column dragged in front of them goes right behind them
    assert [header.logicalIndex(v) for v in range(3)] == [first.model.column_index(n) for n in ("time", "actor", "mailbox")]
    first.close()
    stored = json.loads(__import__("app.settings", fromlist=["settings"]).settings().value("grid/columns"))
    assert stored["details"]["hidden"] is True
    second = make_window()
    h2 = second.table.horizontalHeader()
    assert second.table.isColumnHidden(second.model.column_index("details"))
    assert second.table.columnWidth(second.model.column_index("actor")) == 321
    assert h2.logicalIndex(2) == second.model.column_index("mailbox")


def test_widths_survive_queries(loaded_window) -> None:
    w = loaded_window
    col = w.model.column_index("folder")
    w.table.setColumnWidth(col, 277)
    w.set_query("mailbox:ceo")
    assert w.table.columnWidth(col) == 277


def test_extension_api(qtbot, loaded_window) -> None:
    from PySide6.QtWidgets import QLabel

    w = loaded_window
    dock = w.add_dock(QLabel("heatmap here"), Qt.DockWidgetArea.RightDockWidgetArea, "Heatmap")
    assert dock.objectName() == "dock_heatmap"
    assert dock.toggleViewAction() in w.menu_panels.actions()
    tags = [""] * len(w.session.frame)
    tags[2] = "suspicious"
    w.session.set_extra_column("tag", tags, position=0)
    assert w.model.columns[0] == "tag"
    assert w.model.display_text(2, 0) == "suspicious"
    w.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    assert w.model.display_text(0, 0) == "suspicious"
    assert w.selected_frame_rows() == []
    for menu in (w.menu_file, w.menu_view, w.menu_help):
        assert menu.actions()


def test_about_and_query_help(window) -> None:
    from app.dialogs.about import about_dialog, about_html, query_syntax_dialog

    html = about_html()
    assert "offline" in html and "pandas" in html and "PySide6" in html
    assert "is:nonowner" in query_syntax_dialog(window).browser.toPlainText()
    assert about_dialog(window).windowTitle() == "About Mailbox Audit"


def test_uncaught_exception_is_logged_and_shown(window, dialogs, caplog) -> None:
    import sys

    from app.application import excepthook

    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError:
        excepthook(*sys.exc_info())
    assert "boom in a slot" in dialogs.texts()
    assert "boom in a slot" in caplog.text
    assert window.isVisible()


def test_examiner_asked_once(qtbot, make_window, monkeypatch, evidence_folder) -> None:
    from app import settings as app_settings
    from app.dialogs import examiner

    store = app_settings.settings()
    store.remove(examiner.KEY)
    store.sync()
    asked: list[int] = []
    monkeypatch.setattr(examiner.ExaminerDialog, "ask", classmethod(lambda cls, parent, current="": asked.append(1) or "Dana Scully"))
    w = make_window()
    load(qtbot, w, [evidence_folder])
    assert asked == [1]
    assert w.session.custody_log().entries()[0]["examiner"] == "Dana Scully"
    w2 = make_window()
    assert w2.session.examiner == "Dana Scully"
    assert asked == [1]


def test_demo_case_loads(qtbot, window) -> None:
    demo = Path(__file__).resolve().parents[2] / "resources" / "demo"
    if not demo.is_dir():
        pytest.skip("demo case not generated yet")
    load(qtbot, window, [demo], timeout=120000)
    assert len(window.session.frame) > 0
    assert not [f for f in window.session.files if f.status == "failed"]
    window.query_bar.toggle_buttons["nonowner"].click()
    assert 0 < window.model.rowCount() < len(window.session.frame)


def test_copy_large_selection_is_vectorized_and_capped(qtbot, loaded_window, monkeypatch, dialogs) -> None:
    import app.widgets.event_table as event_table

    w = loaded_window
    monkeypatch.setattr(event_table, "SMALL_SELECTION_CELLS", 0)  # force the column-wise path
    w.table.selectAll()
    assert w.selected_label.text() == f"Selected: {len(ROWS)}"
    text = w.table.selection_text()
    lines = text.split("\n")
    assert len(lines) == len(ROWS)
    first_visible = w.table.visible_columns()[0]
    assert lines[0].split("\t")[0] == w.model.display_text(0, first_visible)
    assert lines[3].count("\t") == len(w.table.visible_columns()) - 1
    monkeypatch.setattr(event_table, "MAX_COPY_ROWS", 3)
    w.table.copy_selection()
    assert "too many to copy" in dialogs.texts()


def test_select_all_does_not_walk_rows_through_python(qtbot, window, monkeypatch) -> None:
    """Headers use a private selection model: painting them after Ctrl+A must not call the
    model once per row (it froze the window for minutes on millions of rows)."""
    import pandas as pd

    from forensics import schema
    from forensics.ingest import LoadResult

    n = 20_000
    frame = schema.conform({"time": pd.date_range("2024-03-05", periods=n, freq="s", tz="UTC"),
                            "actor": ["CONTOSO\\pat"] * n, "mailbox": ["ceo@contoso.com"] * n})
    w = window
    w.session.add_result(LoadResult(frame=frame))
    calls = []
    original = type(w.model).rowCount
    monkeypatch.setattr(type(w.model), "rowCount", lambda self, parent=QModelIndex(): calls.append(1) or original(self, parent))
    w.table.selectAll()
    w.table.horizontalHeader().repaint()
    assert len(calls) < 1000
    assert w.selected_label.text() == f"Selected: {n:,}"
    assert w.table.horizontalHeader().selectionModel() is not w.table.selectionModel()


def test_header_click_sorts(qtbot, loaded_window) -> None:
    w = loaded_window
    header = w.table.horizontalHeader()
    col = w.model.column_index("actor")
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2))
    assert w.session.sort_column == "actor"


def test_filter_to_time_and_missing_values(loaded_window) -> None:
    w = loaded_window
    actions = {a.text().split(" (")[0]: a for a in w.table.cell_actions(w.model.index(2, w.model.column_index("time")))}
    assert not actions["Exclude this value"].isEnabled()
    actions["Filter to this value"].trigger()
    assert w.model.rowCount() == 1 and w.model.display_text(0, 0) == "2024-03-05 09:16:00.000"
    w.clear_query()
    # an empty cell filters to rows where the field is missing
    actions = {a.text().split(" (")[0]: a for a in w.table.cell_actions(w.model.index(0, w.model.column_index("client_ip")))}
    actions["Filter to this value"].trigger()
    assert w.query_bar.edit.text() == "missing:client_ip" and w.model.rowCount() == len(ROWS)


def test_empty_grid_explains_itself(qtbot, window, evidence_folder) -> None:
    assert "Drop evidence" in window.table.empty_message()
    window.table.viewport().repaint()  # the hint is painted without errors
    load(qtbot, window, [evidence_folder])
    assert window.table.empty_message() == ""
    window.set_query("actor:nobody-at-all")
    assert "No rows match" in window.table.empty_message()


def test_exit_after_load_reports_a_broken_window_instead_of_hanging(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import app.main as gui_main
    import app.main_window as main_window

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise ImportError("No module named 'PySide6.QtOpenGL'")

    monkeypatch.setattr(main_window, "MainWindow", broken)
    assert gui_main.main(["--exit-after-load"]) == 1
    assert "could not be built" in capsys.readouterr().err


def test_missing_records_stand_out_in_evidence_dock(qtbot, window, tmp_path) -> None:
    from datetime import datetime, timezone

    from forensics.synth.evtx_damage import hide_record
    from forensics.synth.evtx_writer import ClassicEvent, EvtxWriter

    path = tmp_path / "Exchange Auditing.evtx"
    with EvtxWriter(path, channel="Exchange Auditing") as writer:
        for i in range(20):
            writer.write(ClassicEvent(provider="MSExchangeIS Auditing", event_id=10100,
                                      time=datetime(2024, 3, 1, 9, i, tzinfo=timezone.utc), data=["Folder: /Inbox"]))
    hide_record(path, 7)  # eventlogedit's way: record 6 grows over record 7; the walk finds 7 inside it
    load(qtbot, window, [path])
    item = window.evidence_panel.tree.topLevelItem(0)
    # the hidden record is read back from the bytes of the record that swallowed it, and
    # the dock says it was hidden (forensics.evtx.recovery)
    assert item.text(7) == "loaded — RECORDS HIDDEN"
    children = [(item.child(i).text(0), item.child(i).text(1)) for i in range(item.childCount())]
    assert ("Note", children[0][1]) == children[0] and children[0][1].startswith("RECORDS HIDDEN: record 7")
    assert len(window.session.frame) == 20
    assert any(label == "Warning" and "record 7 lies inside the bytes of record 6" in text for label, text in children)


def test_evidence_dock_shows_each_files_period_in_the_display_zone(qtbot, window, tmp_path) -> None:
    from app.display_tz import DisplayZone

    load(qtbot, window, [write_guitest(tmp_path / "period.guitest")])
    tree = window.evidence_panel.tree
    item = tree.topLevelItem(0)
    assert (item.text(9), item.text(10)) == ("2024-03-05 08:00:00", ROWS[-1][0].replace("T", " ").rstrip("Z"))
    assert tree.headerItem().text(9) == "Rows from (UTC)"
    window.session.set_zone(DisplayZone.parse("+02:00"))
    item = tree.topLevelItem(0)
    assert item.text(9) == "2024-03-05 10:00:00" and tree.headerItem().text(9) == "Rows from (UTC+02:00)"


def test_a_day_file_opened_later_fills_the_gap_in_the_evidence_dock(qtbot, window, tmp_path) -> None:
    header = "#Software: Microsoft Internet Information Services 10.0\n#Fields: date time cs-method cs-uri-stem cs-username c-ip sc-status\n"
    folder = tmp_path / "W3SVC1"
    folder.mkdir()
    paths = {}
    for day in ("01", "02", "03"):
        paths[day] = folder / f"u_ex2403{day}.log"
        paths[day].write_text(header + f"2024-03-{day} 09:00:00 GET /owa/ceo@contoso.com/ CONTOSO\\pat 10.0.0.5 200\n")
    load(qtbot, window, [paths["01"]])
    load(qtbot, window, [paths["03"]])
    tree = window.evidence_panel.tree
    status = {tree.topLevelItem(i).text(0): tree.topLevelItem(i).text(7) for i in range(tree.topLevelItemCount())}
    assert status == {"u_ex240301.log": "loaded", "u_ex240303.log": "loaded — DAYS MISSING"}
    load(qtbot, window, [paths["02"]])
    status = {tree.topLevelItem(i).text(0): tree.topLevelItem(i).text(7) for i in range(tree.topLevelItemCount())}
    assert set(status.values()) == {"loaded"} and len(status) == 3


def test_default_size_fits_a_laptop_screen() -> None:
    """1500x900 by default, but never past a 1366x768 screen's available area (a taskbar
    takes some of it); a screen smaller than the window's minimum leaves the size alone."""
    from PySide6.QtCore import QSize

    from app.dock_layout import fitted_size

    minimum = QSize(975, 563)
    assert fitted_size(QSize(1500, 900), QSize(1366, 728), minimum) == QSize(1366, 728)
    assert fitted_size(QSize(1500, 900), QSize(1920, 1040), minimum) == QSize(1500, 900)
    assert fitted_size(QSize(1500, 900), QSize(800, 800), minimum) == QSize(1500, 900)
