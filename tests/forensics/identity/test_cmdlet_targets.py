"""The noun of an Exchange cmdlet says whether it acts on a mailbox or an organisation object
(Microsoft Learn, Exchange PowerShell cmdlet reference: the -Identity each cmdlet takes)."""

from __future__ import annotations

import pytest

from forensics.identity.cmdlet_targets import target_kind


@pytest.mark.parametrize("cmdlet", [
    "Set-MailboxPlan", "Set-OwaMailboxPolicy", "Set-RecipientEnforcementProvisioningPolicy", "Set-TransportConfig",
    "Set-AdminAuditLogConfig", "Set-OrganizationConfig", "Enable-OrganizationCustomization",
    "Install-UnifiedCompliancePrerequisite", "Add-DatabaseAvailabilityGroupServer", "Set-MobileDeviceMailboxPolicy",
    "New-TransportRule", "Set-EventLogLevel", "Set-MailboxDatabase", "Enable-TransportAgent", "Set-AcceptedDomain",
])
def test_organisation_objects(cmdlet: str) -> None:
    assert target_kind(cmdlet) == "organisation"


@pytest.mark.parametrize("cmdlet", [
    "Set-Mailbox", "New-InboxRule", "Enable-InboxRule", "Add-MailboxPermission", "Add-RecipientPermission",
    "Set-MailboxRegionalConfiguration", "Set-MailboxAutoReplyConfiguration", "Set-CASMailbox", "Enable-Mailbox",
    "Enable-RemoteMailbox", "New-MailboxExportRequest", "Set-MailboxAuditBypassAssociation", "Search-Mailbox",
    "Set-CalendarProcessing", "set-mailboxfolderpermission",
])
def test_mailbox_targets(cmdlet: str) -> None:
    assert target_kind(cmdlet) == "mailbox"


@pytest.mark.parametrize("cmdlet", ["Add-ADPermission", "Set-DistributionGroup", "New-MailboxSearch", "", "Get", None])
def test_others_keep_the_parsers_reading(cmdlet: str | None) -> None:
    assert target_kind(cmdlet) == "other"
