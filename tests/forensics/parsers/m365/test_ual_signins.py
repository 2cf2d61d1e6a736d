"""Entra ID sign-ins (UserLoggedIn / UserLoginFailed) in a UAL export become Logon rows.

Records follow the Office 365 Management Activity API "Azure Active Directory STS logon"
schema and the public Purview export in blueteam0ps/det-eng-samples
(``dataset/t1482_azurehound_list.csv``: RecordType 15, ``ExtendedProperties`` with
``UserAgent``/``RequestType``/``ResultStatusDetail``, ``ActorIpAddress``, ``ObjectId`` =
the resource). The failed record is COMPOSITE in the shape Microsoft writes it: operation
``UserLoginFailed`` with ``"ResultStatus": "Success"``, ``LogonError`` and ``ErrorNumber``.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.forensics.parsers.m365.test_ual import COMPOSITE_SEND_AS, parse, purview_csv

_TENANT = "8d4121ed-0008-406d-bff9-0d5bb312183c"
SIGN_IN = {
    "CreationTime": "2023-06-18T12:26:59", "Id": "2ef9a610-4bae-443a-97c0-f7bbad192600", "Operation": "UserLoggedIn",
    "OrganizationId": _TENANT, "RecordType": 15, "ResultStatus": "Success", "UserKey": "f23cb258-50ca-4092-9027-5c4ca2f1d999",
    "UserType": 0, "Version": 1, "Workload": "AzureActiveDirectory", "ClientIP": "104.28.196.199",
    "ObjectId": "00000003-0000-0000-c000-000000000000", "UserId": "lidia@contoso.onmicrosoft.com",
    "AzureActiveDirectoryEventType": 1,
    "ExtendedProperties": [{"Name": "ResultStatusDetail", "Value": "Success"}, {"Name": "UserAgent", "Value": "azurehound/v2.0.4"},
                           {"Name": "UserAuthenticationMethod", "Value": "1"}, {"Name": "RequestType", "Value": "OAuth2:Token"}],
    "ModifiedProperties": [], "Actor": [{"ID": "f23cb258-50ca-4092-9027-5c4ca2f1d999", "Type": 0},
                                        {"ID": "lidia@contoso.onmicrosoft.com", "Type": 5}],
    "ActorContextId": _TENANT, "ActorIpAddress": "104.28.196.199",
    "Target": [{"ID": "00000003-0000-0000-c000-000000000000", "Type": 0}], "TargetContextId": _TENANT,
    "ApplicationId": "d3590ed6-52b3-4102-aeff-aad2292ab01c",
}
FAILED = {
    **SIGN_IN, "Id": "9b1c7c2e-0000-4000-8000-000000000001", "Operation": "UserLoginFailed", "CreationTime": "2023-06-18T12:20:01",
    "ResultStatus": "Success", "LogonError": "InvalidUserNameOrPassword", "ErrorNumber": "50126",
    "ClientIP": None, "ActorIpAddress": "198.51.100.23",
    "ExtendedProperties": [{"Name": "ResultStatusDetail", "Value": "Success"},
                           {"Name": "UserAgent", "Value": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"},
                           {"Name": "RequestType", "Value": "Login:login"}],
}


def test_sign_ins_are_logon_rows_by_default(tmp_path: Path) -> None:
    frame, report, _ = parse(tmp_path, purview_csv([SIGN_IN, FAILED, COMPOSITE_SEND_AS]))
    assert not report.skipped and report.accepted == 3
    rows = frame.set_index("item", drop=False)
    ok = frame[frame["operation"] == "Logon"].iloc[0]
    assert ok["outcome"] == "Success" and ok["client_ip"] == "104.28.196.199"
    assert ok["actor"] == "lidia@contoso.onmicrosoft.com" and (ok["mailbox"] is None or ok["mailbox"] != ok["mailbox"] or ok["mailbox"] == "")
    assert ok["client_app"] == "azurehound/v2.0.4; Microsoft Office (d3590ed6-52b3-4102-aeff-aad2292ab01c)"
    assert ok["item"] == "Microsoft Graph (00000003-0000-0000-c000-000000000000)"
    assert "RequestType=OAuth2:Token" in ok["details"] and "Operation=UserLoggedIn" in ok["details"]
    assert len(rows) == 3


def test_login_failed_with_result_status_success_is_a_failure(tmp_path: Path) -> None:
    frame, _, _ = parse(tmp_path, purview_csv([FAILED]))
    row = frame.iloc[0]
    assert row["operation"] == "LogonFailure" and row["outcome"] == "Failure"
    assert row["client_ip"] == "198.51.100.23"  # ActorIpAddress when ClientIP is absent
    assert row["client_app"].startswith("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
    details = row["details"]
    assert "LogonError=InvalidUserNameOrPassword" in details and "ErrorNumber=50126" in details
    assert "ResultStatus=Success (the audit write's status" in details


def test_logged_in_with_an_error_number_is_a_failure_and_numbers_may_be_json_numbers(tmp_path: Path) -> None:
    # ErrorNumber written as a JSON number (and 0 on success) must neither fail the slice nor flip the outcome
    interrupted = {**SIGN_IN, "Id": "i-1", "ErrorNumber": 50140, "LogonError": "KmsiInterrupt"}
    clean = {**SIGN_IN, "Id": "i-2", "ErrorNumber": 0}
    frame, report, _ = parse(tmp_path, purview_csv([interrupted, clean]))
    assert report.accepted == 2 and report.bad == 0
    by_id = {d.split("Id=")[1].split(";")[0]: (op, out) for d, op, out in
             zip(frame["details"], frame["operation"], frame["outcome"])}
    assert by_id == {"i-1": ("LogonFailure", "Failure"), "i-2": ("Logon", "Success")}


def test_sign_in_record_round_trips_as_json(tmp_path: Path) -> None:
    # the raw record behind a sign-in row is the CSV line holding the AuditData JSON
    from forensics.parsers.m365.ual import UalParser

    frame, _, path = parse(tmp_path, purview_csv([FAILED]))
    raw = UalParser.raw_record(path, None, int(frame["record_id"].iloc[0]))
    assert json.loads(raw.split(",", 5)[5].rsplit(",", 2)[0].strip('"').replace('""', '"'))["ErrorNumber"] == "50126"


def test_sign_ins_are_no_non_owner_pairs(tmp_path: Path) -> None:
    # a sign-in opens no mailbox: as "Unknown" logon type it made (actor, "(not recorded)")
    # non-owner pairs in the findings; it is the account's own sign-in (Owner, rule named)
    from forensics.aggregate.findings import findings
    from forensics.identity.resolve import resolve_logon_types

    frame, _, _ = parse(tmp_path, purview_csv([SIGN_IN, FAILED, COMPOSITE_SEND_AS]))
    frame = resolve_logon_types(frame)
    signed = frame[frame["operation"].isin(["Logon", "LogonFailure"])]
    assert set(signed["logon_type"].astype(str)) == {"Owner"}
    assert set(signed["logon_rule"].astype(str)) == {"sign-in: the account's own credentials, no mailbox opened"}
    pairs = findings(frame).pairs
    assert len(pairs) == 1 and pairs["events"].tolist() == [1]  # the SendAs alone
    assert not any("lidia" in str(a) for a in pairs["actor"])
    assert "(not recorded)" not in set(pairs["mailbox"])
