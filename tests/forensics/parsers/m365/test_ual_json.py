"""Unified audit log JSON: every shape gives the rows the CSV parser gives for the same records.

Shapes, each written as the source writes it:
- Management Activity API records, one JSON object per line, as SIEM collectors store them
  (elastic/integrations ``packages/o365/data_stream/audit/_dev/test/pipeline/test-exchange-item.log``:
  raw ``ExchangeItem`` records, ``Item.ParentFolder`` with ``MemberUpn``/``MemberRights`` on
  ``ModifyFolderPermissions``, ``OriginatingServer`` ending in ``\\n``);
- the API's content blob: one JSON array of records (MicrosoftDocs/office-365-management-api,
  ``office-365-management-activity-api-reference.md``, "Retrieving content");
- ``Search-UnifiedAuditLog | ConvertTo-Json``: an indented array of result objects whose
  ``AuditData`` is the record as text beside ``CreationDate`` (Windows PowerShell writes a
  DateTime as ``/Date(ms)/``), ``ResultIndex`` and ``ResultCount`` (numbers);
- Microsoft Graph ``security/auditLog/queries/{id}/records`` pages: ``{"@odata.context": …,
  "value": [ {id, createdDateTime, operation, userPrincipalName, auditData: {…}} ]}``
  (learn.microsoft.com, "auditLogRecord resource type").
The records themselves are the CSV tests' (real New-InboxRule; composites labelled there).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from forensics.errors import UnsupportedFormatError
from forensics.parsers import jsonsplit, registry
from forensics.parsers.m365 import ual_duplicates, ual_json
from forensics.parsers.base import LoadOptions
from forensics.parsers.m365.ual import UalParser
from forensics.parsers.m365.ual_json import UalJsonParser
from helpers.run_parser import run_parser
from tests.forensics.parsers.m365.test_ual import (
    COMPOSITE_BIND, COMPOSITE_SEND_AS, COMPOSITE_SYNC, REAL_INBOX_RULE, SHAREPOINT_FILE, purview_csv,
)

# Follows the real ModifyFolderPermissions line of elastic's test-exchange-item.log (values ours):
# an administrator's service (LogonType 1) grants a calendar right; the grantee is Item.ParentFolder.MemberUpn.
FOLDER_PERMISSION = {
    "OrganizationName": "contoso.onmicrosoft.com", "UserKey": "S-1-5-18", "MailboxGuid": "11111111-2222-4333-8444-555555555555",
    "OrganizationId": "8d4121ed-0008-406d-bff9-0d5bb312183c", "Operation": "ModifyFolderPermissions", "ClientIPAddress": "::1",
    "Item": {"Id": "LgAAAAB1", "ParentFolder": {"Path": "\\Calendar", "MemberRights": "ReadAny, Visible, FreeBusySimple",
                                                  "MemberSid": "S-1-8-1-2-3-4-1", "Id": "LgAAAAB1", "MemberUpn": "Member@local",
                                                  "Name": "Calendar"}},
    "LogonUserSid": "S-1-5-18", "RecordType": 2, "OriginatingServer": "AM6PR01MB4535 (15.20.225.32)\n", "Version": 1,
    "ClientInfoString": "Client=WebServices;Action=ConfigureGroupMailbox", "MailboxOwnerUPN": "ceo@contoso.com",
    "ResultStatus": "Succeeded", "ExternalAccess": True, "LogonType": 1, "ClientIP": "::1", "Workload": "Exchange",
    "InternalLogonType": 1, "UserId": "S-1-5-18", "CreationTime": "2020-02-17T08:53:41",
    "Id": "815684be-0000-4cb2-9242-08d7b386e333", "UserType": 2,
}
# COMPOSITE, from the STS logon schema (field names as in ual_signins' sources)
SIGN_IN = {"CreationTime": "2024-03-05T09:13:58", "Id": "aad-1", "Operation": "UserLoggedIn", "RecordType": 15,
           "ResultStatus": "Success", "UserId": "assistant@contoso.com", "UserKey": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
           "UserType": 0, "Workload": "AzureActiveDirectory", "ClientIP": "203.0.113.77",
           "ObjectId": "00000002-0000-0ff1-ce00-000000000000", "ApplicationId": "00000002-0000-0ff1-ce00-000000000000",
           "ExtendedProperties": [{"Name": "UserAgent", "Value": "Mozilla/5.0"}, {"Name": "RequestType", "Value": "OAuth2:Authorize"}]}
RECORDS = [REAL_INBOX_RULE, COMPOSITE_BIND, COMPOSITE_SEND_AS, COMPOSITE_SYNC, SHAREPOINT_FILE, FOLDER_PERMISSION, SIGN_IN]
KEY = ["time", "operation", "mailbox", "actor", "logon_type", "folder", "item", "client_ip", "outcome", "details"]


def lines(records: list[dict]) -> str:
    return "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records)


def convert_to_json(records: list[dict], count: int | None = None) -> str:
    """What ``Search-UnifiedAuditLog | ConvertTo-Json`` writes (Windows PowerShell 5.1)."""
    results = [{"RunspaceId": "5b3e…", "RecordType": r.get("RecordType"), "CreationDate": "/Date(1709630062000)/",
                "UserIds": r.get("UserId"), "Operations": r["Operation"], "AuditData": json.dumps(r),
                "ResultIndex": i + 1, "ResultCount": count or len(records), "Identity": r["Id"], "IsValid": True,
                "ObjectState": "Unchanged"} for i, r in enumerate(records)]
    return json.dumps(results, indent=4)


def graph_page(records: list[dict]) -> str:
    value = [{"id": r["Id"], "createdDateTime": r["CreationTime"] + "Z", "auditLogRecordType": "exchangeItem",
              "operation": r["Operation"], "organizationId": "8d4121ed-0008-406d-bff9-0d5bb312183c", "userType": "regular",
              "userId": r.get("UserId"), "service": r.get("Workload"), "objectId": None, "userPrincipalName": r.get("UserId"),
              "clientIp": r.get("ClientIP"), "administrativeUnits": [],
              "auditData": {"@odata.type": "#microsoft.graph.security.defaultAuditData", **r}} for r in records]
    return json.dumps({"@odata.context": "https://graph.microsoft.com/beta/$metadata#records", "value": value})


SHAPES = {
    "api.jsonl": lambda rs: lines(rs),
    "content-blob.json": lambda rs: json.dumps(rs, separators=(",", ":")),
    "pretty-array.json": lambda rs: json.dumps(rs, indent=2),
    "concatenated.json": lambda rs: "".join(json.dumps(r, indent=1) + "\n" for r in rs),
    "search-unifiedauditlog.json": lambda rs: convert_to_json(rs),
    "graph-records.json": lambda rs: graph_page(rs),
    # scripts that expand AuditData before saving (ConvertFrom-Json, then ConvertTo-Json -Depth 10)
    "expanded-audit-data.json": lambda rs: json.dumps([{"RecordType": r.get("RecordType"), "CreationDate": "2024-03-05T09:00:00",
                                                         "UserIds": r.get("UserId"), "Operations": r["Operation"],
                                                         "AuditData": r} for r in rs], indent=2),
}


def parse(tmp_path: Path, text: str, name: str = "audit.json", encoding: str = "utf-8", **options):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    frame, report = run_parser(UalJsonParser, path, LoadOptions(**options))
    assert report.balanced, report
    return frame, report, path


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[KEY].astype("string").reset_index(drop=True)


@pytest.fixture(scope="module")
def csv_rows(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("csv") / "audit.csv"
    path.write_bytes(purview_csv(RECORDS).encode("utf-8-sig"))
    frame, report = run_parser(UalParser, path)
    assert report.accepted == 6
    return frame


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_shape_gives_the_csv_rows(tmp_path: Path, csv_rows: pd.DataFrame, name: str) -> None:
    text = SHAPES[name](RECORDS)
    frame, report, path = parse(tmp_path, text, name)
    assert registry.detect(path.read_bytes()[:65536], path) is UalJsonParser
    pd.testing.assert_frame_equal(comparable(frame), comparable(csv_rows))
    assert report.records == 7 and report.accepted == 6 and report.bad == 0
    assert dict(report.skipped) == {"non-Exchange workload (SharePoint)": 1}
    assert set(frame["source_format"].astype(str)) == {"ual"}
    # the reused mapping: explosion, permission change, sign-in
    assert (frame["operation"] == "MailItemsAccessed").sum() == 4
    perm = frame[frame["operation"] == "PermissionChange"].iloc[0]
    assert perm["mailbox"] == "ceo@contoso.com" and perm["folder"] == "\\Calendar" and "Member=Member@local" in perm["details"]
    assert frame.loc[frame["operation"] == "Logon", "client_app"].astype(str).str.contains("Mozilla").all()
    # the bytes parsed are the bytes hashed
    assert report.hashes.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_clean_files_take_the_fast_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("record-by-record path used on clean input")

    monkeypatch.setattr(UalJsonParser, "_slowly", refuse)
    frame, report, _ = parse(tmp_path, SHAPES[name](RECORDS), name)
    assert report.accepted == 6


def test_raw_record_is_found_again(tmp_path: Path) -> None:
    for name in sorted(SHAPES):
        frame, _, path = parse(tmp_path, SHAPES[name](RECORDS), name)
        row = frame[frame["operation"] == "SendAs"].iloc[0]
        raw = UalJsonParser.raw_record(path, row["raw_ref"], row["record_id"])
        assert "0d9e1a55-2b77-4f08-8c41-5e6f7a8b9c0d" in raw, name
        json.loads(raw)  # one whole record


def test_convert_to_json_result_count_proves_a_search_incomplete(tmp_path: Path) -> None:
    frame, report, _ = parse(tmp_path, convert_to_json(RECORDS, count=9))
    assert any(note.startswith("EXPORT INCOMPLETE: 2 audit records") for note in report.notes)
    assert any("ResultIndex 8-9 are missing" in str(w) for w in report.warnings)


def test_throttled_mailbox_is_a_loud_note(tmp_path: Path) -> None:
    throttled = json.loads(json.dumps(COMPOSITE_BIND))
    throttled["OperationProperties"][1]["Value"] = "True"
    _, report, _ = parse(tmp_path, lines([throttled]), "api.jsonl")
    assert any(note.startswith("AUDIT THROTTLED") and "ceo@contoso.com" in note for note in report.notes)
    assert report.missing and report.missing[0].mailbox == "ceo@contoso.com"


def test_utf16_out_file_export(tmp_path: Path, csv_rows: pd.DataFrame) -> None:
    # Windows PowerShell's Out-File writes UTF-16LE with a BOM by default
    frame, report, path = parse(tmp_path, "\ufeff" + convert_to_json(RECORDS), encoding="utf-16-le")
    assert registry.detect(path.read_bytes()[:65536], path) is UalJsonParser
    pd.testing.assert_frame_equal(comparable(frame), comparable(csv_rows))
    assert any("UTF-16-LE" in str(w) for w in report.warnings)


def test_bad_lines_are_counted_and_named(tmp_path: Path) -> None:
    good = lines([COMPOSITE_SEND_AS, REAL_INBOX_RULE]).splitlines()
    text = "\n".join([good[0], '{"CreationTime": "2024-03-05T10:00:00", "Operation": "Send"', "", "[1, 2]",
                      '{"Foo": 1}', good[1], '{"CreationTime":"2024-03-05T10:00:00","Operation":"SendAs","Workload":"Exchange","Id":"x\\ud800"}'])
    frame, report, _ = parse(tmp_path, text + "\n", "api.jsonl")
    assert report.records == 6 and report.accepted == 3 and report.bad == 3
    where = {w.location: w.message for w in report.warnings}
    assert "not valid JSON" in where["line 2"] and "not a JSON object" in where["line 4"]
    assert "not a unified audit log record" in where["line 5"]
    assert sorted(frame["record_id"].tolist()) == [1, 6, 7]


def test_array_values_that_are_not_objects_and_a_truncated_end(tmp_path: Path) -> None:
    body = json.dumps([COMPOSITE_SEND_AS, None, 5, REAL_INBOX_RULE], indent=2)
    text = body[:-2] + ',\n  {"CreationTime": "2024-03-05T10:00:00", "Operation": "Se'  # cut inside the 5th
    frame, report, _ = parse(tmp_path, text)
    assert report.accepted == 2 and report.bad == 3 and report.records == 5
    messages = " | ".join(str(w) for w in report.warnings)
    assert "'null'" in messages and "'5'" in messages and "record 3: the file ends inside this record" in messages


def test_audit_data_text_that_is_not_json(tmp_path: Path) -> None:
    results = json.loads(convert_to_json([COMPOSITE_SEND_AS, REAL_INBOX_RULE]))
    results[0]["AuditData"] = '{"CreationTime": "2024-'
    frame, report, _ = parse(tmp_path, json.dumps(results, indent=4))
    assert report.accepted == 1 and report.bad == 1
    assert "record 1" in {w.location for w in report.warnings}


def test_a_record_without_end_stops_reading_with_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonsplit, "MAX_RECORD", 4096)
    monkeypatch.setattr(ual_json, "BLOCK", 1024)
    text = json.dumps([COMPOSITE_SEND_AS, REAL_INBOX_RULE])[:-1] + ', {"CreationTime": "' + "x" * 20000 + "\n"
    frame, report, path = parse(tmp_path, text)
    assert report.accepted == 2 and report.bad == 1
    assert any(note.startswith("RECORDS MISSING") for note in report.notes)
    assert report.hashes.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()  # hashed whole all the same


@pytest.mark.parametrize("name", ["api.jsonl", "pretty-array.json", "search-unifiedauditlog.json"])
def test_small_blocks_number_records_across_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    records = [dict(COMPOSITE_SEND_AS, Id=f"id-{i}", CreationTime=f"2024-03-05T09:{i // 60:02d}:{i % 60:02d}")
               for i in range(60)]
    monkeypatch.setattr(ual_json, "BLOCK", 1999)  # records cut at many places
    frame, report, path = parse(tmp_path, SHAPES[name](records), name)
    assert report.accepted == 60 and report.bad == 0
    assert frame["record_id"].tolist() == (list(range(1, 61)))
    assert frame["details"].str.extract(r"Id=(id-\d+)")[0].tolist() == [f"id-{i}" for i in range(60)]


@pytest.mark.parametrize("text", [
    # Entra ID sign-in log downloaded from the portal as JSON (Graph signIn resource): no AuditData
    '[{"id": "1", "createdDateTime": "2024-03-05T09:00:00Z", "userPrincipalName": "a@contoso.com", '
    '"appDisplayName": "Office 365 Exchange Online", "ipAddress": "203.0.113.7", "status": {"errorCode": 0}}]',
    # Graph directoryAudits
    '{"@odata.context": "x", "value": [{"id": "1", "category": "UserManagement", "activityDisplayName": "Add user", '
    '"activityDateTime": "2024-03-05T09:00:00Z"}]}',
    # any other JSON lines
    '{"time": "2024-03-05T09:00:00Z", "level": "info", "msg": "started", "Operation": "x"}\n',
    '{"name": "pkg", "version": "1.0.0"}',
])
def test_other_json_is_not_taken_for_an_audit_log(tmp_path: Path, text: str) -> None:
    path = tmp_path / "other.json"
    path.write_text(text, encoding="utf-8")
    assert UalJsonParser.sniff(path.read_bytes(), path) == 0
    with pytest.raises(UnsupportedFormatError):
        registry.detect(path.read_bytes(), path)


def test_ual_csv_is_still_the_csv_parser(tmp_path: Path) -> None:
    path = tmp_path / "audit.csv"
    path.write_bytes(purview_csv(RECORDS).encode("utf-8-sig"))
    assert UalJsonParser.sniff(path.read_bytes(), path) == 0
    assert registry.detect(path.read_bytes(), path) is UalParser


def test_split_respects_strings_and_escapes() -> None:
    text = b'[{"a": "x\\\\", "b": "}{\\"]", "c": [1, {"d": 2}]},\n null, {"e": "line\\nbreak"}]'
    result = jsonsplit.split(text, 1, 0, final=True)
    assert [json.loads(x) for x in result.piece.payload.splitlines()] == [
        {"a": "x\\", "b": '}{"]', "c": [1, {"d": 2}]}, {"e": "line\nbreak"}]
    assert result.piece.junk == ["null"]


def test_a_record_delivered_twice_is_counted_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # collectors pulling overlapping windows append the same record again (same Id and content)
    monkeypatch.setattr(ual_json, "BLOCK", 4000)  # the repeat in a later block than the first
    edited = dict(COMPOSITE_SEND_AS, UserId="someone-else@contoso.com")
    frame, report, _ = parse(tmp_path, lines(RECORDS + [COMPOSITE_BIND, COMPOSITE_SEND_AS, edited]), "api.jsonl")
    assert report.records == 10 and report.accepted == 7
    assert report.skipped[ual_duplicates.REASON] == 2
    assert (frame["operation"] == "MailItemsAccessed").sum() == 4  # not 6
    assert [w.location for w in report.warnings if "same Id but other content" in w.message] == ["record 10"]


def test_one_content_blob_array_per_line(tmp_path: Path, csv_rows: pd.DataFrame) -> None:
    # a collector saving each content blob (a JSON array) as one line
    text = json.dumps(RECORDS[:3]) + "\n" + json.dumps(RECORDS[3:]) + "\n"
    frame, report, path = parse(tmp_path, text, "blobs.jsonl")
    assert registry.detect(path.read_bytes(), path) is UalJsonParser
    pd.testing.assert_frame_equal(comparable(frame), comparable(csv_rows))
    assert report.bad == 0 and report.records == 7
