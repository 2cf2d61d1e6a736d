"""One alias, two accounts: labels never merge forms whose SIDs contradict (issue 17).

Evidence, loaded through the real parsers:

* Microsoft 365 audit log (Purview CSV): a SendAs by ``assistant@contoso.com`` whose
  ``LogonUserSid`` is the cloud SID …-4001 (the COMPOSITE record of test_ual.py, built from
  Microsoft's "Office 365 Management Activity API schema": LogonUserSid, MailboxOwnerUPN);
* on premises: a ``Search-MailboxAuditLog -ShowDetails | Export-Csv`` row by
  ``CONTOSO\\assistant`` with ``LogonUserSid`` …-1105 (another account), a Security 4728 in an
  ``.evtx`` whose subject is ``CONTOSO\\assistant`` / …-1105 (<Data> order of Microsoft's
  "4728(S): A member was added to a security-enabled global group"), and IIS OWA lines of
  ``CONTOSO\\assistant`` opening the CEO's mailbox (an IIS log names no SID).

The control loads the same evidence with the on-premises SID equal to the cloud one: the
alias heuristic merges them into one person, as before.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from forensics import schema
from forensics.aggregate import findings, mailbox_by_actor
from forensics.identity.directory import load_directory
from forensics.identity.people import add_person_keys
from forensics.identity.sid_split import UNKNOWN
from forensics.ingest import load_evidence
from forensics.parsers.base import LoadOptions
from forensics.query import compile_query
from forensics.synth.evtx_writer import ClassicEvent, EvtxWriter

CLOUD_SID = "S-1-5-21-1111111111-2222222222-3333333333-4001"
ONPREM_SID = "S-1-5-21-4444444444-5555555555-6666666666-1105"
CEO_SID = "S-1-5-21-1111111111-2222222222-3333333333-1001"
SEND_AS = {  # COMPOSITE, as test_ual.COMPOSITE_SEND_AS
    "CreationTime": "2024-03-05T09:20:03", "Id": "0d9e1a55-2b77-4f08-8c41-5e6f7a8b9c0d", "Operation": "SendAs",
    "OrganizationId": "8d4121ed-0008-406d-bff9-0d5bb312183c", "RecordType": 2, "ResultStatus": "Succeeded",
    "UserKey": "10032001A4F7C2D9", "UserType": 0, "Version": 1, "Workload": "Exchange", "ClientIP": "203.0.113.77",
    "UserId": "assistant@contoso.com", "ClientIPAddress": "203.0.113.77", "ExternalAccess": False,
    "InternalLogonType": 2, "LogonType": 2, "LogonUserSid": CLOUD_SID, "MailboxGuid": "a3e7c1d9-5b2f-4e86-9a0c-7d4b1f3e6c25",
    "MailboxOwnerSid": CEO_SID, "MailboxOwnerUPN": "ceo@contoso.com", "ClientInfoString": "Client=MSExchangeRPC",
    "ClientProcessName": "OUTLOOK.EXE", "Item": {"Id": "RgAAAAC1", "Subject": "Wire transfer today",
                                                 "ParentFolder": {"Id": "LgAAAAC1", "Path": "\\Sent Items"}},
    "SendAsUserSmtp": "ceo@contoso.com", "SendAsUserMailboxGuid": "a3e7c1d9-5b2f-4e86-9a0c-7d4b1f3e6c25",
}
AUDIT_COLUMNS = ["LastAccessed", "LogonUserDisplayName", "LogonUserSid", "LogonType", "Operation", "OperationResult",
                 "FolderPathName", "ClientProcessName", "ClientIPAddress", "MailboxOwnerUPN", "MailboxOwnerSid"]
IIS = (
    "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2024-03-05 00:00:00\n"
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
    "2024-03-05 22:10:00 10.0.0.1 GET /owa/ceo@contoso.com/ ae=Item&t=IPM.Note&id=RgAAAAD%2B1 443 CONTOSO\\assistant "
    "10.1.10.15 Mozilla - 200 0 0 5\n"
)


def evidence(folder: Path, onprem_sid: str) -> list[Path]:
    folder.mkdir()
    ual = io.StringIO()
    writer = csv.writer(ual, lineterminator="\r\n")
    writer.writerow(["RecordId", "CreationDate", "RecordType", "Operation", "UserId", "AuditData"])
    writer.writerow([SEND_AS["Id"], "3/5/2024 9:20:03 AM", 2, "SendAs", SEND_AS["UserId"], json.dumps(SEND_AS)])
    (folder / "ual.csv").write_bytes(ual.getvalue().encode("utf-8-sig"))
    audit = io.StringIO()
    writer = csv.writer(audit, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(AUDIT_COLUMNS)
    writer.writerow(["3/5/2024 9:14:22 PM", "CONTOSO\\assistant", onprem_sid, "Delegate", "FolderBind", "Succeeded",
                     "\\Inbox", "OUTLOOK.EXE", "10.1.10.15", "ceo@contoso.com", CEO_SID])
    (folder / "mailbox_audit.csv").write_text(audit.getvalue(), encoding="utf-8")
    with EvtxWriter(folder / "security.evtx", channel="Security", computer="DC01.contoso.com") as evtx:
        evtx.write(ClassicEvent(
            provider="Microsoft-Windows-Security-Auditing", event_id=4728, qualifiers=None,
            time=datetime(2024, 3, 5, 21, 0, tzinfo=timezone.utc),
            data=["CN=mallory,OU=Staff,DC=contoso,DC=com", "S-1-5-21-4444444444-5555555555-6666666666-1147",
                  "Organization Management", "CONTOSO", "S-1-5-21-4444444444-5555555555-6666666666-1117",
                  onprem_sid, "assistant", "CONTOSO", "0x3e7a1", "-"]))
    (folder / "u_ex240305.log").write_text(IIS, encoding="utf-8")
    return sorted(folder.iterdir())


def load(folder: Path, onprem_sid: str, identities: Path | None = None) -> pd.DataFrame:
    result = load_evidence(evidence(folder, onprem_sid), options=LoadOptions(identities=identities))
    assert all(not f.error for f in result.files), [f.error for f in result.files]
    return result.frame


def by_source(frame: pd.DataFrame, column: str) -> dict[str, set[str]]:
    return {str(s): set(frame.loc[frame["source_format"] == s, column].dropna().astype(str))
            for s in frame["source_format"].unique()}


def test_two_sids_under_one_alias_are_two_people(tmp_path: Path) -> None:
    frame = load(tmp_path / "case", ONPREM_SID)
    actors = set(frame["actor_key"].dropna().astype(str))
    cloud, onprem, unknown = f"assistant [{CLOUD_SID}]", f"assistant [{ONPREM_SID}]", "assistant" + UNKNOWN
    assert {cloud, onprem, unknown} <= actors and "assistant" not in actors
    assert by_source(frame, "actor_key")["ual"] == {cloud}  # the M365 SendAs: the cloud account
    # the on-premises forms with SID …-1105: the audit export and the Security 4728 subject
    sids = frame["actor_ids"].astype("string").fillna("").str.contains(ONPREM_SID, regex=False)
    assert sids.sum() == 2 and set(frame.loc[sids, "actor_key"].astype(str)) == {onprem}
    # the IIS row names CONTOSO\assistant without a SID: either account, so neither
    assert by_source(frame, "actor_key")["iis"] == {unknown}
    pairs = findings(frame).pairs
    assert sorted(pairs["actor"]) == sorted([cloud, onprem, unknown]) and set(pairs["mailbox"]) == {"ceo"}
    for _, pair in pairs.iterrows():  # each pair's query selects its one row
        assert pair["events"] == 1 and int(compile_query(pair["query"]).mask(frame).sum()) == 1
    pivot = mailbox_by_actor(frame)
    assert {cloud, onprem, unknown} == set(map(str, pivot.col_labels)) and "ceo" in set(map(str, pivot.row_labels))


def test_one_sid_in_both_forms_is_one_person(tmp_path: Path) -> None:
    frame = load(tmp_path / "case", CLOUD_SID)
    assert not frame["actor_key"].dropna().astype(str).str.contains(r"\[|SID unknown", regex=True).any()
    pairs = findings(frame).pairs
    assistant = pairs[pairs["actor"] == "assistant"]
    assert len(assistant) == 1 and assistant.iloc[0]["mailbox"] == "ceo"
    assert assistant.iloc[0]["events"] == 3  # SendAs, FolderBind and the OWA open: one person
    pivot = mailbox_by_actor(frame)
    assert list(map(str, pivot.col_labels)) == ["assistant"]


def test_a_directory_export_still_decides(tmp_path: Path) -> None:
    # the directory lists the one on-premises account with its cloud address: every form is it
    export = tmp_path / "people.csv"
    export.write_text(f"DisplayName,Alias,PrimarySmtpAddress,SamAccountName,Sid\n"
                      f"Pat Assistant,assistant,assistant@contoso.com,assistant,{ONPREM_SID}\n"
                      f"Chief Exec,ceo,ceo@contoso.com,ceo,{CEO_SID}\n", encoding="utf-8")
    assert load_directory(export).ambiguous == 0
    frame = load(tmp_path / "case", ONPREM_SID, export)
    assert set(frame["actor_key"].dropna().astype(str)) == {"Pat Assistant"}
    assert set(frame["mailbox_key"].dropna().astype(str)) == {"Chief Exec"}


def test_well_known_sids_and_records_naming_two_accounts() -> None:
    # MSExchange Management event 1 writes the caller's SID and a second SID (forensics/evtx/
    # cmdlets.py); LocalSystem (S-1-5-18) beside an account SID is a context, not a person
    frame = add_person_keys(schema.conform([
        {"actor": "CONTOSO\\admin", "actor_ids": f"CONTOSO\\admin|{ONPREM_SID}|S-1-5-18", "mailbox": "ceo"},
        {"actor": "admin@contoso.com", "actor_ids": ONPREM_SID, "mailbox": "ceo"},
    ]))
    assert frame["actor_key"].astype(str).tolist() == ["admin", "admin"]
    # a record naming two accounts under one alias is attributed to neither alone
    frame = add_person_keys(schema.conform([
        {"actor": "CONTOSO\\pat", "actor_ids": f"{ONPREM_SID}|{CLOUD_SID.lower()}", "mailbox": "ceo"},
        {"actor": "pat@contoso.com", "actor_ids": CLOUD_SID, "mailbox": "ceo"},
        {"actor": "ceo", "mailbox": "CONTOSO\\pat"},
    ]))
    assert frame["actor_key"].astype(str).tolist()[:2] == [f"pat [{CLOUD_SID}, {ONPREM_SID}]", f"pat [{CLOUD_SID}]"]
    assert frame["mailbox_key"].astype(str).tolist()[2] == "pat" + UNKNOWN  # both sides share the rule
