"""Small dialogs of the cases feature: new case, evidence already open when a case is
created (adopt or leave out), remove evidence, tag rows (Ctrl+B)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QMessageBox,
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from forensics.parsers.base import FileReport

ADOPT = "adopt"
LEAVE_OUT = "leave"


def _file_list(parent: QWidget, files: list[FileReport]) -> QListWidget:
    listing = QListWidget(parent)
    listing.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    for report in files:
        sha = report.hashes.sha256[:16] if report.hashes else "-"
        listing.addItem(f"{report.path.name}   {report.status}   SHA-256 {sha}…   {report.path.parent}")
    listing.setMaximumHeight(160)
    return listing


class NewCaseDialog(QDialog):
    """Folder, name, number and examiner of a new case."""

    def __init__(self, examiner: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New case")
        self.folder = QLineEdit(self)
        self.folder.setPlaceholderText("an empty folder for case.json and the custody log")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder)
        row.addWidget(browse)
        self.name = QLineEdit(self)
        self.number = QLineEdit(self)
        self.examiner = QLineEdit(examiner, self)
        form = QFormLayout(self)
        form.addRow("Case folder", row)
        form.addRow("Case name", self.name)
        form.addRow("Case number", self.number)
        form.addRow("Examiner", self.examiner)
        note = QLabel("Evidence stays where it is; nothing is written next to it.", self)
        note.setWordWrap(True)
        form.addRow(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Case folder")
        if folder:
            self.folder.setText(folder)

    def _accept(self) -> None:
        if self.folder.text().strip():
            self.accept()


class TagDialog(QDialog):
    """Tag name (existing tags offered) and a comment for the selected rows.

    Says which rows it will tag (how many, and the first one's time and actor), so a wrong
    selection shows before it is bookmarked; Enter in either field completes it.
    """

    def __init__(self, count: int, tags: list[str], parent: QWidget | None = None, first_row: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("TagDialog")
        self.setWindowTitle("Bookmark rows")
        self.tag = QComboBox(self)
        self.tag.setEditable(True)
        self.tag.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.tag.addItems(tags)
        self.tag.setCurrentText(tags[0] if tags else "suspicious")
        self.tag.lineEdit().selectAll()
        self.comment = QLineEdit(self)
        self.comment.setPlaceholderText("why these rows matter (optional)")
        self.comment.setMinimumWidth(360)
        what = f"Will tag {count:,} row{'s' if count != 1 else ''}"
        self.summary = QLabel(what + (f" — first: {first_row}" if first_row else ""), self)
        self.summary.setObjectName("TagSummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow(self.summary)
        form.addRow("Tag", self.tag)
        form.addRow("Comment", self.comment)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Tag")
        buttons.button(QDialogButtonBox.StandardButton.Ok).setDefault(True)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        # Enter in the tag box or the comment reaches the default button (Tag)
        self.tag.setFocus()

    def comment_text(self) -> str:
        return self.comment.text()

    def _accept(self) -> None:
        if self.tag.currentText().strip():
            self.accept()


class OpenEvidenceDialog(QDialog):
    """Evidence is already open while a case is being created: the examiner decides whether
    it enters the case (re-hashed, with fresh entries in the case's custody log) or is left
    out (closed). Nothing is decided silently; Cancel creates no case."""

    def __init__(self, files: list[FileReport], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("OpenEvidenceDialog")
        self.setWindowTitle("Evidence already open")
        self.choice: str | None = None
        text = QLabel(
            f"<b>{len(files)} file(s) are open but not part of the new case.</b><br>"
            "<b>Add to the case</b>: each file is re-hashed now; if it still equals what was loaded it is "
            "recorded in the case with the options it was read with, and logged in the case's custody log. "
            "A file that changed since it was opened is left out and named.<br>"
            "<b>Leave out</b>: the files are closed; the case starts empty (the choice is logged).", self)
        text.setWordWrap(True)
        self.adopt_button = QPushButton("Add to the case (re-hash)", self)
        self.leave_button = QPushButton("Leave out (close them)", self)
        cancel = QPushButton("Cancel", self)
        self.adopt_button.setDefault(True)
        self.adopt_button.clicked.connect(lambda: self._choose(ADOPT))
        self.leave_button.clicked.connect(lambda: self._choose(LEAVE_OUT))
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.adopt_button, self.leave_button, cancel):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addWidget(_file_list(self, files))
        layout.addLayout(buttons)
        self.resize(720, self.sizeHint().height())

    def _choose(self, choice: str) -> None:
        self.choice = choice
        self.accept()

    @classmethod
    def ask(cls, files: list[FileReport], parent: QWidget | None = None) -> str | None:
        """ADOPT, LEAVE_OUT or None (cancelled)."""
        dialog = cls(files, parent)
        return dialog.choice if dialog.exec() else None


class RemoveEvidenceDialog(QDialog):
    """Confirm taking files out of the case, with the reason kept in the custody log."""

    def __init__(self, files: list[FileReport], in_case: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RemoveEvidenceDialog")
        self.setWindowTitle("Remove evidence from the case" if in_case else "Close evidence")
        what = ("They leave the case: a custody entry records each file and its hashes, and their rows "
                "no longer load with the case. The files themselves are not touched."
                if in_case else "Their rows leave the view; the custody log records it.")
        text = QLabel(f"<b>Remove {len(files)} file(s)?</b><br>{what}", self)
        text.setWordWrap(True)
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText("why (kept in the custody log)")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Remove")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(text)
        form.addRow(_file_list(self, files))
        form.addRow("Reason", self.reason)
        form.addRow(buttons)
        self.resize(640, self.sizeHint().height())


def confirm_outside_evidence(parent: QWidget | None, paths: list[Path]) -> bool:
    """Ask before opening evidence a received case names outside its custody-recorded folders
    (default No; the paths are shown as plain text)."""
    listing = "\n".join(str(p) for p in paths[:20]) + (f"\n… and {len(paths) - 20} more" if len(paths) > 20 else "")
    box = QMessageBox(QMessageBox.Icon.Warning, "Evidence outside the case's folders",
                      f"{len(paths)} evidence file(s) named by this case lie outside every folder its custody "
                      "log saw evidence in. A case folder received from someone else may name any file on "
                      "this computer. Open them as evidence? (Your answer is logged; refused files are not "
                      "opened and show as REFUSED.)", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                      parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setDetailedText(listing)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    return box.exec() == QMessageBox.StandardButton.Yes
