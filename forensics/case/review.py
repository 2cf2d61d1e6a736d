"""The examiner's findings settings that travel with a case: expected-access marks and the
work hours behind the after-hours counts.

Both change what a report says about the same rows, so both are kept in ``case.json`` and
every change is logged in the custody log: a report made later, from the GUI or the command
line, counts and orders the findings exactly as the examiner left them.
"""

from __future__ import annotations

import pandas as pd

from forensics.aggregate.expected import ExpectedAccess, expected_column, replace_mark, without_mark
from forensics.aggregate.work_hours import WorkHours
from forensics.case.bookmarks import TAG_COLUMN, BookmarkBook
from forensics.case.model import now_stamp
from forensics.query.fields import EXPECTED_COLUMN
from forensics.custody.log import CustodyLog


class CaseReview:
    """Mixed into ``Case``: it provides ``custody``, ``examiner``, ``bookmarks``, ``expected`` and
    ``work_hours_text``."""

    custody: CustodyLog
    bookmarks: BookmarkBook
    examiner: str
    expected: list[ExpectedAccess]
    work_hours_text: str  # WorkHours.to_text(), "" = not set for this case

    def mark_expected(self, actor: str, mailbox: str, reason: str, examiner: str = "") -> ExpectedAccess:
        """Record that ``actor`` reading ``mailbox`` ("" = any) is explained; logged in custody."""
        mark = ExpectedAccess(actor, mailbox, reason, examiner or self.examiner, now_stamp())
        self.expected = replace_mark(self.expected, mark)
        self.custody.append("finding-marked-expected", actor=actor, mailbox=mailbox or "(every mailbox)", reason=reason)
        return mark

    def unmark_expected(self, actor: str, mailbox: str) -> bool:
        kept = without_mark(self.expected, actor, mailbox)
        removed, self.expected = len(kept) < len(self.expected), kept
        if removed:
            self.custody.append("finding-mark-removed", actor=actor, mailbox=mailbox or "(every mailbox)")
        return removed

    def with_review_columns(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` plus the columns the examiner's review derives: ``tag`` (bookmarks) right
        after time, ``expected`` (the reason of the mark explaining the row) after mailbox
        when the case has marks — so ``tag:`` and ``is:expected`` queries work on it."""
        out = frame.copy(deep=False)
        derived = [(TAG_COLUMN, self.bookmarks.tag_column(frame), "time")]
        if self.expected:
            derived.append((EXPECTED_COLUMN, expected_column(frame, self.expected), "mailbox"))
        elif EXPECTED_COLUMN in out.columns:
            out = out.drop(columns=EXPECTED_COLUMN)
        for name, values, after in derived:
            if name in out.columns:
                out[name] = values
            else:
                where = out.columns.get_loc(after) + 1 if after in out.columns else len(out.columns)
                out.insert(where, name, values)
        return out

    @property
    def work_hours(self) -> WorkHours | None:
        """The case's work hours, or ``None`` when the case has none (the caller's default applies)."""
        return WorkHours.from_text(self.work_hours_text) if self.work_hours_text else None

    def set_work_hours(self, hours: WorkHours) -> bool:
        """Keep ``hours`` with the case; logged when they change. Returns whether they changed."""
        text = hours.to_text()
        if text == self.work_hours_text:
            return False
        self.work_hours_text = text
        self.custody.append("work-hours-set", work_hours=text)  # start;end;days (Mon=0);zone ("" = display zone)
        return True
