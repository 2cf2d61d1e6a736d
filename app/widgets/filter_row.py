"""The filter row under the grid's headers (Timeline Explorer's first habit): a text cell per
column and, for columns with few distinct values, a pick list with checkboxes.

Nothing here filters rows itself: every cell writes a term of the query language into the
query bar (``forensics.query.columns``), and every change of the query is read back into
the cells, so the query stays the one source of truth — what a report or a saved query
records is exactly what the filter row shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from forensics.query.columns import read_filters, replace_filter, text_term, values_term

if TYPE_CHECKING:
    from app.main_window import MainWindow

#: columns with at most this many distinct values get a pick list
PICK_LIST_MAX = 400
EMPTY_LABEL = "(empty)"


class EscapeLineEdit(QLineEdit):
    """A line edit that keeps Esc for itself (``escaped``): the window's Esc clears the whole
    query, which must not happen from a filter cell or the find line."""

    escaped = Signal()

    def event(self, event: QEvent) -> bool:
        if (event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent)
                and event.key() == Qt.Key.Key_Escape):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escaped.emit()
            return
        super().keyPressEvent(event)


class FilterHeader(QHeaderView):
    """A horizontal header with one filter cell under each section."""

    text_committed = Signal(int, str)  # logical section, the cell's text
    pick_requested = Signal(int, QPoint)  # logical section, where to open the pick list
    cancelled = Signal(int)  # Esc in a cell: show the query's term again

    def __init__(self, view: QTableView) -> None:
        super().__init__(Qt.Orientation.Horizontal, view)
        self.setObjectName("FilterHeader")
        self._edits: list[QLineEdit] = []
        self._buttons: list[QToolButton | None] = []
        self._timers: list[QTimer] = []
        self._row_height = QLineEdit().sizeHint().height()
        self.sectionResized.connect(self.place)
        self.sectionMoved.connect(self.place)
        view.horizontalScrollBar().valueChanged.connect(self.place)

    # -- cells ------------------------------------------------------------------------------
    def set_cells(self, count: int, pickable: set[int], tips: list[str]) -> None:
        """One text cell per logical section (a ▾ pick-list button where ``pickable``)."""
        for widget in [*self._edits, *[b for b in self._buttons if b is not None]]:
            widget.deleteLater()
        self._edits, self._buttons, self._timers = [], [], []
        for logical in range(count):
            edit = EscapeLineEdit(self)
            edit.setObjectName(f"filter_{logical}")
            edit.setPlaceholderText("filter…")
            edit.setToolTip(tips[logical] if logical < len(tips) else "")
            edit.setClearButtonEnabled(False)
            timer = QTimer(edit)
            timer.setSingleShot(True)
            timer.setInterval(700)
            timer.timeout.connect(lambda i=logical: self._commit(i))
            edit.textEdited.connect(lambda _t, t=timer: t.start())
            edit.returnPressed.connect(lambda i=logical: self._commit(i))
            edit.escaped.connect(lambda i=logical, t=timer: (t.stop(), self.cancelled.emit(i)))
            self._edits.append(edit)
            self._timers.append(timer)
            button = None
            if logical in pickable:
                button = QToolButton(self)
                button.setObjectName(f"pick_{logical}")
                button.setText("▾")
                button.setToolTip("Pick values (writes field:=value terms into the query)")
                button.setCheckable(True)
                button.clicked.connect(lambda _c=False, i=logical: self._pick(i))
            self._buttons.append(button)
        self.updateGeometries()
        self.place()

    def edit(self, logical: int) -> QLineEdit:  # type: ignore[override]
        return self._edits[logical]

    def pick_button(self, logical: int) -> QToolButton | None:
        return self._buttons[logical] if logical < len(self._buttons) else None

    def show_filter(self, logical: int, text: str, picked: list[str]) -> None:
        """Show a filter read from the query (no signal: it is already in the query)."""
        if logical >= len(self._edits):
            return
        edit = self._edits[logical]
        self._timers[logical].stop()
        if not edit.hasFocus() and edit.text() != text:  # never under the examiner's cursor
            edit.setText(text)
        edit.setPlaceholderText(("= " + ", ".join(picked)) if picked else "filter…")
        font = QFont(edit.font())
        font.setBold(bool(picked))
        edit.setFont(font)
        button = self._buttons[logical]
        if button is not None:
            button.setChecked(bool(picked))

    def _commit(self, logical: int) -> None:
        self._timers[logical].stop()
        self.text_committed.emit(logical, self._edits[logical].text())

    def _pick(self, logical: int) -> None:
        button = self._buttons[logical]
        if button is not None:
            self.pick_requested.emit(logical, button.mapToGlobal(QPoint(0, button.height())))

    # -- geometry ---------------------------------------------------------------------------
    def sizeHint(self) -> QSize:
        size = super().sizeHint()
        if self._edits:
            size.setHeight(size.height() + self._row_height + 2)
        return size

    def updateGeometries(self) -> None:
        self.setViewportMargins(0, 0, 0, self._row_height + 2 if self._edits else 0)
        super().updateGeometries()
        self.place()

    def place(self, *_args: object) -> None:
        top = self.height() - self._row_height - 1
        for logical, edit in enumerate(self._edits):
            button = self._buttons[logical]
            if self.isSectionHidden(logical):
                edit.hide()
                if button is not None:
                    button.hide()
                continue
            x, width = self.sectionViewportPosition(logical), self.sectionSize(logical)
            side = self._row_height if button is not None else 0
            edit.setGeometry(x + 1, top, max(10, width - 2 - side), self._row_height)
            edit.show()
            if button is not None:
                button.setGeometry(x + width - side - 1, top, side, self._row_height)
                button.show()


class FilterRow(QObject):
    """Connects the filter cells of the grid's headers to the query bar."""

    def __init__(self, window: "MainWindow", headers: list[FilterHeader]) -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.model = window.model
        self.headers = headers
        for header in headers:
            header.text_committed.connect(self._text_committed)
            header.pick_requested.connect(self._pick)
            header.cancelled.connect(self._cancelled)
        self.model.modelReset.connect(self.rebuild)
        self.session.query_state_changed.connect(self.sync)
        self._cells_for: tuple[tuple[str, ...], frozenset[int]] | None = None
        self.rebuild()

    def rebuild(self) -> None:
        """New cells when the columns change; then show what the query holds."""
        columns = tuple(self.model.columns)
        pickable = frozenset(i for i, name in enumerate(columns) if self._pickable(name))
        if (columns, pickable) != self._cells_for:
            tips = [self._tip(name) for name in columns]
            for header in self.headers:
                header.set_cells(len(columns), set(pickable), tips)
            self._cells_for = (columns, pickable)
        self.sync()

    def _pickable(self, name: str) -> bool:
        values = self.session.column_values(name)
        return isinstance(values.dtype, pd.CategoricalDtype) and 0 < len(values.cat.categories) <= PICK_LIST_MAX

    def _tip(self, name: str) -> str:
        label = self.model.header_label(name)
        if name == "time":
            return (f"Filter {label}: a day (2024-03-05 → on:2024-03-05) or a comparison (>=2024-03-05 10:00), "
                    "in the display zone. Written into the query bar.")
        return (f"Filter {label}: rows whose {name} contains the text (case-insensitive); -text excludes. "
                f"Written into the query bar as {name}:text.")

    def sync(self) -> None:
        """Show in the cells the column filters the current query holds."""
        found = read_filters(self.session.query_text, self.model.columns)
        labels = self._labels()
        for logical, name in enumerate(self.model.columns):
            filt = found.get(name)
            text = filt.text if filt is not None else ""
            picked = [labels.get(v, v) if v is not None else EMPTY_LABEL for v in filt.values] if filt else []
            for header in self.headers:
                header.show_filter(logical, text, picked)

    def _labels(self) -> dict[str, str]:
        """Evidence ids as the grid shows them (file names)."""
        return {eid: src.path.name for eid, src in self.session.sources.items()}

    def apply(self, name: str, term: str) -> None:
        """Write ``name``'s filter term into the query bar (replacing the previous one)."""
        query = self.window.query_bar.edit.text()
        updated = replace_filter(query, name, term, self.model.columns)
        if updated != query:
            self.window.set_query(updated)

    def _cancelled(self, _logical: int) -> None:
        """Esc in a cell: drop the typing, show the query's terms, back to the grid."""
        self.window.table.setFocus()
        self.sync()

    def _text_committed(self, logical: int, text: str) -> None:
        name = self.model.columns[logical]
        found = read_filters(self.window.query_bar.edit.text(), self.model.columns).get(name)
        if found is not None and found.values and not text.strip():
            return  # an empty text cell over a pick-list filter leaves the pick list alone
        self.apply(name, text_term(name, text))

    # -- pick lists -----------------------------------------------------------------------
    def values_of(self, name: str) -> list[tuple[str | None, str, int]]:
        """(value, label, rows) of a column's distinct values, most frequent first."""
        counts = self.session.column_values(name).value_counts(dropna=False, sort=True)
        labels = self._labels() if name == "evidence" else {}
        out = []
        for value, count in counts.items():
            if count == 0:
                continue
            if value is None or pd.isna(value):
                out.append((None, EMPTY_LABEL, int(count)))
            else:
                out.append((str(value), labels.get(str(value), str(value)), int(count)))
        return out[:PICK_LIST_MAX]

    def pick_list(self, logical: int) -> "PickList":
        name = self.model.columns[logical]
        found = read_filters(self.window.query_bar.edit.text(), self.model.columns).get(name)
        checked = set(found.values) if found is not None and found.values else None
        return PickList(self, name, self.values_of(name), checked)

    def _pick(self, logical: int, where: QPoint) -> None:
        menu = QMenu(self.window)
        picker = self.pick_list(logical)
        action = QWidgetAction(menu)
        action.setDefaultWidget(picker)
        menu.addAction(action)
        picker.done.connect(menu.close)
        menu.exec(where)
        self.sync()  # the button's checked state follows the query, not the click


