"""Small dialogs of the cases feature: new case, tag rows (Ctrl+B)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)


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
    """Tag name (existing tags offered) and a comment for the selected rows."""

    def __init__(self, count: int, tags: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Bookmark rows")
        self.tag = QComboBox(self)
        self.tag.setEditable(True)
        self.tag.addItems(tags)
        self.tag.setCurrentText(tags[0] if tags else "suspicious")
        self.comment = QPlainTextEdit(self)
        self.comment.setPlaceholderText("why these rows matter")
        self.comment.setFixedHeight(90)
        form = QFormLayout(self)
        form.addRow(QLabel(f"{count:,} selected row(s)", self))
        form.addRow("Tag", self.tag)
        form.addRow("Comment", self.comment)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _accept(self) -> None:
        if self.tag.currentText().strip():
            self.accept()
