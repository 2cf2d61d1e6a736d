"""Evidence dock: one line per opened file (name, format, short SHA-256, records, rows,
warnings, skipped, custody status); expand a file to see its warnings and skipped counts.
Right-click > Remove evidence… asks to take the selected files out (``remove_requested``)."""

from __future__ import annotations

from datetime import tzinfo

import pandas as pd
from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.session import Session
from app.widgets.plain_text import plain_tip
from forensics.parsers.base import GAP_NOTES, FileReport

COLUMNS = ("File", "Format", "SHA-256", "Records", "Rows", "Warnings", "Skipped", "Status", "Custody", "Rows from", "Rows to")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_WARNINGS_SHOWN = 500


def load_status(report: FileReport) -> str:
    """The load status, with what the parser found missing from the evidence in capitals."""
    gaps = [g for g in GAP_NOTES if any(n.startswith(g) for n in report.gap_notes())]
    return " — ".join([report.status, *gaps])


def local_time(iso_utc: str, zone: tzinfo) -> str:
    """An ISO UTC time from the report, in the display zone ("" stays "")."""
    return pd.Timestamp(iso_utc).tz_convert(zone).strftime(TIME_FORMAT) if iso_utc else ""


def custody_status(report: FileReport) -> str:
    if report.custody_seq is None:
        return "not logged"
    changed = any("EVIDENCE CHANGED" in n for n in report.notes)
    return f"entry {report.custody_seq}" + (" — HASH CHANGED" if changed else "")


class EvidencePanel(QWidget):
    remove_requested = Signal(list)  # the FileReports the examiner wants out

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("EvidenceTree")
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        session.loaded.connect(self.refresh)
        session.zone_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self.tree.clear()
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        zone = self.session.zone.tzinfo()
        self.tree.headerItem().setText(9, f"Rows from ({self.session.zone.label()})")
        self.tree.headerItem().setText(10, f"Rows to ({self.session.zone.label()})")
        for report in self.session.files:
            skipped = sum(report.skipped.values())
            item = QTreeWidgetItem(
                [
                    report.path.name,
                    report.source_format or report.parser or "?",
                    report.hashes.sha256[:16] if report.hashes else "",
                    f"{report.records:,}",
                    f"{report.rows:,}",
                    f"{report.warning_count:,}",
                    f"{skipped:,}",
                    load_status(report),
                    custody_status(report),
                    local_time(report.first_time, zone),
                    local_time(report.last_time, zone),
                ]
            )
            item.setFont(2, mono)
            item.setToolTip(0, plain_tip(str(report.path)))
            if report.hashes:
                item.setToolTip(2, f"SHA-256 {report.hashes.sha256}\nSHA-1 {report.hashes.sha1}\nMD5 {report.hashes.md5}")
            for col in (3, 4, 5, 6):
                item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if report.status == "failed" or report.notes:
                item.setForeground(7, Qt.GlobalColor.darkRed)
            self._add_details(item, report)
            self.tree.addTopLevelItem(item)

    def selected_reports(self) -> list[FileReport]:
        """The files whose lines (or detail lines) are selected, in dock order."""
        rows = set()
        for item in self.tree.selectedItems():
            while item.parent() is not None:
                item = item.parent()
            rows.add(self.tree.indexOfTopLevelItem(item))
        return [self.session.files[r] for r in sorted(rows) if 0 <= r < len(self.session.files)]

    def _context_menu(self, pos: QPoint) -> None:
        reports = self.selected_reports()
        if not reports:
            return
        menu = QMenu(self)
        action = menu.addAction(f"Remove {len(reports)} file(s)…")
        action.triggered.connect(lambda _c=False: self.remove_requested.emit(reports))
        menu.exec(self.tree.viewport().mapToGlobal(pos))

    def _add_details(self, item: QTreeWidgetItem, report: FileReport) -> None:
        def child(label: str, text: str) -> None:
            sub = QTreeWidgetItem([label, text])
            sub.setFirstColumnSpanned(False)
            sub.setToolTip(1, plain_tip(text))
            item.addChild(sub)

        if report.error:
            child("Error", report.error)
        for note in report.notes:
            child("Note", note)
        child("Path", str(report.path))
        if report.parser:
            child("Parser", report.parser)
        if report.evidence_id:
            child("Evidence id", report.evidence_id)
        if report.bad:
            child("Bad records", f"{report.bad:,}")
        for reason, count in sorted(report.skipped.items()):
            child("Skipped", f"{count:,} × {reason}")
        for warning in report.warnings[:MAX_WARNINGS_SHOWN]:
            child("Warning", str(warning))
        hidden = report.warning_count - min(len(report.warnings), MAX_WARNINGS_SHOWN)
        if hidden > 0:
            child("Warning", f"… {hidden:,} more (see the custody log / report)")
