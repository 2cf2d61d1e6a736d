"""Issue 22, "Daily friction" (window level): the Operations checklist stays open while
ticking, Help > Query syntax is modeless, View > Reset layout re-docks and shows every dock,
the bottom docks resize and float, and the Findings dock is visible on first start."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow, QStyle

from conftest import ROWS

BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea


def _on_screen(dock: QDockWidget) -> bool:
    """Shown and not hidden behind another tab (a tab's hidden page has no visible region)."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def test_operations_checklist_stays_open_while_ticking(qtbot, loaded_window) -> None:
    w = loaded_window
    bar = w.query_bar
    menu = bar.operations_menu
    names = sorted(bar.operation_actions)
    assert len(names) >= 3
    menu.popup(bar.operations_button.mapToGlobal(QPoint(0, bar.operations_button.height())))
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    for name in names[:2]:  # untick two operations with the mouse, one after the other
        action = bar.operation_actions[name]
        qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
        assert menu.isVisible(), f"the checklist closed after unticking {name}"
        assert not action.isChecked()
    # the keyboard ticks too without closing: Space on the active item
    third = bar.operation_actions[names[2]]
    menu.setActiveAction(third)
    qtbot.keyClick(menu, Qt.Key.Key_Space)
    assert menu.isVisible() and not third.isChecked()
    assert w.session.operations == set(names[3:])
    assert bar.operations_button.text() == f"Operations: {len(names) - 3}/{len(names)}"
    shown = set(w.session.frame["operation"].astype(str).iloc[w.session.view])
    assert shown == set(names[3:])
    # "All operations" is an ordinary item: it applies and closes the menu
    all_action = menu.actions()[0]
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(all_action).center())
    qtbot.waitUntil(lambda: not menu.isVisible(), timeout=2000)
    assert w.session.operations is None and w.model.rowCount() == len(ROWS)


def test_query_syntax_is_modeless_and_single(qtbot, loaded_window) -> None:
    w = loaded_window
    w.action_syntax.trigger()
    dialog = w._query_syntax_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    assert not dialog.isModal() and dialog.windowModality() == Qt.WindowModality.NonModal
    assert QApplication.activeModalWidget() is None
    assert "is:nonowner" in dialog.browser.toPlainText()
    # the grid and the query bar keep working beside it
    w.set_query("mailbox:ceo")
    assert w.model.rowCount() == 3
    w.table.selectRow(1)
    assert w.table.selected_count() == 1
    # a second invocation raises the same window instead of opening another
    dialog.hide()
    w.action_syntax.trigger()
    assert w._query_syntax_dialog is dialog and dialog.isVisible()
    from app.dialogs.about import TextDialog

    assert len([d for d in w.findChildren(TextDialog) if d.windowTitle() == "Query syntax"]) == 1


def test_findings_dock_visible_on_first_start(qtbot, window) -> None:
    """No saved settings (the fixture isolates them): Findings shows beside the Heatmap."""
    w = window
    qtbot.waitExposed(w)
    assert _on_screen(w.findings_dock), "Findings is hidden behind a tab on first start"
    assert _on_screen(w.heatmap_dock)
    assert w.dockWidgetArea(w.findings_dock) == BOTTOM
    assert w.findings_dock not in w.tabifiedDockWidgets(w.heatmap_dock)
    assert w.findings_dock.x() > w.heatmap_dock.x()  # side by side
    assert _on_screen(w.detail_dock)


def test_reset_layout_redocks_and_shows_every_dock(qtbot, window) -> None:
    w = window
    qtbot.waitExposed(w)
    before = {name: w.dockWidgetArea(d) for name, d in w._docks.items()}
    default_bottom = w.heatmap_dock.height()
    # the examiner makes a mess: floats the heatmap, closes Findings and Detail,
    # moves Evidence to the left, squeezes the bottom area
    w.heatmap_dock.setFloating(True)
    w.findings_dock.close()
    w.detail_dock.close()
    w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, w.evidence_dock)
    w.resizeDocks([w.custody_dock], [120], Qt.Orientation.Vertical)
    qtbot.wait(50)
    w.action_reset_layout.trigger()
    qtbot.wait(50)
    for name, dock in w._docks.items():
        assert not dock.isFloating(), name
        assert dock.isVisible() or dock in sum((w.tabifiedDockWidgets(d) for d in w._docks.values()), []), name
        assert w.dockWidgetArea(dock) == before[name], name
    assert _on_screen(w.heatmap_dock) and _on_screen(w.findings_dock) and _on_screen(w.detail_dock)
    assert set(w.tabifiedDockWidgets(w.heatmap_dock)) == {w.evidence_dock, w.custody_dock}
    assert abs(w.heatmap_dock.height() - default_bottom) <= 8  # default size again
    assert abs(w.detail_dock.width() - 460) <= 20


def test_bottom_dock_resizes_and_floats(qtbot, window) -> None:
    w = window
    qtbot.waitExposed(w)
    # the splitter handle between the grid and the bottom docks is wide enough to grab
    # (a 4 px handle made people grab the title bar, which undocks)
    extent = w.style().pixelMetric(QStyle.PixelMetric.PM_DockWidgetSeparatorExtent, None, w)
    assert extent >= 6
    assert w.dockOptions() & QMainWindow.DockOption.AllowNestedDocks
    for target in (260, 420):
        w.resizeDocks([w.heatmap_dock], [target], Qt.Orientation.Vertical)
        # the area takes the size (the tabbed heatmap gives ~26 px of it to its tab bar)
        qtbot.waitUntil(lambda: abs(w.findings_dock.height() - target) <= 8, timeout=2000)
        assert 0 <= w.findings_dock.height() - w.heatmap_dock.height() <= 40  # the row moves as one
    total = w.heatmap_dock.width() + w.findings_dock.width()
    w.resizeDocks([w.heatmap_dock, w.findings_dock], [total - 800, 800], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: abs(w.findings_dock.width() - 800) <= 60, timeout=2000)
    # floating works, and docking back returns it to the bottom area
    feature = QDockWidget.DockWidgetFeature
    assert w.heatmap_dock.features() & feature.DockWidgetFloatable and w.heatmap_dock.features() & feature.DockWidgetMovable
    w.heatmap_dock.setFloating(True)
    qtbot.waitUntil(w.heatmap_dock.isVisible, timeout=2000)
    assert w.heatmap_dock.isFloating()
    w.heatmap_dock.setFloating(False)
    assert not w.heatmap_dock.isFloating() and w.dockWidgetArea(w.heatmap_dock) == BOTTOM
