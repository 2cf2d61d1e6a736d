"""Cases in the GUI: new/open case, Ctrl+B tags, Tag column and tag: queries, Bookmarks dock
jump, notes, a modified file shown loudly, and File > Export report of what the grid shows."""

from __future__ import annotations


import pytest
from PySide6.QtCore import Qt

from forensics.case import Case
from forensics.custody.hashing import hash_file

pytestmark = pytest.mark.gui


def _load(qtbot, window, paths) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.session.loader.idle, timeout=20000):
        assert window.open_paths(paths)


def _wait(qtbot, task) -> None:  # type: ignore[no-untyped-def]
    assert task is not None
    qtbot.waitUntil(lambda: not task.is_running(), timeout=30000)
    qtbot.wait(50)  # let the done signal reach the GUI thread


def _new_case(qtbot, window, folder, name: str, number: str = ""):  # type: ignore[no-untyped-def]
    """File > New case, adopting the open evidence (re-hashed on a worker thread)."""
    case = window.cases.new_case(folder, name, number, adopt_open=True)
    _wait(qtbot, window.cases.task)
    return case


def _select_rows(window, rows: list[int]) -> None:  # type: ignore[no-untyped-def]
    table = window.table
    table.clearSelection()
    for row in rows:
        table.selectionModel().select(
            table.model().index(row, 0),
            table.selectionModel().SelectionFlag.Select | table.selectionModel().SelectionFlag.Rows,
        )


def test_case_menus_and_docks_installed(window) -> None:  # type: ignore[no-untyped-def]
    cases = window.cases
    texts = [a.text() for a in window.menu_file.actions()]
    for wanted in ("&New case…", "Open &case…", "&Save case", "&Recent cases", "&Export report…"):
        assert wanted in texts
    assert cases.action_tag.shortcut().toString() == "Ctrl+B"
    assert cases.bookmarks_dock.windowTitle() == "Bookmarks"
    assert cases.notes_dock.windowTitle() == "Case notes"


