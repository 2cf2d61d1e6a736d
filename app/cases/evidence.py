"""Which files are in the open case, from the GUI: evidence already open when a case is
created (adopted after a re-hash, or left out, as the examiner chooses) and evidence
removed from a case (Evidence dock, right-click). The rules and custody entries are in
``forensics.case.membership``; this class runs them off the GUI thread and updates the view.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.cases.dialogs import RemoveEvidenceDialog
from app.workers import Task
from forensics.case import Case, verification
from forensics.case.membership import Adoption, adopt_open_files, leave_out_open_files, remove_evidence
from forensics.case.model import EvidenceEntry
from forensics.errors import ForensicsError
from forensics.parsers.base import FileReport

if TYPE_CHECKING:
    from app.cases.controller import CaseController


class CaseEvidence(QObject):
    """Adopt, leave out and remove evidence of the controller's case."""

    adopted = Signal(object)  # Adoption, once the re-hash of the open files has finished
    removed = Signal(int)  # rows removed from the view

    def __init__(self, controller: "CaseController") -> None:
        super().__init__(controller)
        self.controller = controller
        self.window = controller.window
        self.session = controller.session
        self.window.evidence_panel.remove_requested.connect(self.remove_dialog)

    # -- when a case is created ---------------------------------------------------------
    def open_files(self) -> list[FileReport]:
        """Files open in the window that were read (hashed): the ones a new case must decide on."""
        return [f for f in self.session.files if f.hashes is not None]

    def adopt(self, case: Case, files: list[FileReport]) -> Task:
        """Re-hash ``files`` on a worker thread and record the unchanged ones in ``case``."""
        pairs = [(f, self.session.options_of(f)) for f in files]

        def work() -> Adoption:
            adoption = adopt_open_files(case, pairs)
            case.save()
            return adoption

        c = self.controller
        c.task = Task(work, c)
        c.task.done.connect(self._adopted)
        c.task.error.connect(c._task_failed)
        c._set_open_enabled(False)
        c.task.done.connect(lambda _value: c._set_open_enabled(True))
        c.task.error.connect(lambda _message: c._set_open_enabled(True))
        self.window.statusBar().showMessage(f"Re-hashing {len(files)} open file(s) into the new case…")
        c.task.start()
        return c.task

    def _adopted(self, adoption: Adoption) -> None:
        if adoption.refused:
            self.session.remove_files([report for report, _ in adoption.refused])
            self.window.warning_dialog(
                "EVIDENCE CHANGED SINCE IT WAS OPENED",
                f"{len(adoption.refused)} open file(s) no longer match what was loaded and were left out of the "
                "case (logged in its custody log). Open them again to add their current content.",
                "\n".join(f"{report.path}: {why}" for report, why in adoption.refused),
            )
        self.window.evidence_panel.refresh()  # the custody column now names the case's entries
        self.session.custody_changed.emit()
        self.controller.apply_review_columns()
        self.window.statusBar().showMessage(
            f"{len(adoption.adopted)} open file(s) re-hashed and added to the case", 8000)
        self.adopted.emit(adoption)

    def leave_out(self, case: Case, files: list[FileReport]) -> None:
        """Log the examiner's choice and close the files: the case starts empty."""
        leave_out_open_files(case, files)
        self.session.clear()
        self.session.custody_changed.emit()

    # -- removing -------------------------------------------------------------------------
    def remove_dialog(self, reports: list[FileReport]) -> None:
        dialog = RemoveEvidenceDialog(reports, self.controller.case is not None, self.window)
        if dialog.exec():
            self.remove(reports, dialog.reason.text().strip())

    def entries_of(self, reports: list[FileReport]) -> list[EvidenceEntry]:
        """The case's evidence entries for these files (by path, wherever the case found it)."""
        case = self.controller.case
        if case is None:
            return []
        paths = {str(Path(r.path).resolve()) for r in reports}
        return [e for e in case.evidence
                if e.path in paths or str(verification.locate(e, case.folder).resolve()) in paths]

    def remove(self, reports: list[FileReport], reason: str = "") -> int:
        """Take files out of the case (logged, case saved) and their rows out of the view."""
        c = self.controller
        if (c.task is not None and c.task.is_running()) or self.session.loader.is_running():
            self.window.warning_dialog("Remove evidence", "Wait for the current load or case task to finish.")
            return 0
        case = c.case
        try:
            if case is not None:
                remove_evidence(case, self.entries_of(reports), reason)
                case.save()
            else:
                self.session.custody_log().append(
                    "evidence-closed", paths=[str(Path(r.path).resolve()) for r in reports], reason=reason or None)
        except ForensicsError as exc:
            self.window.error_dialog("Remove evidence", exc.user_message)
            return 0
        rows = self.session.remove_files(reports)
        self.session.custody_changed.emit()
        c.refresh_bookmarks()
        self.window.statusBar().showMessage(
            f"Removed {len(reports)} file(s) and {rows:,} row(s)" + (" from the case" if case else ""), 8000)
        self.removed.emit(rows)
        return rows

    def remember_case_options(self) -> None:
        """After a case load: each open file keeps the options the case records for it."""
        case = self.controller.case
        if case is None:
            return
        by_path: dict[str, list[FileReport]] = {}
        for report in self.session.files:
            by_path.setdefault(str(Path(report.path).resolve()), []).append(report)
        for entry in case.evidence:
            located = str(verification.locate(entry, case.folder).resolve())
            for report in by_path.get(entry.path, []) + (by_path.get(located, []) if located != entry.path else []):
                self.session.remember_options(report, entry.load_options())
