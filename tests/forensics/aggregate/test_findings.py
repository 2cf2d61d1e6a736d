"""Findings: pairs with non-owner access (counts, times, after-hours share) and admin changes."""

from __future__ import annotations

from datetime import time

import numpy as np
import pandas as pd

from forensics.aggregate import WorkHours, findings
from forensics.evtx.eventlog import eventlog_fields
from forensics.query import compile_query
from forensics.schema import conform

ROWS = [
    # pat reads the CEO's mail: Tue 07:30 UTC (before hours), Tue 12:30, Sat 12:30 (weekend)
    dict(time="2024-03-05T07:30:00Z", mailbox="ceo", actor="pat", logon_type="Delegate", operation="MessageOpen",
         client_ip="10.0.0.5", source_format="evtx", evidence="e1", record_id=1),
    dict(time="2024-03-05T12:30:00Z", mailbox="ceo", actor="pat", logon_type="Delegate", operation="FolderOpen",
         client_ip="10.0.0.6", source_format="iis", evidence="e2", record_id=2),
    dict(time="2024-03-09T12:30:00Z", mailbox="ceo", actor="pat", logon_type="Delegate", operation="MessageOpen",
         client_ip="10.0.0.5", source_format="evtx", evidence="e1", record_id=3),
    # owners reading their own mail: never a finding
    dict(time="2024-03-09T12:30:00Z", mailbox="ceo", actor="ceo", logon_type="Owner", operation="FolderOpen"),
    dict(time="2024-03-06T12:30:00Z", mailbox="hr", actor="hr", logon_type="Owner", operation="MessageOpen"),
    # an admin with the rights flag
    dict(time="2024-03-06T20:00:00Z", mailbox="hr", actor="adm", logon_type="Admin", admin_rights="true",
         operation="MessageOpen", client_host="SRV1"),
    # unresolved identity counts as non-owner
    dict(time="2024-03-06T10:00:00Z", mailbox="hr", actor="mallory", logon_type="Unknown", operation="LogonFailure",
         outcome="Failure"),
    # administrative changes
    dict(time="2024-03-07T12:30:00Z", mailbox="ceo", actor="adm", logon_type="Admin", operation="PermissionChange",
         details="FullAccess to pat", evidence="e3", record_id=7),
    dict(time="2024-03-08T12:30:00Z", mailbox="hr", actor="adm", logon_type="Admin", operation="AuditConfigChange",
         item="Add-ADPermission ms-Exch-Store-Bypass-Access-Auditing", evidence="e3", record_id=9),
    dict(time="2024-03-04T09:00:00Z", mailbox="ceo", actor="adm", logon_type="Admin", operation="ForwardingChange",
         evidence="e3", record_id=5),
]


def test_pairs_counts_times_and_after_hours() -> None:
    frame = conform(ROWS)
    result = findings(frame, "UTC")
    pairs = result.pairs.set_index(["actor", "mailbox"])
    assert set(pairs.index) == {("pat", "ceo"), ("adm", "hr"), ("mallory", "hr")}
    pat = pairs.loc[("pat", "ceo")]
    assert pat["events"] == 3 and pat["MessageOpen"] == 2 and pat["FolderOpen"] == 1
    assert pat["first_seen"] == pd.Timestamp("2024-03-05T07:30Z")
    assert pat["last_seen"] == pd.Timestamp("2024-03-09T12:30Z")
    assert pat["after_hours"] == 2 and np.isclose(pat["after_hours_share"], 2 / 3)
    assert pat["client_ips"] == "10.0.0.5, 10.0.0.6"  # most frequent first
    assert pat["sources"] == "evtx, iis" and not pat["admin"]
    assert pairs.loc[("adm", "hr")]["admin"] and pairs.loc[("adm", "hr")]["client_hosts"] == "SRV1"
    assert pairs.loc[("mallory", "hr")]["LogonFailure"] == 1
    assert result.pairs["events"].tolist() == sorted(result.pairs["events"], reverse=True)
    for _, row in result.pairs.iterrows():  # each line's query selects exactly its rows
        assert compile_query(row["query"]).count(frame) == row["events"]


def test_work_hours_are_settings() -> None:
    frame = conform(ROWS)
    # in New York, 12:30 UTC on Tuesday is 07:30: before a 08:00 start
    ny = findings(frame, "America/New_York").pairs.set_index(["actor", "mailbox"])
    assert ny.loc[("pat", "ceo")]["after_hours"] == 3
    wide = WorkHours(start=time(6, 0), end=time(22, 0), days=(0, 1, 2, 3, 4, 5, 6))
    assert findings(frame, "UTC", wide).pairs["after_hours"].sum() == 0
    assert "08:00–18:00 on Mon, Tue, Wed, Thu, Fri" in WorkHours().describe("UTC")


def test_admin_changes_audit_config_first_and_marked() -> None:
    frame = conform(ROWS)
    changes = findings(frame).changes
    assert changes["operation"].tolist() == ["AuditConfigChange", "ForwardingChange", "PermissionChange"]
    assert changes["marked"].tolist() == [True, False, False]
    assert changes.iloc[0]["mailbox"] == "hr" and changes.iloc[0]["actor"] == "adm"
    assert "Bypass-Access-Auditing" in changes.iloc[0]["what"]
    assert "FullAccess" in changes.iloc[2]["what"]
    for q in changes["query"]:
        assert compile_query(q).count(frame) == 1


def test_no_findings_for_owners_only_and_empty() -> None:
    owners = conform([r for r in ROWS if r["logon_type"] == "Owner"])
    result = findings(owners)
    assert result.pairs.empty and result.changes.empty
    empty = findings(conform([]))
    assert empty.pairs.empty and empty.changes.empty and empty.operations == []


def test_a_cleared_exchange_log_is_a_marked_change() -> None:
    cleared = eventlog_fields(104, ["eve", "CONTOSO", "Exchange Auditing", ""])
    cleared.update(time="2024-03-10T23:05:00Z", provider="Microsoft-Windows-Eventlog", event_id=104,
                   evidence="e4", record_id=11)
    frame = conform([*ROWS, cleared])
    changes = findings(frame).changes
    assert changes["operation"].tolist()[:2] == ["AuditConfigChange", "AuditConfigChange"]
    assert changes["marked"].tolist() == [True, True, False, False]
    row = changes.iloc[1]  # marked rows by time: the bypass grant (03-08), then the clear (03-10)
    assert row["actor"] == "CONTOSO\\eve" and row["mailbox"] == "(not recorded)"
    assert row["what"].startswith("log cleared: Exchange Auditing · event 104")
    assert "mailbox-access audit records written before this time are gone" in row["what"]
    assert compile_query(row["query"]).count(frame) == 1
    # not an access: no (actor, mailbox) pair for it
    assert "CONTOSO\\eve" not in set(findings(frame).pairs["actor"])
