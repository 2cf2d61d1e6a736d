"""The heatmap dock: three pivots as tabs, following the query bar, drilling down into the grid.

The pivots count the session's current view (query, toggles, operations, time range) as a
mask over the full frame (no copy of millions of rows), so
every cell's query AND-ed onto the current query gives the grid exactly that cell's rows.
Clicking a cell does that and records the step in a breadcrumb with Back; clicking a
mailbox label filters to the mailbox. Recomputing is debounced and only the visible tab
is computed.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from collections.abc import Callable

import numpy as np
import pandas as pd
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.heatmap.plot import HeatmapPlot
from app.heatmap.recompute import start_latest
from app.workers import Task
from forensics.aggregate import AggregateError, Pivot, hour_by_weekday, mailbox_by_actor, mailbox_by_time
from forensics.aggregate.people import field_word, person_field
from forensics.aggregate.evidence_gaps import missing_periods
from forensics.correlate.summary import first_rows_of_accesses
from forensics.query import all_of

log = logging.getLogger(__name__)

TABS = ("Mailbox × time", "Mailbox × actor", "Weekday × hour")
BIN_CHOICES = (("Auto bin", None), ("Hour", "hour"), ("Day", "day"), ("Week", "week"))
ALL_MAILBOXES = "All mailboxes"
#: frames at least this long recompute the heatmap on a worker thread (the window stays live)
ASYNC_ROWS = 250_000
EMPTY_TEXT = "No events to draw for the current filter.\nLoad evidence, or widen the query."


class HeatmapPanel(QWidget):
    """Heatmap tabs over ``session``'s current view; drill-downs go through ``apply_query``."""

    pivot_changed = Signal(int)  # tab index whose pivot was recomputed
    drilled = Signal(str)  # the query applied by a drill-down

    def __init__(self, session, parent: QWidget | None = None,  # type: ignore[no-untyped-def]
                 apply_query: Callable[[str], None] | None = None, debounce_ms: int = 40) -> None:
        super().__init__(parent)
        self.setObjectName("HeatmapPanel")
        self.session = session
        self.apply_query = apply_query or session.set_query
        self.crumbs: list[tuple[str, str]] = []  # (label, query before the step)
        self._expected_query: str | None = None
        self._last_good_query = ""
        self._rows_cache: tuple[np.ndarray | None] | None = None
        self._first_cache: np.ndarray | None = None  # one row per access of the view (by access)
        self._dirty = set(range(len(TABS)))
        self._signature: object = None
        self._compute_seq = 0  # a newer recompute supersedes a running one
        self._tasks: list[Task] = []

        self.count_combo = QComboBox(self)
        self.count_combo.addItems(["All accesses", "Non-owner only"])
        self.count_combo.setToolTip("Count every access, or only accesses by someone other than the owner")
        self.unit_combo = QComboBox(self)
        self.unit_combo.setObjectName("HeatmapUnit")
        self.unit_combo.addItems(["Distinct accesses", "Raw rows"])
        self.unit_combo.setToolTip("Accesses: rows of several sources that record one access count once "
                                   "(the tooltip gives the rows beside); rows: every row counts")
        self.bin_combo = QComboBox(self)
        for label, _ in BIN_CHOICES:
            self.bin_combo.addItem(label)
        self.bin_combo.setToolTip("Time bin of the mailbox × time view (auto: from the span)")
        self.scale_combo = QComboBox(self)
        self.scale_combo.addItems(["Linear", "Log"])
        self.scale_combo.setToolTip("Colour scale")
        self.mailbox_combo = QComboBox(self)
        self.mailbox_combo.addItem(ALL_MAILBOXES)
        self.mailbox_combo.setToolTip("Weekday × hour: all rows or one mailbox")
        self.mailbox_combo.setMinimumContentsLength(18)
        self.info = QLabel(self)
        self.info.setObjectName("HeatmapInfo")
        self.info.setWordWrap(True)  # a long summary must not set the dock's minimum width
        controls = QHBoxLayout()
        controls.setContentsMargins(4, 2, 4, 2)
        for widget in (self.count_combo, self.unit_combo, self.bin_combo, self.scale_combo, self.mailbox_combo):
            controls.addWidget(widget)
        controls.addWidget(self.info, 1)

        self.back_button = QPushButton("◀ Back", self)
        self.back_button.setToolTip("Undo the last drill-down")
        self.back_button.clicked.connect(self.back)
        self.breadcrumb = QLabel(self)
        self.breadcrumb.setObjectName("HeatmapBreadcrumb")
        self.breadcrumb.setTextFormat(Qt.TextFormat.PlainText)
        crumbs = QHBoxLayout()
        crumbs.setContentsMargins(4, 0, 4, 0)
        crumbs.addWidget(self.back_button)
        crumbs.addWidget(self.breadcrumb, 1)

        self.tabs = QTabWidget(self)
        self.plots = [HeatmapPlot(self) for _ in TABS]
        for plot, title in zip(self.plots, TABS):
            self.tabs.addTab(plot, title)
        self.empty_label = QLabel(EMPTY_TEXT, self)
        self.empty_label.setObjectName("HeatmapEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.tabs)
        self.stack.addWidget(self.empty_label)
        self.hover_label = QLabel(self)
        self.hover_label.setTextFormat(Qt.TextFormat.PlainText)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(controls)
        layout.addLayout(crumbs)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.hover_label)

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(debounce_ms)
        self.timer.timeout.connect(self.recompute)

        for index, plot in enumerate(self.plots):
            plot.cell_clicked.connect(lambda r, c, i=index: self.drill_cell(i, r, c))
            plot.row_label_clicked.connect(lambda r, i=index: self.filter_row(i, r))
            plot.hover_changed.connect(self.hover_label.setText)
        self.tabs.currentChanged.connect(lambda _i: self.recompute(only_dirty=True))
        self.count_combo.currentIndexChanged.connect(lambda _i: self.invalidate())
        self.unit_combo.currentIndexChanged.connect(lambda _i: self.invalidate())
        self.bin_combo.currentIndexChanged.connect(lambda _i: self.invalidate({0}))
        self.mailbox_combo.currentIndexChanged.connect(lambda _i: self.invalidate({2}))
        self.scale_combo.currentIndexChanged.connect(self._scale_changed)
        session.view_changed.connect(self.schedule)
        session.loaded.connect(self._loaded)
        session.zone_changed.connect(lambda: self.invalidate())
        session.query_state_changed.connect(self._query_changed)
        self._update_breadcrumb()
        self._loaded()

    # -- state ---------------------------------------------------------------------------
    @property
    def nonowner_only(self) -> bool:
        return self.count_combo.currentIndex() == 1

    @property
    def by_access(self) -> bool:
        """Cells count distinct accesses (else raw rows)."""
        return self.unit_combo.currentIndex() == 0

    @property
    def bin(self) -> str | None:
        return BIN_CHOICES[self.bin_combo.currentIndex()][1]

    def current_query(self) -> str:
        return self._last_good_query

    def pivot(self, tab: int | None = None) -> Pivot | None:
        return self.plots[self.tabs.currentIndex() if tab is None else tab].pivot

    def _view_signature(self) -> object:
        s = self.session
        return (id(s.frame), len(s.frame), s.query_text if s.query_error is None else self._last_good_query,
                tuple(sorted(s.toggles)), s.operations, s.time_from, s.time_to, s.zone, len(s.view))

    def schedule(self) -> None:
        """Recompute after the debounce, unless only the sort order changed."""
        if self._view_signature() == self._signature:
            return
        self.timer.start()

    def invalidate(self, tabs: set[int] | None = None) -> None:
        self._dirty |= set(range(len(TABS))) if tabs is None else tabs
        self.timer.start()

    def _loaded(self) -> None:
        frame = self.session.frame
        counts = frame[person_field(frame, "mailbox")].value_counts() if len(frame) else pd.Series(dtype=int)
        self.mailbox_combo.blockSignals(True)
        current = self.mailbox_combo.currentText()
        self.mailbox_combo.clear()
        self.mailbox_combo.addItem(ALL_MAILBOXES)
        for name in counts.index[counts.to_numpy() > 0][:500]:
            self.mailbox_combo.addItem(str(name))
        index = self.mailbox_combo.findText(current)
        self.mailbox_combo.setCurrentIndex(max(0, index))
        self.mailbox_combo.blockSignals(False)
        self.invalidate()

    def _scale_changed(self, index: int) -> None:
        for plot in self.plots:
            plot.set_log_scale(index == 1)

    # -- computing -----------------------------------------------------------------------
    def recompute(self, only_dirty: bool = False) -> None:
        """Recompute the visible tab's pivot (others when they are shown)."""
        signature = self._view_signature()
        if signature != self._signature:
            self._rows_cache = None
            self._first_cache = None
            self._dirty = set(range(len(TABS)))
            self._signature = signature
        tab = self.tabs.currentIndex()
        if only_dirty and tab not in self._dirty:
            return
        if not self.isVisible():  # a hidden dock costs nothing; showEvent catches up
            self._dirty.add(tab)
            return
        frame = self.session.frame
        if self._rows_cache is None:
            # the grid's current filter as a mask over the full frame: nothing is copied
            self._rows_cache = (self.session.mask(),)
        all_rows = self._rows_cache[0]
        zone = self.session.zone.tzinfo()
        choice = self.mailbox_combo.currentText()
        mailbox = None if choice == ALL_MAILBOXES or self.mailbox_combo.currentIndex() == 0 else choice
        by_access, bin_, nonowner, first = self.by_access, self.bin, self.nonowner_only, self._first_cache

        def work() -> tuple[Pivot | AggregateError, np.ndarray | None]:
            """Pure computation (no widget touched): runs on a worker thread for large frames."""
            rows, firsts = all_rows, first
            if by_access:  # count one row per access in view (the tooltip counts all of them)
                if firsts is None:  # once per view, shared by the three tabs
                    firsts = first_rows_of_accesses(frame, all_rows)
                rows = firsts
            try:
                if tab == 0:
                    return mailbox_by_time(frame, zone, bin=bin_, nonowner_only=nonowner, rows=rows), firsts
                if tab == 1:
                    return mailbox_by_actor(frame, nonowner_only=nonowner, tz=zone, rows=rows), firsts
                kwargs = {} if mailbox is None else {"mailbox": mailbox}
                return hour_by_weekday(frame, zone, nonowner_only=nonowner, rows=rows, **kwargs), firsts
            except AggregateError as exc:
                return exc, firsts

        self._compute_seq += 1
        if len(frame) < ASYNC_ROWS:
            self._show(tab, *work(), all_rows)
            return
        seq = self._compute_seq
        start_latest(
            self, self._tasks, work,
            lambda: seq == self._compute_seq and frame is self.session.frame,
            lambda result: self._show(tab, *result, all_rows), log, "heatmap",
        )

    def busy(self) -> bool:
        """A recompute is pending or running on a worker."""
        return self.timer.isActive() or bool(self._tasks)

    def wait_idle(self, timeout_ms: int = 30000) -> None:
        for task in list(self._tasks):
            task.wait(timeout_ms)

    def _show(self, tab: int, pivot: Pivot | AggregateError, firsts: np.ndarray | None,
              all_rows: np.ndarray | None) -> None:
        frame = self.session.frame
        if self.by_access and firsts is not None:
            self._first_cache = firsts
        if isinstance(pivot, AggregateError):
            self._show_empty(pivot.user_message)
            self._dirty.discard(tab)
            return
        self._dirty.discard(tab)
        if self.by_access:
            pivot = replace(pivot, _all_rows=np.ones(len(frame), dtype=bool) if all_rows is None else all_rows)
        plot = self.plots[tab]
        plot.set_log_scale(self.scale_combo.currentIndex() == 1)
        if pivot.empty:
            plot.set_pivot(None)
            note = f"\n({pivot.unplaced:,} events have no recorded time.)" if pivot.unplaced else ""
            self._show_empty(EMPTY_TEXT + note)
        else:
            self.stack.setCurrentWidget(self.tabs)
            plot.set_missing(missing_periods(self.session.files))
            plot.set_pivot(pivot, axis_titles=self._axis_titles(pivot))
            self.info.setText(self._describe(pivot, len(plot.gap_spans), plot.rows_that_fit()))
        self.pivot_changed.emit(tab)

    def showEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        super().showEvent(event)
        if self.tabs.currentIndex() in self._dirty or self._view_signature() != self._signature:
            self.timer.start()

    def _show_empty(self, text: str) -> None:
        self.empty_label.setText(text)
        self.stack.setCurrentWidget(self.empty_label)
        self.info.setText("")

    def _axis_titles(self, pivot: Pivot) -> tuple[str, str]:
        zone = self.session.zone.label()
        if pivot.kind == "mailbox_time":
            return "mailbox", f"{pivot.bin} ({zone})"
        if pivot.kind == "mailbox_actor":
            return "mailbox", "actor"
        return "weekday", f"hour of day ({zone})"

    def _describe(self, pivot: Pivot, gaps: int = 0, in_view: int | None = None) -> str:
        unit = "accesses" if pivot.counts_accesses else "events"
        parts = [f"{pivot.full_total:,} {unit}", f"{pivot.full_rows:,} {field_word(pivot.row_field)} rows"]
        if pivot.bin:
            parts.append(f"{pivot.bin} bins ({self.session.zone.label()})")
        if pivot.shape[0] > (in_view if in_view is not None else 30):
            parts.append("scroll for the rest (wheel over the names)")
        if pivot.unplaced:
            parts.append(f"{pivot.unplaced:,} without a time")
        if gaps:
            parts.append(f"hatched: {gaps} period{'s' if gaps != 1 else ''} with evidence missing")
        return " · ".join(parts)

    # -- drill-down ----------------------------------------------------------------------
    def drill_cell(self, tab: int, row: int, col: int) -> str:
        """Narrow the grid to exactly cell (row, col) of tab ``tab``; returns the query applied."""
        pivot = self.plots[tab].pivot
        if pivot is None:
            return ""
        return self._drill(pivot.cell_query(row, col), pivot.cell_label(row, col))

    def filter_row(self, tab: int, row: int) -> str:
        """Filter to one row's value (a mailbox, or a weekday)."""
        pivot = self.plots[tab].pivot
        if pivot is None:
            return ""
        return self._drill(pivot.row_queries[row], pivot.row_labels[row])

    def _drill(self, fragment: str, label: str) -> str:
        before = self.current_query()
        text = all_of(before, fragment)
        self.crumbs.append((label, before))
        self._expected_query = text
        self.apply_query(text)
        self._update_breadcrumb()
        self.drilled.emit(text)
        return text

    def back(self) -> None:
        if not self.crumbs:
            return
        _label, before = self.crumbs.pop()
        self._expected_query = before
        self.apply_query(before)
        self._update_breadcrumb()

    def _query_changed(self) -> None:
        session = self.session
        if session.query_error is None:
            self._last_good_query = session.query_text
            if self._expected_query is not None and session.query_text != self._expected_query:
                self.crumbs.clear()  # the user typed a new query: the drill path no longer applies
                self._update_breadcrumb()
            self._expected_query = session.query_text
            self.schedule()

    def _update_breadcrumb(self) -> None:
        path = ["All (current filter)"] + [label for label, _ in self.crumbs]
        self.breadcrumb.setText("Drill-down: " + "  ›  ".join(path))
        self.back_button.setEnabled(bool(self.crumbs))
