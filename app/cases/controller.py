"""Cases in the GUI: File > New / Open / Save / Recent cases and Export report, Ctrl+B
bookmarks, the Tag column, and the Bookmarks and Case notes docks.

All case logic lives in ``forensics.case`` and ``forensics.reports``; this class only wires
it to the window. Reloading a case and exporting a report (both re-hash evidence) run on
worker threads. Bookmark flows (tag/untag, the Bookmarks dock) are in ``app.cases.tagging``.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox

from app import settings as app_settings
from app.cases.dialogs import (ADOPT, NewCaseDialog, OpenEvidenceDialog, SaveQueryDialog,
                               confirm_outside_evidence)
from app.cases.evidence import CaseEvidence
from app.cases.format_rules import HighlightRules
from app.cases.panels import BookmarksPanel, NotesPanel
from app.cases.review import FindingsReview
from app.cases.tagging import CaseBookmarks
from app.workers import Task
from forensics.case import Case, CaseLoad, SavedQuery
from forensics.errors import ForensicsError
from forensics.ingest import LoadResult
from forensics.reports.export import FORMATS

if TYPE_CHECKING:
    from app.main_window import MainWindow

log = logging.getLogger(__name__)

RECENT_KEY = "cases/recent"
MAX_RECENT = 8
REPORT_FILTERS = "HTML report (*.html);;PDF report (*.pdf);;Excel workbook (*.xlsx);;CSV table (*.csv)"
#: how the grid's filters are written beside a saved query and a report (and read back)
QUICK_FILTER_KEY = "quick filter {}"
OPERATIONS_KEY = "operations"
TIME_FROM_KEY = "time from (UTC, inclusive)"
TIME_TO_KEY = "time to (UTC, inclusive)"


def _instant(text: object) -> pd.Timestamp | None:
    """A saved bound back as a UTC instant (None when absent or unreadable)."""
    try:
        stamp = pd.Timestamp(str(text)) if text else None
    except ValueError:
        return None
    if stamp is None or pd.isna(stamp):
        return None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


class CaseController(QObject):
    """Owns the open case (if any) and keeps the window's session in step with it."""

    case_loaded = Signal(object)  # CaseLoad, after a case's evidence was reloaded
    report_exported = Signal(object)  # ExportResult
    failed = Signal(str)

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.session = window.session
        self.case: Case | None = None
        self.task: Task | None = None
        self.tagging = CaseBookmarks(self)  # Ctrl+B, the Tag column, the Bookmarks dock
        self._build_actions()
        self.bookmarks_panel = BookmarksPanel(window)
        self.bookmarks_panel.activated.connect(self.jump_to_bookmark)
        self.bookmarks_panel.remove_requested.connect(self.remove_bookmarks)
        self.notes_panel = NotesPanel(window)
        self.notes_panel.changed.connect(self._notes_changed)
        self.notes_panel.set_text("", enabled=False)
        self.bookmarks_dock = window.add_dock(self.bookmarks_panel, Qt.DockWidgetArea.RightDockWidgetArea, "Bookmarks")
        self.notes_dock = window.add_dock(self.notes_panel, Qt.DockWidgetArea.RightDockWidgetArea, "Case notes")
        window.tabifyDockWidget(self.bookmarks_dock, self.notes_dock)
        self.session.loaded.connect(self.apply_review_columns)
        self.session.loader.finished.connect(self._record_load)
        window.table.cell_action_providers.append(self.cell_actions)  # tag / untag in the cell menu
        self.review = FindingsReview(self)  # expected-access marks on the Findings dock
        self.evidence = CaseEvidence(self)  # adopt / leave out / remove evidence
        self.highlights = HighlightRules(self)  # the examiner's highlight rules (View menu)

    # ------------------------------------------------------------------ menus
    def _action(self, text: str, slot, shortcut: Any = None, tip: str = "") -> QAction:  # type: ignore[no-untyped-def]
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_actions(self) -> None:
        w = self.window
        self.action_new = self._action("&New case…", self.new_case_dialog, "Ctrl+Shift+N",
                                       "Create a case folder: evidence hashes, bookmarks, notes, custody log")
        self.action_open = self._action("Open &case…", self.open_case_dialog, "Ctrl+Shift+K",
                                        "Open a case folder and reload (and re-verify) its evidence")
        self.action_save = self._action("&Save case", self.save_case, QKeySequence.StandardKey.Save,
                                        "Save bookmarks, notes and the current query and filters in the case")
        self.action_export = self._action("&Export report…", self.export_dialog, "Ctrl+Shift+E",
                                          "Export what the grid shows, with its query: HTML, PDF, XLSX or CSV")
        self.action_save_query = self._action("Save &query in case…", self.save_query_dialog, None,
                                              "Keep the current query and quick filters under a name in the case")
        self.menu_recent = QMenu("&Recent cases", w)
        self.menu_recent.aboutToShow.connect(self._fill_recent)
        self.menu_queries = QMenu("Case &queries", w)
        self.menu_queries.aboutToShow.connect(self._fill_queries)
        before = getattr(w, "_quit_separator_target", None)
        menu = w.menu_file
        entries: list[Any] = [None, self.action_new, self.action_open, self.menu_recent, self.action_save,
                              None, self.action_save_query, self.menu_queries, None, self.action_export]
        for entry in entries:
            if entry is None:
                menu.insertSeparator(before) if before is not None else menu.addSeparator()
            elif isinstance(entry, QMenu):
                menu.insertMenu(before, entry) if before is not None else menu.addMenu(entry)
            else:
                menu.insertAction(before, entry) if before is not None else menu.addAction(entry)
        self.action_tag = self._action("&Bookmark selected rows…", self.tag_selected_dialog, "Ctrl+B",
                                       "Tag the selected rows with a name and a comment")
        w.menu_edit.addSeparator()
        w.menu_edit.addAction(self.action_tag)
        for action in (self.action_save, self.action_save_query):
            action.setEnabled(False)

    def _fill_recent(self) -> None:
        self.menu_recent.clear()
        for folder in recent_cases():
            action = self.menu_recent.addAction(folder)
            action.triggered.connect(lambda _c=False, f=folder: self.open_case(f))
        if self.menu_recent.isEmpty():
            self.menu_recent.addAction("(none)").setEnabled(False)

    def _fill_queries(self) -> None:
        self.menu_queries.clear()
        for query in self.case.queries if self.case else []:
            action = self.menu_queries.addAction(f"{query.name}: {query.text}")
            action.triggered.connect(lambda _c=False, q=query: self.apply_saved_query(q))
        if self.menu_queries.isEmpty():
            self.menu_queries.addAction("(none)").setEnabled(False)

    # ------------------------------------------------------------------ case lifecycle
    def new_case_dialog(self) -> None:
        dialog = NewCaseDialog(self.session.examiner or "", self.window, self.evidence.open_files())
        if dialog.exec():
            self.new_case(dialog.folder.text().strip(), dialog.name.text().strip(), dialog.number.text().strip(),
                          dialog.examiner.text().strip())

    def new_case(self, folder: str | Path, name: str = "", number: str = "", examiner: str = "",
                 adopt_open: bool | None = None) -> Case | None:
        """Create a case. Evidence already open is either adopted (re-hashed on a worker
        thread into the case's custody log, ``self.task``) or left out (closed):
        ``adopt_open``, or when None the examiner is asked (Cancel creates nothing)."""
        if self.task is not None and self.task.is_running():
            self.window.warning_dialog("New case", "Wait for the current case task to finish.")
            return None
        open_files = self.evidence.open_files()
        if open_files and adopt_open is None:
            choice = OpenEvidenceDialog.ask(open_files, self.window)
            if choice is None:
                return None
            adopt_open = choice == ADOPT
        try:
            case = Case.create(folder, name, number=number, examiner=examiner or self.session.examiner or "",
                               display_tz=self.session.zone.query_tz())
        except ForensicsError as exc:
            self.window.error_dialog("New case", exc.user_message)
            return None
        self._adopt(case)
        if open_files and adopt_open:
            self.evidence.adopt(case, open_files)  # saves the case when the re-hash is done
        else:
            if open_files:
                self.evidence.leave_out(case, open_files)
            case.save()
        self.apply_review_columns()
        return case

    def open_case_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.window, "Open case folder")
        if folder:
            self.open_case(folder)

    def open_case(self, folder: str | Path, confirm_outside: bool | None = None) -> Task | None:
        """Open a case and reload its evidence on a worker thread (re-hashing every file).

        Evidence paths outside the folders the custody log saw evidence in (a received case
        whose case.json names ``/etc/shadow``, say) are opened only when the examiner confirms
        them: ``confirm_outside`` answers for tests; ``None`` asks (and refuses when quiet)."""
        if self.task is not None and self.task.is_running():
            self.window.warning_dialog("Open case", "Wait for the current case task to finish.")
            return None
        try:
            case = Case.open(folder, examiner=self.session.examiner or "")
        except ForensicsError as exc:
            self.window.error_dialog("Open case", exc.user_message)
            return None
        self.session.clear()
        self._adopt(case)
        if case.integrity_problems:
            self.window.warning_dialog("Custody log problem", "The custody log of this case has been altered.",
                                       "\n".join(case.integrity_problems))
        outside = case.outside_evidence()
        if outside and self._confirm_outside(outside, confirm_outside):
            case.confirm_outside_evidence(outside)  # logged as evidence-roots-confirmed
        quick = [c for c in case.quick_checks() if not c.ok]
        if quick:
            self.window.statusBar().showMessage(
                f"{len(quick)} evidence file(s) missing or changed (size/mtime); re-hashing…", 8000)
        self.window.statusBar().showMessage(f"Reloading {len(case.evidence)} evidence file(s) of the case…")
        def load() -> object:
            from app.session import single_chunk

            loaded = case.load()
            loaded.frame = single_chunk(loaded.frame)  # one chunk per Arrow column: here, not on the UI thread
            return loaded

        self.task = Task(load, self)
        self.task.done.connect(self._case_loaded)
        self.task.error.connect(self._task_failed)
        # one writer of the custody log at a time: no other load while the case reloads
        self._set_open_enabled(False)
        self.task.done.connect(lambda _value: self._set_open_enabled(True))
        self.task.error.connect(lambda _message: self._set_open_enabled(True))
        self.task.start()
        return self.task

    def _confirm_outside(self, paths: list[Path], answer: bool | None) -> bool:
        if answer is not None:
            return answer
        return not getattr(self.window, "quiet", False) and confirm_outside_evidence(self.window, paths)

    def _set_open_enabled(self, enabled: bool) -> None:
        for name in ("action_open", "action_open_folder"):
            action = getattr(self.window, name, None)
            if action is not None:
                action.setEnabled(enabled)
        self.action_open.setEnabled(enabled)
        self.action_new.setEnabled(enabled)

    def _adopt(self, case: Case) -> None:
        self.case = case
        self.session.set_case_dir(case.folder)
        remember_case(case.folder)
        self.notes_panel.set_text(case.notes, enabled=True)
        for action in (self.action_save, self.action_save_query):
            action.setEnabled(True)
        self.refresh_bookmarks()
        self.review.refresh()
        if hasattr(self, "highlights"):
            self.highlights.apply()

    def _case_loaded(self, loaded: CaseLoad) -> None:
        self.session.add_result(LoadResult(frame=loaded.frame, files=loaded.files, sources=loaded.sources))
        self.evidence.remember_case_options()
        self.session.custody_changed.emit()
        if self.case is not None and (self.case.current_query or self.case.current_filters):
            self.apply_filters(self.case.current_query, self.case.current_filters)
        self.refresh_bookmarks()
        problems = loaded.problems
        if problems:
            self.window.warning_dialog(
                "EVIDENCE DOES NOT MATCH THE CASE",
                f"{len(problems)} evidence file(s) are missing or no longer match the hashes recorded in the case. "
                "This is logged in the custody log and will be stated in every report.",
                "\n".join(f"{c.status}: {c.path}: {c.message}" for c in problems),
            )
        self.window.statusBar().showMessage(
            f"Case '{self.case.name if self.case else ''}': {len(loaded.frame):,} rows; "
            f"{sum(1 for c in loaded.checks if c.ok)} of {len(loaded.checks)} file(s) verified", 8000)
        self.case_loaded.emit(loaded)

    def _task_failed(self, message: str) -> None:
        self.window.error_dialog("Case", message)
        self.failed.emit(message)

    def save_case(self) -> None:
        if self.case is None:
            return
        self.notes_panel.flush()
        self.case.current_query = self.session.query_text
        self.case.current_filters = self.current_toggles()
        try:
            self.case.save()
        except ForensicsError as exc:
            self.window.error_dialog("Save case", exc.user_message)
            return
        self.window.statusBar().showMessage(f"Saved case '{self.case.name}'", 4000)

    def save_query_dialog(self) -> None:
        if self.case is None or not (self.session.query_text or self.current_toggles()):
            return
        name = SaveQueryDialog.ask(self.window, self.session.query_text, self.current_toggles(),
                                   [q.name for q in self.case.queries])
        if name:
            self.case.save_query(name, self.session.query_text, self.current_toggles())
            self.case.save()

    def _notes_changed(self, text: str) -> None:
        if self.case is not None and text != self.case.notes:
            self.case.notes = text
            self.case.save()

    def _record_load(self, result: LoadResult) -> None:
        """Evidence opened through File > Open while a case is open becomes part of it."""
        if self.case is not None:
            options = result.options or self.session.load_options
            if self.case.record_files(result.files, options):
                self.case.save()
            self.case.remember_rows(result, options)

    # ------------------------------------------------------------------ bookmarks (app.cases.tagging)
    def apply_review_columns(self) -> None:
        self.tagging.apply_review_columns()

    def tag_selected_dialog(self) -> None:
        self.tagging.tag_selected_dialog()

    def tag_rows(self, frame_rows: list[int], tag: str, comment: str = "") -> int:
        return self.tagging.tag_rows(frame_rows, tag, comment)

    def tag_snapshot(self, rows: pd.DataFrame, tag: str, comment: str = "") -> int:
        return self.tagging.tag_snapshot(rows, tag, comment)

    def untag_rows(self, frame_rows: list[int], tag: str) -> int:
        return self.tagging.untag_rows(frame_rows, tag)

    def cell_actions(self, index: Any) -> list[QAction]:
        return self.tagging.cell_actions(index)

    def remove_bookmarks(self, indexes: list[int]) -> None:
        self.tagging.remove_bookmarks(indexes)

    def refresh_bookmarks(self) -> None:
        self.tagging.refresh_bookmarks()

    def jump_to_bookmark(self, index: int) -> bool:
        return self.tagging.jump_to_bookmark(index)

    def apply_saved_query(self, query: SavedQuery) -> None:
        """Show a saved query's rows as they were saved (``apply_filters``)."""
        self.apply_filters(query.text, query.toggles)
        self.window.statusBar().showMessage(f"Saved query '{query.name}' applied with the filters it was saved with", 5000)

    def apply_filters(self, text: str, saved: dict[str, Any]) -> None:
        """The query ``text`` with the quick filters, operations and time range written by
        ``current_toggles`` (a query saved without them, e.g. by ``mailbox-audit case
        query``, runs with none), so a saved query or a reopened case shows the same rows."""
        bar = self.window.query_bar
        for name, button in bar.toggle_buttons.items():
            button.setChecked(QUICK_FILTER_KEY.format(name) in saved)
        operations = str(saved.get(OPERATIONS_KEY) or "")
        bar.set_operations({o.strip() for o in operations.split(",") if o.strip()} or None)
        bar.time_range.set_range(_instant(saved.get(TIME_FROM_KEY)), _instant(saved.get(TIME_TO_KEY)))
        self.window.set_query(text)

    # ------------------------------------------------------------------ reports
    def current_toggles(self) -> dict[str, Any]:
        s = self.session
        toggles: dict[str, Any] = {}
        from app.session import TOGGLE_QUERIES

        for name in sorted(s.toggles):
            toggles[QUICK_FILTER_KEY.format(name)] = TOGGLE_QUERIES[name]
        if s.operations is not None:
            toggles[OPERATIONS_KEY] = ", ".join(sorted(s.operations))
        if s.time_from is not None:
            toggles[TIME_FROM_KEY] = s.time_from.isoformat()
        if s.time_to is not None:
            toggles[TIME_TO_KEY] = s.time_to.isoformat()
        if s.active_sort():
            toggles["sorted by"] = ", then ".join(f"{n} {'descending' if d else 'ascending'}" for n, d in s.active_sort())
        return toggles

    def export_dialog(self) -> None:
        start = str((self.case.folder / "reports") if self.case else Path.home())
        path, chosen = QFileDialog.getSaveFileName(self.window, "Export report", start, REPORT_FILTERS)
        if path:
            # the extension typed decides (case1.pdf is a PDF whatever the filter says);
            # the filter only names a file typed without a report extension
            fmt = {"HTML": "html", "PDF ": "pdf", "Exce": "xlsx", "CSV ": "csv"}.get(chosen[:4])
            if fmt and Path(path).suffix.lower().lstrip(".") not in (*FORMATS, "htm"):
                path += "." + fmt
            self.export_report(path)

    def export_report(self, path: str | Path, fmt: str | None = None) -> Task | None:
        """Export what the grid shows (its rows, query and toggles) on a worker thread."""
        from forensics.reports import build_report, export_report

        if self.task is not None and self.task.is_running():
            self.window.warning_dialog("Export report", "Wait for the current case task to finish.")
            return None
        session, case = self.session, self.case
        frame = session.frame
        view = session.view_frame()
        files = list(session.files)
        custody = case.custody if case else session.custody_log()
        query, toggles = session.query_text, self.current_toggles()
        table = self.window.table  # the grid's visible columns, in the order shown
        order, columns = session.order_text(), [table.event_model().column_name(c) for c in table.visible_columns()]
        zone = session.zone.query_tz()
        examiner = session.examiner or (case.examiner if case else "")
        evidence_paths = [str(s.path) for s in session.sources.values()]
        panel = getattr(self.window, "findings_panel", None)  # the examiner's work hours, as the GUI shows
        work_hours, hours_note = panel.effective_hours() if panel is not None else (None, None)  # zone made explicit
        expected = list(case.expected) if case else []

        def work() -> Any:
            checks = case.rehash_all() if case else []
            data = build_report(
                frame=frame, view=view, files=files, checks=checks, custody=custody,
                case_name=case.name if case else "", case_number=case.number if case else "",
                examiner=examiner, display_tz=zone, query=query, toggles=toggles,
                bookmarks=case.bookmarks if case else None, notes=case.notes if case else "",
                integrity_problems=case.integrity_problems if case else None, keep_order=True,
                order=order, columns=columns,
                work_hours=work_hours, expected=expected, work_hours_note=hours_note.why if hours_note else "",
            )
            result = export_report(data, path, fmt=fmt, custody=custody,
                                   evidence_paths=evidence_paths + [c.entry.path for c in checks])
            if case is not None:
                case.save()
            return result

        self.window.statusBar().showMessage(f"Exporting report to {path}…")
        self.task = Task(work, self)
        self.task.done.connect(self._exported)
        self.task.error.connect(self._task_failed)
        self.task.start()
        return self.task

    def _exported(self, result: Any) -> None:
        self.session.custody_changed.emit()
        message = f"Report written ({result.format.upper()}): {result.path}\nSHA-256 {result.sha256} (logged in custody entry {result.custody_seq})"
        if result.companion is not None:
            message += f"\nAll events: {result.companion}"
        if result.context is not None:
            message += f"\nContext (case, query, zone): {result.context}"
        self.window.statusBar().showMessage(f"Report written: {result.path}", 8000)
        if self.window.quiet:
            print(f"mailbox-audit-gui: {message}", file=sys.stderr)
        else:
            QMessageBox.information(self.window, "Report exported", message)
        self.report_exported.emit(result)

    def shutdown(self) -> None:
        if self.task is not None:
            self.task.wait()


def recent_cases() -> list[str]:
    store = app_settings.settings()
    value = store.value(RECENT_KEY, [])
    items = [value] if isinstance(value, str) else list(value or [])
    return [p for p in items if p]


def remember_case(folder: Path) -> None:
    items = [str(folder)] + [p for p in recent_cases() if p != str(folder)]
    store = app_settings.settings()
    store.setValue(RECENT_KEY, items[:MAX_RECENT])
    store.sync()
