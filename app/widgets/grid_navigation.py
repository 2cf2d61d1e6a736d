"""Moving through the grid without filtering it: Go to time (Ctrl+G) and Find (Ctrl+F, F3,
Shift+F3), as in Timeline Explorer.

Both work on ``session.view`` with numpy (a binary search on the time-sorted view; one mask
per find text, then a search among its hits), so they cost the same on millions of rows.
Find takes the query language (a plain word searches every text column) but only selects
and scrolls to the next matching row: the grid keeps every row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QInputDialog, QLabel, QToolBar, QToolButton

from app.widgets.filter_row import EscapeLineEdit

from forensics.errors import QueryError

if TYPE_CHECKING:
    from app.main_window import MainWindow
    from app.session import Session


def parse_display_time(text: str, session: "Session") -> pd.Timestamp:
    """A typed date-time read in the display zone (an explicit offset wins), as UTC."""
    from forensics.query.evaluate import parse_time

    return parse_time(text.strip().strip('"'), session.zone.tzinfo(), 0)


def row_at_or_after(session: "Session", when: pd.Timestamp) -> int | None:
    """The grid row of the first event at or after ``when`` (UTC) in the current order.

    Time order (the default, or time ascending first): binary search. Time descending: the
    last row of the leading run at or after ``when`` (the one closest to it). Another order:
    the row holding the earliest time at or after ``when``. None when no row qualifies.
    """
    view = session.view
    if not len(view):
        return None
    times = session.frame["time"].to_numpy(dtype="datetime64[ns]")[view].view("i8")
    present = times != np.iinfo(np.int64).min  # NaT
    target = pd.Timestamp(when).tz_convert("UTC").tz_localize(None).as_unit("ns").value
    spec = session.active_sort()
    primary = spec[0] if spec else ("time", False)
    if primary == ("time", False):
        count = int(present.sum())  # rows without a time are last
        i = int(np.searchsorted(times[:count], target, side="left"))
        return i if i < count else None
    at_or_after = present & (times >= target)
    if primary == ("time", True):
        run = int(np.argmin(at_or_after)) if not at_or_after.all() else len(at_or_after)
        return run - 1 if run > 0 else None
    hits = np.flatnonzero(at_or_after)
    if not len(hits):
        return None
    return int(hits[np.argmin(times[hits])])


class FindBar(QToolBar):
    """A find line under the grid: Enter / F3 next match, Shift+Enter / Shift+F3 previous."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__("Find", window)
        self.setObjectName("FindBar")
        self.window_ = window
        self.session = window.session
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setEnabled(False)
        self.addWidget(QLabel(" Find rows: ", self))
        self.edit = FindEdit(self)
        self.edit.escaped.connect(self.close_bar)
        self.edit.setObjectName("FindEdit")
        self.edit.setPlaceholderText("a word or a query, e.g. 203.0.113.77  or  actor:pat — Enter: next, "
                                     "Shift+Enter: previous (the grid is not filtered)")
        self.edit.setClearButtonEnabled(True)
        self.edit.setMinimumWidth(460)
        self.edit.textChanged.connect(self._forget)
        self.addWidget(self.edit)
        for text, tip, step in (("Previous", "Previous match (Shift+F3)", -1), ("Next", "Next match (F3)", 1)):
            button = QToolButton(self)
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(lambda _c=False, s=step: self.find(s))
            self.addWidget(button)
        self.status = QLabel(self)
        self.status.setObjectName("FindStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.addWidget(self.status)
        close = QToolButton(self)
        close.setText("✕")
        close.setToolTip("Close the find bar (Esc)")
        close.clicked.connect(self.close_bar)
        self.addWidget(close)
        self._mask: tuple[str, str, int, np.ndarray] | None = None  # (text, zone, frame id, mask)
        self.session.loaded.connect(self._forget)
        self.session.columns_changed.connect(self._forget)

    def close_bar(self) -> None:
        self.hide()
        self.window_.table.setFocus()

    def open(self) -> None:
        self.show()
        self.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.edit.selectAll()

    def _forget(self, *_args: object) -> None:
        self._mask = None
        self.status.setText("")

    def _matches(self, text: str) -> np.ndarray:
        from forensics.query import compile_query

        key = (text, self.session.zone.storage(), id(self.session.frame))
        if self._mask is None or self._mask[:3] != key:
            mask = compile_query(text, tz=self.session.zone.tzinfo()).mask(self.session.frame)
            self._mask = (*key, np.asarray(mask, dtype=bool))
        return self._mask[3]

    def find(self, step: int = 1) -> int | None:
        """Select the next (``step`` 1) or previous (-1) matching grid row after the current
        one, wrapping around; returns it (None when nothing matches)."""
        text = self.edit.text().strip()
        if not text:
            self.open()
            return None
        try:
            mask = self._matches(text)
        except QueryError as exc:
            self.status.setText(f"  {exc}")
            return None
        hits = np.flatnonzero(mask[self.session.view])  # grid rows that match, in grid order
        if not len(hits):
            self.status.setText("  no matching row in the grid")
            return None
        table = self.window_.table
        current = table.currentIndex().row() if table.currentIndex().isValid() else -1
        if step > 0:
            i = int(np.searchsorted(hits, current, side="right"))
            wrapped = i >= len(hits)
            i = 0 if wrapped else i
        else:
            i = int(np.searchsorted(hits, current, side="left")) - 1
            wrapped = i < 0
            i = len(hits) - 1 if wrapped else i
        row = int(hits[i])
        column = max(table.currentIndex().column(), 0)
        table.setCurrentIndex(table.model().index(row, column))
        table.selectRow(row)
        table.scrollTo(table.model().index(row, column), table.ScrollHint.PositionAtCenter)
        self.status.setText(f"  match {i + 1:,} of {len(hits):,}" + ("  (wrapped around)" if wrapped else ""))
        return row


class FindEdit(EscapeLineEdit):
    """Enter: next match; Shift+Enter: previous; Esc closes the bar (never the query)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        bar = self.parent()
        if isinstance(bar, FindBar) and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            bar.find(-1 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1)
            return
        super().keyPressEvent(event)


def go_to_time_dialog(window: "MainWindow", text: str | None = None) -> int | None:
    """Ask for a date-time (display zone) and select the first row at or after it."""
    session = window.session
    if text is None:
        index = window.table.currentIndex()
        start = window.model.display_text(index.row(), window.model.column_index("time"))[:19] if index.isValid() else ""
        text, ok = QInputDialog.getText(
            window, "Go to time",
            f"Date and time in the display zone ({session.zone.label()}), e.g. 2024-03-05 22:40\n"
            "or with an offset (2024-03-05 22:40+01:00). The grid jumps to the first row at or after it;\n"
            "nothing is filtered.", text=start)
        if not ok or not text.strip():
            return None
    try:
        when = parse_display_time(text, session)
    except QueryError as exc:
        window.error_dialog("Go to time", str(exc))
        return None
    row = row_at_or_after(session, when)
    if row is None:
        window.statusBar().showMessage(f"No row in the grid at or after {text.strip()}", 6000)
        return None
    table = window.table
    col = max(window.model.column_index("time"), 0)
    table.setCurrentIndex(window.model.index(row, col))
    table.selectRow(row)
    table.scrollTo(window.model.index(row, col), table.ScrollHint.PositionAtTop)
    table.setFocus()
    return row


def install(window: "MainWindow") -> FindBar:
    """The find bar under the grid (hidden until Ctrl+F)."""
    bar = FindBar(window)
    window.addToolBar(Qt.ToolBarArea.BottomToolBarArea, bar)
    bar.hide()
    return bar


__all__ = ["FindBar", "go_to_time_dialog", "install", "parse_display_time", "row_at_or_after"]
