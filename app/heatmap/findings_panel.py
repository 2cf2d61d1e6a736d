"""Findings dock: who accessed whose mailbox (pairs), and the admin changes below them.

Computed over the whole loaded case (not the current filter), so the list stays a stable
overview while the grid is narrowed; clicking a line puts that line's query in the query
bar, which shows exactly its rows. Work hours are a setting (button above the table).
A pair's context menu marks it (or every pair of its actor) as expected access: the case
keeps the mark and its reason, and the pair moves below the unreviewed ones, greyed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace

import pandas as pd
from PySide6.QtCore import QPoint, QSortFilterProxyModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.heatmap.frame_model import SORT_ROLE, FrameModel
from app.heatmap.work_hours import WorkHoursDialog, load_work_hours, save_work_hours
from app.heatmap.recompute import start_latest
from app.workers import Task
from forensics.aggregate import ExpectedAccess, Findings, WorkHours, findings
from forensics.aggregate.expected import mark_for
from forensics.aggregate.findings import ACCESS_PREFIX
from forensics.aggregate.work_hours import ZoneChoice, after_hours_text, work_zone

#: the count toggle's choices: (label, findings' count mode)
log = logging.getLogger(__name__)
#: frames at least this long compute findings on a worker thread (the window stays live)
ASYNC_ROWS = 250_000
COUNT_CHOICES = (("Count distinct accesses", "accesses"), ("Count raw rows", "rows"))


def _text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    return str(value)


def _count(value: object) -> str:
    return f"{int(value):,}" if value else ""


class AfterHours(int):
    """A pair's after-hours count (sorts as the count) that also carries its share."""

    share: float = 0.0


def _after_hours(counts: pd.Series, shares: pd.Series) -> list[AfterHours]:
    out = []
    for count, share in zip(counts.tolist(), shares.tolist()):
        value = AfterHours(int(count))
        value.share = float(share)
        out.append(value)
    return out


def _share(value: object) -> str:
    """Count and share ("1 (<1%)"): a rounded "0%" hid a real after-hours access."""
    return after_hours_text(int(value), getattr(value, "share", 0.0))  # type: ignore[call-overload]


def _flag(value: object) -> str:
    return "yes" if bool(value) else ""


