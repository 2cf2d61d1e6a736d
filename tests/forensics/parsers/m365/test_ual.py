"""Unified Audit Log CSV parser: three layouts, Exchange mapping, explosion, bad input, round trip.

Records: the New-InboxRule AuditData is REAL (blueteam0ps sample, reference §5.3); the
MailItemsAccessed and SendAs records are COMPOSITES from the schema (no real public sample
exists); the others are built the same way and labelled where used.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from forensics import schema
from forensics.errors import ParseError
from forensics.parsers.base import LoadOptions
from forensics.parsers.m365.ual import UalParser
from helpers.run_parser import run_parser

REAL_INBOX_RULE = {
    "CreationTime": "2023-05-29T12:29:35", "Id": "76c3fa50-cee0-4fa9-abf5-08db60405cbf", "Operation": "New-InboxRule",
    "OrganizationId": "8d4121ed-0008-406d-bff9-0d5bb312183c", "RecordType": 1, "ResultStatus": "True",
    "UserKey": "1003200280FF7557", "UserType": 2, "Version": 1, "Workload": "Exchange", "ClientIP": "104.28.196.199:9808",
    "ObjectId": "APCPR03A010.PROD.OUTLOOK.COM/Microsoft Exchange Hosted Organizations/contoso.onmicrosoft.com/"
                "311b45d6-1a3e-46ac-8434-721367961e19\\Direct",
    "UserId": "stinger@contoso.onmicrosoft.com", "AppId": "00000002-0000-0ff1-ce00-000000000000", "ClientAppId": "",
    "ExternalAccess": False, "OrganizationName": "contoso.onmicrosoft.com", "OriginatingServer": "TY0PR03MB6952 (15.20.6433.019)",
    "Parameters": [{"Name": "AlwaysDeleteOutlookRulesBlob", "Value": "False"}, {"Name": "Force", "Value": "False"},
                   {"Name": "Name", "Value": "Direct"}, {"Name": "SubjectContainsWords", "Value": "Attention"},
                   {"Name": "DeleteMessage", "Value": "True"}, {"Name": "StopProcessingRules", "Value": "True"}],
    "SessionId": "902fdad0-3905-464b-a862-c1e64f13c374",
}
_COMMON = {
    "OrganizationId": "8d4121ed-0008-406d-bff9-0d5bb312183c", "UserKey": "10032001A4F7C2D9", "UserType": 0, "Version": 1,
    "Workload": "Exchange", "ClientIP": "203.0.113.77", "UserId": "assistant@contoso.com", "ClientIPAddress": "203.0.113.77",
    "ExternalAccess": False, "InternalLogonType": 2, "LogonType": 2,
    "LogonUserSid": "S-1-5-21-1111111111-2222222222-3333333333-4001", "MailboxGuid": "a3e7c1d9-5b2f-4e86-9a0c-7d4b1f3e6c25",
    "MailboxOwnerSid": "S-1-5-21-1111111111-2222222222-3333333333-1001", "MailboxOwnerUPN": "ceo@contoso.com",
    "OrganizationName": "contoso.onmicrosoft.com", "OriginatingServer": "DB9PR04MB8462 (15.20.8005.017)\r\n",
    "SessionId": "7e2d4b91-c6a3-4f58-8b1e-0a4c9d2e6f10",
}
COMPOSITE_BIND = {
    **_COMMON, "CreationTime": "2024-03-05T09:14:22", "Id": "5b0c3f1e-7d2a-4c55-9e31-0a8f2b6d4c11",
    "Operation": "MailItemsAccessed", "RecordType": 50, "ResultStatus": "Succeeded", "ClientInfoString": "Client=OWA;Action=ViaProxy",
    "OperationProperties": [{"Name": "MailAccessType", "Value": "Bind"}, {"Name": "IsThrottled", "Value": "False"}],
    "Folders": [{"Id": "LgAAAACklF6sEsJgSK/ulVd531/WAQCzgXIUnq3lQqXFeCmxHwmHAAAAAAEMAAAB", "Path": "\\Inbox", "FolderItems": [
        {"InternetMessageId": "<DB9PR04MB8462ABCD1234@DB9PR04MB8462.eurprd04.prod.outlook.com>", "SizeInBytes": 48211},
        {"InternetMessageId": "<BY5PR12MB4210EF56@BY5PR12MB4210.namprd12.prod.outlook.com>", "SizeInBytes": 10233}]}],
    "OperationCount": 2,
}
COMPOSITE_SEND_AS = {
    **_COMMON, "CreationTime": "2024-03-05T09:20:03", "Id": "0d9e1a55-2b77-4f08-8c41-5e6f7a8b9c0d", "Operation": "SendAs",
    "RecordType": 2, "ResultStatus": "Succeeded", "ClientInfoString": "Client=MSExchangeRPC", "ClientProcessName": "OUTLOOK.EXE",
    "ClientVersion": "16.0.17328.20162", "LogonUserDisplayName": "Pat Assistant",
    "Item": {"Id": "RgAAAACklF6sEsJgSK/ulVd531/WBwCzgXIUnq3lQqXFeCmxHwmHAAAAAAEJAAAJ",
             "InternetMessageId": "<PH0PR11MB5010AA@PH0PR11MB5010.namprd11.prod.outlook.com>", "Subject": "Wire transfer today",
             "ParentFolder": {"Id": "LgAAAACklF6sEsJgSK/ulVd531/WAQCzgXIUnq3lQqXFeCmxHwmHAAAAAAEJAAAB", "Path": "\\Sent Items"},
             "SizeInBytes": 18034},
    "SendAsUserSmtp": "ceo@contoso.com", "SendAsUserMailboxGuid": "a3e7c1d9-5b2f-4e86-9a0c-7d4b1f3e6c25",
}
# COMPOSITE: a Sync record over two folders, from an IPv6 client with brackets and port
COMPOSITE_SYNC = {
    **_COMMON, "CreationTime": "2024-03-05T09:30:00.1234567Z", "Id": "sync-1", "Operation": "MailItemsAccessed",
    "RecordType": 50, "ResultStatus": "Succeeded", "LogonType": 0, "UserId": "ceo@contoso.com", "ClientIPAddress": None,
    "ClientIP": "[2001:db8::7]:51234", "ClientInfoString": "Client=MSExchangeRPC",
    "OperationProperties": [{"Name": "MailAccessType", "Value": "Sync"}],
    "Folders": [{"Id": "F1", "Path": "\\Inbox"}, {"Id": "F2", "Path": "\\Sent Items"}], "OperationCount": 2,
}
# COMPOSITE: non-Exchange workload noise (SharePoint record type 6, schema's FileAccessed);
# Entra ID sign-ins are not noise: test_ual_signins
SHAREPOINT_FILE = {"CreationTime": "2024-03-05T09:00:00", "Id": "sp-1", "Operation": "FileAccessed", "RecordType": 6,
                   "Workload": "SharePoint", "UserId": "assistant@contoso.com", "ClientIP": "203.0.113.77", "UserType": 0}


def purview_csv(records: list[dict], extra_rows: list[list[str]] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["RecordId", "CreationDate", "RecordType", "Operation", "UserId", "AuditData",
                     "AssociatedAdminUnits", "AssociatedAdminUnitsNames"])
    for r in records:
        writer.writerow([r["Id"], "9/20/2023 4:05:03 AM", r.get("RecordType", ""), r["Operation"], r.get("UserId", ""),
                         json.dumps(r, separators=(",", ":"), ensure_ascii=False), "", ""])
    for row in extra_rows or []:
        writer.writerow(row)
    return out.getvalue()


def parse(tmp_path: Path, text: str, name: str = "audit.csv", encoding: str = "utf-8-sig", **options):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    frame, report = run_parser(UalParser, path, LoadOptions(**options))
    assert schema.validate(frame) == []
    assert report.balanced, report
    return frame, report, path


def test_purview_layout_maps_exchange_operations(tmp_path: Path) -> None:
    frame, report, _ = parse(tmp_path, purview_csv([REAL_INBOX_RULE, COMPOSITE_BIND, COMPOSITE_SEND_AS, COMPOSITE_SYNC, SHAREPOINT_FILE]))
    assert report.records == 5 and report.accepted == 4
    assert dict(report.skipped) == {"non-Exchange workload (SharePoint)": 1}
    assert frame["operation"].tolist() == [
        "InboxRuleChange", "MailItemsAccessed", "MailItemsAccessed", "SendAs", "MailItemsAccessed", "MailItemsAccessed"
    ]
    rule, bind1, bind2, send, sync1, sync2 = frame.to_dict("records")
    assert rule["time"] == pd.Timestamp("2023-05-29 12:29:35", tz="UTC")
    assert rule["client_ip"] == "104.28.196.199" and rule["item"] == "Direct"
    assert (rule["logon_type"], rule["logon_rule"], rule["admin_rights"]) == ("Admin", "source:UserType", True)
    assert "-SubjectContainsWords Attention" in rule["details"] and "-DeleteMessage True" in rule["details"]
    assert rule["server"] == "TY0PR03MB6952" and rule["outcome"] == "Success"
    assert bind1["item"] == "<DB9PR04MB8462ABCD1234@DB9PR04MB8462.eurprd04.prod.outlook.com>"
    assert bind2["item"] == "<BY5PR12MB4210EF56@BY5PR12MB4210.namprd12.prod.outlook.com>"
    for row in (bind1, bind2):
        assert (row["mailbox"], row["actor"], row["logon_type"], row["folder"]) == (
            "ceo@contoso.com", "assistant@contoso.com", "Delegate", "\\Inbox")
        assert "OperationCount=2" in row["details"] and "parent record 5b0c3f1e-7d2a-4c55-9e31-0a8f2b6d4c11" in row["details"]
        assert row["record_id"] == 2 and row["admin_rights"] is False
    assert (send["mailbox"], send["item"], send["folder"]) == ("ceo@contoso.com", "Wire transfer today", "\\Sent Items")
    assert send["client_app"] == "Client=MSExchangeRPC; OUTLOOK.EXE" and send["actor_ids"].endswith("|Pat Assistant")
    assert [sync1["folder"], sync2["folder"]] == ["\\Inbox", "\\Sent Items"]
    assert pd.isna(sync1["item"]) and sync1["client_ip"] == "2001:db8::7" and sync1["logon_type"] == "Owner"
    assert sync1["time"] == pd.Timestamp("2024-03-05 09:30:00.1234567", tz="UTC")
    assert "MailAccessType=Sync" in sync1["details"]


def test_classic_and_export_csv_layouts(tmp_path: Path) -> None:
    classic = io.StringIO()
    w = csv.writer(classic, lineterminator="\r\n")
    w.writerow(["CreationDate", "UserIds", "Operations", "AuditData"])
    w.writerow(["2024-03-05T09:20:03.0000000Z", "assistant@contoso.com", "SendAs", json.dumps(COMPOSITE_SEND_AS)])
    frame, report, _ = parse(tmp_path, classic.getvalue(), "classic.csv")
    assert frame["operation"].tolist() == ["SendAs"] and not report.warnings
    ten = io.StringIO()
    w = csv.writer(ten, lineterminator="\n", quoting=csv.QUOTE_ALL)
    ten.write("#TYPE Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.UnifiedAuditLogRecord\n")
    w.writerow(["RecordType", "CreationDate", "UserIds", "Operations", "AuditData", "ResultIndex", "ResultCount",
                "Identity", "IsValid", "ObjectState"])
    w.writerow(["ExchangeAdmin", "5/29/2023 12:29:35 PM", "stinger@contoso.onmicrosoft.com", "New-InboxRule",
                json.dumps(REAL_INBOX_RULE), "1", "1", REAL_INBOX_RULE["Id"], "True", "Unchanged"])
    frame, report, path = parse(tmp_path, ten.getvalue(), "ten.csv", encoding="utf-16")
    assert frame["operation"].tolist() == ["InboxRuleChange"] and frame["record_id"].tolist() == [1]
    assert any("UTF-16" in w.message for w in report.warnings)
    assert UalParser.sniff(path.read_bytes()[:4096], path) >= 90
    assert json.loads(next(csv.reader([UalParser.raw_record(path, 1, 1)]))[4])["Id"] == REAL_INBOX_RULE["Id"]


def test_admin_cmdlets_and_item_operations(tmp_path: Path) -> None:
    def admin(op: str, params: dict[str, str], rid: str) -> dict:
        return {"CreationTime": "2024-03-06T10:00:00", "Id": rid, "Operation": op, "RecordType": 1, "ResultStatus": "True",
                "UserType": 2, "Workload": "Exchange", "UserId": "admin@contoso.com", "ClientIP": "10.0.0.5",
                "Parameters": [{"Name": k, "Value": v} for k, v in params.items()]}

    records = [  # COMPOSITES in the shape of the real cmdlet record above
        admin("Set-Mailbox", {"Identity": "cfo@contoso.com", "ForwardingSmtpAddress": "smtp:x@evil.example"}, "a1"),
        admin("Add-MailboxPermission", {"Identity": "ceo@contoso.com", "User": "eve", "AccessRights": "FullAccess"}, "a2"),
        admin("Set-InboxRule", {"Identity": "cfo\\Move to RSS"}, "a3"),
        admin("New-MailboxExportRequest", {"Mailbox": "ceo", "FilePath": "\\\\srv\\x.pst"}, "a4"),
        admin("Get-Mailbox", {"Identity": "ceo"}, "a5"),
        {**_COMMON, "CreationTime": "2024-03-06T11:00:00", "Id": "d1", "Operation": "SoftDelete", "RecordType": 3,
         "ResultStatus": "Succeeded", "LogonType": 1, "AffectedItems": [
             {"Subject": "Q1 numbers", "ParentFolder": {"Path": "\\Inbox"}}, {"Subject": "Q2 numbers", "ParentFolder": {"Path": "\\Inbox"}}]},
        {**_COMMON, "CreationTime": "2024-03-06T11:01:00", "Id": "b1", "Operation": "FolderBind", "RecordType": 3,
         "ResultStatus": "Succeeded", "LogonType": 6, "Folder": {"Path": "\\Calendar"}},
        {**_COMMON, "CreationTime": "2024-03-06T11:02:00", "Id": "l1", "Operation": "MailboxLogin", "RecordType": 2,
         "ResultStatus": "Succeeded", "LogonType": 4},
    ]
    frame, report, _ = parse(tmp_path, purview_csv(records))
    assert frame["operation"].tolist() == ["ForwardingChange", "PermissionChange", "InboxRuleChange", "MailboxExport",
                                           "AdminCommand", "SoftDelete", "FolderOpen", "Logon"]
    assert frame["mailbox"].tolist()[:5] == ["cfo@contoso.com", "ceo@contoso.com", "cfo", "ceo", "ceo"]
    assert frame["item"].tolist()[5] == "Q1 numbers | Q2 numbers" and frame["folder"].tolist()[6] == "\\Calendar"
    assert frame["logon_type"].tolist()[5:7] == ["Admin", "Admin"]
    assert pd.isna(frame["logon_type"].tolist()[7]) and "LogonType=SystemService" in frame["details"].tolist()[7]
    assert "AffectedItems=2" in frame["details"].tolist()[5]


def test_bad_json_truncated_rows_and_empty_audit_data(tmp_path: Path) -> None:
    text = purview_csv(
        [COMPOSITE_SEND_AS],
        extra_rows=[
            ["r2", "x", "2", "SendAs", "u", '{"CreationTime": "2024-03-05T09:20:03", "Operation": "SendAs", ', "", ""],
            ["r3", "x", "2", "SendAs", "u", "", "", ""],
            ["r4", "x", "2", "SendAs"],  # too few fields
            ["r5", "x", "2", "SendAs", "u", "[1, 2]", "", ""],
            ["r6", "x", "2", "SendAs", "u", json.dumps({**COMPOSITE_SEND_AS, "LogonType": "2", "Id": "r6"}), "", ""],
        ],
    )
    frame, report, _ = parse(tmp_path, text)
    assert report.records == 6 and report.bad == 4 and report.accepted == 2 and len(frame) == 2
    assert frame["record_id"].tolist() == [1, 6] and frame["logon_type"].tolist() == ["Delegate", "Delegate"]
    by_location = {w.location: w.message for w in report.warnings}
    assert "not valid JSON" in by_location["record 2"] and "empty" in by_location["record 3"]
    assert "wrong number of CSV fields" in by_location["record 4"] and "not a JSON object" in by_location["record 5"]


def test_unreadable_times_keep_the_row_and_say_so(tmp_path: Path) -> None:
    record = {**COMPOSITE_SEND_AS, "CreationTime": "9999-99-99T99:99:99", "Id": "r2"}
    text = purview_csv([COMPOSITE_SEND_AS], extra_rows=[["r2", "garbage", "2", "SendAs", "u", json.dumps(record), "", ""]])
    frame, report, _ = parse(tmp_path, text)
    assert len(frame) == 2 and report.bad == 0 and frame["time"].isna().tolist() == [False, True]
    assert [w.location for w in report.warnings] == ["record 2"] and "without a time" in report.warnings[0].message


def test_truncated_file_and_ansi_text(tmp_path: Path) -> None:
    text = purview_csv([COMPOSITE_SEND_AS, {**COMPOSITE_SEND_AS, "Id": "x2", "LogonUserDisplayName": "Zoë"}])
    truncated = text[: len(text) - 200]
    frame, report, _ = parse(tmp_path, truncated)
    assert len(frame) == 1 and report.bad == 1 and report.records == 2
    frame, report, _ = parse(tmp_path, text, "ansi.csv", encoding="cp1252")
    assert frame["actor_ids"].tolist()[1].endswith("Zoë")
    assert any("Windows-1252" in w.message for w in report.warnings)


def test_lone_surrogate_escape_in_audit_data_is_replaced(tmp_path: Path) -> None:
    # fuzz: "\\ud800" in AuditData has no UTF-8 form; Arrow refused it and the file crashed
    damaged = json.dumps({**COMPOSITE_SEND_AS, "Id": "r2", "LogonUserDisplayName": "Pat\ud800"})
    text = purview_csv([COMPOSITE_SEND_AS], extra_rows=[["r2", "x", "2", "SendAs", "u", damaged, "", ""],
                                                         ["r3", "x", "2", "SendAs", "u", "{", "", ""]])
    frame, report, _ = parse(tmp_path, text)
    assert report.records == 3 and report.bad == 1 and len(frame) == 2
    assert frame["actor_ids"].tolist()[1].endswith("Pat\ufffd")


@pytest.mark.parametrize("number", ["1e999", "-1e999", "99999999999999999999", '"99999999999999999999"'])
def test_numbers_out_of_range_in_audit_data_are_dropped(tmp_path: Path, number: str) -> None:
    # fuzz: "RecordType": 1e999 (infinity) crashed int(); a number past int64 failed the slice in Arrow
    damaged = json.dumps({**COMPOSITE_SEND_AS, "Id": "r2"}).replace('"RecordType": 2', f'"RecordType": {number}')
    text = purview_csv([COMPOSITE_SEND_AS], extra_rows=[["r2", "x", "2", "SendAs", "u", damaged, "", ""]])
    frame, report, _ = parse(tmp_path, text)
    assert report.records == 2 and report.accepted == 2 and frame["operation"].tolist() == ["SendAs", "SendAs"]


def test_header_with_a_bare_carriage_return_is_refused_clearly(tmp_path: Path) -> None:
    # fuzz: CR-only line endings escaped the csv module's "new-line character seen" error
    path = tmp_path / "audit.csv"
    path.write_bytes(purview_csv([COMPOSITE_SEND_AS]).replace("\r\n", "\r").encode("utf-8"))
    with pytest.raises(ParseError, match="header row cannot be read: a carriage return"):
        run_parser(UalParser, path)


def test_all_events_keeps_other_workloads(tmp_path: Path) -> None:
    frame, report, _ = parse(tmp_path, purview_csv([SHAREPOINT_FILE, COMPOSITE_SEND_AS]), all_events=True)
    assert frame["operation"].tolist() == ["FileAccessed", "SendAs"] and not report.skipped
    assert "Workload=SharePoint" in frame["details"].tolist()[0]


def test_not_a_ual_file() -> None:
    assert UalParser.sniff(b"Operation,LogonType,LastAccessed\n", Path("a.csv")) == 0
    assert UalParser.sniff(b"\xef\xbb\xbfCreationDate,UserIds,Operations,AuditData\r\n", Path("a.csv")) >= 90


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from forensics.synth.generate import generate

    out = tmp_path_factory.mktemp("ual-case")
    generate("contoso", out, seed=5, events=2500, formats=("ual",))
    return out, json.loads((out / "truth.json").read_text(encoding="utf-8"))


def test_round_trip_with_generated_case(case: tuple[Path, dict]) -> None:
    from helpers.roundtrip import expected, load_format, tally

    out, truth = case
    frame, reports = load_format(out, truth, "ual", UalParser)
    spec = truth["formats"]["ual"]
    assert sum(r.records for r in reports) == spec["records"]
    assert sum(sum(r.skipped.values()) for r in reports) == spec["noise_records"]
    assert all(r.balanced and r.bad == 0 for r in reports)
    assert tally(frame) == expected(truth, "ual")
    assert (frame["operation"] == "MailItemsAccessed").sum() == sum(spec["rows_by_mail_access_type"].values())


def test_multiline_values_and_concatenated_objects_take_the_careful_path(tmp_path: Path) -> None:
    pretty = json.dumps(COMPOSITE_SEND_AS, indent=2)  # newlines inside the CSV value
    glued = json.dumps({**COMPOSITE_SEND_AS, "Id": "g1"}) + json.dumps({**COMPOSITE_SEND_AS, "Id": "g2"})
    text = purview_csv([COMPOSITE_BIND], extra_rows=[
        ["0d9e1a55-2b77-4f08-8c41-5e6f7a8b9c0d", "x", "2", "SendAs", "u", pretty, "", ""],
        ["g1", "x", "2", "SendAs", "u", glued, "", ""],
        ["mismatch", "x", "2", "SendAs", "u", json.dumps(COMPOSITE_SEND_AS), "", ""],
    ])
    frame, report, _ = parse(tmp_path, text)
    assert report.records == 4 and report.bad == 1 and "record 3" in {w.location for w in report.warnings}
    assert frame["record_id"].tolist() == [1, 1, 2, 4]
    assert frame["item"].tolist()[2:] == ["Wire transfer today", "Wire transfer today"]


def test_streamed_blocks_number_records_across_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from forensics.parsers import csvtable

    records = [{**COMPOSITE_SEND_AS, "Id": f"s{i}", "Item": {**COMPOSITE_SEND_AS["Item"], "Subject": f"m{i}"}}
               for i in range(40)]
    pretty = json.dumps({**COMPOSITE_SEND_AS, "Id": "p1"}, indent=1)  # a value with line breaks, late in the file
    text = purview_csv(records[:30], extra_rows=[["p1", "x", "2", "SendAs", "u", pretty, "", ""], ["r", "x"]])
    text += purview_csv(records[30:]).split("\r\n", 1)[1]
    whole, whole_report, path = parse(tmp_path, text)
    monkeypatch.setattr(csvtable, "BLOCK", 3000)  # a few records per block
    streamed, report = run_parser(UalParser, path, LoadOptions())
    assert report.balanced and report.records == 42 and report.bad == 1
    assert {w.location for w in report.warnings} == {"record 32"}
    pd.testing.assert_frame_equal(streamed, whole)
    assert streamed["record_id"].tolist() == list(range(1, 32)) + list(range(33, 43))
    assert streamed["item"].tolist()[30] == "Wire transfer today" and streamed["item"].tolist()[-1] == "m39"


def test_cancel_mid_stream_keeps_custody_hash_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    from forensics.errors import LoadCancelled
    from forensics.ingest import load_evidence
    from forensics.parsers import csvtable
    from forensics.parsers.m365 import ual

    records = [{**COMPOSITE_SEND_AS, "Id": f"s{i}"} for i in range(60)]
    path = tmp_path / "big.csv"
    path.write_text(purview_csv(records), encoding="utf-8")
    monkeypatch.setattr(csvtable, "BLOCK", 4000)
    monkeypatch.setattr(ual, "SLICE_ROWS", 2)
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 2

    from forensics.custody.log import CustodyLog

    log = CustodyLog(tmp_path / "case")
    with pytest.raises(LoadCancelled):
        load_evidence([path], custody=log, cancel=cancel)
    result = load_evidence([path], custody=log)
    assert len(result.frame) == 60
    assert result.files[0].hashes.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
