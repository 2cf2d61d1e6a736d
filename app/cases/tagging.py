"""Bookmarks from the GUI: tag and untag rows (Ctrl+B, the cell menu), the Tag and
Expected columns, and the Bookmarks dock (list, remove, jump to a bookmarked row).

Split out of ``app.cases.controller`` (one responsibility per module); the controller
keeps its public methods and delegates here. The bookmark rules and custody entries are in
``forensics.case``; this class only wires them to the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from app.cases.dialogs import TagDialog

if TYPE_CHECKING:
    from app.cases.controller import CaseController
    from forensics.case import Case


class CaseBookmarks:
    """Tag, untag, list and jump to the bookmarks of the controller's case."""

    def __init__(self, controller: CaseController) -> None:
        self.controller = controller
        self.window = controller.window
        self.session = controller.session

    @property
    def case(self) -> Case | None:
        return self.controller.case

    def apply_review_columns(self) -> None:
        """Give the frame the columns the case's review derives: ``tag`` (bookmarks) and,
        once pairs are marked, ``expected`` (so ``tag:NAME``, ``is:expected`` and the Tag and
        Expected columns work)."""
        if self.case is not None and len(self.session.frame):
            self.session.set_frame(self.case.with_review_columns(self.session.frame))

    def tag_selected_dialog(self) -> None:
        rows = self.window.selected_frame_rows()
        if not rows:
            self.window.statusBar().showMessage("Select rows in the grid first, then press Ctrl+B", 5000)
            return
        if self.case is None:
            answer = QMessageBox.question(self.window, "Bookmarks need a case",
                                          "Bookmarks are kept in a case folder. Create a case now?")
            if answer != QMessageBox.StandardButton.Yes:
                return
            self.controller.new_case_dialog()
            if self.case is None:
                return
            if self.controller.task is not None and self.controller.task.is_running():  # adopting: rows may still leave
                self.window.statusBar().showMessage(
                    "Re-hashing the open evidence into the new case; select the rows and press Ctrl+B again", 8000)
                return
        # the rows themselves, taken now: a re-sort, filter or load while the dialog is open
        # cannot move the tag to another row (bookmarks name rows by evidence and record)
        snapshot = self.session.frame.iloc[rows].copy()
        dialog = TagDialog(len(rows), self.case.bookmarks.tags(), self.window, first_row=self._row_words(snapshot))
        if dialog.exec():
            self.tag_snapshot(snapshot, dialog.tag.currentText().strip(), dialog.comment_text().strip())

    def _row_words(self, rows: pd.DataFrame) -> str:
        """The first row as the tag dialog names it: time (display zone), actor, operation."""
        if not len(rows):
            return ""
        first = rows.iloc[0]
        stamp = first["time"]
        when = "" if pd.isna(stamp) else stamp.tz_convert(self.session.zone.tzinfo()).strftime("%Y-%m-%d %H:%M:%S")
        parts = [when, str(first["actor"]) if pd.notna(first["actor"]) else "(no actor)",
                 str(first["operation"]) if pd.notna(first["operation"]) else ""]
        return " · ".join(p for p in parts if p) + f" ({self.session.zone.label()})"

    def tag_rows(self, frame_rows: list[int], tag: str, comment: str = "") -> int:
        """Bookmark rows (positions in ``session.frame``) and save the case."""
        if self.case is None or not frame_rows:
            return 0
        return self.tag_snapshot(self.session.frame.iloc[list(frame_rows)], tag, comment)

    def tag_snapshot(self, rows: pd.DataFrame, tag: str, comment: str = "") -> int:
        """Bookmark these rows (a slice of the frame taken when they were chosen)."""
        if self.case is None or not len(rows):
            return 0
        added = self.case.bookmarks.add(rows, range(len(rows)), tag, comment, examiner=self.session.examiner or "")
        self.case.custody.append("bookmarks-added", tag=tag, rows=len(added))
        self.case.save()
        self.session.custody_changed.emit()
        self.apply_review_columns()
        self.refresh_bookmarks()
        return len(added)

    def untag_rows(self, frame_rows: list[int], tag: str) -> int:
        """Remove ``tag`` from rows (positions in ``session.frame``); logged in custody."""
        if self.case is None or not frame_rows:
            return 0
        located = self.case.bookmarks.locate(self.session.frame)
        hit = located[located["position"].isin(list(frame_rows)) & (located["tag"] == tag)]
        items = self.case.bookmarks.items
        removed = self.case.bookmarks.remove([items[i] for i in sorted(set(hit["bookmark"].tolist()))])
        if removed:
            self.case.custody.append("bookmarks-removed", tag=tag, rows=removed)
            self.case.save()
            self.session.custody_changed.emit()
            self.apply_review_columns()
            self.refresh_bookmarks()
        return removed

    def cell_actions(self, index: Any) -> list[QAction]:
        """The grid's cell menu: tag the selected rows, or remove a tag they carry."""
        w = self.window
        rows = w.selected_frame_rows()
        if not rows and index.isValid():
            rows = [int(self.session.view[index.row()])]
        tag_action = QAction(f"Tag {'selected rows' if len(rows) != 1 else 'this row'}…", w)
        tag_action.setShortcut(QKeySequence("Ctrl+B"))
        tag_action.triggered.connect(self.tag_selected_dialog)
        actions = [tag_action]
        if self.case is not None and "tag" in self.session.columns() and rows:
            values = self.session.column_values("tag").iloc[rows[:10_000]].dropna().astype(str)
            present = sorted({t.strip() for joined in values.unique() for t in joined.split(",") if t.strip()})
            for tag in present[:12]:
                untag = QAction(f"Remove tag '{tag}' from {'these rows' if len(rows) != 1 else 'this row'}", w)
                untag.triggered.connect(lambda _c=False, t=tag, r=list(rows): self.untag_rows(r, t))
                actions.append(untag)
        return actions

    def remove_bookmarks(self, indexes: list[int]) -> None:
        if self.case is None:
            return
        items = self.case.bookmarks.items
        self.case.bookmarks.remove([items[i] for i in indexes if 0 <= i < len(items)])
        self.case.save()
        self.apply_review_columns()
        self.refresh_bookmarks()

    def refresh_bookmarks(self) -> None:
        if self.case is None:
            self.controller.bookmarks_panel.show_bookmarks([])
            return
        located = self.case.bookmarks.locate(self.session.frame)
        first = located.drop_duplicates("bookmark").set_index("bookmark")["position"]
        rows = []
        for index, bookmark in enumerate(self.case.bookmarks.items):
            s = bookmark.summary
            rows.append((bookmark.tag, bookmark.comment, s.get("time", "").replace("T", " ")[:19],
                         s.get("operation", ""), s.get("mailbox", ""), s.get("actor", ""), s.get("item", ""),
                         int(first.get(index, -1)) >= 0))
        self.controller.bookmarks_panel.show_bookmarks(rows)

    def jump_to_bookmark(self, index: int) -> bool:
        """Select the bookmarked row in the grid (narrowing the query to it if it is hidden)."""
        if self.case is None or not 0 <= index < len(self.case.bookmarks):
            return False
        located = self.case.bookmarks.locate(self.session.frame)
        positions = located.loc[(located["bookmark"] == index) & (located["position"] >= 0), "position"]
        if positions.empty:
            self.window.statusBar().showMessage("That bookmark's row is not in the loaded evidence", 6000)
            return False
        target = int(positions.iloc[0])
        view_rows = np.flatnonzero(self.session.view == target)
        if not len(view_rows):
            from forensics.query import all_of, exact

            bookmark = self.case.bookmarks.items[index]
            self.window.set_query(all_of(exact("evidence", bookmark.evidence),
                                         f"record_id:{bookmark.record_id}" if bookmark.record_id is not None else ""))
            view_rows = np.flatnonzero(self.session.view == target)
            if not len(view_rows):
                self.window.statusBar().showMessage("The bookmarked row is hidden by the quick filters", 6000)
                return False
        row = int(view_rows[0])
        table = self.window.table
        table.selectRow(row)
        table.scrollTo(table.model().index(row, 0))
        self.window.show_detail(target)
        return True
