"""Findings review: the examiner marks a pair (or an actor) as expected access, with a reason,
and sets the work hours; an open case keeps both.

The marks live in the open case (``Case.mark_expected``: saved in case.json, logged in the
custody log) and reach the Findings dock through ``FindingsPanel.marks``; reports exported
from the case list marked pairs after the unreviewed ones, with the reason. A mark without
a case has nowhere to be kept, so the examiner is offered to create one (as for bookmarks).
Work hours: a case that has its own is shown with them; a case without takes the GUI's, so
a report made later from the command line counts after-hours access the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QInputDialog, QMessageBox

from forensics.errors import ForensicsError

if TYPE_CHECKING:
    from app.cases.controller import CaseController


class FindingsReview(QObject):
    """Connects the Findings dock's mark requests to the open case."""

    def __init__(self, cases: "CaseController") -> None:
        super().__init__(cases)
        self.cases = cases
        self.window = cases.window
        self.panel = getattr(self.window, "findings_panel", None)
        if self.panel is not None:
            self.panel.marks = lambda: list(self.cases.case.expected) if self.cases.case else []
            self.panel.mark_requested.connect(self.mark_dialog)
            self.panel.unmark_requested.connect(self.unmark)
            self.panel.work_hours_changed.connect(self._work_hours_set)

    def mark_dialog(self, actor: str, mailbox: str) -> None:
        if self.cases.case is None:
            answer = QMessageBox.question(self.window, "Review marks need a case",
                                          "Expected-access marks are kept in a case folder. Create a case now?")
            if answer != QMessageBox.StandardButton.Yes:
                return
            self.cases.new_case_dialog()
            if self.cases.case is None:
                return
        scope = f"{actor} opening {mailbox}" if mailbox else f"{actor} opening any mailbox"
        reason, ok = QInputDialog.getText(
            self.window, "Mark as expected access",
            f"Why is {scope} expected? The reason is kept in the case, logged and printed in reports\n"
            "(e.g. backup service account; FullAccess granted for calendar work, ticket 4711):")
        if ok and reason.strip():
            self.mark(actor, mailbox, reason.strip())
        elif ok:
            self.window.statusBar().showMessage("Not marked: a mark needs a reason", 5000)

    def mark(self, actor: str, mailbox: str, reason: str) -> bool:
        case = self.cases.case
        if case is None or not reason.strip():
            return False
        case.mark_expected(actor, mailbox, reason.strip(), examiner=self.cases.session.examiner or "")
        return self._saved(f"Marked {actor} → {mailbox or 'every mailbox'} as expected access")

    def unmark(self, actor: str, mailbox: str) -> bool:
        case = self.cases.case
        if case is None or not case.unmark_expected(actor, mailbox):
            return False
        return self._saved(f"Removed the expected mark of {actor} → {mailbox or 'every mailbox'}")

    def refresh(self) -> None:
        """Show the open case's marks and work hours (a case without hours takes the GUI's)."""
        if self.panel is None:
            return
        case = self.cases.case
        hours = case.work_hours if case is not None else None
        if hours is not None:
            self.panel.set_work_hours(hours, remember=False)
            return
        if case is not None and case.set_work_hours(self.panel.work_hours):
            self._save()
        self.panel.recompute()

    def _work_hours_set(self, hours) -> None:  # type: ignore[no-untyped-def]
        case = self.cases.case
        if case is not None and case.set_work_hours(hours):
            self._save()

    def _save(self) -> bool:
        try:
            self.cases.case.save()  # type: ignore[union-attr]
        except ForensicsError as exc:
            self.window.error_dialog("Save case", exc.user_message)
            return False
        self.cases.session.custody_changed.emit()
        return True

    def _saved(self, message: str) -> bool:
        if not self._save():
            return False
        self.cases.apply_review_columns()  # the rows' ``expected`` column follows the marks
        if self.panel is not None:
            self.panel.recompute()
        self.window.statusBar().showMessage(message, 5000)
        return True
