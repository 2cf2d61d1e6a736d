"""A thin ``QAbstractTableModel`` over the session's view of the frame.

Rows are positions in ``session.view``; display strings are computed vectorized from the
column arrays, one block of rows and one column at a time, only for what the view asks to
paint, and cached until the view changes. Sorting delegates to the session (a cached
argsort per column), so nothing here loops over rows in Python.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from app.column_labels import HEADERS, column_label, column_tip  # noqa: F401 - HEADERS re-exported
from app.session import Session
from app.widgets.plain_text import plain_tip
from forensics.reports.sanitize import show_controls_series

BLOCK_ROWS = 256
MAX_CACHED_BLOCKS = 512  # (block, column) pairs: ~ 130k strings at most

TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # trimmed to milliseconds below

#: restrained row highlighting, like a conditional format: failures in dark red text,
#: administrative access on a faint amber background
FLAG_FAILURE = 1
FLAG_ADMIN = 2
_FAILURE_BRUSH = QBrush(QColor("#a93226"))
_ADMIN_BRUSH = QBrush(QColor("#fdf3dc"))

_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)


def format_values(values: pd.Series, tz: Any) -> list[str]:
    """Display strings for a slice of one column (vectorized; missing values are '')."""
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        text = values.dt.tz_convert(tz).dt.strftime(TIME_FORMAT).str.slice(0, 23)
    elif pd.api.types.is_bool_dtype(dtype):
        text = values.map({True: "Yes", False: "No"}, na_action="ignore")
    else:
        text = values.astype(pd.StringDtype())  # vectorized (pyarrow), NA stays NA
        return show_controls_series(text).fillna("").tolist()  # bidi controls shown, not applied
    return text.astype(object).where(text.notna(), "").tolist()


class EventTableModel(QAbstractTableModel):
    """Display-only model; the frame is never copied or modified."""

    #: role returning the row's position in the full frame (proxy-safe row identity)
    FrameRowRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, session: Session, parent: Any = None) -> None:
        super().__init__(parent)
        self.session = session
        self._columns: list[str] = session.columns()
        self._numeric = self._numeric_columns()
        self._cache: OrderedDict[tuple[int, int], list[str]] = OrderedDict()
        self._flag_cache: dict[int, np.ndarray] = {}
        self._tz = session.zone.tzinfo()
        session.view_changed.connect(self._reset)
        session.loaded.connect(self._reset)
        session.columns_changed.connect(self._reset)
        session.zone_changed.connect(self._reset)

    # -- structure ----------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.session.view)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def column_name(self, section: int) -> str:
        return self._columns[section]

    def column_index(self, name: str) -> int:
        return self._columns.index(name)

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return column_tip(self._columns[section]) if 0 <= section < len(self._columns) else None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return column_label(self._columns[section]) if 0 <= section < len(self._columns) else None
        return str(section + 1)

    # flags(): Qt's C++ default (selectable, enabled) is exactly right; not overriding it
    # keeps Qt from calling into Python once per cell when millions of rows are selected.

    # -- data -----------------------------------------------------------------------------
    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.ToolTipRole:
            row, col = index.row(), index.column()
            if row >= len(self.session.view) or col >= len(self._columns):
                return None
            block = row // BLOCK_ROWS
            strings = self._cache.get((block, col))
            if strings is None:
                strings = self._block(block, col)
            else:
                self._cache.move_to_end((block, col))
            text = strings[row - block * BLOCK_ROWS]
            if role == Qt.ItemDataRole.ToolTipRole:  # plain text: "<b>" in a subject is not markup
                return plain_tip(text) if len(text) > 40 else None
            return text
        if role == Qt.ItemDataRole.ForegroundRole or role == Qt.ItemDataRole.BackgroundRole:
            flags = self._flags(index.row())
            if role == Qt.ItemDataRole.ForegroundRole:
                return _FAILURE_BRUSH if flags & FLAG_FAILURE else None
            return _ADMIN_BRUSH if flags & FLAG_ADMIN else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if index.column() in self._numeric else _LEFT
        if role == self.FrameRowRole:
            return int(self.session.view[index.row()])
        return None

    def _block(self, block: int, col: int) -> list[str]:
        start = block * BLOCK_ROWS
        rows = self.session.view[start : start + BLOCK_ROWS]
        values = self.session.column_values(self._columns[col]).take(rows)
        strings = format_values(values, self._tz)
        self._cache[(block, col)] = strings
        if len(self._cache) > MAX_CACHED_BLOCKS:
            self._cache.popitem(last=False)
        return strings

    def _flags(self, row: int) -> int:
        block = row // BLOCK_ROWS
        flags = self._flag_cache.get(block)
        if flags is None:
            start = block * BLOCK_ROWS
            rows = self.session.view[start : start + BLOCK_ROWS]
            frame = self.session.frame
            outcome = frame["outcome"].take(rows).to_numpy(dtype=object, na_value="")
            logon = frame["logon_type"].take(rows).to_numpy(dtype=object, na_value="")
            admin = frame["admin_rights"].take(rows).fillna(False).to_numpy(dtype=bool)
            flags = np.where(outcome == "Failure", FLAG_FAILURE, 0) | np.where((logon == "Admin") | admin, FLAG_ADMIN, 0)
            self._flag_cache[block] = flags
            if len(self._flag_cache) > MAX_CACHED_BLOCKS:
                self._flag_cache.pop(next(iter(self._flag_cache)))
        return int(flags[row - block * BLOCK_ROWS])

    def display_text(self, row: int, col: int) -> str:
        return self.data(self.index(row, col)) or ""

    def row_texts(self, row: int) -> list[str]:
        return [self.display_text(row, c) for c in range(len(self._columns))]

    # -- sorting --------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._columns):
            self.session.sort(None)
            return
        self.session.sort(self._columns[column], descending=order == Qt.SortOrder.DescendingOrder)

    # -- internals ------------------------------------------------------------------------
    def _numeric_columns(self) -> set[int]:
        out = set()
        for i, name in enumerate(self._columns):
            dtype = self.session.column_values(name).dtype
            if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
                out.add(i)
        return out

    def _reset(self) -> None:
        self.beginResetModel()
        self._columns = self.session.columns()
        self._numeric = self._numeric_columns()
        self._tz = self.session.zone.tzinfo()
        self._cache.clear()
        self._flag_cache.clear()
        self.endResetModel()

