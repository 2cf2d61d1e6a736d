"""Issue 22, "Daily friction" in the grid and the query bar (Timeline Explorer habits):
Esc with the completion list open, undoable clearing, time as the default and last sort key,
Shift+click multi-column sort, copy with headers, evidence file names, pinned columns, the
filter row, Go to time and find-next, tags, and the examiner's formatting rules.

Evidence is the test-only ``#GUITEST`` format (tests/app/conftest.py); the property that
matters here is real: two files whose load order goes back in time, and equal timestamps in
both (Exchange logs record whole seconds, so ties are common, see
/work/shared/reference/evidence-formats.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QGuiApplication

from conftest import load, write_guitest

pytestmark = pytest.mark.gui

# a.guitest loads first but is later in time; b.guitest repeats two of its timestamps
LATER = [("2024-03-06T10:00:00Z", "CONTOSO\\pat", "ceo@contoso.com", "MessageOpen", "Delegate", "Success"),
         ("2024-03-06T11:00:00Z", "CONTOSO\\ann", "cfo@contoso.com", "FolderOpen", "Delegate", "Success"),
         ("2024-03-05T09:00:00Z", "CONTOSO\\ann", "ceo@contoso.com", "Logon", "Owner", "Failure")]
EARLIER = [("2024-03-05T09:00:00Z", "CONTOSO\\pat", "ceo@contoso.com", "MessageOpen", "Delegate", "Success"),
           ("2024-03-05T09:30:00Z", "CONTOSO\\ceo", "ceo@contoso.com", "Logon", "Owner", "Success"),
           ("2024-03-06T10:00:00Z", "CONTOSO\\ann", "ceo@contoso.com", "MessageOpen", "Admin", "Success")]


@pytest.fixture
def grid(qtbot, window, tmp_path: Path):  # type: ignore[no-untyped-def]
    folder = tmp_path / "evidence"
    folder.mkdir()
    write_guitest(folder / "a.guitest", LATER)
    write_guitest(folder / "b.guitest", EARLIER)
    load(qtbot, window, [folder / "a.guitest", folder / "b.guitest"])
    return window


def _column(window, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    model = window.model
    col = model.column_index(name)
    return [model.display_text(r, col) for r in range(model.rowCount())]


def _click_header(qtbot, window, name: str, shift: bool = False) -> None:  # type: ignore[no-untyped-def]
    header = window.table.horizontalHeader()
    col = window.model.column_index(name)
    x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
    modifier = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, modifier, QPoint(x, header.height() // 4))


# -- sorting ----------------------------------------------------------------------------------
def test_default_order_is_time_and_ties_keep_load_order(grid) -> None:  # type: ignore[no-untyped-def]
    frame, view = grid.session.frame, grid.session.view
    times = frame["time"].iloc[view].tolist()
    assert times == sorted(times)
    # the two 09:00 rows: a.guitest's (loaded first) before b.guitest's
    tied = [int(p) for p in view if frame["time"].iloc[int(p)] == pd.Timestamp("2024-03-05T09:00:00Z")]
    assert tied == sorted(tied) and len(tied) == 2
    assert "time ascending (the default" in grid.session.order_text()
    header = grid.table.horizontalHeader()
    assert header.sortIndicatorSection() == grid.model.column_index("time")


def test_sort_by_a_column_keeps_time_order_within_equal_values(qtbot, grid) -> None:  # type: ignore[no-untyped-def]
    _click_header(qtbot, grid, "actor")
    assert grid.session.active_sort() == [("actor", False)]
    frame, view = grid.session.frame, grid.session.view
    shown = frame.iloc[view]
    for actor, rows in shown.groupby("actor", observed=True, sort=False):
        assert rows["time"].is_monotonic_increasing, actor  # ties in time order, not load order
    assert list(shown["actor"]) == sorted(shown["actor"], key=str.lower)
    _click_header(qtbot, grid, "actor")  # a second click reverses
    assert grid.session.active_sort() == [("actor", True)]
    shown = frame.iloc[grid.session.view]
    assert list(shown["actor"]) == sorted(shown["actor"], key=str.lower, reverse=True)
    for actor, rows in shown.groupby("actor", observed=True, sort=False):
        assert rows["time"].is_monotonic_increasing, actor


def test_shift_click_adds_sort_keys_with_numbered_headers(qtbot, grid) -> None:  # type: ignore[no-untyped-def]
    _click_header(qtbot, grid, "mailbox")
    _click_header(qtbot, grid, "actor", shift=True)
    _click_header(qtbot, grid, "actor", shift=True)  # Shift+click on a key flips it
    assert grid.session.active_sort() == [("mailbox", False), ("actor", True)]
    shown = grid.session.frame.iloc[grid.session.view]
    expected = grid.session.frame.assign(m=grid.session.frame["mailbox"].astype(str).str.lower(),
                                         a=grid.session.frame["actor"].astype(str).str.lower())
    expected["a_desc"] = expected["a"].map({v: -i for i, v in enumerate(sorted(set(expected["a"])))})
    expected = expected.sort_values(["m", "a_desc", "time"], kind="stable")
    assert shown.index.tolist() == expected.index.tolist()
    model = grid.model
    assert model.headerData(model.column_index("mailbox"), Qt.Orientation.Horizontal) == "Mailbox ▲1"
    assert model.headerData(model.column_index("actor"), Qt.Orientation.Horizontal) == "Actor ▼2"
    assert "mailbox ascending, then actor descending" in grid.session.order_text()
    assert grid.cases.current_toggles()["sorted by"] == "mailbox ascending, then actor descending"


def test_lexsort_matches_a_stable_pandas_sort() -> None:
    from app.models.sort_keys import column_key, lexsort_order

    rng = np.random.default_rng(3)
    n = 5000
    frame = pd.DataFrame({
        "cat": pd.Categorical(rng.choice(["b", "A", "a", None], n)),
        "num": pd.array(rng.choice([1, 2, 3, None], n), dtype="Int64"),
        "text": pd.array(rng.choice(["x", "Y", "z", None], n), dtype="string"),
        "time": pd.to_datetime(rng.integers(0, 50, n), unit="s", utc=True),
    })
    for spec in ([("cat", False), ("time", False)], [("num", True), ("text", False), ("time", False)],
                 [("text", True), ("cat", True), ("time", False)]):
        order = lexsort_order([(*column_key(frame[c]), d) for c, d in spec])
        # the reference: pandas stable sort, missing last in every key whatever its direction;
        # text case-insensitive ("A" and "a" stay distinct values, "A" first)
        ref = frame.assign(**{f"k{i}": frame[c].astype("string").str.lower() + "\x00" + frame[c].astype("string")
                              if c in ("cat", "text") else frame[c] for i, (c, _) in enumerate(spec)})
        keys = [f"k{i}" for i in range(len(spec))]
        ref_order = np.arange(n)
        for key, (_, desc) in reversed(list(zip(keys, spec))):
            values = ref[key].iloc[ref_order]
            ranked = values.rank(method="dense", ascending=not desc, na_option="bottom").to_numpy()
            ref_order = ref_order[np.argsort(ranked, kind="stable")]
        assert order.tolist() == ref_order.tolist(), spec


def test_exported_rows_follow_a_multi_column_sort(qtbot, grid, tmp_path) -> None:  # type: ignore[no-untyped-def]
    grid.quiet = True
    grid.session.set_sort([("mailbox", True), ("actor", False)])
    with qtbot.waitSignal(grid.cases.report_exported, timeout=60000) as blocker:
        grid.cases.export_report(tmp_path / "out" / "r.csv")
    import csv

    rows = list(csv.DictReader(blocker.args[0].path.open(encoding="utf-8")))
    shown = grid.session.view_frame()
    assert [r["actor"] for r in rows] == shown["actor"].astype(str).tolist()
    assert [r["mailbox"] for r in rows] == shown["mailbox"].astype(str).tolist()


# -- copying ----------------------------------------------------------------------------------
def test_copy_with_headers_and_plain_copy(qtbot, grid) -> None:  # type: ignore[no-untyped-def]
    table, model = grid.table, grid.model
    table.setFocus()
    table.selectionModel().clearSelection()
    for name in ("time", "actor"):
        table.selectionModel().select(model.index(0, model.column_index(name)),
                                      table.selectionModel().SelectionFlag.Select)
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    plain = QGuiApplication.clipboard().text()
    assert plain == f"{model.display_text(0, model.column_index('time'))}\t{model.display_text(0, model.column_index('actor'))}"
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    lines = QGuiApplication.clipboard().text().split("\n")
    assert lines[0].split("\t") == ["Time", "Actor"] and lines[1] == plain
    # large selections (the vectorized path) carry the headers too
    table.selectAll()
    text = table.selection_text(headers=True)
    assert text.split("\n")[0].split("\t")[0] == "Time" and len(text.split("\n")) == model.rowCount() + 1


# -- columns ----------------------------------------------------------------------------------
def test_evidence_column_names_the_file_with_the_id_in_the_tooltip(grid) -> None:  # type: ignore[no-untyped-def]
    model = grid.model
    col = model.column_index("evidence")
    names = set(_column(grid, "evidence"))
    assert names == {"a.guitest", "b.guitest"}
    evidence_id = str(grid.session.frame["evidence"].iloc[int(grid.session.view[0])])
    tip = model.data(model.index(0, col), Qt.ItemDataRole.ToolTipRole)
    assert evidence_id in tip and len(evidence_id) == 16
    # filtering by the cell still writes the id (the file name may repeat across folders)
    actions = {a.text().split(" (")[0]: a for a in grid.table.cell_actions(model.index(0, col))}
    actions["Filter to this value"].trigger()
    assert f"evidence:={evidence_id}" in grid.query_bar.edit.text()


# -- the query bar -----------------------------------------------------------------------------
def test_esc_with_completions_open_closes_only_the_list(qtbot, grid) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    grid.activateWindow()
    edit = grid.query_bar.edit
    edit.setFocus()
    qtbot.keyClicks(edit, "actor:")
    popup = edit._completer.popup()
    qtbot.waitUntil(popup.isVisible, timeout=3000)
    # the key goes where a real one goes: the open list (Qt's active popup)
    qtbot.keyClick(QApplication.activePopupWidget() or edit, Qt.Key.Key_Escape)
    assert not popup.isVisible()
    assert edit.text() == "actor:"
    qtbot.keyClick(edit, Qt.Key.Key_Escape)  # a second Esc clears the query
    assert edit.text() == ""


def test_clearing_the_query_is_undoable(qtbot, grid) -> None:  # type: ignore[no-untyped-def]
    grid.set_query("actor:pat")
    assert grid.model.rowCount() == 2
    grid.table.setFocus()
    grid.action_clear_query.trigger()  # Esc from the grid
    assert grid.query_bar.edit.text() == "" and grid.model.rowCount() == 6
    grid.action_undo_query.trigger()  # Ctrl+Z from the grid
    assert grid.query_bar.edit.text() == "actor:pat" and grid.session.query_text == "actor:pat"
    assert grid.model.rowCount() == 2
    # in the query line Ctrl+Z is the line's own undo, and it reaches the Esc-cleared text too
    edit = grid.query_bar.edit
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert edit.text() == ""
    qtbot.keyClick(edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert edit.text() == "actor:pat"
    qtbot.waitUntil(lambda: grid.session.query_text == "actor:pat", timeout=3000)


# -- tags -------------------------------------------------------------------------------------
def _case(qtbot, window, folder: Path) -> None:  # type: ignore[no-untyped-def]
    window.cases.new_case(folder, "Grid habits", adopt_open=True)
    task = window.cases.task
    if task is not None:
        qtbot.waitUntil(lambda: not task.is_running(), timeout=30000)
    qtbot.waitUntil(lambda: len(window.session.frame) == 6, timeout=30000)


def _select_view_rows(window, rows: list[int]) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QItemSelectionModel

    table = window.table
    table.selectionModel().clearSelection()
    for row in rows:
        table.selectionModel().select(window.model.index(row, 0),
                                      QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)


def test_tag_dialog_names_its_rows_completes_on_enter_and_survives_a_resort(qtbot, grid, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.cases import dialogs

    _case(qtbot, grid, tmp_path / "case")
    session = grid.session
    _select_view_rows(grid, [0])
    target = int(session.view[0])
    wanted = session.frame.iloc[target]
    seen = {}

    def exec_with_keyboard_and_resort(dialog) -> int:  # type: ignore[no-untyped-def]
        seen["summary"] = dialog.summary.text()
        # the grid is re-sorted while the dialog is open: view row 0 is now another row
        session.set_sort([("actor", True)])
        assert int(session.view[0]) != target
        dialog.show()
        dialog.tag.lineEdit().selectAll()
        qtbot.keyClicks(dialog.tag.lineEdit(), "night")
        qtbot.keyClick(dialog.tag.lineEdit(), Qt.Key.Key_Return)  # Enter completes the dialog
        seen["result"] = dialog.result()
        return dialog.result()

    monkeypatch.setattr(dialogs.TagDialog, "exec", exec_with_keyboard_and_resort)
    grid.cases.tag_selected_dialog()
    assert seen["result"] == 1, seen
    assert "Will tag 1 row" in seen["summary"]
    assert "2024-03-05 09:00:00" in seen["summary"] and str(wanted["actor"]) in seen["summary"]
    (bookmark,) = grid.cases.case.bookmarks.items
    assert bookmark.tag == "night"
    assert (bookmark.evidence, bookmark.record_id) == (str(wanted["evidence"]), int(wanted["record_id"]))
    # the tagged row is highlighted wherever it is now, and only it
    from app.models.event_table_model import FLAG_TAGGED

    tagged = grid.model.row_flags(np.arange(len(session.frame))) & FLAG_TAGGED
    tag_col = session.column_values("tag")
    assert np.flatnonzero(tagged).tolist() == np.flatnonzero(tag_col.notna().to_numpy()).tolist()
    row = int(np.flatnonzero(session.view == np.flatnonzero(tagged)[0])[0])
    assert grid.model.data(grid.model.index(row, 1), Qt.ItemDataRole.BackgroundRole) is not None
    assert tag_col.iloc[np.flatnonzero(tagged)[0]] == "night"
    assert session.frame.iloc[np.flatnonzero(tagged)[0]]["record_id"] == wanted["record_id"]


def test_tag_and_untag_from_the_cell_menu(qtbot, grid, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.cases import dialogs

    _case(qtbot, grid, tmp_path / "case")
    monkeypatch.setattr(dialogs.TagDialog, "exec", lambda d: (d.tag.setCurrentText("review"), 1)[1])
    _select_view_rows(grid, [1, 2])
    index = grid.model.index(1, 0)
    actions = {a.text(): a for a in grid.table.cell_actions(index)}
    actions["Tag selected rows…"].trigger()
    assert len(grid.cases.case.bookmarks) == 2
    tagged_rows = sorted(int(grid.session.view[r]) for r in (1, 2))
    assert grid.session.column_values("tag").iloc[tagged_rows].tolist() == ["review", "review"]
    _select_view_rows(grid, [1])
    row1 = int(grid.session.view[1])
    actions = {a.text(): a for a in grid.table.cell_actions(grid.model.index(1, 0))}
    actions["Remove tag 'review' from this row"].trigger()
    assert len(grid.cases.case.bookmarks) == 1
    assert pd.isna(grid.session.column_values("tag").iloc[row1])
    kinds = [e.get("kind") for e in grid.cases.case.custody.entries()]
    assert "bookmarks-removed" in kinds


# -- highlight rules ----------------------------------------------------------------------------
def test_highlight_rules_colour_rows_are_kept_in_the_case_and_reload(qtbot, grid, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.cases.format_rules import HighlightRulesDialog

    _case(qtbot, grid, tmp_path / "case")
    shown: list[HighlightRulesDialog] = []
    monkeypatch.setattr(HighlightRulesDialog, "exec", lambda d: shown.append(d) or 0)
    grid.cases.highlights.action.trigger()
    dialog = shown[0]
    dialog.query.setText("actor:ann")
    dialog.colour.setCurrentIndex(1)  # yellow
    qtbot.keyClick(dialog.query, Qt.Key.Key_Return)  # Enter adds the rule
    dialog.query.setText('actor:"broken')
    dialog._add()
    assert "does not parse" in dialog.message.text()
    assert dialog.listing.count() == 1 and "3 rows" in dialog.listing.item(0).text()
    model, session = grid.model, grid.session
    ann = session.frame["actor"].astype(str).eq("CONTOSO\\ann").to_numpy()
    assert (model.rule_of(np.arange(len(session.frame))) >= 0).tolist() == ann.tolist()
    for row in range(model.rowCount()):
        brush = model.data(model.index(row, 2), Qt.ItemDataRole.BackgroundRole)
        is_ann = bool(ann[int(session.view[row])])
        assert (brush is not None and brush.color().name() == "#fff2a8") == is_ann
    # kept in the case (and logged), back after a reopen
    case_dir = grid.cases.case.folder
    assert [(r.query, r.colour) for r in grid.cases.case.format_rules] == [("actor:ann", "#fff2a8")]
    assert any(e["kind"] == "format-rule-added" for e in grid.cases.case.custody.entries())
    with qtbot.waitSignal(grid.cases.case_loaded, timeout=60000):
        grid.cases.open_case(case_dir)
    assert (model.rule_of(np.arange(len(session.frame))) >= 0).sum() == 3
    dialog = HighlightRulesDialog(grid.cases.highlights, grid)
    dialog.listing.setCurrentRow(0)
    dialog._remove()
    assert grid.cases.case.format_rules == [] and (model.rule_of(np.arange(len(session.frame))) < 0).all()


# -- go to time, find ------------------------------------------------------------------------------
def test_go_to_time_jumps_to_the_first_row_at_or_after_in_the_display_zone(qtbot, grid, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QInputDialog

    from app.display_tz import DisplayZone
    from app.widgets.grid_navigation import go_to_time_dialog

    session = grid.session
    grid.set_zone(DisplayZone.parse("America/New_York"))  # EST: UTC-5 in March before the 10th
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("2024-03-05 04:15", True))
    grid.action_goto_time.trigger()  # 04:15 EST = 09:15 UTC: the first row at/after is 09:30 UTC
    row = grid.table.currentIndex().row()
    assert session.frame["time"].iloc[int(session.view[row])] == pd.Timestamp("2024-03-05T09:30:00Z")
    assert grid.session.query_text == "" and grid.model.rowCount() == 6  # nothing filtered
    # an exact hit lands on the first of the tied rows
    assert go_to_time_dialog(grid, "2024-03-05 04:00") == 0
    # time descending: the row closest to the time from above
    session.set_sort([("time", True)])
    row = go_to_time_dialog(grid, "2024-03-05 04:15")
    assert session.frame["time"].iloc[int(session.view[row])] == pd.Timestamp("2024-03-05T09:30:00Z")
    # sorted by another column: the earliest time at or after it, wherever it is
    session.set_sort([("actor", False)])
    row = go_to_time_dialog(grid, "2024-03-06 05:30")
    assert session.frame["time"].iloc[int(session.view[row])] == pd.Timestamp("2024-03-06T11:00:00Z")
    assert go_to_time_dialog(grid, "2030-01-01") is None
    assert "No row" in grid.statusBar().currentMessage()


def test_find_next_selects_matching_rows_without_filtering(qtbot, grid) -> None:  # type: ignore[no-untyped-def]
    session = grid.session
    grid.show()
    grid.activateWindow()  # focus follows the active window: other tests' windows may hold it
    grid.table.setFocus()
    grid.table.setCurrentIndex(QModelIndex())  # no current row: the first match is the first found
    grid.action_find_rows.trigger()
    bar = grid.find_bar
    assert bar.isVisible()
    qtbot.waitUntil(bar.edit.hasFocus, timeout=2000)
    qtbot.keyClicks(bar.edit, "ann")
    qtbot.keyClick(bar.edit, Qt.Key.Key_Return)
    ann = [r for r in range(grid.model.rowCount())
           if str(session.frame["actor"].iloc[int(session.view[r])]) == "CONTOSO\\ann"]
    assert len(ann) == 3
    assert grid.table.currentIndex().row() == ann[0]
    grid.action_find_next.trigger()  # F3
    assert grid.table.currentIndex().row() == ann[1]
    assert "match 2 of 3" in bar.status.text()
    grid.action_find_previous.trigger()  # Shift+F3
    assert grid.table.currentIndex().row() == ann[0]
    grid.action_find_previous.trigger()  # wraps around
    assert grid.table.currentIndex().row() == ann[2] and "wrapped" in bar.status.text()
    assert grid.model.rowCount() == 6 and session.query_text == ""  # the grid is not filtered
    assert set(grid.table.selected_rows()) == {ann[2]}
    bar.edit.setText('actor:"open')
    assert bar.find(1) is None and "unterminated" in bar.status.text()


# -- default columns, pinned columns ---------------------------------------------------------------
def test_from_where_columns_on_screen_and_time_actor_pinned(qtbot, grid) -> None:  # type: ignore[no-untyped-def]
    table, model = grid.table, grid.model
    grid.resize(1400, 800)
    qtbot.wait(10)
    visible = [model.column_name(c) for c in table.visible_columns()]
    assert visible[:7] == ["time", "actor", "operation", "mailbox", "client_ip", "client_host", "client_app"]
    for name in ("client_ip", "client_host", "client_app"):  # on screen without scrolling
        col = model.column_index(name)
        assert 0 <= table.columnViewportPosition(col) + table.columnWidth(col) <= table.viewport().width(), name
    frozen = table.frozen
    assert frozen.pinned == ["time", "actor"] and frozen.view.isVisible()
    shown = [model.column_name(i) for i in range(model.columnCount())
             if not frozen.view.horizontalHeader().isSectionHidden(i)]
    assert shown == ["time", "actor"]
    table.horizontalScrollBar().setValue(table.horizontalScrollBar().maximum())
    qtbot.wait(10)
    assert table.columnViewportPosition(model.column_index("actor")) < 0  # scrolled away in the grid…
    assert frozen.view.isVisible() and frozen.view.x() <= table.frameWidth()  # …but pinned in view
    assert frozen.view.selectionModel() is table.selectionModel()
    assert frozen.view.verticalScrollBar().value() == table.verticalScrollBar().value()
    # unpin Actor from the header menu, pin Client IP; the choice is kept with the layout
    frozen.toggle("actor")
    frozen.toggle("client_ip")
    assert frozen.pinned == ["time", "client_ip"]
    assert grid.column_layout()["client_ip"]["pinned"] and not grid.column_layout()["actor"]["pinned"]
    grid.save_settings()
    from app.main_window import MainWindow

    again = MainWindow()
    qtbot.addWidget(again)
    assert again.table.frozen.pinned == ["time", "client_ip"]
    again.reset_layout()
    assert again.table.frozen.pinned == ["time", "actor"]


# -- the filter row ---------------------------------------------------------------------------------
def test_filter_row_writes_and_reads_the_query(qtbot, grid) -> None:  # type: ignore[no-untyped-def]
    model, session, bar = grid.model, grid.session, grid.query_bar
    header = grid.table.filter_header()
    actor = model.column_index("actor")
    cell = grid.table.frozen.view.horizontalHeader().edit(actor)  # Actor is pinned: its cell is on top
    cell.setFocus()
    qtbot.keyClicks(cell, "ann")
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    assert bar.edit.text() == "actor:ann" and model.rowCount() == 3
    grid.table.setFocus()
    # typing in the query bar is read back into the cells
    grid.set_query("is:delegate OR x")
    assert cell.text() == "" and header.edit(actor).text() == ""
    grid.set_query("jsmith OR pat actor:-svc")
    grid.set_query("user:pat is:nonowner")
    assert cell.text() == "pat" and header.edit(actor).text() == "pat"
    # a pick list: distinct values with counts, ticking one writes an exact term
    op = model.column_index("operation")
    assert header.pick_button(op) is not None
    picker = grid.filter_row.pick_list(op)
    labels = {i.data(Qt.ItemDataRole.UserRole): i.text() for i in picker.items()}
    assert labels["MessageOpen"] == "MessageOpen   (3)"
    for item in picker.items():
        item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) == "MessageOpen"
                           else Qt.CheckState.Unchecked)
    picker.apply()
    assert bar.edit.text() == "user:pat is:nonowner operation:=MessageOpen"
    assert model.rowCount() == 2
    assert header.pick_button(op).isChecked() and "MessageOpen" in header.edit(op).placeholderText()
    # the evidence pick list shows file names and writes ids
    ev = model.column_index("evidence")
    picker = grid.filter_row.pick_list(ev)
    names = sorted(i.text().split("   ")[0] for i in picker.items())
    assert names == ["a.guitest", "b.guitest"]
    # the text cell over another column replaces only its own term; Ctrl+Z undoes a filter change
    grid.filter_row.apply("actor", "")
    assert bar.edit.text() == "is:nonowner operation:=MessageOpen"
    grid.action_undo_query.trigger()
    assert bar.edit.text() == "user:pat is:nonowner operation:=MessageOpen"
    picker = grid.filter_row.pick_list(op)
    picker.clear()
    assert bar.edit.text() == "user:pat is:nonowner"
    assert not header.pick_button(op).isChecked()


def test_esc_in_the_find_line_or_a_filter_cell_never_clears_the_query(qtbot, grid) -> None:  # type: ignore[no-untyped-def]
    grid.set_query("actor:pat")
    grid.activateWindow()
    grid.action_find_rows.trigger()
    qtbot.keyClick(grid.find_bar.edit, Qt.Key.Key_Escape)
    assert not grid.find_bar.isVisible() and grid.query_bar.edit.text() == "actor:pat"
    cell = grid.table.filter_header().edit(grid.model.column_index("mailbox"))
    cell.setFocus()
    qtbot.keyClicks(cell, "cfo")
    qtbot.keyClick(cell, Qt.Key.Key_Escape)  # drops the typing, keeps the query
    assert grid.query_bar.edit.text() == "actor:pat" and cell.text() == ""


def test_hiding_a_pinned_column_narrows_the_pinned_area(qtbot, grid) -> None:  # type: ignore[no-untyped-def]
    table, model = grid.table, grid.model
    frozen = table.frozen
    both = frozen.view.width()
    table.setColumnHidden(model.column_index("actor"), True)  # View > Columns
    qtbot.waitUntil(lambda: frozen.view.horizontalHeader().isSectionHidden(model.column_index("actor")), timeout=2000)
    assert frozen.view.width() < both
    table.setColumnHidden(model.column_index("time"), True)
    qtbot.waitUntil(lambda: not frozen.view.isVisible(), timeout=2000)  # nothing pinned shown: no overlay
    table.setColumnHidden(model.column_index("time"), False)
    table.setColumnHidden(model.column_index("actor"), False)
    qtbot.waitUntil(lambda: frozen.view.isVisible() and frozen.view.width() == both, timeout=2000)


def test_rules_on_tags_follow_tagging_and_field_rules_are_not_recomputed(qtbot, grid, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import forensics.query as query_module

    _case(qtbot, grid, tmp_path / "case")
    model, session = grid.model, grid.session
    assert grid.cases.highlights.add("tag:night", "#ffd6d6") == ""
    assert grid.cases.highlights.add("actor:ann", "#fff2a8") == ""
    everything = np.arange(len(session.frame))
    assert (model.rule_of(everything) == 0).sum() == 0
    compiled: list[str] = []
    real = query_module.compile_query
    monkeypatch.setattr(query_module, "compile_query", lambda text, **k: compiled.append(text) or real(text, **k))
    target = int(session.view[0])
    grid.cases.tag_rows([target], "night")  # a new frame (the tag column): rules re-applied
    assert model.rule_of(everything).tolist()[target] == 0
    assert compiled == ["tag:night"]  # actor:ann's rows cannot change with tags: kept