class PickList(QWidget):
    """Checkable distinct values with counts; Apply writes them as one query term. Ticking
    does not close the list."""

    done = Signal()

    def __init__(self, row: FilterRow, name: str, values: list[tuple[str | None, str, int]],
                 checked: set[str | None] | None) -> None:
        super().__init__()
        self.row, self.name = row, name
        self.setObjectName("PickList")
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("type to narrow the list")
        self.search.textChanged.connect(self._narrow)
        self.listing = QListWidget(self)
        for value, label, count in values:
            item = QListWidgetItem(f"{label}   ({count:,})")
            item.setData(Qt.ItemDataRole.UserRole, value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = checked is None or value in checked
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.listing.addItem(item)
        self.listing.setMinimumWidth(280)
        self.listing.setMinimumHeight(min(320, 24 * (len(values) + 1)))
        buttons = QHBoxLayout()
        for text, slot in (("All", lambda: self._set_all(True)), ("None", lambda: self._set_all(False)),
                           ("Apply", self.apply), ("Clear filter", self.clear)):
            button = QPushButton(text, self)
            button.setObjectName(f"pick_{text.split()[0].lower()}")
            button.clicked.connect(slot)
            buttons.addWidget(button)
        note = QLabel(f"{row.model.header_label(name)}: values in all loaded rows (rows each). "
                      "Apply writes them into the query bar.", self)
        note.setWordWrap(True)
        note.setTextFormat(Qt.TextFormat.PlainText)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(note)
        layout.addWidget(self.search)
        layout.addWidget(self.listing)
        layout.addLayout(buttons)

    def items(self) -> list[QListWidgetItem]:
        return [self.listing.item(i) for i in range(self.listing.count())]

    def checked_values(self) -> list[str | None]:
        return [i.data(Qt.ItemDataRole.UserRole) for i in self.items() if i.checkState() == Qt.CheckState.Checked]

    def _narrow(self, text: str) -> None:
        for item in self.items():
            item.setHidden(text.lower() not in item.text().lower())

    def _set_all(self, on: bool) -> None:
        for item in self.items():
            if not item.isHidden():
                item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def apply(self) -> None:
        values = self.checked_values()
        if not values:
            self.search.setPlaceholderText("tick at least one value (or Clear filter)")
            return
        # every value ticked is no filter at all
        self.row.apply(self.name, "" if len(values) == self.listing.count() else values_term(self.name, values))
        self.done.emit()

    def clear(self) -> None:
        self.row.apply(self.name, "")
        self.done.emit()
