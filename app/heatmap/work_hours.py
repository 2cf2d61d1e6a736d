"""Work-hours settings (start, end, work days, zone) for the findings' after-hours share."""

from __future__ import annotations

from datetime import time

from PySide6.QtCore import QTime
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QTimeEdit,
    QWidget,
)

from app import settings as app_settings
from forensics.aggregate import WorkHours
from forensics.aggregate.work_hours import WEEKDAY_NAMES
from forensics.query import resolve_tz

KEY = "findings/work_hours"


def load_work_hours() -> WorkHours:
    """The stored work hours (defaults 08:00–18:00, Mon–Fri, no zone: the findings dock then
    counts in the evidence's stated zone, else the display zone; ``work_zone``)."""
    return WorkHours.from_text(str(app_settings.settings().value(KEY, "") or "")) or WorkHours()


def save_work_hours(hours: WorkHours) -> None:
    store = app_settings.settings()
    store.setValue(KEY, hours.to_text())
    store.sync()


class WorkHoursDialog(QDialog):
    """Edit work hours; the zone is blank (the evidence's stated zone, else the display zone),
    or e.g. Europe/Berlin, +02:00."""

    def __init__(self, hours: WorkHours, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Work hours")
        self.start = QTimeEdit(QTime(hours.start.hour, hours.start.minute), self)
        self.end = QTimeEdit(QTime(hours.end.hour, hours.end.minute), self)
        for edit in (self.start, self.end):
            edit.setDisplayFormat("HH:mm")
        self.days = [QCheckBox(name, self) for name in WEEKDAY_NAMES]
        for i, box in enumerate(self.days):
            box.setChecked(i in hours.days)
        days_row = QHBoxLayout()
        for box in self.days:
            days_row.addWidget(box)
        self.zone = QLineEdit("" if hours.tz is None else str(hours.tz), self)
        self.zone.setPlaceholderText("blank: the evidence's stated zone, else the display zone (or e.g. Europe/Berlin)")
        form = QFormLayout(self)
        form.addRow("Start", self.start)
        form.addRow("End", self.end)
        form.addRow("Work days", days_row)
        form.addRow("Zone", self.zone)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def value(self) -> WorkHours:
        zone = self.zone.text().strip() or None
        return WorkHours(
            start=time(self.start.time().hour(), self.start.time().minute()),
            end=time(self.end.time().hour(), self.end.time().minute()),
            days=tuple(i for i, box in enumerate(self.days) if box.isChecked()),
            tz=zone,
        )

    def _accept(self) -> None:
        zone = self.zone.text().strip()
        if zone:
            try:
                resolve_tz(zone)
            except ValueError as exc:
                self.zone.setToolTip(str(exc))
                self.zone.setStyleSheet("border: 1px solid #c0392b;")
                return
        self.accept()
