"""Throttled MailItemsAccessed auditing in a Microsoft 365 export: a window with no records.

Why: when a mailbox produces more than 1,000 MailItemsAccessed records within 24 hours,
Exchange Online marks the record ``IsThrottled=True`` and then writes no MailItemsAccessed
records for that mailbox for 24 hours (Microsoft's MailItemsAccessed investigation guide;
``reference/evidence-formats.md`` §5). Those are exactly the hours a bulk theft of mail would
fall in, and the absence of records there proves nothing. The row already says so in its
details; this makes it a loud note on the file, naming each mailbox and window (UTC).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forensics.parsers.base import FileReport, MissingPeriod

#: how the mapping marks a throttled record in ``details`` (``ual_mapping``)
MARK = "IsThrottled=True"
#: how long Exchange Online stops writing MailItemsAccessed records for the mailbox
PAUSE = pd.Timedelta(hours=24)
NOTE = "AUDIT THROTTLED"
MAX_LISTED = 5
_NO_MAILBOX = "(mailbox not recorded)"


class ThrottleWatch:
    """Collects the throttled records of an export, a frame (slice) at a time."""

    def __init__(self) -> None:
        self._found: list[pd.DataFrame] = []

    def add(self, frame: pd.DataFrame) -> None:
        if not len(frame) or "details" not in frame:
            return
        marked = frame["details"].str.contains(MARK, regex=False, na=False).to_numpy(dtype=bool)
        if marked.any():
            self._found.append(frame.loc[marked, ["mailbox", "time"]])

    def report_to(self, report: FileReport) -> None:
        """One note naming each throttled mailbox and the 24 hours after each throttling."""
        if not self._found:
            return
        found = pd.concat(self._found, ignore_index=True).dropna(subset=["time"])
        if not len(found):
            return
        found["mailbox"] = found["mailbox"].astype("string").fillna(_NO_MAILBOX)
        windows = []
        for mailbox, times in found.groupby("mailbox", sort=True)["time"]:  # a handful of mailboxes
            for start in _window_starts(np.unique(times.to_numpy())):  # exploded rows share a time
                end = start + PAUSE
                windows.append(f"{mailbox} from {_utc(start)} to {_utc(end)}")
                report.missing.append(MissingPeriod(_iso(start), _iso(end), f"{NOTE}: MailItemsAccessed of {mailbox}",
                                                    mailbox if mailbox != _NO_MAILBOX else ""))
        listed = "; ".join(windows[:MAX_LISTED]) + (f"; … {len(windows) - MAX_LISTED} more" if len(windows) > MAX_LISTED else "")
        report.notes.append(
            f"{NOTE}: Microsoft 365 throttled MailItemsAccessed auditing (IsThrottled=True after more than 1,000 "
            f"records in 24 hours) and writes none for the mailbox for the next 24 hours: {listed} (UTC). "
            "Mail accessed in these windows may be missing from the evidence"
        )


def _window_starts(times: np.ndarray) -> list[pd.Timestamp]:
    """Throttle times that start a new window (a record inside an open window extends nothing)."""
    starts: list[pd.Timestamp] = []
    for t in times:
        moment = pd.Timestamp(t)
        if moment.tzinfo is None:
            moment = moment.tz_localize("UTC")
        if not starts or moment >= starts[-1] + PAUSE:
            starts.append(moment)
    return starts


def _iso(moment: pd.Timestamp) -> str:
    return moment.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(moment: pd.Timestamp) -> str:
    return moment.tz_convert("UTC").strftime("%Y-%m-%d %H:%M:%S")