class FindingsPanel(QWidget):
    """Pairs table + admin-changes table; ``query_requested`` carries a line's query.

    ``marks`` returns the open case's expected-access marks; ``mark_requested`` and
    ``unmark_requested`` carry (actor, mailbox; "" = every mailbox) to whoever owns the case.
    """

    query_requested = Signal(str)
    mark_requested = Signal(str, str)
    unmark_requested = Signal(str, str)
    work_hours_changed = Signal(object)  # WorkHours the examiner set (an open case keeps them)

    def __init__(self, session, parent: QWidget | None = None,  # type: ignore[no-untyped-def]
                 apply_query: Callable[[str], None] | None = None, query_bar=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(parent)
        self.setObjectName("FindingsPanel")
        self.session = session
        self.apply_query = apply_query or session.set_query
        #: the window's query bar: a finding clears the filters that would hide its rows there
        self.query_bar = query_bar
        self.history: list[dict[str, object]] = []  # query + filters before each finding shown
        self.work_hours: WorkHours = load_work_hours()
        self.result: Findings | None = None
        self._compute_seq = 0  # a newer recompute supersedes a running one
        self._tasks: list[Task] = []
        self.marks: Callable[[], Sequence[ExpectedAccess]] = lambda: ()

        self.summary = QLabel(self)
        self.hours_button = QPushButton("Work hours…", self)
        self.hours_button.clicked.connect(self.edit_work_hours)
        self.count_combo = QComboBox(self)
        self.count_combo.setObjectName("FindingsCount")
        for label, mode in COUNT_CHOICES:
            self.count_combo.addItem(label, mode)
        self.count_combo.setToolTip("Accesses: rows of several sources that record one access (event log, "
                                    "mailbox-audit export, IIS, UAL) count once; rows: every row counts")
        self.count_combo.currentIndexChanged.connect(lambda _i: self.recompute())
        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 2)
        self.back_button = QPushButton("◀ Back", self)
        self.back_button.setObjectName("FindingsBack")
        self.back_button.setToolTip("Return to the query and filters in use before the last finding was shown")
        self.back_button.setEnabled(False)
        self.back_button.clicked.connect(self.back)
        top.addWidget(self.back_button)
        top.addStretch(1)
        top.addWidget(self.count_combo)
        top.addWidget(self.hours_button)

        self.pairs_model = FrameModel(self)
        self.changes_model = FrameModel(self)
        self.pairs_view = self._table(self.pairs_model, "FindingsPairs")
        self.changes_view = self._table(self.changes_model, "FindingsChanges")
        self.changes_title = QLabel("Administrative changes bearing on mailbox access", self)
        # long sentences wrap: an unwrapped label forced the bottom dock ~2,000 px wide, so
        # the dock could not be narrowed or sit beside the heatmap
        for label in (self.summary, self.changes_title):
            label.setWordWrap(True)
            label.setMinimumWidth(200)
        self.summary.setContentsMargins(6, 0, 4, 0)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.changes_title)
        lower_layout.addWidget(self.changes_view)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.pairs_view)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.summary)  # its own row: beside the buttons it wrapped to 4 lines
        layout.addWidget(splitter, 1)

        self.pairs_view.clicked.connect(lambda index: self._clicked(self.pairs_view, self.pairs_model, index))
        self.pairs_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.pairs_view.customContextMenuRequested.connect(self._pair_menu)
        self.changes_view.clicked.connect(lambda index: self._clicked(self.changes_view, self.changes_model, index))
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(200)
        self.timer.timeout.connect(self.recompute)
        session.loaded.connect(self.timer.start)
        session.zone_changed.connect(self.timer.start)
        self.recompute()

    def _table(self, model: FrameModel, name: str) -> QTableView:
        proxy = QSortFilterProxyModel(self)
        proxy.setSourceModel(model)
        proxy.setSortRole(SORT_ROLE)
        view = QTableView(self)
        view.setObjectName(name)
        view.setModel(proxy)
        view.setSortingEnabled(True)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.verticalHeader().setVisible(False)
        view.verticalHeader().setDefaultSectionSize(22)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        view.setToolTip("Click a line to show exactly its rows in the grid")
        return view

    # -- computing -----------------------------------------------------------------------
    def _time(self, value: object) -> str:
        if value is None or pd.isna(value):
            return ""
        return pd.Timestamp(value).tz_convert(self.session.zone.tzinfo()).strftime("%Y-%m-%d %H:%M:%S")

    def effective_hours(self) -> tuple[WorkHours, ZoneChoice]:
        """The work hours with the zone they are counted in made explicit, and why that zone
        (``work_zone``: the examiner's, else the evidence's stated zone, else the display zone)."""
        stated = [options.source_tz for options in self.session.file_options.values()]
        choice = work_zone(self.work_hours, stated, self.session.zone.query_tz())
        return replace(self.work_hours, tz=choice.zone), choice

    def recompute(self) -> None:
        """Findings of the whole case: on a worker for large frames (seconds on millions of
        rows), shown when done unless a newer recompute superseded it."""
        frame = self.session.frame
        zone = self.session.zone.tzinfo()
        marks = list(self.marks())
        count = self.count_combo.currentData() or "accesses"
        hours, choice = self.effective_hours()
        self._compute_seq += 1
        if len(frame) < ASYNC_ROWS:
            self._show(findings(frame, zone, hours, marks, count=count), zone, count, hours, choice)
            return
        seq = self._compute_seq
        start_latest(
            self, self._tasks, lambda: findings(frame, zone, hours, marks, count=count),
            lambda: seq == self._compute_seq and frame is self.session.frame,
            lambda result: self._show(result, zone, count, hours, choice), log, "findings",
        )

    def busy(self) -> bool:
        """A recompute is pending or running on a worker."""
        return self.timer.isActive() or bool(self._tasks)

    def wait_idle(self, timeout_ms: int = 30000) -> None:
        for task in list(self._tasks):
            task.wait(timeout_ms)

    def _show(self, result: Findings, zone: object, count: str, hours: WorkHours, choice: ZoneChoice) -> None:
        self.result = result
        if len(result.pairs):
            shown = _after_hours(result.pairs["after_hours"], result.pairs["after_hours_share"])
            # object dtype: an int64 column would drop each value's share
            result.pairs["after_hours_shown"] = pd.Series(shown, index=result.pairs.index, dtype=object)
        pair_columns = [("actor", "Actor", _text), ("mailbox", "Mailbox", _text)]
        if result.expected_pairs:  # the reason next to the pair, where the eye is
            pair_columns.append(("expected", "Expected access (reviewed)", _text))
        accesses = [(ACCESS_PREFIX + op, op, _count) for op in result.access_operations]
        rows = [(op, op if count == "rows" else f"{op} rows", _count) for op in result.operations]
        if count == "rows":
            pair_columns += [("events", "Rows", _count), ("accesses", "Accesses", _count), *rows]
        else:
            pair_columns += [("accesses", "Accesses", _count), ("events", "Rows", _count),
                             ("seen_in", "Seen in (sources)", _text), *accesses, *rows]
        pair_columns += [
            ("first_seen", "First seen", self._time), ("last_seen", "Last seen", self._time),
            ("after_hours_shown", "After hours", _share), ("admin", "Admin", _flag),
            ("logon_types", "Logon types", _text), ("client_ips", "Client addresses", _text),
            ("client_hosts", "Client hosts", _text), ("sources", "Sources", _text),
        ]
        reviewed = result.pairs["expected"] != "" if len(result.pairs) else None
        self.pairs_model.set_frame(result.pairs, pair_columns, dimmed=reviewed)
        change_columns = [
            ("flag", "", _text), ("time", "Time", self._time), ("operation", "Change", _text), ("actor", "By", _text),
            ("mailbox", "Mailbox", _text), ("outcome", "Outcome", _text), ("what", "What", _text),
        ]
        changes = result.changes.copy()
        changes["flag"] = ["⚠ audit settings" if m else "" for m in changes["marked"]] if len(changes) else []
        self.changes_model.set_frame(changes, change_columns, highlight=changes["marked"] if len(changes) else None)
        for view in (self.pairs_view, self.changes_view):
            view.resizeColumnsToContents()
            for col in range(view.model().columnCount()):
                view.setColumnWidth(col, min(view.columnWidth(col), 260))
        self.pairs_view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # the findings order: unreviewed first
        n_pairs, n_changes = len(result.pairs), len(result.changes)
        marked = int(result.changes["marked"].sum()) if n_changes else 0
        expected = (f" ({result.expected_pairs:,} marked expected, listed last)" if result.expected_pairs else "")
        if result.unmatched:
            expected += f" · {len(result.unmatched)} expected-access mark(s) match no pair"
        self.summary.setText(
            f"Whole case: {n_pairs:,} actor–mailbox pairs with non-owner access{expected}, counted by "
            f"{'raw rows' if count == 'rows' else 'distinct access (rows beside)'} · {n_changes:,} admin changes"
            + (f" ({marked} audit-configuration)" if marked else "")
            + f" · work hours {hours.describe(zone)} ({choice.why})"
        )
        if n_changes:
            self.changes_title.setText("Administrative changes bearing on mailbox access (audit-configuration changes first)")
        else:
            self.changes_title.setText(
                "Administrative changes bearing on mailbox access: none in the loaded evidence "
                "(no PermissionChange, ForwardingChange, InboxRuleChange, MailboxExport or AuditConfigChange rows)"
            )

    def edit_work_hours(self) -> None:
        dialog = WorkHoursDialog(self.work_hours, self)
        if dialog.exec():
            self.set_work_hours(dialog.value())

    def set_work_hours(self, hours: WorkHours, remember: bool = True) -> None:
        """Use ``hours``; ``remember``: the examiner chose them (saved as the default for new
        work, and announced so an open case keeps them), not just a case's own being shown."""
        self.work_hours = hours
        if remember:
            save_work_hours(hours)
            self.work_hours_changed.emit(hours)
        self.recompute()

    # -- review marks ---------------------------------------------------------------------
    def _pair_menu(self, point: QPoint) -> None:
        index = self.pairs_view.indexAt(point)
        if not index.isValid():
            return
        menu = self.pair_menu(self.pairs_view.model().mapToSource(index).row())
        menu.exec(self.pairs_view.viewport().mapToGlobal(point))

    def pair_menu(self, row: int) -> QMenu:
        """The context menu of pairs-table row ``row`` (model order)."""
        actor = str(self.pairs_model.row_value(row, "actor"))
        mailbox = str(self.pairs_model.row_value(row, "mailbox"))
        menu = QMenu(self)
        menu.addAction("Show its rows", lambda: self.show_rows(str(self.pairs_model.row_value(row, "query"))))
        menu.addSeparator()
        mark = mark_for(list(self.marks()), actor, mailbox)
        if mark is None:
            menu.addAction(f"Mark {actor} → {mailbox} as expected access…",
                           lambda: self.mark_requested.emit(actor, mailbox))
            menu.addAction(f"Mark every mailbox {actor} opens as expected…",
                           lambda: self.mark_requested.emit(actor, ""))
        else:
            menu.addAction(f"Remove the expected mark ({mark.scope})",
                           lambda: self.unmark_requested.emit(mark.actor, mark.mailbox))
        return menu

    # -- click to filter -----------------------------------------------------------------
    def _clicked(self, view: QTableView, model: FrameModel, index) -> None:  # type: ignore[no-untyped-def]
        source = view.model().mapToSource(index)
        query = str(model.row_value(source.row(), "query"))
        self.query_requested.emit(query)
        self.show_rows(query)

    def show_rows(self, query: str) -> None:
        """Show a finding's rows: its query replaces the query, and the quick filters,
        operations checklist and time range are switched off (the findings count the whole
        case, so any of them could hide the very rows clicked; "No rows match" was the
        result). Back restores the query and filters as they were."""
        cleared: list[str] = []
        if self.query_bar is not None:
            self.history.append(self.query_bar.filter_state())
            cleared = self.query_bar.clear_filters()
        else:
            self.history.append({"text": self.session.query_text})
        self.back_button.setEnabled(True)
        self.apply_query(query)
        status = getattr(self.window(), "statusBar", None)
        if cleared and status is not None:
            status().showMessage(f"Showing the finding's rows; switched off: {', '.join(cleared)} "
                                 "(Back in the Findings panel restores them)", 8000)

    def back(self) -> None:
        """The query and filters in use before the last finding was shown."""
        if not self.history:
            return
        state = self.history.pop()
        if self.query_bar is not None and "toggles" in state:
            self.query_bar.restore_state(state)
        else:
            self.apply_query(str(state["text"]))
        self.back_button.setEnabled(bool(self.history))
