"""Microsoft 365 object ids are people; organisation objects are not mailboxes.

The export is built like a Purview audit search export (8 columns, ``AuditData`` JSON) of an
inbox-rule attack: the New-InboxRule records take the shape of the REAL record in
``reference/evidence-formats.md`` §5.3 (blueteam0ps sample: ``ObjectId`` ``<server>/Microsoft
Exchange Hosted Organizations/<tenant>/<guid>\\<rule>``, no ``-Mailbox``), and the Entra ID
sign-ins (``UserLoggedIn``, RecordType 15, Workload AzureActiveDirectory) carry the user's
object id as ``UserKey`` (Office 365 Management Activity API schema, common schema: UserKey is
"an alternative ID for the user identified in the UserId property", for Entra ID the object id).
Organisation cmdlets follow Microsoft Learn's cmdlet reference (their -Identity is a plan,
policy or configuration; Set-TransportConfig and Set-AdminAuditLogConfig take none).
"""

from __future__ import annotations

from pathlib import Path

from forensics.aggregate.findings import findings
from forensics.ingest import load_evidence
from forensics.query import compile_query
from tests.forensics.parsers.m365.test_ual import purview_csv

OID = "311b45d6-1a3e-46ac-8434-721367961e19"  # stinger's Entra object id
TENANT = "APCPR03A010.PROD.OUTLOOK.COM/Microsoft Exchange Hosted Organizations/contoso.onmicrosoft.com"


def signin(n: int, user: str, key: str) -> dict:
    return {"CreationTime": f"2023-05-29T11:{n:02d}:00", "Id": f"aad-{user}-{n}", "Operation": "UserLoggedIn",
            "RecordType": 15, "Workload": "AzureActiveDirectory", "ResultStatus": "Success", "UserId": user,
            "UserKey": key, "UserType": 0, "ClientIP": "104.28.196.199", "ObjectId": "00000002-0000-0ff1-ce00-000000000000"}


def cmdlet(n: int, op: str, user: str, object_id: str, params: dict[str, str], user_type: int = 0) -> dict:
    return {"CreationTime": f"2023-05-29T12:{n:02d}:35", "Id": f"rule-{n}", "Operation": op, "RecordType": 1,
            "ResultStatus": "True", "UserKey": "1003200280FF7557" if user.startswith("stinger") else "10032001A4F7C2D9",
            "UserType": user_type, "Workload": "Exchange", "ClientIP": "104.28.196.199:9808", "ObjectId": object_id,
            "UserId": user, "Parameters": [{"Name": k, "Value": v} for k, v in params.items()]}


def test_inbox_rules_on_the_actors_own_object_id_are_owner(tmp_path: Path) -> None:
    stinger = "stinger@contoso.onmicrosoft.com"
    rules = [cmdlet(i, "New-InboxRule", stinger, f"{TENANT}/{OID}\\Rule{i}",
                    {"Name": f"Rule{i}", "SubjectContainsWords": "Attention", "DeleteMessage": "True"}) for i in range(3)]
    rules.append(cmdlet(3, "New-InboxRule", stinger, f"{TENANT}/{OID}\\Direct", {"Name": "Direct"}, user_type=2))
    # someone else writing a rule into stinger's mailbox is still a non-owner change
    rules.append(cmdlet(4, "Set-InboxRule", "mallory@contoso.onmicrosoft.com", f"{TENANT}/{OID}\\Direct",
                        {"Identity": f"{TENANT}/{OID}\\Direct", "Enabled": "True"}))
    records = [signin(0, stinger, OID), signin(1, stinger, OID), *rules]
    path = tmp_path / "purview.csv"
    path.write_text(purview_csv(records), encoding="utf-8-sig")
    result = load_evidence([path])
    frame = result.frame.sort_values("record_id").reset_index(drop=True)
    signins = frame[frame["operation"] == "Logon"]  # the UserLoggedIn records are sign-in rows (no mailbox)
    assert len(signins) == 2 and signins["mailbox"].isna().all()
    frame = frame[frame["operation"] != "Logon"].reset_index(drop=True)
    own, foreign = frame.iloc[:4], frame.iloc[4]
    assert set(own["mailbox"]) == {OID} and set(own["logon_type"]) == {"Owner"}
    assert set(own["logon_rule"]) == {"linked:UserKey"}
    assert set(own["mailbox_key"]) == set(own["actor_key"]) == {"stinger"}
    assert own["details"].str.contains(f"linked: {OID} = {stinger} (UserKey of {stinger} (record 1))", regex=False).all()
    assert own["details"].str.contains(f"ObjectId={TENANT}/{OID}\\Rule0", regex=False).iloc[0]
    assert foreign["mailbox"] == OID  # the -Identity path, shortened to the mailbox's object id
    assert foreign["logon_type"] == "Admin" and foreign["mailbox_key"] == "stinger"
    nonowner = frame[compile_query("is:nonowner").mask(frame)]
    assert nonowner["actor"].tolist() == ["mallory@contoso.onmicrosoft.com"]
    changes = findings(frame).changes
    assert changes["actor"].tolist().count(stinger) == 4  # still listed as changes, on her own mailbox


