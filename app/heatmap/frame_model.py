"""A small read-only table model over a DataFrame (findings: hundreds of lines, not millions).

Display strings come from per-column formatters; the sort role returns the raw value so a
``QSortFilterProxyModel`` sorts numbers as numbers and times as times.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from forensics.reports.sanitize import show_controls

SORT_ROLE = Qt.ItemDataRole.UserRole + 1

Index = QModelIndex | QPersistentModelIndex


class FrameModel(QAbstractTableModel):
    """Columns are (key, header, formatter); ``highlight`` marks rows (bold, tinted),
    ``dimmed`` greys rows out (reviewed, still listed)."""

    def __init__(self, parent=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.frame = pd.DataFrame()
        self.columns: list[tuple[str, str, Callable[[Any], str]]] = []
        self.highlight: pd.Series | None = None
        self.dimmed: pd.Series | None = None
        self._values: list[list[Any]] = []

    def set_frame(self, frame: pd.DataFrame, columns: list[tuple[str, str, Callable[[Any], str]]],
                  highlight: pd.Series | None = None, dimmed: pd.Series | None = None) -> None:
        self.beginResetModel()
        self.frame = frame.reset_index(drop=True)
        self.columns = [c for c in columns if c[0] in self.frame.columns]
        self.highlight = None if highlight is None else highlight.reset_index(drop=True)
        self.dimmed = None if dimmed is None else dimmed.reset_index(drop=True)
        self._values = [self.frame[key].tolist() for key, _, _ in self.columns]
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.frame)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        value = self._values[index.column()][index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            shown = self.columns[index.column()][2](value)
            return show_controls(shown) if isinstance(shown, str) else shown  # bidi controls shown, not applied
        if role == SORT_ROLE:
            if value is None or (not isinstance(value, str) and pd.isna(value)):
                return ""
            if isinstance(value, pd.Timestamp):
                return value.value
            return value.item() if hasattr(value, "item") else value
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, (int, float)) and not isinstance(value, bool):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if (role == Qt.ItemDataRole.ForegroundRole and self.dimmed is not None
                and bool(self.dimmed.iloc[index.row()])):
            return QBrush(QColor("#8a8a8a"))
        if self.highlight is not None and bool(self.highlight.iloc[index.row()]):
            if role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setBold(True)
                return font
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(QColor("#fde2e1"))
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][1]
        return None

    def row_value(self, row: int, key: str) -> Any:
        return self.frame[key].iloc[row]
