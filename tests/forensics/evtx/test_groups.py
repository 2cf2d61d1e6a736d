"""Members added to Exchange's privileged groups (Security 4728/4732/4756, removals 4729/4733/4757).

Evidence: the real public ``ID4756-Exchange_admin_group_change.evtx`` (mdecrevoisier/
EVTX-to-MITRE-Attack, CC0; provenance in tests/data/evtx/README.md): one account added to
the 15 Exchange role groups by ``OFFSEC\\admmig``. The Event Viewer CSV row is built in the
rendered shape Windows writes for 4732 (Microsoft's event documentation "4732(S): A member
was added to a security-enabled local group": Subject / Member / Group sections).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forensics.aggregate.findings import admin_changes
from forensics.evtx.groups import group_fields, strings_from_message
from forensics.parsers.base import LoadOptions
from forensics.parsers.eventlog.eventviewer_csv import EventViewerCsvParser
from forensics.parsers.eventlog.evtx_parser import EvtxParser
from helpers.eventviewer_export import csv_field
from helpers.run_parser import run_parser

DATA = Path(__file__).resolve().parents[2] / "data" / "evtx"
MEMBER_DN = "CN=mallory,OU=Staff,DC=contoso,DC=com"
# the <Data> order of 4728/4729/4732/4733/4756/4757
STRINGS = [MEMBER_DN, "S-1-5-21-1-2-3-1147", "Exchange Trusted Subsystem", "CONTOSO", "S-1-5-21-1-2-3-1117",
           "S-1-5-21-1-2-3-500", "Administrator", "CONTOSO", "0x3e7a1", "-"]


def test_real_sample_gives_one_permission_change_per_group() -> None:
    frame, report = run_parser(EvtxParser, DATA / "ID4756-Exchange_admin_group_change.evtx")
    assert report.records == 15 and report.accepted == 15 and not report.skipped
    assert set(frame["operation"].astype(str)) == {"PermissionChange"}
    assert set(frame["actor"].astype(str)) == {"OFFSEC\\admmig"}
    org = frame[frame["item"].str.endswith("OFFSEC\\Organization Management")].iloc[0]
    assert org["item"] == "add CN=admin-hacker,OU=Test-OU,OU=OFFSEC-COMPANY,DC=offsec,DC=lan to OFFSEC\\Organization Management"
    assert "opens every mailbox" in org["details"] and "MemberSid=S-1-5-21-4230534742-2542757381-3142984815-1147" in org["details"]
    assert pd.isna(org["mailbox"])  # no mailbox: a heatmap cell would be false
    changes = admin_changes(frame)
    assert len(changes) == 15 and set(changes["operation"]) == {"PermissionChange"}
    assert changes["what"].str.contains("Organization Management").any()


def test_adds_and_removes_of_privileged_groups() -> None:
    added = group_fields(4732, STRINGS)
    assert added["actor"] == "CONTOSO\\Administrator" and added["operation"] == "PermissionChange"
    assert added["item"] == f"add {MEMBER_DN} to CONTOSO\\Exchange Trusted Subsystem"
    assert "security-enabled local group" in added["details"] and "Full Access on every mailbox" in added["details"]
    removed = group_fields(4757, [*STRINGS[:2], "Discovery Management", *STRINGS[3:]])
    assert removed["item"] == f"remove {MEMBER_DN} from CONTOSO\\Discovery Management"
    assert "removed from a security-enabled universal group" in removed["details"]
    other = group_fields(4728, [*STRINGS[:2], "Marketing", *STRINGS[3:]])  # not Exchange's: no mailbox right
    assert other["operation"] == "GroupMembershipChange" and "opens every mailbox" not in other["details"]
    assert group_fields(4624, STRINGS) is None
    # a group nested into a privileged group: the record names it by DN
    nested = group_fields(4756, ["CN=Helpdesk Tier2,OU=Microsoft Exchange Security Groups,DC=contoso,DC=com", "S-1-5-21-1-2-3-2001",
                                 "Organization Management", *STRINGS[3:]])
    assert "the member is itself an Exchange group" in nested["details"]
    # "-" is what Windows writes for an unrecorded member name
    unnamed = group_fields(4728, ["-", "S-1-5-21-1-2-3-1147", "Exchange Servers", *STRINGS[3:]])
    assert unnamed["item"] == "add S-1-5-21-1-2-3-1147 to CONTOSO\\Exchange Servers"


MESSAGE_4732 = (
    "A member was added to a security-enabled local group.\r\n\r\nSubject:\r\n\tSecurity ID:\t\tCONTOSO\\Administrator\r\n"
    "\tAccount Name:\t\tAdministrator\r\n\tAccount Domain:\t\tCONTOSO\r\n\tLogon ID:\t\t0x3E7A1\r\n\r\n"
    "Member:\r\n\tSecurity ID:\t\tCONTOSO\\mallory\r\n\tAccount Name:\t\tCN=mallory,OU=Staff,DC=contoso,DC=com\r\n\r\n"
    "Group:\r\n\tSecurity ID:\t\tCONTOSO\\Exchange Trusted Subsystem\r\n\tGroup Name:\t\tExchange Trusted Subsystem\r\n"
    "\tGroup Domain:\t\tCONTOSO\r\n\r\nAdditional Information:\r\n\tPrivileges:\t\t-"
)


def test_rendered_message_gives_the_same_row(tmp_path: Path) -> None:
    strings = strings_from_message(4732, MESSAGE_4732)
    assert strings[0] == MEMBER_DN and strings[2] == "Exchange Trusted Subsystem" and strings[6] == "Administrator"
    path = tmp_path / "security.csv"
    row = ",".join(["Information", "3/14/2024 3:22:41 PM", "Microsoft-Windows-Security-Auditing", "4732",
                    "Security Group Management", csv_field(MESSAGE_4732)])
    path.write_text("Level,Date and Time,Source,Event ID,Task Category\r\n" + row + "\r\n", encoding="utf-8")
    frame, report = run_parser(EventViewerCsvParser, path, LoadOptions(source_tz="+00:00"))
    assert report.accepted == 1 and frame.iloc[0]["operation"] == "PermissionChange"
    assert frame.iloc[0]["actor"] == "CONTOSO\\Administrator"
    assert frame.iloc[0]["item"] == f"add {MEMBER_DN} to CONTOSO\\Exchange Trusted Subsystem"


def test_generic_rows_take_the_subject_as_actor() -> None:
    # real Security log (omerbenamram/evtx samples/Security_short_selected.evtx): 4611, 4625 and
    # 4673 name SubjectUserName TEMPORAL$ / WORKGROUP; 5152, 5157 and 4776 name no subject
    frame, _ = run_parser(EvtxParser, DATA / "Security_short_selected.evtx", LoadOptions(all_events=True))
    actors = dict(zip(frame["event_id"].astype(int), frame["actor"].astype(object)))
    assert actors[4611] == actors[4625] == actors[4673] == "WORKGROUP\\TEMPORAL$"
    assert all(pd.isna(actors[e]) for e in (5152, 5157, 4776))


def _add(record: int, member: str, member_sid: str, group: str, group_sid: str, event_id: int = 4756) -> str:
    from helpers.eventviewer_export import event_xml

    strings = [member, member_sid, group, "CONTOSO", group_sid, "S-1-5-21-1-2-3-500", "Administrator", "CONTOSO",
               "0x3e7a1", "-"]
    return event_xml(record, "Microsoft-Windows-Security-Auditing", event_id, strings, channel="Security",
                     computer="DC01.contoso.com", time=f"2024-03-0{record}T10:00:00.000000000Z")


def test_groups_nested_into_a_privileged_group_by_the_records(tmp_path: Path) -> None:
    # IT-Admins is added to Organization Management (record 1); Tier2 to IT-Admins (record 2);
    # then mallory to IT-Admins and eve to Tier2: both open every mailbox. bob's Marketing does not.
    from helpers.eventviewer_export import export_xml
    from forensics.ingest import load_evidence

    sid = "S-1-5-21-1-2-3-"
    events = [
        _add(1, "CN=IT-Admins,OU=Groups,DC=contoso,DC=com", sid + "3001", "Organization Management", sid + "1190"),
        _add(2, "CN=Tier2,OU=Groups,DC=contoso,DC=com", sid + "3002", "IT-Admins", sid + "3001", 4728),
        _add(3, "CN=mallory,OU=Staff,DC=contoso,DC=com", sid + "1147", "IT-Admins", sid + "3001", 4728),
        _add(4, "CN=eve,OU=Staff,DC=contoso,DC=com", sid + "1148", "Tier2", sid + "3002", 4728),
        _add(5, "CN=bob,OU=Staff,DC=contoso,DC=com", sid + "1149", "Marketing", sid + "4000", 4728),
    ]
    path = tmp_path / "security.xml"
    path.write_text(export_xml(events), encoding="utf-8")
    result = load_evidence([path])
    frame = result.frame.sort_values("record_id").reset_index(drop=True)
    assert frame["operation"].astype(str).tolist() == ["PermissionChange"] * 4 + ["GroupMembershipChange"]
    mallory = frame.iloc[2]["details"]
    assert "privileged through nesting: it-admins was added to CONTOSO\\Organization Management (record 1" in mallory
    assert "privileged through nesting: tier2 was added to CONTOSO\\IT-Admins (record 2" in frame.iloc[3]["details"]
    assert "nesting" not in frame.iloc[4]["details"]
    changes = admin_changes(frame)
    assert len(changes) == 4 and not changes["what"].str.contains("Marketing").any()
    from forensics.aggregate.findings import findings

    assert findings(frame).pairs.empty  # group changes are no mailbox access (is:change)


def test_generic_rows_with_an_actor_are_no_access_pairs() -> None:
    # with the subject as actor, a generic 4625 read as "WORKGROUP\TEMPORAL$ accessed (not recorded)"
    from forensics.aggregate.findings import findings
    from forensics.ingest import load_evidence

    result = load_evidence([DATA / "Security_short_selected.evtx"], options=LoadOptions(all_events=True))
    assert (result.frame["operation"] == "Event").all() and result.frame["actor"].notna().any()
    assert findings(result.frame).pairs.empty
