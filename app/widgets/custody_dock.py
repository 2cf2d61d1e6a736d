"""Custody dock: the case's custody log entries, a Verify button and its result.

The result names the first broken entry (number, time, what broke), never shows a pass when
no evidence file was checked, and is withdrawn as soon as the log grows or another log is
shown (a result is only about the entries it read).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QTimer
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
from forensics.case.case_verify import verify_case
from forensics.custody.log import LOG_NAME, CustodyLog, VerifyResult
from forensics.custody.verify import FAILED, UNSIGNED

COLUMNS = ("#", "Time (UTC)", "Kind", "Examiner", "File", "SHA-256", "Status")
NOT_VERIFIED = "Not verified in this session"
_ENTRY = re.compile(r"\bentry (\d+)")


def _verify(log: CustodyLog) -> VerifyResult:
    """A case folder is verified as the CLI does (heads in case.json, caches, case.json's
    hashes against the log); an in-memory log has only its chain and files."""
    if log.case_dir is not None and (log.case_dir / LOG_NAME).is_file():
        return verify_case(log.case_dir)
    return log.verify()


def problem_lines(result: VerifyResult, entries: list[dict[str, Any]]) -> list[str]:
    """Each problem of ``result``, led by the entry it names and that entry's time."""
    lines = []
    for kind, problems in (("CHAIN BROKEN", result.chain_problems), ("EVIDENCE MISMATCH", result.file_problems),
                           ("CASE FILE", result.case_problems), ("CACHE MISMATCH", result.cache_problems)):
        for problem in problems:
            match = _ENTRY.search(problem)
            where = ""
            if match:
                number = int(match.group(1))
                time = str(entries[number - 1].get("time", "")) if 0 < number <= len(entries) else ""
                where = f"entry {number}" + (f" ({time})" if time else "") + ": "
                if problem.startswith(f"entry {number}:"):  # said once is enough
                    problem = problem[len(f"entry {number}:"):].strip()
            lines.append(f"{kind}: {where}{problem}")
    return lines


def _summary(entry: dict[str, Any]) -> list[str]:
    path = str(entry.get("path", ""))
    return [
        str(entry.get("seq", "")),
        str(entry.get("time", "")),
        str(entry.get("kind", "")),
        str(entry.get("examiner", "")),
        path.replace("\\", "/").rsplit("/", 1)[-1],
        str(entry.get("sha256", ""))[:16],
        str(entry.get("status", entry.get("note", ""))) + (" (adopted into the case)" if entry.get("adopted") else ""),
    ]


class CustodyPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.task: Task | None = None
        self.last_result: VerifyResult | None = None
        self._verified_log: Path | None = None  # the log the shown result is about
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
        self.result = QLabel(NOT_VERIFIED, self)
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
        # entries written by anyone (this window's workers, the CLI on the same case) show up,
        # and withdraw a Verify result: the file is watched, refreshes are debounced
        self._watcher = QFileSystemWatcher(self)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(250)
        self._debounce.timeout.connect(self.refresh)
        self._watcher.fileChanged.connect(lambda _path: self._debounce.start())
        self.refresh()

    def refresh(self) -> None:
        log = self.session.custody_if_open()  # do not create a session folder just to display it
        if log is None and self.session.case_dir is not None:  # a case's log exists before this window writes
            log = self.session.custody_log()
        if log is None:
            self.location.setText("Custody log: created when the first file is opened")
            self.table.setRowCount(0)
            self._watch(None)
            self._withdraw(None, 0)
            return
        self.location.setText(f"Custody log: {log.path}")
        self._watch(log.path)
        entries = log.entries()
        self._withdraw(log.path, len(entries))
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

    def _watch(self, path: Path | None) -> None:
        wanted = [str(path)] if path is not None and path.is_file() else []
        if self._watcher.files() != wanted:
            if self._watcher.files():
                self._watcher.removePaths(self._watcher.files())
            if wanted:
                self._watcher.addPaths(wanted)

    def _withdraw(self, path: Path | None, entries: int) -> None:
        """Clear a result that no longer describes the log shown (it grew, or it is another)."""
        result = self.last_result
        if result is None or (path == self._verified_log and entries == result.entries):
            return
        self.last_result = None
        self._show(NOT_VERIFIED if path != self._verified_log else
                   f"Not verified since entry {result.entries + 1} was added "
                   f"({entries} entries now): press Verify", None, "")

    def _show(self, text: str, ok: bool | None, tip: str) -> None:
        self.result.setText(text)
        self.result.setToolTip(tip)
        self.result.setProperty("ok", ok)
        self.result.style().unpolish(self.result)
        self.result.style().polish(self.result)

    def entry_kinds(self) -> list[str]:
        return [self.table.item(r, 2).text() for r in range(self.table.rowCount())]

    def verify(self) -> None:
        if self.task is not None and self.task.is_running():
            return
        log = self.session.custody_log()
        self.verify_button.setEnabled(False)
        self.last_result = None
        self._verified_log = log.path
        self._show("Verifying…", None, "")
        self.task = Task(lambda: _verify(log), self)
        self.task.done.connect(self._verified)
        self.task.error.connect(self._verify_failed)
        self.task.start()

    def _verified(self, result: VerifyResult) -> None:
        self.verify_button.setEnabled(True)
        log = self.session.custody_if_open()
        entries = log.entries() if log is not None and log.path == self._verified_log else []
        checked = len(result.files_ok) + len(result.file_problems)
        problems = problem_lines(result, entries)
        counts = (f"{result.entries} entries, chain {'intact' if not result.chain_problems else 'BROKEN'}, "
                  f"{len(result.files_ok)} file(s) match"
                  + (f", {len(result.file_problems)} mismatch(es)" if result.file_problems else ""))
        if problems or result.status == FAILED:
            first = problems[0] if problems else next(
                (line for line in result.describe().splitlines() if not line.startswith(("ok:", "custody log:"))), "")
            more = f" (+{len(problems) - 1} more: see the tooltip)" if len(problems) > 1 else ""
            text, ok = f"VERIFICATION FAILED: {first}{more}. {counts}", False
        elif not checked:
            text, ok = f"NOT VERIFIED: no evidence file is recorded in this custody log, nothing was checked. {counts}", False
        elif result.status == UNSIGNED:  # nothing wrong found, but no signature vouches for the chain
            text, ok = (f"UNSIGNED (legacy log): no problem found, but its entries carry no signature, so a "
                        f"consistently recomputed chain cannot be ruled out. {counts}", False)
        else:
            text, ok = f"VERIFIED: {counts}", result.ok
        self.last_result = result
        self._show(text, ok, "\n".join(problems + [result.describe()]))
        if log is not None:
            self._withdraw(log.path, len(log.lines()))  # entries added while it ran: already stale

    def _verify_failed(self, message: str) -> None:
        self.verify_button.setEnabled(True)
        self._show(f"Verification could not run: {message}", False, "")
