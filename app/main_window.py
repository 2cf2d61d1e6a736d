"""The investigator's workbench: grid in the centre, query bar on top, docks around.

Extension API for other features (heatmap, cases, bookmarks, reports), each installed with
ONE line in ``_install_extensions``:
- ``window.session``: frame, view, files, sources, custody log, signals (see app/session.py)
- ``window.set_query(text)``: put text in the query bar and apply it
- ``window.add_query_term(fragment)``: AND a fragment onto the current query
- ``window.add_dock(widget_or_dock, area, title)``: add a dock (listed in View > Panels)
- ``window.menu_file``, ``menu_edit``, ``menu_view``, ``menu_help``: the menus
- ``window.table`` / ``window.model``: the grid; ``window.selected_frame_rows()``
- ``window.open_paths(paths)``: open evidence files or folders
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QToolBar,
    QWidget,
)

from app import settings as app_settings
from app.dialogs.examiner import ExaminerDialog, ensure_examiner, remember_examiner, stored_examiner
from app.dialogs.messages import show_error, show_warning
from app.display_tz import DisplayZone
from app import menus
from app.dock_layout import apply_default_layout, fitted_size
from app.grid_defaults import DEFAULT_HIDDEN, DEFAULT_ORDER, DEFAULT_PINNED, DEFAULT_WIDTHS
from app.models.event_table_model import EventTableModel
from app.session import Session
from app.widgets.custody_dock import CustodyPanel
from app.widgets.detail_dock import DetailPanel
from app.widgets.event_table import EventTable
from app.widgets.evidence_dock import EvidencePanel
from app.widgets.query_bar import QueryBar
from app.workers import LoadProgress
from forensics.ingest import LoadResult

log = logging.getLogger(__name__)

SETTINGS_GEOMETRY = "window/geometry"

SETTINGS_STATE = "window/state"
SETTINGS_COLUMNS = "grid/columns"
SETTINGS_ZONE = "display/zone"


class MainWindow(QMainWindow):
    def __init__(self, session: Session | None = None, parent: QWidget | None = None, quiet: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("MainWindow")
        #: quiet = report problems on stderr instead of dialogs (unattended --exit-after-load runs)
        self.quiet = quiet
        self.session = session or Session(examiner=stored_examiner() or None)
        self.setAcceptDrops(True)
        self._docks: dict[str, QDockWidget] = {}

        self.model = EventTableModel(self.session, self)
        self.table = EventTable(self.model, self)
        self.query_bar = QueryBar(self.session, self)
        # the query bar spans the whole window width (above the side docks)
        self.query_toolbar = QToolBar("Query", self)
        self.query_toolbar.setObjectName("QueryToolbar")
        self.query_toolbar.setMovable(False)
        self.query_toolbar.setFloatable(False)
        self.query_toolbar.toggleViewAction().setEnabled(False)
        self.query_toolbar.addWidget(self.query_bar)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.query_toolbar)
        self.setCentralWidget(self.table)

        self.evidence_panel = EvidencePanel(self.session, self)
        self.detail_panel = DetailPanel(self.session, self)
        self.custody_panel = CustodyPanel(self.session, self)

        self._build_status_bar()
        menus.build_menus(self)
        self.evidence_dock = self.add_dock(self.evidence_panel, Qt.DockWidgetArea.BottomDockWidgetArea, "Evidence")
        self.custody_dock = self.add_dock(self.custody_panel, Qt.DockWidgetArea.BottomDockWidgetArea, "Custody log")
        self.tabifyDockWidget(self.evidence_dock, self.custody_dock)
        self.evidence_dock.raise_()
        self.detail_dock = self.add_dock(self.detail_panel, Qt.DockWidgetArea.RightDockWidgetArea, "Detail")
        self.resizeDocks([self.evidence_dock], [170], Qt.Orientation.Vertical)
        self.resizeDocks([self.detail_dock], [460], Qt.Orientation.Horizontal)

        self.table.filter_requested.connect(self.add_query_term)
        self.table.detail_requested.connect(self.show_detail)
        self.table.copy_refused.connect(lambda message: self.warning_dialog("Copy", message))
        self.table.selectionModel().selectionChanged.connect(self._update_status)
        self.table.selectionModel().currentRowChanged.connect(self._current_row_changed)
        # column order / widths / visibility are kept by name across model resets
        self.model.modelAboutToBeReset.connect(self._remember_columns)
        self.model.modelReset.connect(self._model_reset)
        self.session.view_changed.connect(self._update_status)
        self.session.loaded.connect(self._update_status)
        self.session.zone_changed.connect(self._update_status)
        self.session.case_changed.connect(self._update_title)
        loader = self.session.loader
        loader.started.connect(self._load_started)
        loader.progress.connect(self._load_progress)
        loader.finished.connect(self._load_finished)
        loader.cancelled.connect(self._load_cancelled)
        loader.failed.connect(self._load_failed)
        loader.idle.connect(self._load_idle)

        self.resize(1500, 900)
        self._install_extensions()
        apply_default_layout(self)  # every dock in its default place (View > Reset layout)
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is not None:  # a 1366x768 laptop: the default size must not run off the screen
            self.resize(fitted_size(self.size(), screen.availableGeometry().size(), self.minimumSizeHint()))
        self._keep_quit_last()
        self._restore_settings()
        self._update_title()
        self._update_status()

    # ------------------------------------------------------------------ extension API
    def _install_extensions(self) -> None:
        """Features install themselves here, one line each (heatmap, cases & bookmarks)."""
        from app.heatmap import install as install_heatmap; install_heatmap(self)  # noqa: E702
        from app.cases import install as install_cases; install_cases(self)  # noqa: E702

    def _keep_quit_last(self) -> None:
        """Extensions append to the File menu; Quit stays at the bottom."""
        for action in (self._quit_separator, self.action_quit):
            self.menu_file.removeAction(action)
        self.menu_file.addAction(self._quit_separator)
        self.menu_file.addAction(self.action_quit)

    def set_query(self, text: str) -> None:
        """Put ``text`` in the query bar and apply it now."""
        self.query_bar.set_text(text)

    def add_query_term(self, fragment: str) -> None:
        """AND ``fragment`` onto the current query (right-click Filter/Exclude, drill-downs)."""
        from forensics.query import all_of

        current = self.query_bar.edit.text().strip()
        self.set_query(all_of(current, fragment) if current else fragment)

    def add_dock(
        self,
        widget: QWidget | QDockWidget,
        area: Qt.DockWidgetArea = Qt.DockWidgetArea.RightDockWidgetArea,
        title: str | None = None,
    ) -> QDockWidget:
        """Add a dock (a widget is wrapped); it is listed in View > Panels and persisted."""
        if isinstance(widget, QDockWidget):
            dock = widget
            if title:
                dock.setWindowTitle(title)
        else:
            dock = QDockWidget(title or widget.windowTitle() or type(widget).__name__, self)
            dock.setWidget(widget)
        name = dock.windowTitle() or type(dock.widget()).__name__
        if not dock.objectName():
            dock.setObjectName("dock_" + "".join(ch if ch.isalnum() else "_" for ch in name.lower()))
        self.addDockWidget(area, dock)
        action = dock.toggleViewAction()
        self.menu_panels.addAction(action)
        self._docks[dock.objectName()] = dock
        return dock

    def selected_frame_rows(self) -> list[int]:
        """Positions in ``session.frame`` of the selected grid rows."""
        rows = self.table.selected_row_array()
        return self.session.view[rows].tolist()

    def error_dialog(self, title: str, message: str, details: str = "") -> None:
        log.error("%s: %s %s", title, message, details)
        if self.quiet:
            print(f"mailbox-audit-gui: error: {message} {details}".rstrip(), file=sys.stderr)
        else:
            show_error(self, title, message, details)

    def warning_dialog(self, title: str, message: str, details: str = "") -> None:
        log.warning("%s: %s %s", title, message, details)
        if self.quiet:
            print(f"mailbox-audit-gui: warning: {message} {details}".rstrip(), file=sys.stderr)
        else:
            show_warning(self, title, message, details)

    # ------------------------------------------------------------------ menus
    def _action(self, text: str, slot, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:  # type: ignore[no-untyped-def]
        return menus.action(self, text, slot, shortcut, tip)

    def _fill_columns_menu(self) -> None:
        self.menu_columns.clear()
        chooser = self.table.column_menu(self.menu_columns)
        for action in chooser.actions():
            self.menu_columns.addAction(action)

    # ------------------------------------------------------------------ status bar
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.rows_label = QLabel(self)
        self.selected_label = QLabel(self)
        self.zone_label = QLabel(self)
        self.load_label = QLabel(self)
        self.file_progress = QProgressBar(self)
        self.file_progress.setFormat("file %p%")
        self.overall_progress = QProgressBar(self)
        self.overall_progress.setFormat("overall %p%")
        for bar_widget in (self.file_progress, self.overall_progress):
            bar_widget.setRange(0, 1000)
            bar_widget.setFixedWidth(150)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.cancel_load)
        for w in (self.load_label, self.file_progress, self.overall_progress, self.cancel_button):
            bar.addWidget(w)
            w.hide()
        for w in (self.rows_label, self.selected_label, self.zone_label):
            bar.addPermanentWidget(w)

    def _update_status(self, *_args: object) -> None:
        shown, total = len(self.session.view), len(self.session.frame)
        self.rows_label.setText(f"Rows: {shown:,} of {total:,}")
        self.selected_label.setText(f"Selected: {self.table.selected_count():,}")
        self.zone_label.setText(f"Time zone: {self.session.zone.label()}")

    def _update_title(self) -> None:
        case = self.session.case_dir
        self.setWindowTitle("Mailbox Audit" + (f" — {case.name}" if case is not None else ""))

    # ------------------------------------------------------------------ opening evidence
    def open_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Open evidence", "", "All files (*)")
        if files:
            self.open_paths(files)

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open evidence folder")
        if folder:
            self.open_paths([folder])

    def open_paths(self, paths: Sequence[str | Path]) -> bool:
        """Start loading files/folders; False (with a dialog) when nothing can be loaded."""
        from forensics.ingest import expand_paths

        if self.session.loader.is_running():
            self.warning_dialog("Load in progress", "Wait for the current load to finish, or cancel it, before opening more evidence.")
            return False
        paths = [Path(p) for p in paths]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            self.error_dialog("Cannot open evidence", "These paths do not exist:\n" + "\n".join(missing))
            paths = [p for p in paths if p.exists()]
        try:
            files = expand_paths(paths)
        except Exception as exc:  # noqa: BLE001 - a registry problem must not kill the window
            log.exception("cannot list evidence")
            self.error_dialog("Cannot open evidence", f"{type(exc).__name__}: {exc}")
            return False
        if not files:
            if paths:
                self.error_dialog("No evidence found", "No supported evidence files were found in:\n" + "\n".join(map(str, paths)))
            return False
        select: list[str] = []
        if not self.quiet:  # a disk image or collection: choose what inside it loads (app/dialogs/container_pick.py)
            from app.dialogs.container_pick import pick_from_containers

            picked = pick_from_containers(self, paths)
            if picked is None:
                return False
            paths, select = picked
        if not self.session.examiner and not self.quiet:
            self.session.set_examiner(ensure_examiner(self))
        self.session.open_paths(paths, select=select)
        return True

    def edit_load_options(self) -> None:
        from app.dialogs.load_options import LoadOptionsDialog

        chosen = LoadOptionsDialog.ask(self, self.session.load_options)
        if chosen is not None:
            self.session.load_options = chosen

    def cancel_load(self) -> None:
        self.cancel_button.setEnabled(False)
        self.load_label.setText("Cancelling…")
        self.session.loader.cancel()

    def _load_started(self, count: int) -> None:
        self.load_label.setText("Loading…")
        self.file_progress.setValue(0)
        self.overall_progress.setValue(0)
        self.cancel_button.setEnabled(True)
        for w in (self.load_label, self.file_progress, self.overall_progress, self.cancel_button):
            w.show()
        self.action_open.setEnabled(False)
        self.action_open_folder.setEnabled(False)

    def _load_progress(self, p: LoadProgress) -> None:
        self.load_label.setText(f"Loading {p.file_index + 1}/{p.file_count}: {p.name}")
        self.file_progress.setValue(int(p.file_fraction * 1000))
        self.overall_progress.setValue(int(p.overall_fraction * 1000))

    def _load_idle(self) -> None:
        for w in (self.load_label, self.file_progress, self.overall_progress, self.cancel_button):
            w.hide()
        self.action_open.setEnabled(True)
        self.action_open_folder.setEnabled(True)

    def _load_finished(self, result: LoadResult) -> None:
        loaded = sum(1 for f in result.files if f.status == "loaded")
        self.statusBar().showMessage(f"Loaded {loaded} file(s), {len(result.frame):,} rows", 8000)
        problems = [f for f in result.files if f.status == "failed" or f.notes]
        if problems:
            lines = [f.error or f"{f.path.name}: {'; '.join(f.notes)}" for f in problems]
            self.warning_dialog(
                "Some evidence needs attention",
                f"{len(problems)} of {len(result.files)} file(s) failed to load or need attention; "
                "the others are loaded. See the Evidence panel for details.",
                "\n".join(lines),
            )
        if not result.files:
            self.error_dialog("No evidence found", "No supported evidence files were found.")

    def _load_cancelled(self) -> None:
        self.statusBar().showMessage("Load cancelled: no rows from it were kept (noted in the custody log)", 8000)

    def _load_failed(self, message: str) -> None:
        self.error_dialog("Loading failed", message)

    # ------------------------------------------------------------------ query, detail, zone
    def focus_query(self) -> None:
        self.query_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.query_bar.edit.selectAll()

    def clear_query(self) -> None:
        """Esc: close the completion list if it is open, else clear the query (Ctrl+Z undoes)."""
        if self.query_bar.edit.close_completions():
            return
        self.query_bar.clear()

    def show_detail(self, frame_row: int) -> None:
        self.detail_panel.show_row(frame_row)
        self.detail_dock.show()
        self.detail_dock.raise_()

    def _detail_current(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self.show_detail(int(self.session.view[index.row()]))

    def _current_row_changed(self, current, _previous) -> None:  # type: ignore[no-untyped-def]
        if current.isValid() and self.detail_dock.isVisible():
            self.detail_panel.show_row(int(self.session.view[current.row()]))

    def _remember_columns(self) -> None:
        self._column_layout = self.column_layout()

    def _model_reset(self) -> None:
        self._apply_column_layout(self._column_layout or {})
        self._update_status()

    def set_zone(self, zone: DisplayZone) -> None:
        self.session.set_zone(zone)
        action = {"utc": self.action_zone_utc, "local": self.action_zone_local}.get(zone.kind, self.action_zone_offset)
        action.setChecked(True)
        if zone.kind in ("offset", "named"):
            self.action_zone_offset.setText(f"Zone or offset ({zone.label()})…")

    def ask_zone_offset(self) -> None:
        current = self.session.zone.storage() if self.session.zone.kind in ("offset", "named") else ""
        text, ok = QInputDialog.getText(
            self, "Display time zone",
            "Zone name (e.g. America/New_York, Europe/Berlin: daylight saving per time)\n"
            "or a fixed offset from UTC (e.g. +02:00, -05:30):", text=current)
        if not ok:
            self.set_zone(self.session.zone)
            return
        try:
            self.set_zone(DisplayZone.parse(text))
        except ValueError as exc:
            self.error_dialog("Display time zone", str(exc))
            self.set_zone(self.session.zone)

    def change_examiner(self) -> None:
        name = ExaminerDialog.ask(self, self.session.examiner or "")
        if name:
            remember_examiner(name)
            self.session.set_examiner(name)

    # ------------------------------------------------------------------ drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls() if event.mimeData().hasUrls() else []
        if any(u.isLocalFile() for u in urls):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.open_paths(paths)

    # ------------------------------------------------------------------ persistence
    _column_layout: dict | None = None

    def column_layout(self) -> dict[str, dict[str, int | bool]]:
        """Order, width and visibility of each column, by name (survives added columns)."""
        header = self.table.horizontalHeader()
        out: dict[str, dict[str, int | bool]] = dict(self._column_layout or {})
        for logical, name in enumerate(self.model.columns):
            out[name] = {
                "visual": header.visualIndex(logical),
                "width": header.sectionSize(logical) if not header.isSectionHidden(logical) else out.get(name, {}).get("width", 120),
                "hidden": header.isSectionHidden(logical),
                "pinned": self.table.frozen.is_pinned(name),
            }
        return out

    def _apply_column_layout(self, layout: dict) -> None:
        header = self.table.horizontalHeader()
        columns = self.model.columns
        for logical, name in enumerate(columns):
            spec = layout.get(name)
            hidden = bool(spec["hidden"]) if spec else name in DEFAULT_HIDDEN
            width = int(spec["width"]) if spec else DEFAULT_WIDTHS.get(name, 130)
            header.resizeSection(logical, max(30, width))
            header.setSectionHidden(logical, hidden)
        def rank(i: int) -> tuple[int, int]:  # saved place, else the default order
            spec = layout.get(columns[i])
            if spec is not None and "visual" in spec:
                return int(spec["visual"]), i
            return (DEFAULT_ORDER.index(columns[i]) if columns[i] in DEFAULT_ORDER else len(DEFAULT_ORDER) + i), i

        ordered = sorted(range(len(columns)), key=rank)
        for target, logical in enumerate(ordered):
            current = header.visualIndex(logical)
            if current != target:
                header.moveSection(current, target)
        if layout and any("pinned" in spec for spec in layout.values() if isinstance(spec, dict)):
            pinned = [columns[i] for i in ordered if (layout.get(columns[i]) or {}).get("pinned")]
        else:
            pinned = [n for n in DEFAULT_PINNED if n in columns]
        self.table.frozen.set_pinned(pinned)
        self._column_layout = dict(layout)

    def _restore_settings(self) -> None:
        store = app_settings.settings()
        geometry = store.value(SETTINGS_GEOMETRY)
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = store.value(SETTINGS_STATE)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        try:
            layout = json.loads(str(store.value(SETTINGS_COLUMNS, "") or "{}"))
        except json.JSONDecodeError:
            layout = {}
        self._column_layout = layout if isinstance(layout, dict) else {}
        self._apply_column_layout(self._column_layout)
        try:
            zone = DisplayZone.parse(str(store.value(SETTINGS_ZONE, "UTC") or "UTC"))
        except ValueError:
            zone = DisplayZone()
        self.set_zone(zone)

    def save_settings(self) -> None:
        store = app_settings.settings()
        store.setValue(SETTINGS_GEOMETRY, self.saveGeometry())
        store.setValue(SETTINGS_STATE, self.saveState())
        self._column_layout = self.column_layout()
        store.setValue(SETTINGS_COLUMNS, json.dumps(self._column_layout))
        store.setValue(SETTINGS_ZONE, self.session.zone.storage())
        store.sync()

    def reset_layout(self) -> None:
        self._column_layout = {}
        self._apply_column_layout({})
        apply_default_layout(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        self.session.shutdown()
        super().closeEvent(event)
