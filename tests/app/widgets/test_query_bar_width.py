"""The query bar fits a laptop screen (issue 22 review): the window's minimum width was
about 1,587 px because the query line (min 420), five toggles, Operations and From/To sat
in one unbreakable row, so the workbench could not fit 1366x768 or 1280x720. Below the
full width the toggles fold into a "Filters" menu; every control stays reachable."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication, QWidget

from app.widgets.query_bar import TOGGLES

LAPTOP = (1280, 720)


def _fully_inside(widget: QWidget, window: QWidget) -> bool:
    """Shown and not clipped by the window's right edge (nor by its parent's)."""
    if not widget.isVisible() or widget.width() <= 0:
        return False
    rect = QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())
    return window.rect().contains(rect) and widget.width() >= widget.minimumSizeHint().width()


def _at_width(qtbot, window, width: int) -> None:  # type: ignore[no-untyped-def]
    window.resize(width, LAPTOP[1])
    qtbot.waitUntil(lambda: window.width() == width, timeout=2000)
    QApplication.processEvents()
    qtbot.waitUntil(lambda: window.query_bar.width() <= width, timeout=2000)
    QApplication.processEvents()


def test_window_minimum_width_fits_a_1280_screen(qtbot, loaded_window) -> None:
    w = loaded_window
    assert len(w.session.frame), "the case did not load"
    assert w.minimumSizeHint().width() <= LAPTOP[0]
    # and the height leaves room for a title bar and a taskbar on a 720 px screen
    assert w.minimumSizeHint().height() <= LAPTOP[1] - 80, w.minimumSizeHint()
    assert w.query_bar.minimumSizeHint().width() <= LAPTOP[0] - 20


def test_every_control_reachable_at_1280(qtbot, loaded_window) -> None:
    w = loaded_window
    bar = w.query_bar
    _at_width(qtbot, w, LAPTOP[0])
    assert bar.width() <= LAPTOP[0]
    # the query line is usable, not squeezed to nothing
    assert _fully_inside(bar.edit, w) and bar.edit.width() >= 240
    for control in (bar.operations_button, bar.time_range.from_check, bar.time_range.from_edit,
                     bar.time_range.to_check, bar.time_range.to_edit):
        assert _fully_inside(control, w), control.objectName() or control.metaObject().className()
    for key, label, _tip in TOGGLES:
        button = bar.toggle_buttons[key]
        if button.isVisible():
            assert _fully_inside(button, w), label
        else:  # folded into the Filters menu, as a checkable item with the same label
            assert _fully_inside(bar.filters_button, w)
            action = bar.toggle_actions[key]
            assert action in bar.filters_menu.actions() and action.isCheckable() and action.text() == label
    # 1280 px cannot hold all five toggles beside a 420 px query line: they are folded
    assert bar.is_compact() and bar.filters_button.isVisible()
    assert not any(b.isVisible() for b in bar.toggle_buttons.values())


def test_filters_menu_drives_the_same_filters(qtbot, loaded_window) -> None:
    w = loaded_window
    bar = w.query_bar
    _at_width(qtbot, w, LAPTOP[0])
    total = len(w.session.view)
    menu = bar.filters_menu
    menu.popup(bar.filters_button.mapToGlobal(QPoint(0, bar.filters_button.height())))
    qtbot.waitUntil(menu.isVisible, timeout=2000)
    action = bar.toggle_actions["failure"]
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())
    assert menu.isVisible(), "the filters menu closed after one tick"
    assert "failure" in w.session.toggles and bar.toggle_buttons["failure"].isChecked()
    assert 0 < len(w.session.view) < total  # the conftest rows hold one failure
    assert bar.filters_button.text() == "Filters (1 on)"
    menu.close()
    # a filter switched on elsewhere (a saved view, a finding's Back) shows in the menu too
    bar.toggle_buttons["failure"].setChecked(False)
    bar.toggle_buttons["nonowner"].setChecked(True)
    assert not action.isChecked() and bar.toggle_actions["nonowner"].isChecked()
    assert w.session.toggles == {"nonowner"}
    assert bar.filters_button.text() == "Filters (1 on)"


def test_wide_window_shows_each_toggle(qtbot, loaded_window) -> None:
    w = loaded_window
    bar = w.query_bar
    wide = bar.full_width() + 40
    w.resize(wide, 900)
    qtbot.waitUntil(lambda: not bar.is_compact(), timeout=2000)
    QApplication.processEvents()
    assert not bar.filters_button.isVisible()
    for key, label, _tip in TOGGLES:
        assert _fully_inside(bar.toggle_buttons[key], w), label
    # and narrowing again folds them
    _at_width(qtbot, w, 1366)
    assert bar.is_compact() == (bar.width() < bar.full_width())
    assert bar.filters_button.isVisible() == bar.is_compact()
