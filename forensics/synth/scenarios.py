"""The shipped scenarios, declared as data.

``contoso`` holds every incident (the demo and the corpora use it); the smaller ones hold a
single story each, for focused tests. All share one organization and cast:

- ``assistant`` Pat Quinn, executive assistant: FullAccess + SendAs on the CEO, SendOnBehalf
  on the CFO; reads the CEO's Inbox and Calendar in work hours (normal delegate use).
- ``admin`` Jamie Smith (adm-jsmith): an Exchange administrator with administrative rights.
- ``sales`` Dana White: once granted FullAccess on the CFO mailbox, never used it; her
  account is later used from an unknown external address.
- ``svc-bes`` reads served mailboxes' Inboxes all day (normal, looks like delegate access);
  ``svc-backup`` holds the bypass-auditing right (only logons show); ``system`` is
  NT AUTHORITY\\SYSTEM doing free/busy logons.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from forensics.synth.scenario import (
    AdminChange, Delegation, Incident, Normal, Organization, Person, Scenario, Step,
)

ORG = Organization()

_FIRST = ("Avery", "Blake", "Cameron", "Devon", "Elliot", "Finley", "Harper", "Hayden", "Jordan", "Kai",
          "Logan", "Marley", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Rowan", "Sawyer", "Tatum")
_LAST = ("Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
         "Khan", "Lopez", "Meyer", "Novak", "Okafor", "Perez", "Rossi", "Silva", "Tanaka", "Weber")


def _user(key: str, name: str, alias: str, rid: int, title: str, host_no: int, **kw: object) -> Person:
    return Person(
        key=key, display_name=name, alias=alias, rid=rid, title=title,
        workstation=kw.pop("workstation", f"WKS{host_no:03d}"),  # type: ignore[arg-type]
        ip=kw.pop("ip", f"10.1.10.{host_no}"),  # type: ignore[arg-type]
        org=ORG, **kw,  # type: ignore[arg-type]
    )


CAST: tuple[Person, ...] = (
    _user("ceo", "Alex Morgan", "amorgan", 1101, "Chief Executive Officer", 11, channels=("outlook", "eas")),
    _user("cfo", "Jordan Lee", "jlee", 1102, "Chief Financial Officer", 12, channels=("outlook", "owa")),
    _user("gc", "Sam Rivera", "srivera", 1103, "General Counsel", 13, outlook_transport="rpc"),
    _user("cto", "Taylor Kim", "tkim", 1104, "Chief Technology Officer", 14, channels=("outlook", "ews")),
    _user("assistant", "Pat Quinn", "pquinn", 1105, "Executive Assistant", 15),
    _user("sales", "Dana White", "dwhite", 1106, "Sales Manager", 16, channels=("outlook", "owa", "eas")),
    _user("hr", "Robin Park", "rpark", 1107, "HR Director", 17),
    _user("it", "Morgan Diaz", "mdiaz", 1108, "IT Support", 18),
    _user("eng1", "Casey Brooks", "cbrooks", 1109, "Engineer", 19, channels=("outlook", "ews")),
    _user("eng2", "Drew Patel", "dpatel", 1110, "Engineer", 20),
    _user("fin1", "Jesse Nguyen", "jnguyen", 1111, "Accountant", 21, channels=("outlook", "owa")),
    _user("legal1", "Riley Cohen", "rcohen", 1112, "Paralegal", 22, outlook_transport="rpc"),
    _user("admin", "Jamie Smith (Admin)", "adm-jsmith", 1500, "Exchange Administrator", 50,
          kind="admin", workstation="ADMIN01", ip="10.0.0.50", has_mailbox=False),
    Person(key="svc-bes", display_name="BlackBerry Service", alias="svc-bes", rid=1601, kind="service",
           workstation="BES01", ip="10.0.0.40", has_mailbox=False, process="BlackBerryAgent.exe", org=ORG),
    Person(key="svc-backup", display_name="Backup Service", alias="svc-backup", rid=1602, kind="service",
           workstation="BKP01", ip="10.0.0.41", has_mailbox=False, bypass_auditing=True,
           process="beremote.exe", org=ORG),
    Person(key="system", display_name="SYSTEM", alias="SYSTEM", rid=18, kind="system",
           workstation=ORG.mailbox_server, ip=ORG.mailbox_server_ip, has_mailbox=False,
           account_override="NT AUTHORITY\\SYSTEM", process="store.exe", org=ORG),
)

DELEGATIONS: tuple[Delegation, ...] = (
    Delegation("assistant", "ceo", ("FullAccess", "SendAs"), ("/Inbox", "/Calendar"), 3.0),
    Delegation("assistant", "cfo", ("SendOnBehalf",), ("/Calendar",), 1.0),
    Delegation("sales", "cfo", ("FullAccess",), ("/Inbox",), 0.0),  # granted long ago, never used
)

_AFTER_HOURS = Incident(
    id="assistant-after-hours",
    title="Assistant reads the CEO's mailbox late at night",
    kind="after-hours-delegate",
    actor="assistant", mailboxes=("ceo",), day=9, start="22:47",
    client_host="LT-PQUINN", client_ip="10.8.0.23",
    steps=(
        Step("FolderOpen", "/Inbox", at=0.0),
        Step("MessageOpen", "/Inbox", "Board deck - Q2 acquisition (confidential)", 0.6),
        Step("MessageOpen", "/Inbox", "Re: Compensation committee notes", 1.9),
        Step("FolderOpen", "/Inbox/Board", at=3.2),
        Step("MessageOpen", "/Inbox/Board", "Project Falcon - term sheet v3", 3.8),
        Step("MessageOpen", "/Inbox/Board", "Succession planning", 5.1),
        Step("FolderOpen", "/Inbox/Legal", at=7.4),
        Step("MessageOpen", "/Inbox/Legal", "Settlement terms - draft", 8.0),
        Step("FolderOpen", "/Sent Items", at=11.5),
        Step("MessageOpen", "/Sent Items", "Re: Falcon price range", 12.2),
    ),
    description="Pat Quinn has FullAccess for calendar work in office hours; at 22:47 local, over "
                "VPN from a laptop, she browsed the CEO's Inbox, Board and Legal folders and opened "
                "confidential messages.",
)

_ADMIN_SWEEP = Incident(
    id="admin-exec-sweep",
    title="Administrator opens several executives' mailboxes",
    kind="admin-sweep",
    actor="admin", mailboxes=("ceo", "cfo", "gc"), day=16, start="19:05",
    admin_rights=True, process="MFCMAPI.EXE", gap_minutes=9.0,
    steps=(
        Step("FolderOpen", "/Inbox", at=0.0),
        Step("MessageOpen", "/Inbox", "Quarterly results - embargoed", 0.8),
        Step("MessageOpen", "/Inbox", "Re: Layoff list (do not forward)", 1.7),
        Step("FolderOpen", "/Sent Items", at=3.0),
        Step("MessageOpen", "/Sent Items", "Personal - doctor appointment", 3.6),
    ),
    description="Jamie Smith used administrative rights from ADMIN01 with MFCMAPI to open the CEO, "
                "CFO and General Counsel mailboxes one after the other in the evening.",
)

_SEND_AS = Incident(
    id="delegate-sendas",
    title="Assistant sends a message as the CEO",
    kind="delegate-send",
    actor="assistant", mailboxes=("ceo",), day=11, start="16:12",
    steps=(Step("SendAs", "/Sent Items", "Wire transfer today", 0.0),),
    description="Pat Quinn used her SendAs right to send 'Wire transfer today' as Alex Morgan.",
)

_SEND_ON_BEHALF = Incident(
    id="delegate-sendonbehalf",
    title="Assistant sends a message on behalf of the CFO",
    kind="delegate-send",
    actor="assistant", mailboxes=("cfo",), day=11, start="16:20",
    steps=(Step("SendOnBehalf", "/Sent Items", "Updated supplier payment details", 0.0),),
    description="Pat Quinn sent 'Updated supplier payment details' on behalf of Jordan Lee.",
)

_COMPROMISED = Incident(
    id="compromised-owa",
    title="Compromised account reads the CFO's mailbox through OWA from a new external address",
    kind="compromised-owa",
    actor="sales", mailboxes=("cfo",), day=20, start="03:12", channel="owa",
    client_ip="203.0.113.77",
    steps=(
        Step("FolderOpen", "/Inbox", at=0.0),
        Step("MessageOpen", "/Inbox", "Invoice 2024-0311 approval", 0.4),
        Step("MessageOpen", "/Inbox", "Bank account change request", 0.9),
        Step("MessageOpen", "/Inbox", "Re: Wire limits for Q2", 1.3),
        Step("FolderOpen", "/Inbox/Finance", at=2.6),
        Step("MessageOpen", "/Inbox/Finance", "Treasury - signatories list", 3.0),
        Step("MessageOpen", "/Inbox/Finance", "Payroll run March", 3.5),
        Step("MessageOpen", "/Inbox/Finance", "Vendor master data export", 4.1),
        Step("FolderOpen", "/Sent Items", at=6.0),
        Step("MessageOpen", "/Sent Items", "Re: Approved - pay today", 6.4),
    ),
    description="Dana White's account, never before seen outside the office, opened the CFO "
                "mailbox (an old, unused FullAccess grant) through OWA at 03:12 local on a Sunday "
                "from 203.0.113.77.",
)

ALL_INCIDENTS = (_AFTER_HOURS, _ADMIN_SWEEP, _SEND_AS, _SEND_ON_BEHALF, _COMPROMISED)

#: Cmdlets in the MSExchange Management log: the grants behind the delegations, the bypass
#: right of the backup account, and the administrator's evening (auditing switched down,
#: refused; then an export of the General Counsel's mailbox).
ADMIN_CHANGES = (
    AdminChange(0, "09:10", "admin", "Add-MailboxPermission",
                "-Identity \"amorgan\" -User 'CONTOSO\\pquinn' -AccessRights FullAccess -InheritanceType All",
                "PermissionChange", "amorgan", "ceo", note="the assistant's FullAccess on the CEO"),
    AdminChange(0, "09:12", "admin", "Add-ADPermission",
                "-Identity \"Alex Morgan\" -User 'CONTOSO\\pquinn' -ExtendedRights Send-As",
                "PermissionChange", "Alex Morgan", "ceo", note="the assistant's Send-As on the CEO"),
    AdminChange(0, "09:15", "admin", "Set-Mailbox", "-Identity \"jlee\" -GrantSendOnBehalfTo 'CONTOSO\\pquinn'",
                "PermissionChange", "jlee", "cfo", note="the assistant's send-on-behalf on the CFO"),
    AdminChange(1, "10:02", "admin", "Add-MailboxPermission",
                "-Identity \"jlee\" -User 'CONTOSO\\dwhite' -AccessRights FullAccess -InheritanceType All",
                "PermissionChange", "jlee", "cfo", note="the FullAccess grant later abused from outside"),
    AdminChange(2, "14:30", "admin", "Add-ADPermission",
                "-Identity \"Mailbox Database\" -User 'CONTOSO\\svc-backup' "
                "-ExtendedRights ms-Exch-Store-Bypass-Access-Auditing",
                "AuditConfigChange", note="the backup account stops generating access-audit events"),
    AdminChange(16, "19:01", "admin", "Set-EventLogLevel",
                "-Identity \"MSExchangeIS\\9000 Private\\Folder Access\" -Level Lowest",
                "AuditConfigChange", error="Microsoft.Exchange.Configuration.Tasks.TaskAccessDeniedException: Access is denied. The "
                      "user does not have the rights to change diagnostic logging on EXMBX01.",
                incident="admin-exec-sweep", note="an attempt to switch folder-access auditing off, refused"),
    AdminChange(16, "19:40", "admin", "New-MailboxExportRequest",
                "-Mailbox \"srivera\" -FilePath \"\\\\ADMIN01\\pst$\\srivera.pst\"",
                "MailboxExport", "srivera", "gc", incident="admin-exec-sweep", note="the General Counsel's mailbox exported to a PST"),
)


def _changes(incidents: tuple[Incident, ...], days: int) -> tuple[AdminChange, ...]:
    """The setup grants that fit the span, and the cmdlets of the included incidents (moved
    to the day the incident was moved to)."""
    day_of = {i.id: i.day for i in incidents}
    original = {i.id: i.day for i in ALL_INCIDENTS}
    out = []
    for change in ADMIN_CHANGES:
        if change.incident:
            if change.incident in day_of:
                out.append(dataclasses.replace(change, day=change.day - original[change.incident] + day_of[change.incident]))
        elif change.day < days:
            out.append(change)
    return tuple(out)


def _scenario(name: str, description: str, incidents: tuple[Incident, ...], days: int, staff: int) -> Scenario:
    return Scenario(
        name=name, description=description, org=ORG, people=CAST, delegations=DELEGATIONS,
        incidents=incidents, start=date(2024, 3, 4), days=days, normal=Normal(), staff=staff,
        service_mailboxes=("ceo", "cfo", "sales", "cto"), admin_changes=_changes(incidents, days),
        routine_admin="admin",
    )


def _moved(incident: Incident, day: int) -> Incident:
    return dataclasses.replace(incident, day=day)


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        _scenario("contoso", "Four weeks at Contoso with every incident (the demo case).", ALL_INCIDENTS, 28, 8),
        _scenario("after-hours", "An assistant reads the CEO's mailbox after hours.",
                  (_moved(_AFTER_HOURS, 2),), 5, 0),
        _scenario("admin-sweep", "An administrator opens several executives' mailboxes.",
                  (_moved(_ADMIN_SWEEP, 2),), 5, 0),
        _scenario("delegate-send", "A delegate sends as the CEO and on behalf of the CFO.",
                  (_moved(_SEND_AS, 1), _moved(_SEND_ON_BEHALF, 1)), 5, 0),
        _scenario("compromised-owa", "A compromised account reads another mailbox through OWA.",
                  (_moved(_COMPROMISED, 3),), 5, 0),
    )
}


def get_scenario(name: str) -> Scenario:
    """The named scenario; raises KeyError listing the known names."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"unknown scenario {name!r} (known: {', '.join(SCENARIOS)})") from None


def with_staff(scenario: Scenario, staff: int) -> Scenario:
    """The scenario with ``staff`` generic mailbox users added (large corpora need many)."""
    extra = []
    for i in range(1, staff + 1):
        first, last = _FIRST[i % len(_FIRST)], _LAST[(i // len(_FIRST)) % len(_LAST)]
        channels = ("outlook", "owa") if i % 5 == 0 else ("outlook", "eas") if i % 7 == 0 else ("outlook",)
        extra.append(Person(
            key=f"user{i:04d}", display_name=f"{first} {last} {i:04d}", alias=f"user{i:04d}",
            rid=5000 + i, title="Staff", workstation=f"PC{i:04d}",
            ip=f"10.{2 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}", channels=channels, org=scenario.org,
            outlook_transport="rpc" if i % 3 == 0 else "mapi",
        ))
    return dataclasses.replace(scenario, people=scenario.people + tuple(extra))
