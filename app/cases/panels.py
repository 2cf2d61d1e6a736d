"""The Bookmarks dock (tags with comments; click to jump to the row) and the Case notes dock."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QHBoxLayout,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from app.widgets.plain_text import plain_tip

COLUMNS = ("Tag", "Comment", "Time (UTC)", "Operation", "Mailbox", "Actor", "Item", "Row")


class BookmarksPanel(QWidget):
    """One line per bookmark; ``activated(index)`` when the user clicks one."""

    activated = Signal(int)  # index into the case's bookmark list
    remove_requested = Signal(list)  # indexes

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("BookmarksTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellClicked.connect(lambda row, _col: self.activated.emit(row))
        self.empty = QLabel("No bookmarks. Select rows and press Ctrl+B to tag them.", self)
        remove = QPushButton("Remove selected", self)
        remove.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        buttons.addWidget(self.empty, 1)
        buttons.addWidget(remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    def show_bookmarks(self, rows: list[tuple[str, str, str, str, str, str, str, bool]]) -> None:
        """rows: (tag, comment, time, operation, mailbox, actor, item, found-in-evidence)."""
        self.table.setRowCount(len(rows))
        for r, (*values, found) in enumerate(rows):
            for c, value in enumerate([*values, "loaded" if found else "NOT IN LOADED EVIDENCE"]):
                item = QTableWidgetItem(value)
                item.setToolTip(plain_tip(value))
                if not found:
                    item.setForeground(QColor("#a4161a"))
                self.table.setItem(r, c, item)
        self.table.resizeColumnsToContents()
        self.empty.setVisible(not rows)

    def _remove(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        if rows:
            self.remove_requested.emit(rows)


class NotesPanel(QWidget):
    """Free-text case notes; ``changed(text)`` fires after typing pauses (autosave)."""

    changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QPlainTextEdit(self)
        self.edit.setObjectName("CaseNotes")
        self.edit.setPlaceholderText("Open or create a case (File > New case) to keep notes with it.")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(800)
        self._timer.timeout.connect(lambda: self.changed.emit(self.edit.toPlainText()))
        self.edit.textChanged.connect(self._timer.start)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)

    def set_text(self, text: str, enabled: bool) -> None:
        self.edit.blockSignals(True)
        self.edit.setPlainText(text)
        self.edit.blockSignals(False)
        self.edit.setEnabled(enabled)

    def flush(self) -> None:
        """Emit a pending change now (before saving or closing)."""
        if self._timer.isActive():
            self._timer.stop()
            self.changed.emit(self.edit.toPlainText())
