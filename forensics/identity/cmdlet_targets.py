"""What an Exchange cmdlet acts on: a mailbox, or an organisation object (plan, policy, config).

Why: ``-Identity`` of ``Set-OwaMailboxPolicy`` is a policy, of ``Set-MailboxPlan`` a plan, and
``Set-TransportConfig``/``Set-AdminAuditLogConfig`` or ``Enable-OrganizationCustomization``
act on the whole tenant (their Microsoft 365 ``ObjectId`` is the organisation's path). Put in
``mailbox``, such objects became heatmap "mailboxes" and non-owner changes. One definition for
every source of cmdlet records (the MSExchange Management cmdlet log, the Unified Audit Log's
ExchangeAdmin records, admin audit exports): organisation objects keep their name in
``details`` as ``object=…`` with ``mailbox`` empty.

The noun decides (Exchange cmdlets are Verb-Noun; the noun names the object type, Microsoft
Learn "Exchange PowerShell" reference): nouns that name a mailbox or a recipient's settings are
mailbox targets; nouns of configuration, policy, plan, connector, server, database, domain and
organisation-wide rule objects are organisation objects; anything else is "other" and keeps
the parser's reading (its ``-Identity`` as written).
"""

from __future__ import annotations

import re
from typing import Literal

TargetKind = Literal["mailbox", "organisation", "other"]

#: nouns (lower case) whose -Identity / -Mailbox names a mailbox or a mailbox user
MAILBOX_NOUNS = frozenset({
    "mailbox", "inboxrule", "mailboxpermission", "recipientpermission", "mailboxfolderpermission",
    "mailboxfolder", "casmailbox", "mailuser", "user", "calendarprocessing", "clutter", "focusedinbox",
    "mailboxautoreplyconfiguration", "mailboxregionalconfiguration", "mailboxjunkemailconfiguration",
    "mailboxmessageconfiguration", "mailboxcalendarconfiguration", "mailboxspellingconfiguration",
    "mailboxcalendarfolder", "mailboxauditbypassassociation", "mailboxexportrequest", "mailboxrestorerequest",
    "mailboximportrequest", "moverequest", "mailboxstatistics", "mailboxfolderstatistics", "mobiledevice",
    "activesyncdevice", "sweeprule", "mailboxsentitemsconfiguration", "mailboxlocation", "mailboxrepairrequest",
    "ummailbox", "mailboxusersetting",
})
#: nouns of organisation objects named explicitly (the issue's and Microsoft 365's common ones)
ORGANISATION_NOUNS = frozenset({
    "mailboxplan", "owamailboxpolicy", "recipientenforcementprovisioningpolicy", "transportconfig",
    "adminauditlogconfig", "organizationconfig", "organizationcustomization", "mailboxdatabase",
    "mailboxserver", "mobiledevicemailboxpolicy", "activesyncmailboxpolicy", "retentionpolicy",
    "retentionpolicytag", "addresslist", "globaladdresslist", "offlineaddressbook", "emailaddresspolicy",
    "remotedomain", "transportrule", "journalrule", "sharingpolicy",
    "rolebasedaccesscontrol", "managementrole", "managementroleassignment", "managementscope", "rolegroup",
    "eventloglevel", "exchangeserver", "clientaccessserver", "clientaccessservice", "unifiedauditlogretentionpolicy",
    "hostedcontentfilterpolicy", "hostedoutboundspamfilterpolicy", "antiphishpolicy", "malwarefilterpolicy",
    "atppolicyforo365", "safelinkspolicy", "safeattachmentpolicy", "dkimsigningconfig", "perimeterconfig",
    "externalinoutlook", "auditconfig", "adsitelink", "accepteddomain", "inboundconnector", "outboundconnector",
})
#: a noun ending so names an organisation object (``…MailboxPolicy``, ``…Connector``, ``…Config`` …)
_ORGANISATION_SUFFIX = re.compile(
    r"(?:policy|policytag|config|plan|connector|server|database|domain|organization|virtualdirectory|"
    r"certificate|transportrule|journalrule|dlppolicy|addresslist|addressbook|tenant|settings?)$"
)
#: ``Install-``/``Enable-``/``Disable-`` verbs act org-wide unless their noun is a mailbox one
_ORG_WIDE_VERBS = ("install", "uninstall", "enable", "disable")
#: what ``object=`` says of an organisation-wide call that names no object
ORGANISATION = "(organisation)"


def target_kind(cmdlet: str | None) -> TargetKind:
    """Whether ``cmdlet``'s target is a mailbox, an organisation object, or neither known."""
    if not cmdlet:
        return "other"
    verb, _, noun = cmdlet.strip().lower().partition("-")
    if not noun:
        return "other"
    if noun in ORGANISATION_NOUNS:
        return "organisation"
    if noun in MAILBOX_NOUNS:
        return "mailbox"
    if _ORGANISATION_SUFFIX.search(noun):
        return "organisation"
    if "mailbox" in noun and not noun.endswith(("search", "auditlogsearch")):
        return "mailbox"
    if verb in _ORG_WIDE_VERBS:
        return "organisation"
    return "other"

