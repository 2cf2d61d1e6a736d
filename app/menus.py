"""The main window's menus and their actions (File, Edit, View, Help).

Kept apart from ``main_window`` so the window class stays about behaviour; actions are
still attributes of the window (``window.action_open``...), which extensions and tests use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QWidget

from app.dialogs.about import about_dialog, show_query_syntax
from app.display_tz import DisplayZone

if TYPE_CHECKING:
    from app.main_window import MainWindow


def action(parent: QWidget, text: str, slot, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:  # type: ignore[no-untyped-def]
    """A QAction with its shortcut and status tip, connected to ``slot``."""
    result = QAction(text, parent)
    if shortcut is not None:
        result.setShortcut(QKeySequence(shortcut))
    if tip:
        result.setStatusTip(tip)
    result.triggered.connect(slot)
    return result


def _grid_habits(window: "MainWindow") -> None:
    """The filter row, copy with headers, Find rows (Ctrl+F, F3, Shift+F3), Go to time (Ctrl+G)."""
    from app.widgets import grid_navigation
    from app.widgets.filter_row import FilterRow

    window.filter_row = FilterRow(window, [window.table.filter_header(), window.table.frozen.view.horizontalHeader()])
    window.find_bar = grid_navigation.install(window)
    window.action_copy_headers = action(window, "Copy cells with &headers", lambda: window.table.copy_selection(headers=True),
                                        "Ctrl+Shift+C", "Copy the selected cells with the column names as the first line")
    window.action_find_rows = action(window, "&Find rows…", window.find_bar.open, QKeySequence.StandardKey.Find,
                                     "Find the next row matching a word or query, without filtering the grid")
    window.action_find_next = action(window, "Find &next", lambda: window.find_bar.find(1), QKeySequence.StandardKey.FindNext)
    window.action_find_previous = action(window, "Find pre&vious", lambda: window.find_bar.find(-1),
                                         QKeySequence.StandardKey.FindPrevious)
    window.action_goto_time = action(window, "&Go to time…", lambda: grid_navigation.go_to_time_dialog(window), "Ctrl+G",
                                     "Jump to the first row at or after a date and time (display zone)")
    window.action_copy_headers.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    window.table.addAction(window.action_copy_headers)
    window.menu_edit.insertAction(window.action_detail, window.action_copy_headers)
    window.menu_edit.addSeparator()
    for a in (window.action_find_rows, window.action_find_next, window.action_find_previous, window.action_goto_time):
        window.menu_edit.addAction(a)


def build_menus(window: "MainWindow") -> None:
        bar = window.menuBar()
        window.menu_file = bar.addMenu("&File")
        window.action_open = action(window, "&Open evidence…", window.open_dialog, QKeySequence.StandardKey.Open,
                                        "Open evidence files (each is hashed into the custody log)")
        window.action_open_folder = action(window, "Open evidence &folder…", window.open_folder_dialog, "Ctrl+Shift+O",
                                               "Open every supported file in a folder, recursively")
        window.action_load_options = action(window, "Load &options…", window.edit_load_options, None,
                                                "Source time zone of local-time exports, directory export, event maps")
        window.action_close_all = action(window, "&Close all evidence", window.session.clear, None,
                                             "Remove all rows from the view (the custody log is kept)")
        window.action_quit = action(window, "&Quit", window.close, "Ctrl+Q")
        for a in (window.action_open, window.action_open_folder, window.action_load_options, window.action_close_all):
            window.menu_file.addAction(a)
        window._quit_separator = window.menu_file.addSeparator()
        window.menu_file.addAction(window.action_quit)

        window.menu_edit = bar.addMenu("&Edit")
        window.action_copy = action(window, "&Copy cells", window.table.copy_selection, QKeySequence.StandardKey.Copy)
        window.action_copy.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        window.table.addAction(window.action_copy)
        # Enter is handled by the grid itself (EventTable.keyPressEvent): as a shortcut, this
        # menu action took Enter from every dialog (the tag dialog could not be completed)
        window.action_detail = action(window, "Show row &detail\tEnter", window._detail_current)
        window.action_find = action(window, "&Query bar", window.focus_query, "Ctrl+L",
                                    "Type a query: the grid shows only the rows it matches")
        window.action_clear_query = action(window, "C&lear query", window.clear_query, Qt.Key.Key_Escape,
                                           "Clear the query (Ctrl+Z brings it back)")
        window.action_undo_query = action(window, "&Undo query change", window.query_bar.undo, QKeySequence.StandardKey.Undo,
                                          "Bring back the query as it was before the last change")
        window.action_examiner = action(window, "&Examiner name…", window.change_examiner)
        for a in (window.action_copy, window.action_detail):
            window.menu_edit.addAction(a)
        window.menu_edit.addSeparator()
        for a in (window.action_find, window.action_clear_query, window.action_undo_query):
            window.menu_edit.addAction(a)
        _grid_habits(window)
        window.menu_edit.addSeparator()
        window.menu_edit.addAction(window.action_examiner)

        window.menu_view = bar.addMenu("&View")
        window.menu_panels = window.menu_view.addMenu("&Panels")
        window.menu_columns = window.menu_view.addMenu("&Columns")
        window.menu_columns.aboutToShow.connect(window._fill_columns_menu)
        window.menu_zone = window.menu_view.addMenu("Display &time zone")
        window._zone_group = QActionGroup(window)
        window.action_zone_utc = action(window, "UTC", lambda: window.set_zone(DisplayZone()))
        window.action_zone_local = action(window, "Local time", lambda: window.set_zone(DisplayZone("local")))
        window.action_zone_offset = action(window, "Zone or offset…", window.ask_zone_offset)
        for a in (window.action_zone_utc, window.action_zone_local, window.action_zone_offset):
            a.setCheckable(True)
            window._zone_group.addAction(a)
            window.menu_zone.addAction(a)
        window.action_zone_utc.setChecked(True)
        window.menu_view.addSeparator()
        window.action_reset_layout = action(window, "&Reset layout", window.reset_layout)
        window.menu_view.addAction(window.action_reset_layout)

        window.menu_help = bar.addMenu("&Help")
        window.action_syntax = action(window, "&Query syntax", lambda: show_query_syntax(window), QKeySequence.StandardKey.HelpContents)
        window.action_about = action(window, "&About Mailbox Audit", lambda: about_dialog(window).exec())
        window.menu_help.addAction(window.action_syntax)
        window.menu_help.addAction(window.action_about)
