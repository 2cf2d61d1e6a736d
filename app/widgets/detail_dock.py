"""Detail dock: every field of the selected row, and its raw record re-read from evidence."""

from __future__ import annotations

import pandas as pd
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from PySide6.QtCore import Qt

from app.column_labels import column_label, column_tip
from app.models.event_table_model import format_values
from app.session import Session
from app.widgets.plain_text import plain_tip
from forensics.correlate.summary import also_seen_in
from forensics.errors import ForensicsError
from forensics.identity.explain import explain_logon
from forensics.ingest import fetch_raw
from forensics.reports.sanitize import show_controls


class DetailPanel(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.frame_row: int | None = None
        self._raw_exact = ""
        self.title = QLabel("No row selected", self)
        self.title.setObjectName("DetailTitle")
        self.fields = QTableWidget(0, 2, self)
        self.fields.setObjectName("DetailFields")
        self.fields.setHorizontalHeaderLabels(["Field", "Value"])
        self.fields.verticalHeader().hide()
        self.fields.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.fields.setAlternatingRowColors(True)
        self.fields.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.fields.horizontalHeader().setStretchLastSection(True)
        self.fields.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.fields.setWordWrap(False)
        self.raw = QPlainTextEdit(self)
        self.raw.setObjectName("RawRecord")
        self.raw.setReadOnly(True)
        self.raw.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.raw.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.raw.setPlaceholderText("Raw record")
        copy_fields = QPushButton("Copy fields", self)
        copy_fields.clicked.connect(self.copy_fields)
        copy_raw = QPushButton("Copy raw record", self)
        copy_raw.clicked.connect(self.copy_raw)
        # the other rows recording the same access (forensics.correlate), and a way to see them
        self.also = QLabel("", self)
        self.also.setObjectName("DetailAlsoSeenIn")
        self.also.setWordWrap(True)
        self.also.setTextFormat(Qt.TextFormat.PlainText)  # evidence text is shown, never rendered
        self.also.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.also_button = QPushButton("Show this access's rows", self)
        self.also_button.setToolTip("Query access_id: every row, of any source, that records this one access")
        self.also_button.clicked.connect(self.show_access_rows)
        also_row = QHBoxLayout()
        also_row.addWidget(self.also, 1)
        also_row.addWidget(self.also_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.title, 1)
        buttons.addWidget(copy_fields)
        buttons.addWidget(copy_raw)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.fields)
        splitter.addWidget(self.raw)
        splitter.setSizes([300, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(buttons)
        layout.addLayout(also_row)
        layout.addWidget(splitter, 1)
        self._show_also("")
        session.loaded.connect(self.clear)
        session.case_changed.connect(self.clear)  # a row of the previous case is no row of this one
        session.view_changed.connect(self._clear_if_gone)
        session.zone_changed.connect(self._redisplay)

    def clear(self, message: str = "No row selected") -> None:
        self.frame_row = None
        self.title.setText(message)
        self.title.setToolTip("")
        self.fields.setRowCount(0)
        self.raw.clear()
        self._show_also("")

    def show_row(self, frame_row: int) -> None:
        """Show every field of the frame row at position ``frame_row``, and its raw record."""
        self.frame_row = frame_row
        names = self.session.columns()
        self.fields.setRowCount(len(names) + 1)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        tz = self.session.zone.tzinfo()
        for i, name in enumerate(names):
            values = self.session.column_values(name).iloc[frame_row: frame_row + 1]  # a slice: no copy
            text = format_values(values, tz)[0]
            if name == "time" and text:
                zone = self.session.zone
                at = "" if zone.kind == "utc" else f", {zone.offset_at(values.iloc[0].to_pydatetime())}"
                text = f"{text}  ({zone.label()}{at})"  # the offset of this time: DST differs
            label = QTableWidgetItem(column_label(name))
            label.setToolTip(column_tip(name))
            value = QTableWidgetItem(text)
            value.setToolTip(plain_tip(text))
            if name in ("evidence", "actor_ids", "mailbox_ids", "raw_ref"):
                value.setFont(mono)
            self.fields.setItem(i, 0, label)
            self.fields.setItem(i, 1, value)
        row = self.session.frame.iloc[frame_row]
        why = explain_logon(row.to_dict())  # the evidence behind the logon type, in one sentence
        label, value = QTableWidgetItem("Why this logon type"), QTableWidgetItem(why)
        label.setToolTip("The forms, ids or protocol that decided the logon type (column logon_rule)")
        value.setToolTip(why)
        self.fields.setItem(len(names), 0, label)
        self.fields.setItem(len(names), 1, value)
        self.title.setText(self.row_title(row))
        self.title.setToolTip("record = the EventRecordID, or the line number in a text export; "
                              f"position {frame_row + 1:,} in the loaded table (internal, changes as evidence is added)")
        self._raw_exact = self._raw_text(row)  # copied as read; shown with bidi controls visible
        self.raw.setPlainText(show_controls(self._raw_exact))
        self._show_also(also_seen_in(self.session.frame, frame_row, tz))

    def row_title(self, row: pd.Series) -> str:
        """Where the row comes from, as the examiner can find it again: operation, evidence
        file and record number (EventRecordID, or the line of a text export)."""
        operation = str(row["operation"]) if pd.notna(row["operation"]) else "(no operation)"
        evidence = row["evidence"]
        source = self.session.sources.get(str(evidence)) if pd.notna(evidence) else None
        where = source.path.name if source is not None else (f"evidence {evidence}" if pd.notna(evidence) else "no evidence file")
        number = f", record {int(row['record_id'])}" if pd.notna(row["record_id"]) else ""
        return show_controls(f"{operation} — {where}{number}")

    def _clear_if_gone(self) -> None:
        """The row shown left the grid (a new query, filter or removed file): stop showing it,
        so the pane never describes a row the grid does not have."""
        if self.frame_row is None:
            return
        view = self.session.view
        if self.frame_row >= len(self.session.frame) or not bool((view == self.frame_row).any()):
            self.clear("The row shown before is not in the grid now")

    def _show_also(self, text: str) -> None:
        self.also.setText(show_controls(f"Also seen in (the same access):\n{text}") if text else "")
        self.also.setVisible(bool(text))
        self.also_button.setVisible(bool(text))

    def show_access_rows(self) -> None:
        """Put ``access_id:N`` of the shown row in the query bar."""
        if self.frame_row is None or "access_id" not in self.session.frame.columns:
            return
        access = self.session.frame["access_id"].iloc[self.frame_row]
        if pd.notna(access):
            self.session.set_query(f"access_id:{int(access)}")

    def _raw_text(self, row: pd.Series) -> str:
        evidence = row["evidence"]
        if pd.isna(evidence):
            return "(no evidence id on this row)"
        raw_ref = None if pd.isna(row["raw_ref"]) else int(row["raw_ref"])
        record_id = None if pd.isna(row["record_id"]) else int(row["record_id"])
        try:
            return fetch_raw(self.session.sources, str(evidence), raw_ref, record_id)
        except NotImplementedError as exc:
            return f"(raw record not available: {exc})"
        except ForensicsError as exc:
            return f"(raw record not available: {exc.user_message})"
        except Exception as exc:  # noqa: BLE001 - evidence may have changed or vanished
            return f"(raw record could not be read: {type(exc).__name__}: {exc})"

    def _redisplay(self) -> None:
        if self.frame_row is not None and self.frame_row < len(self.session.frame):
            self.show_row(self.frame_row)

    def fields_text(self) -> str:
        lines = []
        for i in range(self.fields.rowCount()):
            name, value = self.fields.item(i, 0), self.fields.item(i, 1)
            lines.append(f"{name.text() if name else ''}\t{value.text() if value else ''}")
        return "\n".join(lines)

    def copy_fields(self) -> None:
        QGuiApplication.clipboard().setText(self.fields_text())

    def copy_raw(self) -> None:
        QGuiApplication.clipboard().setText(self._raw_exact if self.frame_row is not None else "")
