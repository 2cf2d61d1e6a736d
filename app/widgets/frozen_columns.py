"""Pinned columns: Time and Actor stay in view when the grid scrolls right.

Qt's "frozen column" pattern: a second ``QTableView`` over the left edge of the grid, on the
same model and the same selection model, showing only the pinned columns, its vertical
scrolling tied to the grid's. The pinned columns are also the grid's first columns (under
the overlay), so keyboard moves, copying and exports see one ordinary table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QTableView

from app.widgets.filter_row import FilterHeader

if TYPE_CHECKING:
    from app.widgets.event_table import EventTable


class FrozenView(QTableView):
    """The overlay; it never takes focus (the grid keeps the keyboard)."""

    def __init__(self, table: "EventTable") -> None:
        super().__init__(table)
        self.table = table
        self.setObjectName("FrozenColumns")
        self.setHorizontalHeader(FilterHeader(self))
        self.setModel(table.model())
        self.setSelectionModel(table.selectionModel())
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.verticalHeader().hide()
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(table.verticalScrollMode())
        self.setSelectionBehavior(table.selectionBehavior())
        self.setSelectionMode(table.selectionMode())
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setShowGrid(table.showGrid())
        self.setStyleSheet("QTableView#FrozenColumns { border: none; border-right: 2px solid #8c96a0; }")
        vheader = self.verticalHeader()
        vheader.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vheader.setDefaultSectionSize(table.verticalHeader().defaultSectionSize())
        vheader.setMinimumSectionSize(table.verticalHeader().minimumSectionSize())
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header.setHighlightSections(False)
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.sectionClicked.connect(table._header_clicked)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(lambda pos: table.header_menu(header, pos))
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._cell_menu)
        self.doubleClicked.connect(table._open_detail)

    def setSelectionModel(self, selection_model: QItemSelectionModel) -> None:  # noqa: N802 - Qt override
        """Private header selection models, as the grid's (Ctrl+A over millions of rows)."""
        super().setSelectionModel(selection_model)
        for header in (self.horizontalHeader(), self.verticalHeader()):
            header.setSelectionModel(QItemSelectionModel(self.model(), header))

    def _cell_menu(self, pos: QPoint) -> None:
        self.table._cell_menu(self.table.viewport().mapFromGlobal(self.viewport().mapToGlobal(pos)), self.indexAt(pos))


class FrozenColumns:
    """Keeps the overlay's columns, widths, sort arrow, position and scrolling in step."""

    def __init__(self, table: "EventTable") -> None:
        self.table = table
        self.pinned: list[str] = []
        self.view = FrozenView(table)
        table.viewport().stackUnder(self.view)
        self.view.hide()
        header = table.horizontalHeader()
        header.sectionResized.connect(self._resized)
        header.sectionMoved.connect(self._moved)
        self._moving = False
        self._last_shown: tuple[str, ...] = ()
        table.verticalScrollBar().valueChanged.connect(self.view.verticalScrollBar().setValue)
        self.view.verticalScrollBar().valueChanged.connect(table.verticalScrollBar().setValue)
        table.model().modelReset.connect(self.update)

    def set_pinned(self, names: list[str]) -> None:
        """Pin these columns (moved to the grid's left edge, in this order)."""
        model = self.table.event_model()
        self.pinned = [n for n in names if n in model.columns]
        header = self.table.horizontalHeader()
        self._moving = True
        try:
            for target, name in enumerate(self.pinned):
                logical = model.column_index(name)
                current = header.visualIndex(logical)
                if current != target:
                    header.moveSection(current, target)
        finally:
            self._moving = False
        self.update()

    def _moved(self, *_args: object) -> None:
        """A column dragged in front of the pinned ones goes back behind them (the overlay
        covers the grid's first columns: they must be the pinned ones)."""
        if self._moving:
            return
        model = self.table.event_model()
        header = self.table.horizontalHeader()
        front = {header.logicalIndex(v) for v in range(len(self.pinned))}
        if front != {model.column_index(n) for n in self.pinned if n in model.columns}:
            self.set_pinned(self.pinned)
        else:
            self.update()

    def is_pinned(self, name: str) -> bool:
        return name in self.pinned

    def toggle(self, name: str) -> None:
        self.set_pinned([n for n in self.pinned if n != name] if name in self.pinned else [*self.pinned, name])

    def width(self) -> int:
        if not self.view.isVisible():
            return 0
        return self.view.width()

    def update(self) -> None:
        """Show the pinned columns (as the grid shows them) over its left edge."""
        model = self.table.event_model()
        main = self.table.horizontalHeader()
        frozen = self.view.horizontalHeader()
        shown = list(self._shown())
        self._last_shown = tuple(shown)
        if not shown:
            self.view.hide()
            return
        for logical, name in enumerate(model.columns):
            frozen.setSectionHidden(logical, name not in shown)
            if name in shown:
                frozen.resizeSection(logical, main.sectionSize(logical))
        for target, name in enumerate(sorted(shown, key=lambda n: main.visualIndex(model.column_index(n)))):
            logical = model.column_index(name)
            if frozen.visualIndex(logical) != target:
                frozen.moveSection(frozen.visualIndex(logical), target)
        frozen.blockSignals(True)
        frozen.setSortIndicator(main.sortIndicatorSection(), main.sortIndicatorOrder())
        frozen.blockSignals(False)
        self.view.show()
        self.geometry()

    def _shown(self) -> tuple[str, ...]:
        model = self.table.event_model()
        main = self.table.horizontalHeader()
        return tuple(n for n in self.pinned if n in model.columns and not main.isSectionHidden(model.column_index(n)))

    def refresh(self) -> None:
        """From the grid's ``updateGeometries``: a pinned column hidden or shown (View >
        Columns) changes the overlay; anything else only its geometry."""
        if self._shown() != self._last_shown:
            self.update()
        else:
            self.geometry()

    def _resized(self, logical: int, old: int, new: int) -> None:
        if self.view.isVisible() and not self.view.horizontalHeader().isSectionHidden(logical):
            self.view.horizontalHeader().resizeSection(logical, new)
            self.geometry()

    def geometry(self) -> None:
        table = self.table
        frozen = self.view.horizontalHeader()
        width = sum(frozen.sectionSize(i) for i in range(frozen.count()) if not frozen.isSectionHidden(i))
        frame = table.frameWidth()
        x = table.verticalHeader().width() * table.verticalHeader().isVisible() + frame
        self.view.setGeometry(x, frame, width + 2, table.viewport().height() + table.horizontalHeader().height())
        self.view.verticalScrollBar().setValue(table.verticalScrollBar().value())

    def scroll_clear(self, index: QModelIndex) -> None:
        """After ``scrollTo``: an unpinned cell hidden under the overlay is scrolled into view."""
        if not self.view.isVisible() or not index.isValid():
            return
        name = self.table.event_model().column_name(index.column())
        if name in self.pinned:
            return
        x = self.table.columnViewportPosition(index.column())
        covered = self.width() - x
        if covered > 0:
            bar = self.table.horizontalScrollBar()
            bar.setValue(max(0, bar.value() - covered))