def test_tag_rows_query_reopen_and_jump(qtbot, make_window, evidence_folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    window.show()
    _load(qtbot, window, [evidence_folder])
    cases = window.cases
    case = _new_case(qtbot, window, tmp_path / "case", "Quill", "17")
    assert case is not None and len(case.evidence) == 2  # already-open evidence is recorded
    from app.cases.controller import recent_cases

    assert recent_cases()[0] == str(case.folder)
    window.set_query("is:nonowner")
    shown = len(window.session.view)
    _select_rows(window, [0, 1])
    rows = window.selected_frame_rows()
    assert cases.tag_rows(rows, "suspicious", "night reads <b>x</b>") == 2
    assert "tag" in window.session.columns()
    tagged = window.session.frame["tag"]
    assert sorted(tagged.dropna().index.tolist()) == sorted(rows)
    assert cases.bookmarks_panel.table.rowCount() == 2
    assert cases.bookmarks_panel.table.item(0, 1).text() == "night reads <b>x</b>"
    window.set_query("tag:suspicious")
    assert len(window.session.view) == 2
    window.set_query("is:nonowner")
    assert len(window.session.view) == shown
    cases.notes_panel.edit.setPlainText("Interviewed pat.")
    cases.save_case()

    # reopen in a fresh window: evidence, tags, notes and the last query come back
    again = make_window()
    again.show()
    _wait(qtbot, again.cases.open_case(tmp_path / "case"))
    assert len(again.session.frame) == len(window.session.frame)
    assert again.session.query_text == "is:nonowner"
    assert again.cases.notes_panel.edit.toPlainText() == "Interviewed pat."
    assert sorted(again.session.frame["tag"].dropna().index.tolist()) == sorted(rows)
    again.set_query("mailbox:hr")  # hides the bookmarked rows
    assert again.cases.jump_to_bookmark(1)
    target = again.table.selected_rows()
    assert len(target) == 1
    frame_row = int(again.session.view[target[0]])
    assert again.session.frame["tag"].iloc[frame_row] == "suspicious"


def test_modified_evidence_is_loud_on_open(qtbot, make_window, evidence_folder, tmp_path, dialogs) -> None:  # type: ignore[no-untyped-def]
    window = make_window()
    _load(qtbot, window, [evidence_folder])
    _new_case(qtbot, window, tmp_path / "case", "Quill")
    victim = evidence_folder / "server1.guitest"
    victim.write_text(victim.read_text() + "2024-03-07T10:00:00Z,CONTOSO\\x,ceo@contoso.com,MessageOpen,Delegate,Success\n")
    again = make_window()
    _wait(qtbot, again.cases.open_case(tmp_path / "case"))
    assert "EVIDENCE DOES NOT MATCH THE CASE" in dialogs.texts()
    report = next(f for f in again.session.files if f.path.name == "server1.guitest")
    assert any("EVIDENCE CHANGED" in n for n in report.notes)
    kinds = [e["kind"] for e in Case.open(tmp_path / "case").custody.entries()]
    assert "evidence-mismatch" in kinds


def test_export_report_of_grid_view(qtbot, make_window, evidence_folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = make_window(quiet=True)
    _load(qtbot, window, [evidence_folder])
    _new_case(qtbot, window, tmp_path / "case", "Quill")
    window.set_query("is:nonowner")
    window.session.set_toggle("admin", True)
    out = tmp_path / "reports" / "view.html"
    with qtbot.waitSignal(window.cases.report_exported, timeout=60000) as blocker:
        window.cases.export_report(out)
    result = blocker.args[0]
    html = out.read_text(encoding="utf-8")
    assert result.sha256 == hash_file(out).sha256
    assert "is:nonowner" in html and "quick filter admin" in html
    assert f"{len(window.session.view)} rows in view" in html
    for f in (evidence_folder / "server1.guitest", evidence_folder / "server2" / "server2.guitest"):
        assert hash_file(f).sha256 in html
    entries = window.cases.case.custody.entries()
    assert entries[-1]["kind"] == "report-exported" and entries[-1]["sha256"] == result.sha256


def test_ctrl_b_and_file_export_go_through_their_dialogs(qtbot, make_window, evidence_folder, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog

    from app.cases import dialogs

    window = make_window(quiet=True)
    window.show()
    _load(qtbot, window, [evidence_folder])
    _new_case(qtbot, window, tmp_path / "case", "Quill")

    def fake_exec(dialog) -> int:  # type: ignore[no-untyped-def]
        dialog.tag.setCurrentText("night")
        dialog.comment.setText("after 22:00")
        return 1

    monkeypatch.setattr(dialogs.TagDialog, "exec", fake_exec)
    _select_rows(window, [3])
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    (bookmark,) = window.cases.case.bookmarks.items
    assert (bookmark.tag, bookmark.comment) == ("night", "after 22:00")

    out = tmp_path / "exported"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF report (*.pdf)"))
    with qtbot.waitSignal(window.cases.report_exported, timeout=60000):
        window.cases.action_export.trigger()
    assert (tmp_path / "exported.pdf").stat().st_size > 1000


def test_findings_pairs_marked_expected_move_last_greyed_and_persist(qtbot, make_window, evidence_folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt as QtNs

    window = make_window()
    _load(qtbot, window, [evidence_folder])
    panel, review = window.findings_panel, window.cases.review
    qtbot.waitUntil(lambda: len(panel.result.pairs) > 0, timeout=5000)  # recomputed after the load (debounced)
    pairs = panel.result.pairs
    assert len(pairs) >= 2 and (pairs["expected"] == "").all()
    top_actor, top_mailbox = str(pairs["actor"].iloc[0]), str(pairs["mailbox"].iloc[0])
    assert not review.mark(top_actor, top_mailbox, "backup job")  # no case: nowhere to keep it
    menu = panel.pair_menu(0)
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts == ["Show its rows", f"Mark {top_actor} → {top_mailbox} as expected access…",
                     f"Mark every mailbox {top_actor} opens as expected…"]

    case = _new_case(qtbot, window, tmp_path / "case", "Quill")
    assert case is not None
    assert review.mark(top_actor, top_mailbox, "backup job")
    pairs = panel.result.pairs
    last = len(pairs) - 1
    assert (str(pairs["actor"].iloc[last]), str(pairs["mailbox"].iloc[last])) == (top_actor, top_mailbox)
    assert pairs["expected"].iloc[last].startswith("backup job") and (pairs["expected"].iloc[:last] == "").all()
    assert "1 marked expected, listed last" in panel.summary.text()
    view = panel.pairs_view
    shown_last = view.model().index(last, 0)
    assert shown_last.data() == top_actor  # the view keeps the findings order
    assert shown_last.data(QtNs.ItemDataRole.ForegroundRole) is not None  # greyed
    assert view.model().index(0, 0).data(QtNs.ItemDataRole.ForegroundRole) is None
    remove = [a for a in panel.pair_menu(last).actions() if a.text().startswith("Remove the expected mark")]
    assert len(remove) == 1

    # the grid: the pair's rows carry the reason, and "Hide expected" leaves the unexplained rows
    session = window.session
    columns = list(session.frame.columns)
    assert columns.index("expected") == columns.index("mailbox") + 1
    marked = int(pairs["events"].iloc[last])
    assert int(session.frame["expected"].notna().sum()) == marked
    assert window.table.model().headerData(columns.index("expected"), QtNs.Orientation.Horizontal) == "Expected access"
    shown = len(session.view)
    window.query_bar.toggle_buttons["unexplained"].setChecked(True)
    assert len(session.view) == shown - marked
    window.query_bar.toggle_buttons["unexplained"].setChecked(False)
    assert len(session.view) == shown

    reopened = Case.open(case.folder)
    assert [(m.actor, m.mailbox, m.reason) for m in reopened.expected] == [(top_actor, top_mailbox, "backup job")]
    with qtbot.waitSignal(panel.unmark_requested, timeout=2000):
        remove[0].trigger()
    assert (panel.result.pairs["expected"] == "").all() and Case.open(case.folder).expected == []
    assert "expected" not in window.session.frame.columns  # no marks left: no column


def test_work_hours_travel_with_the_case(qtbot, make_window, evidence_folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import time

    from forensics.aggregate import WorkHours

    window = make_window()
    _load(qtbot, window, [evidence_folder])
    panel = window.findings_panel
    night = WorkHours(time(22), time(6), (0, 1, 2, 3, 4, 5, 6), "Europe/Berlin")
    panel.set_work_hours(night)  # the examiner's choice before any case exists
    case = _new_case(qtbot, window, tmp_path / "case", "Quill")
    assert case is not None and case.work_hours == night  # a new case takes the GUI's hours
    assert Case.open(case.folder).work_hours == night

    other = tmp_path / "other"
    prepared = Case.create(other, "Other")  # e.g. by `mailbox-audit case hours`
    assert prepared.set_work_hours(WorkHours(time(7), time(15), (0, 1, 2, 3)))
    prepared.save()
    task = window.cases.open_case(other)
    _wait(qtbot, task)
    assert panel.work_hours == WorkHours(time(7), time(15), (0, 1, 2, 3))  # shown with the case's own hours
    assert "07:00–15:00 on Mon, Tue, Wed, Thu" in panel.summary.text()
    panel.set_work_hours(night)  # edited while the case is open: the case keeps the change
    assert Case.open(other).work_hours == night


def test_a_saved_query_comes_back_with_its_filters(qtbot, make_window, evidence_folder, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pandas as pd

    window = make_window()
    _load(qtbot, window, [evidence_folder])
    cases, session, bar = window.cases, window.session, window.query_bar
    case = _new_case(qtbot, window, tmp_path / "case", "Quill")
    assert case is not None
    total = len(session.view)
    window.set_query("has:mailbox")
    bar.toggle_buttons["nonowner"].setChecked(True)
    operations = session.operations_present()
    bar.set_operations({operations[0]})
    times = session.frame["time"].dropna().sort_values()
    start, end = times.iloc[0] + pd.Timedelta(minutes=1), times.iloc[-1]
    bar.time_range.set_range(start, end)
    shown = len(session.view)
    assert 0 < shown < total
    case.save_query("night reads", session.query_text, cases.current_toggles())
    case.save()

    bar.toggle_buttons["nonowner"].setChecked(False)  # the examiner moves on
    bar.set_operations(None)
    bar.time_range.set_range(None, None)
    window.set_query("")
    assert len(session.view) == total

    cases.apply_saved_query(Case.open(case.folder).queries[0])
    assert len(session.view) == shown and session.query_text == "has:mailbox"
    assert bar.toggle_buttons["nonowner"].isChecked() and session.operations == {operations[0]}
    assert session.time_from == start.floor("s") and session.time_to is not None
    cases.save_case()  # the case reopens on the same view: query and filters

    other = make_window()
    _wait(qtbot, other.cases.open_case(case.folder))
    assert other.session.query_text == "has:mailbox" and other.query_bar.toggle_buttons["nonowner"].isChecked()
    assert other.session.operations == {operations[0]} and len(other.session.view) == shown

    from forensics.case import SavedQuery

    cases.apply_saved_query(SavedQuery("from the CLI", "has:mailbox"))  # saved without filters: none apply
    assert not session.toggles and session.operations is None and session.time_from is None
    assert len(session.view) == int(session.frame["mailbox"].notna().sum())
