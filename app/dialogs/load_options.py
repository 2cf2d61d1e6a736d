"""Load options for the next evidence opened: the zone of local-time exports, a directory
export for exact identity resolution, extra event maps, all events, a forced parser, the
fields of header-less IIS lines.

The same options as the CLI's ``load`` (``--source-tz``, ``--identities``, ``--maps``,
``--all-events``, ``--parser``, ``--w3c-fields``); they are recorded in each custody entry.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from forensics.parsers.base import LoadOptions


def validate(options: LoadOptions) -> str | None:
    """A one-line problem with ``options``, or None."""
    if options.source_tz:
        from forensics.query.zone import resolve_tz

        try:
            resolve_tz(options.source_tz)
        except ValueError as exc:
            return f"Source time zone: {exc}"
    if options.identities is not None and not options.identities.is_file():
        return f"Directory export not found: {options.identities}"
    if options.maps_dir is not None and not options.maps_dir.is_dir():
        return f"Event-map folder not found: {options.maps_dir}"
    if options.w3c_fields:
        from forensics.errors import ForensicsError
        from forensics.parsers.w3c.iis_layouts import parse_field_list

        try:
            parse_field_list(options.w3c_fields)
        except ForensicsError as exc:
            return f"W3C fields: {exc.user_message}"
    return None


def _path_row(parent: QWidget, edit: QLineEdit, pick_folder: bool, caption: str) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    button = QPushButton("Browse…", parent)

    def browse() -> None:
        if pick_folder:
            chosen = QFileDialog.getExistingDirectory(parent, caption)
        else:
            chosen, _ = QFileDialog.getOpenFileName(parent, caption, "", "CSV files (*.csv);;All files (*)")
        if chosen:
            edit.setText(chosen)

    button.clicked.connect(browse)
    row.addWidget(button)
    return row


class LoadOptionsDialog(QDialog):
    def __init__(self, parent: QWidget | None, current: LoadOptions) -> None:
        super().__init__(parent)
        self.setWindowTitle("Load options")
        self.source_tz = QLineEdit(current.source_tz or "", self)
        self.source_tz.setPlaceholderText("e.g. +02:00, America/New_York (blank: times taken as UTC)")
        self.identities = QLineEdit(str(current.identities or ""), self)
        self.identities.setPlaceholderText("directory export CSV (optional)")
        self.maps_dir = QLineEdit(str(current.maps_dir or ""), self)
        self.maps_dir.setPlaceholderText("extra or learned event maps (optional)")
        self.w3c_fields = QLineEdit(current.w3c_fields or "", self)
        self.w3c_fields.setPlaceholderText(
            "fields of IIS lines without a #Fields: header, e.g. date time s-ip cs-method cs-uri-stem … (blank: "
            "IIS default layouts are recognised when unambiguous)"
        )
        self.all_events = QCheckBox("Also keep non-access events as generic rows", self)
        self.all_events.setChecked(current.all_events)
        self.parser = QComboBox(self)
        self.parser.addItem("Detect from content", None)
        try:
            from forensics.parsers import registry

            for p in sorted(registry.all_parsers(), key=lambda p: p.name):
                self.parser.addItem(f"{p.name} — {p.description}", p.name)
        except Exception:  # noqa: BLE001 - a broken parser module must not hide the dialog
            pass
        index = self.parser.findData(current.parser)
        self.parser.setCurrentIndex(max(0, index))
        self.problem = QLabel(self)
        self.problem.setObjectName("QueryError")
        self.problem.hide()
        form = QFormLayout(self)
        form.addRow(QLabel("These options apply to evidence opened from now on and are recorded in the custody log.", self))
        form.addRow("Source time zone of local-time exports:", self.source_tz)
        form.addRow("Directory export (identities):", _path_row(self, self.identities, False, "Directory export"))
        form.addRow("Extra event maps:", _path_row(self, self.maps_dir, True, "Event-map folder"))
        form.addRow("Parser:", self.parser)
        form.addRow("W3C fields of header-less lines:", self.w3c_fields)
        form.addRow(self.all_events)
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.resize(640, 0)

    def options(self) -> LoadOptions:
        text = lambda edit: edit.text().strip()  # noqa: E731
        return LoadOptions(
            all_events=self.all_events.isChecked(),
            source_tz=text(self.source_tz) or None,
            identities=Path(text(self.identities)) if text(self.identities) else None,
            maps_dir=Path(text(self.maps_dir)) if text(self.maps_dir) else None,
            parser=self.parser.currentData(),
            w3c_fields=text(self.w3c_fields) or None,
        )

    def _accept(self) -> None:
        problem = validate(self.options())
        if problem:
            self.problem.setText(problem)
            self.problem.show()
            return
        self.accept()

    @classmethod
    def ask(cls, parent: QWidget | None, current: LoadOptions) -> LoadOptions | None:
        """The options chosen, or None when cancelled (tests monkeypatch this)."""
        dialog = cls(parent, current)
        return dialog.options() if dialog.exec() == QDialog.DialogCode.Accepted else None