def test_an_id_two_users_share_links_nobody(tmp_path: Path) -> None:
    records = [signin(0, "stinger@contoso.onmicrosoft.com", OID), signin(1, "mallory@contoso.onmicrosoft.com", OID),
               cmdlet(2, "New-InboxRule", "stinger@contoso.onmicrosoft.com", f"{TENANT}/{OID}\\Direct", {"Name": "Direct"})]
    path = tmp_path / "purview.csv"
    path.write_text(purview_csv(records), encoding="utf-8-sig")
    result = load_evidence([path])
    (row,) = result.frame[result.frame["operation"] != "Logon"].to_dict("records")  # beside the 2 sign-in rows
    assert row["logon_type"] != "Owner" and "linked:" not in row["details"]
    assert any(OID in w and "not linked" in w for w in (str(x) for x in result.files[0].warnings))


def test_organisation_objects_are_not_mailboxes(tmp_path: Path) -> None:
    admin = "admin@contoso.onmicrosoft.com"
    records = [
        cmdlet(0, "Set-MailboxPlan", admin, f"{TENANT}/ExchangeOnlineEnterprise-6f5ed2d1",
               {"Identity": "ExchangeOnlineEnterprise-6f5ed2d1", "MaxSendSize": "35 MB"}, user_type=2),
        cmdlet(1, "Set-OwaMailboxPolicy", admin, f"{TENANT}/OwaMailboxPolicy-Default",
               {"Identity": "OwaMailboxPolicy-Default", "AdditionalStorageProvidersAvailable": "False"}, user_type=2),
        cmdlet(2, "Set-RecipientEnforcementProvisioningPolicy", admin, f"{TENANT}/RecipientEnforcementProvisioningPolicy",
               {"Identity": "RecipientEnforcementProvisioningPolicy"}, user_type=2),
        cmdlet(3, "Set-TransportConfig", admin, TENANT, {"SmtpClientAuthenticationDisabled": "True"}, user_type=2),
        cmdlet(4, "Set-AdminAuditLogConfig", admin, TENANT, {"UnifiedAuditLogIngestionEnabled": "False"}, user_type=2),
        cmdlet(5, "Enable-OrganizationCustomization", admin, TENANT, {}, user_type=2),
        cmdlet(6, "Install-UnifiedCompliancePrerequisite", admin, TENANT, {}, user_type=2),
        cmdlet(7, "Set-Mailbox", admin, f"{TENANT}/ceo", {"Identity": "ceo@contoso.com", "AuditEnabled": "False"}, user_type=2),
    ]
    path = tmp_path / "purview.csv"
    path.write_text(purview_csv(records), encoding="utf-8-sig")
    frame = load_evidence([path]).frame.sort_values("record_id").reset_index(drop=True)
    org, mailbox = frame.iloc[:7], frame.iloc[7]
    assert org["mailbox"].isna().all() and org["mailbox_key"].isna().all()
    objects = org["details"].str.extract(r"object=([^;]+)")[0].tolist()
    assert objects == ["ExchangeOnlineEnterprise-6f5ed2d1", "OwaMailboxPolicy-Default", "RecipientEnforcementProvisioningPolicy",
                       "(organisation)", "(organisation)", "(organisation)", "(organisation)"]
    assert mailbox["mailbox"] == "ceo@contoso.com" and "object=" not in mailbox["details"]
    assert frame.loc[4, "operation"] == "AuditConfigChange"  # the audit switch is still flagged, as a tenant change
