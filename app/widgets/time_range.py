"""The time-range control: optional From / To bounds read in the display time zone."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from PySide6.QtCore import QDate, QDateTime, QTime, QTimeZone
from PySide6.QtWidgets import QCheckBox, QDateTimeEdit, QHBoxLayout, QWidget

from app.session import Session

EDIT_FORMAT = "yyyy-MM-dd HH:mm:ss"


class TimeRangeControl(QWidget):
    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.from_check = QCheckBox("From", self)
        self.to_check = QCheckBox("To", self)
        self.from_edit = QDateTimeEdit(self)
        self.to_edit = QDateTimeEdit(self)
        for check, edit in ((self.from_check, self.from_edit), (self.to_check, self.to_edit)):
            edit.setDisplayFormat(EDIT_FORMAT)
            edit.setCalendarPopup(True)
            edit.setTimeZone(QTimeZone.utc())  # the wall-clock fields are in the display zone
            # before any evidence is loaded the editors show a blank, not an arbitrary date
            floor = QDateTime(QDate(1970, 1, 1), QTime(0, 0), QTimeZone.utc())
            edit.setMinimumDateTime(floor)
            edit.setSpecialValueText(" ")
            edit.setDateTime(floor)
            edit.setEnabled(False)
            check.toggled.connect(edit.setEnabled)
            check.toggled.connect(self._apply)
            edit.dateTimeChanged.connect(self._apply)
            layout.addWidget(check)
            layout.addWidget(edit)
        self.setToolTip("Time range (inclusive), in the display time zone")
        session.loaded.connect(self._reset_bounds)
        session.zone_changed.connect(self._reset_bounds)
        self._reset_bounds()

    def set_range(self, start: pd.Timestamp | None, end: pd.Timestamp | None) -> None:
        """Set both bounds (UTC instants, None = open) and apply."""
        for check, edit, value in ((self.from_check, self.from_edit, start), (self.to_check, self.to_edit, end)):
            check.blockSignals(True)
            edit.blockSignals(True)
            check.setChecked(value is not None)
            edit.setEnabled(value is not None)
            if value is not None:
                edit.setDateTime(self._to_edit(value))
            check.blockSignals(False)
            edit.blockSignals(False)
        self._apply()

    def _to_edit(self, stamp: pd.Timestamp) -> QDateTime:
        local = pd.Timestamp(stamp).tz_convert(self.session.zone.tzinfo())
        wall = local.floor("s").tz_localize(None).to_pydatetime()
        return QDateTime(wall.date(), wall.time(), QTimeZone.utc())

    def _from_edit(self, edit: QDateTimeEdit) -> pd.Timestamp:
        qdt = edit.dateTime()
        d, t = qdt.date(), qdt.time()
        wall = datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), t.second())
        stamp = pd.Timestamp(wall).tz_localize(
            self.session.zone.tzinfo(), ambiguous=True, nonexistent="shift_forward"
        )
        return stamp.tz_convert("UTC")

    def _apply(self, *_args: object) -> None:
        start = self._from_edit(self.from_edit) if self.from_check.isChecked() else None
        end = self._from_edit(self.to_edit) if self.to_check.isChecked() else None
        if end is not None:
            end = end + pd.Timedelta(microseconds=999_999)  # the To second is inclusive
        self.session.set_time_range(start, end)

    def _reset_bounds(self) -> None:
        """Pre-fill unchecked editors with the data's first / last time."""
        times = self.session.frame["time"]
        if not len(times) or times.isna().all():
            return
        for check, edit, value in ((self.from_check, self.from_edit, times.min()), (self.to_check, self.to_edit, times.max())):
            if not check.isChecked():
                edit.blockSignals(True)
                edit.setDateTime(self._to_edit(value))
                edit.blockSignals(False)
