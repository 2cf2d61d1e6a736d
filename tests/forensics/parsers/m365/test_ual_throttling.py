"""A throttled MailItemsAccessed record (IsThrottled=True) makes the export's next 24 hours
for that mailbox a loud AUDIT THROTTLED note: those records are never written."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forensics.parsers.base import FileReport
from forensics.parsers.m365.ual_throttling import ThrottleWatch
from test_ual import COMPOSITE_BIND, COMPOSITE_SYNC, parse, purview_csv


def throttled(record: dict, when: str, record_id: str, mailbox: str | None = None) -> dict:
    props = [{"Name": "MailAccessType", "Value": "Bind"}, {"Name": "IsThrottled", "Value": "True"}]
    out = {**record, "CreationTime": when, "Id": record_id, "OperationProperties": props}
    if mailbox:
        out["MailboxOwnerUPN"] = mailbox
    return out


def test_throttled_records_become_one_note_per_window(tmp_path: Path) -> None:
    records = [
        COMPOSITE_BIND,
        throttled(COMPOSITE_BIND, "2024-03-05T10:00:00", "t1"),  # two items: one window
        throttled(COMPOSITE_BIND, "2024-03-05T22:00:00", "t2"),  # inside the open window: nothing new
        throttled(COMPOSITE_BIND, "2024-03-07T08:00:00", "t3"),  # a second throttling
        throttled(COMPOSITE_BIND, "2024-03-05T11:30:00", "t4", mailbox="cfo@contoso.com"),
        COMPOSITE_SYNC,
    ]
    frame, report, _ = parse(tmp_path, purview_csv(records))
    assert report.accepted == 6 and len(frame) == 12
    assert report.gap_notes() == [
        "AUDIT THROTTLED: Microsoft 365 throttled MailItemsAccessed auditing (IsThrottled=True after more than 1,000 "
        "records in 24 hours) and writes none for the mailbox for the next 24 hours: "
        "ceo@contoso.com from 2024-03-05 10:00:00 to 2024-03-06 10:00:00; "
        "ceo@contoso.com from 2024-03-07 08:00:00 to 2024-03-08 08:00:00; "
        "cfo@contoso.com from 2024-03-05 11:30:00 to 2024-03-06 11:30:00 (UTC). "
        "Mail accessed in these windows may be missing from the evidence"
    ]
    assert [(m.start, m.end, m.mailbox) for m in report.missing] == [
        ("2024-03-05T10:00:00Z", "2024-03-06T10:00:00Z", "ceo@contoso.com"),
        ("2024-03-07T08:00:00Z", "2024-03-08T08:00:00Z", "ceo@contoso.com"),
        ("2024-03-05T11:30:00Z", "2024-03-06T11:30:00Z", "cfo@contoso.com"),
    ]
    assert report.missing[0].label == "AUDIT THROTTLED: MailItemsAccessed of ceo@contoso.com"


def test_no_throttled_record_no_note(tmp_path: Path) -> None:
    _, report, _ = parse(tmp_path, purview_csv([COMPOSITE_BIND, COMPOSITE_SYNC]))
    assert report.notes == []


def test_a_throttled_row_without_mailbox_or_time_is_still_handled() -> None:
    watch = ThrottleWatch()
    watch.add(pd.DataFrame({"mailbox": pd.array([None, "a@x"], dtype="string"),
                            "time": pd.to_datetime(["2024-03-05T01:00:00Z", None], utc=True),
                            "details": pd.array(["IsThrottled=True (logging paused 24 h)"] * 2, dtype="string")}))
    report = FileReport(path=Path("x.csv"))
    watch.report_to(report)
    assert "(mailbox not recorded) from 2024-03-05 01:00:00 to 2024-03-06 01:00:00 (UTC)" in report.notes[0]
    assert report.missing[0].mailbox == ""
