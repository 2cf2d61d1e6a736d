"""A thin ``QAbstractTableModel`` over the session's view of the frame.

Rows are positions in ``session.view``; display strings are computed vectorized from the
column arrays, one block of rows and one column at a time, only for what the view asks to
paint, and cached until the view changes. Sorting delegates to the session (np.lexsort over
per-column keys), so nothing here loops over rows in Python.

Row colours (failures, administrative access, tagged rows, the examiner's formatting rules)
are precomputed for the whole frame, vectorized, whenever the frame, the tags or the rules
change: ``data()`` only indexes two arrays.
"""

from __future__ import annotations

import weakref
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
#: administrative access on a faint amber background, tagged (bookmarked) rows light blue;
#: the examiner's own rules (``set_format_rules``) win over both backgrounds
FLAG_FAILURE = 1
FLAG_ADMIN = 2
FLAG_TAGGED = 4
_FAILURE_BRUSH = QBrush(QColor("#a93226"))
_ADMIN_BRUSH = QBrush(QColor("#fdf3dc"))
_TAGGED_BRUSH = QBrush(QColor("#d6e9fb"))

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


def _equals(values: pd.Series, label: str) -> np.ndarray:
    """``values == label`` per row as bools (on a category's codes: no strings per row)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        where = np.flatnonzero(values.cat.categories.astype(str) == label)
        return np.isin(values.cat.codes.to_numpy(), where) if len(where) else np.zeros(len(values), dtype=bool)
    return values.eq(label).fillna(False).to_numpy(dtype=bool)


def _reads_review_columns(query: str) -> bool:
    """Whether a rule's rows can change when tags or expected-access marks change (the
    ``tag`` and ``expected`` columns, or free words, which search every text column)."""
    from forensics.query.nodes import And, Free, Not, Or, Presence, Shorthand, Term
    from forensics.query.parser import parse

    stack = [parse(query)]
    while stack:
        node = stack.pop()
        if isinstance(node, (And, Or)):
            stack.extend(node.children)
        elif isinstance(node, Not):
            stack.append(node.child)
        elif isinstance(node, Free):
            return True
        elif isinstance(node, (Term, Presence)) and node.field.lower() in ("tag", "expected"):
            return True
        elif isinstance(node, Shorthand) and node.name == "expected":
            return True
    return False


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
        self._tz = session.zone.tzinfo()
        self._rules: list[tuple[str, str]] = []  # (query, colour) in priority order
        #: problems of the last rule evaluation: (rule query, message)
        self.rule_problems: list[tuple[str, str]] = []
        self._styled: tuple[object, ...] | None = None  # what the style arrays were made from
        self._flags_all = np.zeros(0, dtype=np.uint8)  # FLAG_* bits per frame row
        self._rule_all = np.zeros(0, dtype=np.int16)  # per frame row: index of its rule, -1 none
        self._rule_brushes: list[QBrush] = []
        self._evidence_names = {eid: src.path.name for eid, src in session.sources.items()}
        #: rule masks that cannot change while the rows stay (see ``_rule_codes``)
        self._rule_masks: dict[tuple[str, str], np.ndarray] = {}
        session.loaded.connect(self._rule_masks.clear)
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

    def header_label(self, name: str) -> str:
        return column_label(name)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if orientation != Qt.Orientation.Horizontal:
            return str(section + 1) if role == Qt.ItemDataRole.DisplayRole else None
        if not 0 <= section < len(self._columns):
            return None
        name = self._columns[section]
        label = self.header_label(name)
        spec = self.session.active_sort()
        keys = [n for n, _ in spec]
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{column_tip(name)}\nClick to sort; Shift+click adds a sort key."
            return tip + (f" Sort key {keys.index(name) + 1} of {len(keys)}." if name in keys else "")
        if len(spec) > 1 and name in keys:  # several keys: say which is which
            return f"{label} {'▼' if spec[keys.index(name)][1] else '▲'}{keys.index(name) + 1}"
        return label

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
                if self._columns[col] == "evidence":
                    return self._evidence_tip(int(self.session.view[row]))
                return plain_tip(text) if len(text) > 40 else None
            return text
        if role == Qt.ItemDataRole.ForegroundRole or role == Qt.ItemDataRole.BackgroundRole:
            if index.row() >= len(self.session.view):
                return None
            frame_row = int(self.session.view[index.row()])
            self._ensure_styles()
            if role == Qt.ItemDataRole.ForegroundRole:
                return _FAILURE_BRUSH if self._flags_all[frame_row] & FLAG_FAILURE else None
            rule = int(self._rule_all[frame_row])
            if rule >= 0:
                return self._rule_brushes[rule]
            flags = self._flags_all[frame_row]
            return _TAGGED_BRUSH if flags & FLAG_TAGGED else _ADMIN_BRUSH if flags & FLAG_ADMIN else None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if index.column() in self._numeric else _LEFT
        if role == self.FrameRowRole:
            return int(self.session.view[index.row()])
        return None

    def column_strings(self, name: str, frame_rows: np.ndarray) -> list[str]:
        """Display strings of column ``name`` at ``frame_rows`` (vectorized), as the grid
        shows them: the Evidence column names the file, not its 16-hex id."""
        values = self.session.column_values(name).take(frame_rows)
        if name == "evidence" and isinstance(values.dtype, pd.CategoricalDtype):
            names = self._evidence_names
            labels = np.array([names.get(str(c), str(c)) for c in values.cat.categories] + [""], dtype=object)
            codes = values.cat.codes.to_numpy()
            return labels[np.where(codes < 0, len(labels) - 1, codes)].tolist()
        return format_values(values, self._tz)

    def _block(self, block: int, col: int) -> list[str]:
        start = block * BLOCK_ROWS
        rows = self.session.view[start : start + BLOCK_ROWS]
        strings = self.column_strings(self._columns[col], rows)
        self._cache[(block, col)] = strings
        if len(self._cache) > MAX_CACHED_BLOCKS:
            self._cache.popitem(last=False)
        return strings

    def _evidence_tip(self, frame_row: int) -> str | None:
        value = self.session.column_values("evidence").iloc[frame_row]
        if value is None or pd.isna(value):
            return None
        source = self.session.sources.get(str(value))
        where = f"\n{source.path}" if source is not None else "\n(file not open in this session)"
        return plain_tip(f"Evidence id {value} (the first 16 hex digits of the file's SHA-256){where}")

    def display_text(self, row: int, col: int) -> str:
        return self.data(self.index(row, col)) or ""

    def row_texts(self, row: int) -> list[str]:
        return [self.display_text(row, c) for c in range(len(self._columns))]

    # -- row colours ----------------------------------------------------------------------
    def set_format_rules(self, rules: list[tuple[str, str]]) -> None:
        """The examiner's formatting rules, ``(query, colour)`` in priority order (first wins)."""
        self._rules = [(str(q), str(c)) for q, c in rules]
        self.styles_changed()

    def styles_changed(self) -> None:
        """Tags or rules changed: recompute the colour arrays and repaint."""
        self._styled = None
        if self.rowCount() and self.columnCount():
            self.dataChanged.emit(self.index(0, 0), self.index(self.rowCount() - 1, self.columnCount() - 1),
                                  [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole])

    def row_flags(self, frame_rows: np.ndarray) -> np.ndarray:
        """FLAG_* bits of frame rows."""
        self._ensure_styles()
        return self._flags_all[np.asarray(frame_rows, dtype=np.int64)]

    def rule_of(self, frame_rows: np.ndarray) -> np.ndarray:
        """Index of the formatting rule colouring each frame row (-1 = none)."""
        self._ensure_styles()
        return self._rule_all[np.asarray(frame_rows, dtype=np.int64)]

    def _ensure_styles(self) -> None:
        frame = self.session.frame
        tags = self.session.column_values("tag") if "tag" in self._columns else None
        # weak references, not ids: a new frame may reuse a freed one's address
        key = (weakref.ref(frame), len(frame), weakref.ref(tags) if tags is not None else None,
               self.session.zone.storage(), tuple(self._rules))
        if self._styled is not None and self._same(self._styled, key):
            return
        failure = _equals(frame["outcome"], "Failure")
        admin = _equals(frame["logon_type"], "Admin") | frame["admin_rights"].fillna(False).to_numpy(dtype=bool)
        flags = np.where(failure, FLAG_FAILURE, 0) | np.where(admin, FLAG_ADMIN, 0)
        if tags is not None:
            flags = flags | np.where(tags.notna().to_numpy(dtype=bool), FLAG_TAGGED, 0)
        self._flags_all = np.asarray(flags, dtype=np.uint8)
        self._rule_all, self.rule_problems = self._rule_codes(frame)
        self._rule_brushes = [QBrush(QColor(colour)) for _, colour in self._rules]
        self._styled = key

    @staticmethod
    def _same(old: tuple[object, ...], new: tuple[object, ...]) -> bool:
        def alive(ref: object) -> object:
            return ref() if isinstance(ref, weakref.ref) else ref

        return all((alive(a) is alive(b)) if isinstance(a, weakref.ref) or isinstance(b, weakref.ref) else a == b
                   for a, b in zip(old, new))

    def _rule_codes(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[tuple[str, str]]]:
        """Per frame row, the index of the first rule matching it (one mask per rule)."""
        from forensics.errors import QueryError
        from forensics.query import compile_query

        codes = np.full(len(frame), -1, dtype=np.int16)
        problems: list[tuple[str, str]] = []
        if not self._rules or not len(frame):
            return codes, problems
        zone = self.session.zone.storage()
        for i in range(len(self._rules) - 1, -1, -1):  # the first rule wins: paint it last
            query = self._rules[i][0]
            mask = self._rule_masks.get((query, zone))
            if mask is None or len(mask) != len(frame):
                try:
                    mask = np.asarray(compile_query(query, tz=self._tz).mask(frame), dtype=bool)
                except QueryError as exc:
                    problems.append((query, str(exc)))
                    continue
                if not _reads_review_columns(query):  # tags and marks change with the rows kept
                    self._rule_masks[(query, zone)] = mask
            codes[mask] = i
        return codes, problems[::-1]

    # -- sorting --------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self._columns):
            self.session.sort(None)
            return
        self.session.sort(self._columns[column], descending=order == Qt.SortOrder.DescendingOrder)

    def click_sort(self, column: int, add: bool = False) -> None:
        """A header click: sort by the column (a second click reverses it); with ``add``
        (Shift+click) the column becomes the next key, or its direction flips if it is one."""
        name = self._columns[column]
        spec = self.session.active_sort()
        keys = [n for n, _ in spec]
        if add:
            if name in keys:
                i = keys.index(name)
                spec[i] = (name, not spec[i][1])
            else:
                spec.append((name, False))
        elif keys == [name]:
            spec = [(name, not spec[0][1])]
        elif not spec and name == "time":  # the default is time ascending: a click reverses it
            spec = [("time", True)]
        else:
            spec = [(name, False)]
        self.session.set_sort(spec)

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
        self._evidence_names = {eid: src.path.name for eid, src in self.session.sources.items()}
        self.endResetModel()
