"""Custody dock: the case's custody log entries, a Verify button and its result."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.session import Session
from app.widgets.plain_text import plain_tip
from app.workers import Task
from forensics.custody.log import VerifyResult

COLUMNS = ("#", "Time (UTC)", "Kind", "Examiner", "File", "SHA-256", "Status")


def _summary(entry: dict[str, Any]) -> list[str]:
    path = str(entry.get("path", ""))
    return [
        str(entry.get("seq", "")),
        str(entry.get("time", "")),
        str(entry.get("kind", "")),
        str(entry.get("examiner", "")),
        path.replace("\\", "/").rsplit("/", 1)[-1],
        str(entry.get("sha256", ""))[:16],
        str(entry.get("status", entry.get("note", ""))),
    ]


class CustodyPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.task: Task | None = None
        self.last_result: VerifyResult | None = None
        self.location = QLabel(self)
        self.location.setObjectName("CustodyLocation")
        self.location.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("CustodyTable")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.verify_button = QPushButton("Verify", self)
        self.verify_button.setToolTip("Check the hash chain and re-hash every evidence file")
        self.verify_button.clicked.connect(self.verify)
        self.result = QLabel("Not verified in this session", self)
        self.result.setObjectName("CustodyResult")
        self.result.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.verify_button)
        row.addWidget(self.result, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.location)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        session.custody_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        log = self.session.custody_if_open()  # do not create a session folder just to display it
        if log is None:
            self.location.setText("Custody log: created when the first file is opened")
            self.table.setRowCount(0)
            return
        self.location.setText(f"Custody log: {log.path}")
        entries = log.entries()
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.table.setRowCount(len(entries))
        for r, entry in enumerate(entries):
            for c, text in enumerate(_summary(entry)):
                item = QTableWidgetItem(text)
                if c == 5:
                    item.setFont(mono)
                if c == 4:
                    item.setToolTip(plain_tip(str(entry.get("path", ""))))
                self.table.setItem(r, c, item)
        self.table.scrollToBottom()

    def entry_kinds(self) -> list[str]:
        return [self.table.item(r, 2).text() for r in range(self.table.rowCount())]

    def verify(self) -> None:
        if self.task is not None and self.task.is_running():
            return
        log = self.session.custody_log()
        self.verify_button.setEnabled(False)
        self.result.setText("Verifying…")
        self.task = Task(log.verify, self)
        self.task.done.connect(self._verified)
        self.task.error.connect(self._verify_failed)
        self.task.start()

    def _verified(self, result: VerifyResult) -> None:
        self.last_result = result
        self.verify_button.setEnabled(True)
        self.result.setProperty("ok", result.ok)
        self.result.setText(
            ("VERIFIED: " if result.ok else "VERIFICATION FAILED: ")
            + f"{result.entries} entries, chain {'intact' if not result.chain_problems else 'BROKEN'}, "
            + f"{len(result.files_ok)} file(s) match"
            + (f", {len(result.file_problems)} mismatch(es)" if result.file_problems else "")
        )
        self.result.setToolTip(result.describe())
        self.result.style().unpolish(self.result)
        self.result.style().polish(self.result)

    def _verify_failed(self, message: str) -> None:
        self.verify_button.setEnabled(True)
        self.result.setText(f"Verification could not run: {message}")
