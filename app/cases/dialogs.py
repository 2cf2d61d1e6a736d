"""Small dialogs of the cases feature: new case, save query, evidence already open when a
case is created (adopt or leave out), remove evidence, tag rows (Ctrl+B)."""

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
    QPlainTextEdit,
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


def _plain_label(text: str, parent: QWidget, name: str = "") -> QLabel:
    """A wrapped, selectable plain-text label (paths and queries are shown as typed)."""
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label


class NewCaseDialog(QDialog):
    """Folder, name, number and examiner of a new case, and what it will hold: the folder
    the case file and custody log go to, who is recorded as examiner, and the evidence
    already open that the case will offer to adopt (each file listed)."""

    def __init__(self, examiner: str = "", parent: QWidget | None = None,
                 open_files: list[FileReport] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("NewCaseDialog")
        self.setWindowTitle("New case")
        self.setMinimumWidth(620)
        self.open_files = list(open_files or [])
        self.folder = QLineEdit(self)
        self.folder.setPlaceholderText("an empty folder for case.json and the custody log")
        self.folder.setMinimumWidth(360)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. Contoso CEO mailbox review")
        self.number = QLineEdit(self)
        self.number.setPlaceholderText("your reference (optional)")
        self.examiner = QLineEdit(examiner, self)
        self.examiner.setPlaceholderText("recorded in every custody entry")
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        folder_label = QLabel("Case &folder:", self)
        folder_label.setBuddy(self.folder)
        form.addRow(folder_label, row)
        form.addRow("Case &name:", self.name)
        form.addRow("Case n&umber:", self.number)
        form.addRow("&Examiner:", self.examiner)
        self.summary = _plain_label("", self, "NewCaseSummary")
        self.summary.setStyleSheet("QLabel { background: #f4f6f8; border: 1px solid #d5d9de; padding: 6px; }")
        evidence_title = _plain_label(self._evidence_title(), self, "NewCaseEvidenceTitle")
        note = _plain_label("Evidence stays where it is; nothing is written next to it.", self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Create case")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(evidence_title)
        if self.open_files:
            self.evidence_list = _file_list(self, self.open_files)
            layout.addWidget(self.evidence_list)
        layout.addWidget(note)
        layout.addWidget(buttons)
        for edit in (self.folder, self.name, self.examiner):
            edit.textChanged.connect(self._update_summary)
        self._update_summary()
        self.resize(max(self.minimumWidth(), 720), self.sizeHint().height())

    def _evidence_title(self) -> str:
        n = len(self.open_files)
        if not n:
            return "Evidence: none open; add it to the case after creating it (File > Open evidence)."
        return (f"Evidence: the {n} file(s) open now can be adopted into the case (you choose next: "
                "add them, re-hashed and logged in the case's custody log, or leave them out):")

    def _update_summary(self) -> None:
        folder = self.folder.text().strip()
        where = str(Path(folder).expanduser().absolute()) if folder else "(choose a folder)"
        examiner = self.examiner.text().strip() or "(none given)"
        name = self.name.text().strip() or (Path(folder).name if folder else "")
        self.summary.setText(f"Will create: {where}\n  case file case.json and the custody log, case '{name}'\n"
                             f"Examiner recorded: {examiner}")
        self.ok_button.setEnabled(bool(folder))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Case folder")
        if folder:
            self.folder.setText(folder)

    def _accept(self) -> None:
        if self.folder.text().strip():
            self.accept()


class SaveQueryDialog(QDialog):
    """Name a query to keep in the case, showing exactly what is saved: the query text and
    the quick filters, operations and time range beside it."""

    def __init__(self, text: str, toggles: dict[str, object], existing: list[str] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SaveQueryDialog")
        self.setWindowTitle("Save query in case")
        self.setMinimumWidth(520)
        self.existing = set(existing or [])
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. Pat in the CEO's mailbox at night")
        self.query = QPlainTextEdit(text or "(no query text)", self)
        self.query.setObjectName("SaveQueryText")
        self.query.setReadOnly(True)
        self.query.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.query.setMaximumHeight(90)
        filters = "\n".join(f"{key}: {value}" for key, value in toggles.items()) or "none"
        self.filters = QPlainTextEdit(filters, self)
        self.filters.setObjectName("SaveQueryFilters")
        self.filters.setReadOnly(True)
        self.filters.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.filters.setMaximumHeight(60)
        self.replace_note = _plain_label("", self, "SaveQueryReplace")
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.addRow("&Name:", self.name)
        form.addRow("Query:", self.query)
        form.addRow("Filters saved with it:", self.filters)
        form.addRow(self.replace_note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.name.textChanged.connect(self._name_changed)
        self._name_changed("")
        self.resize(600, self.sizeHint().height())

    def _name_changed(self, name: str) -> None:
        name = name.strip()
        self.save_button.setEnabled(bool(name))
        self.replace_note.setText(f"A saved query named '{name}' exists: saving replaces it." if name in self.existing else "")

    def _accept(self) -> None:
        if self.name.text().strip():
            self.accept()

    @classmethod
    def ask(cls, parent: QWidget | None, text: str, toggles: dict[str, object],
            existing: list[str] | None = None) -> str | None:
        """The name to save under, or None (cancelled)."""
        dialog = cls(text, toggles, existing, parent)
        return dialog.name.text().strip() if dialog.exec() else None


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
