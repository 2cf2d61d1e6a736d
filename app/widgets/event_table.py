"""The event grid: a QTableView with uniform row heights, a column chooser, a cell context
menu (Filter to this value / Exclude this value / Copy / Copy row / extensions such as tags),
Ctrl+C copying (Ctrl+Shift+C with the column headers) and multi-column sorting (click a
header to sort, Shift+click to add a key)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QColor, QGuiApplication, QKeyEvent, QKeySequence, QPainter, QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMenu, QTableView, QWidget

from app.models.event_table_model import EventTableModel
from app.widgets.filter_row import FilterHeader
from app.widgets.frozen_columns import FrozenColumns


SMALL_SELECTION_CELLS = 20_000
MAX_COPY_ROWS = 1_000_000


class EventTable(QTableView):
    filter_requested = Signal(str)  # a query fragment to AND into the bar
    detail_requested = Signal(int)  # a frame row to show in Detail
    copy_refused = Signal(str)  # the selection is too large for the clipboard

    def __init__(self, model: EventTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("EventTable")
        #: extra cell-menu entries: each callable gets the clicked index, returns actions
        self.cell_action_providers: list[Callable[[QModelIndex], list[QAction]]] = []
        self.setHorizontalHeader(FilterHeader(self))  # the filter row lives under the headers
        self.setModel(model)  # also installs the headers' selection model (see below)
        # sorting is ours, not QTableView's: Shift+click adds a key (see EventTableModel.click_sort)
        self.setSortingEnabled(False)
        self.horizontalHeader().setSectionsClickable(True)
        self.horizontalHeader().setSortIndicatorShown(True)
        self.horizontalHeader().sectionClicked.connect(self._header_clicked)
        model.modelReset.connect(self.show_sort_indicator)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        vheader = self.verticalHeader()
        vheader.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # uniform row height
        vheader.setDefaultSectionSize(self.fontMetrics().height() + 6)
        vheader.setMinimumSectionSize(self.fontMetrics().height() + 6)
        vheader.hide()
        header = self.horizontalHeader()
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setDefaultSectionSize(130)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._cell_menu)
        self.doubleClicked.connect(self._open_detail)
        #: pinned columns (Time, Actor by default): an overlay that does not scroll right
        self.frozen = FrozenColumns(self)

    def filter_header(self) -> FilterHeader:
        header = self.horizontalHeader()
        assert isinstance(header, FilterHeader)
        return header

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.frozen.geometry()

    def updateGeometries(self) -> None:  # noqa: N802 - Qt override
        super().updateGeometries()
        if hasattr(self, "frozen"):
            self.frozen.refresh()

    def scrollTo(self, index: QModelIndex, hint: QAbstractItemView.ScrollHint = QAbstractItemView.ScrollHint.EnsureVisible) -> None:  # noqa: N802
        super().scrollTo(index, hint)
        if hasattr(self, "frozen"):
            self.frozen.scroll_clear(index)

    def setSelectionModel(self, selection_model: QItemSelectionModel) -> None:  # noqa: N802 - Qt override
        """Keep the headers on a private, empty selection model.

        A header paints each section's "selected position" through
        ``QItemSelectionModel.isColumnSelected``, which walks every row of the model; with
        millions of rows (each step a Python ``rowCount`` call) Ctrl+A froze the window for
        minutes. Our headers never show selection, so they get a selection model of their own.
        """
        super().setSelectionModel(selection_model)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSelectionModel(QItemSelectionModel(self.model(), header))

    def empty_message(self) -> str:
        """What the empty grid says (drawn in its viewport)."""
        session = self.event_model().session
        if self.event_model().rowCount() > 0:
            return ""
        if not session.files:
            return "Drop evidence files or folders here\nor use File > Open evidence (Ctrl+O)"
        if len(session.frame) == 0:
            return "The loaded evidence holds no access events\n(see the Evidence panel for what each file contained)"
        return "No rows match the current query and filters\n(Esc clears the query)"

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        message = self.empty_message()
        if message:
            painter = QPainter(self.viewport())
            painter.setPen(QColor("#7a828a"))
            painter.drawText(self.viewport().rect(), int(Qt.AlignmentFlag.AlignCenter), message)
            painter.end()

    def _header_clicked(self, section: int) -> None:
        shift = bool(QGuiApplication.keyboardModifiers() & Qt.KeyboardModifier.ShiftModifier)
        self.event_model().click_sort(section, add=shift)

    def show_sort_indicator(self) -> None:
        """The header's arrow on the primary sort column (time when the order is the default)."""
        model = self.event_model()
        spec = model.session.active_sort() or [("time", False)]
        header = self.horizontalHeader()
        section = model.columns.index(spec[0][0]) if spec[0][0] in model.columns else -1
        header.blockSignals(True)
        header.setSortIndicator(section, Qt.SortOrder.DescendingOrder if spec[0][1] else Qt.SortOrder.AscendingOrder)
        header.blockSignals(False)
        if hasattr(self, "frozen"):
            self.frozen.update()

    def event_model(self) -> EventTableModel:
        model = self.model()
        assert isinstance(model, EventTableModel)
        return model

    def hide_columns(self, names: set[str]) -> None:
        model = self.event_model()
        for i, name in enumerate(model.columns):
            self.setColumnHidden(i, name in names)

    # -- context menus --------------------------------------------------------------------
    def _header_menu(self, pos: QPoint) -> None:
        self.header_menu(self.horizontalHeader(), pos)

    def header_menu(self, header: QHeaderView, pos: QPoint) -> None:
        """The header's menu (the grid's or the pinned columns'): Pin/Unpin, the columns."""
        menu = self.column_menu()
        logical = header.logicalIndexAt(pos)
        if logical >= 0:
            name = self.event_model().column_name(logical)
            label = self.event_model().header_label(name)
            pin = QAction(f"Unpin {label}" if self.frozen.is_pinned(name) else
                          f"Pin {label} (stays in view when scrolling right)", menu)
            pin.triggered.connect(lambda: self.frozen.toggle(name))
            first = menu.actions()[0] if menu.actions() else None
            menu.insertAction(first, pin)
            menu.insertSeparator(first)
        menu.exec(header.mapToGlobal(pos))

    def column_menu(self, parent: QWidget | None = None) -> QMenu:
        """A checkable list of every column (the column chooser)."""
        menu = QMenu("Columns", parent or self)
        model = self.event_model()
        header = self.horizontalHeader()
        for visual in range(header.count()):
            logical = header.logicalIndex(visual)
            action = menu.addAction(str(model.headerData(logical, Qt.Orientation.Horizontal)))
            action.setCheckable(True)
            action.setChecked(not self.isColumnHidden(logical))
            action.toggled.connect(lambda on, col=logical: self.setColumnHidden(col, not on))
        menu.addSeparator()
        show_all = menu.addAction("Show all columns")
        show_all.triggered.connect(lambda: [self.setColumnHidden(i, False) for i in range(model.columnCount())])
        fit = menu.addAction("Fit column widths to contents")
        fit.triggered.connect(self.resizeColumnsToContents)
        menu.addSeparator()
        default = menu.addAction("Sort by time (default order)")
        default.triggered.connect(lambda: model.session.set_sort([]))
        return menu

    def cell_actions(self, index: QModelIndex) -> list[QAction]:
        model = self.event_model()
        name = model.column_name(index.column())
        frame_row = int(model.session.view[index.row()])
        value = model.session.column_values(name).iloc[frame_row]
        include, exclude = filter_terms(name, value, model.session.zone.tzinfo())
        shown = model.display_text(index.row(), index.column())
        label = shown if len(shown) <= 40 else shown[:37] + "…"
        actions = []
        a = QAction(f"Filter to this value ({label})", self)
        a.setEnabled(include is not None)
        a.triggered.connect(lambda: self.filter_requested.emit(include))
        actions.append(a)
        a = QAction("Exclude this value", self)
        a.setEnabled(exclude is not None)
        a.triggered.connect(lambda: self.filter_requested.emit(exclude))
        actions.append(a)
        a = QAction("Copy", self)
        a.setShortcut(QKeySequence.StandardKey.Copy)
        a.triggered.connect(self.copy_selection)
        actions.append(a)
        a = QAction("Copy with headers", self)
        a.setShortcut(QKeySequence("Ctrl+Shift+C"))
        a.triggered.connect(lambda: self.copy_selection(headers=True))
        actions.append(a)
        a = QAction("Copy row", self)
        a.triggered.connect(lambda: QGuiApplication.clipboard().setText(self.row_text(index.row())))
        actions.append(a)
        a = QAction("Show detail", self)
        a.setShortcut(QKeySequence(Qt.Key.Key_Return))
        a.triggered.connect(lambda: self.detail_requested.emit(frame_row))
        actions.append(a)
        for provider in self.cell_action_providers:
            extra = provider(index)
            if extra:
                separator = QAction(self)
                separator.setSeparator(True)
                actions.append(separator)
                actions.extend(extra)
        return actions

    def _cell_menu(self, pos: QPoint, index: QModelIndex | None = None) -> None:
        index = self.indexAt(pos) if index is None else index
        if not index.isValid():
            return
        menu = QMenu(self)
        for action in self.cell_actions(index):
            menu.addAction(action)
        menu.exec(self.viewport().mapToGlobal(pos))

    # -- copying ----------------------------------------------------------------------------
    def visible_columns(self) -> list[int]:
        header = self.horizontalHeader()
        return [header.logicalIndex(v) for v in range(header.count()) if not header.isSectionHidden(header.logicalIndex(v))]

    def row_text(self, row: int) -> str:
        model = self.event_model()
        return "\t".join(model.display_text(row, c) for c in self.visible_columns())

    def selection_text(self, headers: bool = False) -> str:
        """Selected cells as tab-separated lines, in the on-screen column order; with
        ``headers`` a first line names the columns copied.

        Small selections copy exactly the selected cells (blanks elsewhere); large ones
        (e.g. Ctrl+A over millions of rows) copy selected rows x selected columns, formatted
        column by column without touching per-cell model indexes.
        """
        model = self.event_model()
        selection = self.selectionModel().selection() if self.selectionModel() else None
        if selection is None or selection.isEmpty():
            return ""

        def titled(cols: list[int], body: str) -> str:
            if not headers or not cols:
                return body
            return "\t".join(model.header_label(model.column_name(c)) for c in cols) + "\n" + body

        cells = sum((r.bottom() - r.top() + 1) * (r.right() - r.left() + 1) for r in selection)
        if cells <= SMALL_SELECTION_CELLS:
            indexes = self.selectionModel().selectedIndexes()
            rows = sorted({i.row() for i in indexes})
            selected = {(i.row(), i.column()) for i in indexes}
            cols = [c for c in self.visible_columns() if any((r, c) in selected for r in rows)]
            return titled(cols, "\n".join(
                "\t".join(model.display_text(r, c) if (r, c) in selected else "" for c in cols) for r in rows
            ))
        rows = self.selected_row_array()
        if len(rows) > MAX_COPY_ROWS:
            raise CopyTooLarge(len(rows))
        wanted = {c for r in selection for c in range(r.left(), r.right() + 1)}
        cols = [c for c in self.visible_columns() if c in wanted]
        frame_rows = model.session.view[rows]
        texts = [pd.Series(model.column_strings(model.column_name(c), frame_rows)) for c in cols]
        if not texts:
            return ""
        joined = texts[0].str.cat(texts[1:], sep="\t") if len(texts) > 1 else texts[0]
        return titled(cols, "\n".join(joined.tolist()))

    def copy_selection(self, headers: bool = False) -> None:
        try:
            QGuiApplication.clipboard().setText(self.selection_text(headers=headers))
        except CopyTooLarge as exc:
            self.copy_refused.emit(str(exc))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
            return
        if event.keyCombination() == QKeySequence("Ctrl+Shift+C")[0]:
            self.copy_selection(headers=True)
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            index = self.currentIndex()
            if index.isValid():
                self._open_detail(index)
                return
        super().keyPressEvent(event)

    def _open_detail(self, index: QModelIndex) -> None:
        if index.isValid():
            self.detail_requested.emit(int(self.event_model().session.view[index.row()]))

    def selected_row_array(self) -> np.ndarray:
        """View rows with at least one selected cell, from the selection's ranges (fast even
        when millions of rows are selected)."""
        model = self.selectionModel()
        if model is None:
            return np.empty(0, dtype=np.int64)
        spans = [np.arange(r.top(), r.bottom() + 1, dtype=np.int64) for r in model.selection()]
        if not spans:
            return np.empty(0, dtype=np.int64)
        return spans[0] if len(spans) == 1 else np.unique(np.concatenate(spans))

    def selected_rows(self) -> list[int]:
        """View rows with at least one selected cell."""
        return self.selected_row_array().tolist()

    def selected_count(self) -> int:
        return len(self.selected_row_array())


class CopyTooLarge(Exception):
    def __init__(self, rows: int) -> None:
        super().__init__(
            f"{rows:,} rows are selected: too many to copy to the clipboard (at most {MAX_COPY_ROWS:,}). "
            "Narrow the selection or the query, or export a report instead."
        )


def filter_terms(name: str, value: object, tz: object) -> tuple[str | None, str | None]:
    """Query fragments keeping / removing rows with this exact value of ``name``."""
    from forensics.query import exact, exclude, time_range

    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return "missing:time", "has:time"
        # queries carry microseconds: the microsecond that holds this time
        start = value.floor("us")
        return time_range(start, start + pd.Timedelta(1, "us"), tz), None  # type: ignore[arg-type]
    return exact(name, value), exclude(name, value)
