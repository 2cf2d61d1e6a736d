"""The correlation rules on hand-built rows: what is one access, and what never is.

The rows reproduce how each source records an access (``/work/shared/reference/evidence-formats.md``):
a 10100/10102 of the Exchange Auditing log names the folder path and the subject; an
Exchange 2003 OWA line names ``/exchange/<smtp>/<folder>/<subject>.EML``; a Microsoft 365
``MailItemsAccessed`` Bind record aggregates the binds of one session for up to two minutes
and is stamped with the first (Microsoft Learn, "Use MailItemsAccessed to investigate
compromised accounts"), each item a row naming only the InternetMessageId and the folder
with backslashes; a ``Search-MailboxAuditLog`` FolderBind names ``\\Inbox``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from forensics import schema
from forensics.correlate import correlate

T0 = pd.Timestamp("2024-03-24T07:12:02Z")


def row(seconds: float, operation: str, source_format: str, evidence: str, *, folder: str | None = None,
        item: str | None = None, actor: str = "Dana White", mailbox: str = "Jordan Lee", details: str | None = None,
        record: int = 0) -> dict:
    return {"time": T0 + pd.Timedelta(seconds=seconds), "operation": operation, "source_format": source_format,
            "evidence": evidence, "folder": folder, "item": item, "actor_key": actor, "mailbox_key": mailbox,
            "actor": actor, "mailbox": mailbox, "logon_type": "Delegate", "details": details, "record_id": record}


def table(rows: list[dict]) -> pd.DataFrame:
    out, _ = correlate(schema.conform(rows))
    return out


def groups(frame: pd.DataFrame) -> list[set[int]]:
    """Row positions per access, as sets (order-free)."""
    ids = frame["access_id"].astype(int).tolist()
    out: dict[int, set[int]] = {}
    for pos, access in enumerate(ids):
        out.setdefault(access, set()).add(pos)
    return sorted(out.values(), key=min)


BIND = "MailAccessType=Bind; OperationCount=3"


def test_an_aggregated_bind_record_is_spread_over_the_opens_that_follow_it() -> None:
    rows = [
        row(0, "MessageOpen", "evtx", "ev1", folder="/Inbox", item="Invoice approval"),
        row(32, "MessageOpen", "evtx", "ev1", folder="/Inbox", item="Bank account change"),
        row(54, "MessageOpen", "evtx", "ev1", folder="/Inbox", item="Wire limits"),
        *[row(0, "MailItemsAccessed", "ual", "ual1", folder="\\Inbox", item=f"<M{i}@EXMBX01.contoso.com>", details=BIND)
          for i in range(3)],
        row(0, "MessageOpen", "iis", "iis1", folder="/Inbox", item="Invoice approval.EML"),
        row(32, "MessageOpen", "iis", "iis1", folder="/Inbox", item="Bank account change.EML"),
        row(54, "MessageOpen", "iis", "iis1", folder="/Inbox", item="Wire limits.EML"),
    ]
    out = table(rows)
    assert out["access_id"].nunique() == 3
    assert (out["access_operation"] == "MessageOpen").all()
    assert out["access_sources"].tolist() == [3] * 9
    assert out["access_seen_in"].astype(str).unique().tolist() == ["evtx, iis, ual"]
    # each subject is one access with its own IIS line (same subject), and one Bind item
    for subject in ("Invoice approval", "Bank account change", "Wire limits"):
        access = out.loc[out["item"] == subject, "access_id"].iloc[0]
        mine = out[out["access_id"] == access]
        assert sorted(mine["source_format"].astype(str)) == ["evtx", "iis", "ual"]
        assert mine.loc[mine["source_format"] == "iis", "item"].iloc[0] == subject + ".EML"
    rules = dict(zip(out["source_format"].astype(str), out["access_rule"].astype(str)))
    assert rules["evtx"] == "founding" and rules["iis"].startswith("iis-request") and rules["ual"].startswith("ual-bind")


def test_a_bind_is_never_matched_to_an_open_before_it_or_more_than_two_minutes_after() -> None:
    rows = [
        row(-10, "MessageOpen", "evtx", "ev1", folder="/Inbox", item="Before"),
        row(200, "MessageOpen", "evtx", "ev1", folder="/Inbox", item="Too late"),
        row(0, "MailItemsAccessed", "ual", "ual1", folder="\\Inbox", item="<A@x.com>", details=BIND),
    ]
    out = table(rows)
    assert out["access_id"].nunique() == 3


def test_two_rows_of_one_file_are_two_accesses_however_alike() -> None:
    rows = [row(0, "FolderOpen", "evtx", "ev1", folder="/Inbox"), row(0, "FolderOpen", "evtx", "ev1", folder="/Inbox"),
            row(1, "FolderOpen", "mailbox-audit", "mb1", folder="\\Inbox")]
    out = table(rows)
    assert out["access_id"].nunique() == 2  # the audit row joins one of them, never both
    assert out.groupby(["access_id", "evidence"], observed=True).size().max() == 1


@pytest.mark.parametrize("change", [
    {"folder": "/Inbox/Finance"},  # another folder
    {"actor": "Pat Quinn"},  # another actor person
    {"mailbox": "Alex Morgan"},  # another mailbox person
    {"operation": "MessageOpen", "item": "Invoice"},  # another kind of access
    {"seconds": 3.0},  # outside the store clock window (±2 s)
    {"actor": None},  # a row without an actor person is never merged
])
def test_rows_that_differ_in_what_the_rules_compare_stay_apart(change: dict) -> None:
    base = row(0, "FolderOpen", "evtx", "ev1", folder="/Inbox")
    kwargs = {"folder": "\\Inbox", "actor": "Dana White", "mailbox": "Jordan Lee", "operation": "FolderOpen",
              "item": None, "seconds": 0.0, **change}
    seconds, operation = kwargs.pop("seconds"), kwargs.pop("operation")
    other = row(seconds, operation, "mailbox-audit", "mb1", **kwargs)
    assert table([base, other])["access_id"].nunique() == 2


def test_subjects_must_agree_where_both_rows_name_one() -> None:
    rows = [row(0, "MessageOpen", "evtx", "ev1", folder="/Inbox", item="Payroll run March"),
            row(1, "MessageOpen", "iis", "iis1", folder="/Inbox", item="Payroll run April.EML"),
            row(2, "MessageOpen", "iis", "iis1", folder="/Inbox", item="payroll RUN march.eml")]
    out = table(rows)
    assert groups(out) == [{0, 2}, {1}]


def test_the_same_record_in_an_evtx_and_its_exports_is_one_access() -> None:
    rows = [row(0, "FolderOpen", "evtx", "ev1", folder="/Inbox", record=1118),
            row(0, "FolderOpen", "evtx-xml", "xml1", folder="/Inbox", record=1118),
            row(0.4, "FolderOpen", "evtx-csv", "csv1", folder="/Inbox", record=14522),  # CSV: whole seconds
            row(1, "FolderOpen", "evtx-csv", "csv1", folder="/Inbox", record=14523)]  # the next second: another
    out = table(rows)
    assert groups(out) == [{0, 1, 2}, {3}]
    assert out["access_rule"].astype(str).tolist()[:3] == ["founding", "same-record", "same-record"]


def test_a_skewed_clock_is_flagged_and_not_merged() -> None:
    # the IIS server's clock runs 5 minutes ahead: every request matches its 10102 only at +300 s
    rows = [row(60 * i, "MessageOpen", "evtx", "ev1", folder="/Inbox", item=f"Subject {i}") for i in range(6)]
    rows += [row(60 * i + 300, "MessageOpen", "iis", "iis1", folder="/Inbox", item=f"Subject {i}.EML") for i in range(6)]
    out, found = correlate(schema.conform(rows))
    assert out["access_id"].nunique() == 12  # nothing merged beyond the window
    flagged = found.clock[found.clock["flagged"]]
    assert flagged["evidence"].tolist() == ["iis1"]
    assert flagged["wide_median_s"].iloc[0] == pytest.approx(300)
    assert "NOT merged" in found.notes()["iis1"][0]


def test_measured_offsets_within_the_window_are_reported_per_file() -> None:
    rows = [row(60 * i, "FolderOpen", "evtx", "ev1", folder=f"/F{i}") for i in range(5)]
    rows += [row(60 * i + 4, "FolderOpen", "iis", "iis1", folder=f"/F{i}") for i in range(5)]
    out, found = correlate(schema.conform(rows))
    assert out["access_id"].nunique() == 5
    clock = found.clock.set_index("evidence").loc["iis1"]
    assert (clock["matched"], clock["median_s"], clock["spread_s"], bool(clock["flagged"])) == (5, 4.0, 0.0, False)


def test_rows_outside_the_correlated_operations_stay_single() -> None:
    # identical lines at other line numbers of two servers' IIS logs: two requests
    rows = [row(0, "WebRequest", "iis", "iis1", record=17), row(0, "WebRequest", "iis", "iis2", record=40),
            row(0, "AdminCommand", "evtx", "ev1")]
    out = table(rows)
    assert out["access_id"].nunique() == 3
    assert set(out["access_rule"].astype(str)) == {"alone"}


def test_a_partial_copy_of_an_iis_log_repeats_its_lines_as_the_same_records() -> None:
    rows = [row(0, "WebRequest", "iis", "copy", record=17), row(0, "WebRequest", "iis", "full", record=17)]
    assert table(rows)["access_id"].nunique() == 1


def test_an_empty_frame_gets_the_columns() -> None:
    out, found = correlate(schema.empty_frame())
    assert schema.validate(out) == [] and found.accesses == 0


def test_one_file_alone_is_never_matched_and_ids_follow_time() -> None:
    rows = [row(5, "FolderOpen", "evtx", "ev1", folder="/Inbox"), row(0, "FolderOpen", "evtx", "ev1", folder="/Inbox"),
            row(1, "MailItemsAccessed", "evtx", "ev1", folder="/Inbox", details=BIND)]
    out = table(rows)
    assert out["access_id"].tolist() == [3, 1, 2]
    assert set(out["access_rule"].astype(str)) == {"alone"} and (out["access_sources"] == 1).all()
    assert out["access_operation"].astype(str).tolist() == ["FolderOpen", "FolderOpen", "MessageOpen"]


def test_a_flagged_clock_is_a_loud_note_on_its_file_and_old_clock_notes_go() -> None:
    from pathlib import Path

    from forensics.correlate import correlate_files
    from forensics.parsers.base import FileReport

    rows = [row(60 * i, "MessageOpen", "evtx", "ev1", folder="/Inbox", item=f"Subject {i}") for i in range(4)]
    rows += [row(60 * i + 900, "MessageOpen", "iis", "iis1", folder="/Inbox", item=f"Subject {i}.EML") for i in range(4)]
    evtx = FileReport(path=Path("Exchange Auditing.evtx"), evidence_id="ev1", notes=["clock: stale"])
    iis = FileReport(path=Path("u_ex240324.log"), evidence_id="iis1", notes=["hash changed"])
    correlate_files(schema.conform(rows), [evtx, iis])
    assert evtx.notes == []
    assert iis.notes[0] == "hash changed" and "+900 s" in iis.notes[1] and "NOT merged" in iis.notes[1]
