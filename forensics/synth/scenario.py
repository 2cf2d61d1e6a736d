"""The declarative scenario model: who exists, who may open what, and what went wrong.

A scenario is data (see ``forensics.synth.scenarios``): an organization, its people and their
mailboxes, delegations, service accounts, a time span, knobs for normal behaviour, and the
incidents an investigator must find. Every identity form of a person (display name, alias,
SMTP, ``DOMAIN\\user``, legacyExchangeDN, SID, mailbox GUID) is derived here once, so all
evidence formats name the same person consistently and ``truth.json`` can list them all.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

#: Ways a mailbox is reached. Each evidence format sees a subset of them (see formats).
CHANNELS = ("outlook", "owa", "ews", "eas")

#: Underlying operations of an access. ``Logon`` opens a session; the others touch the store.
STORE_OPERATIONS = ("FolderOpen", "MessageOpen", "SendAs", "SendOnBehalf")
OPERATIONS = ("Logon", *STORE_OPERATIONS)


@dataclass(frozen=True)
class Organization:
    """The Exchange organization and its servers (names appear in every format)."""

    name: str = "Contoso"
    domain: str = "CONTOSO"  # NetBIOS domain of DOMAIN\\user
    smtp_domain: str = "contoso.com"
    tenant: str = "contoso.onmicrosoft.com"
    tenant_id: str = "8d4121ed-0008-406d-bff9-0d5bb312183c"
    domain_sid: str = "S-1-5-21-1111111111-2222222222-3333333333"
    admin_group: str = "Exchange Administrative Group (FYDIBOHF23SPDLT)"
    mailbox_server: str = "EXMBX01"
    cas_server: str = "EXCAS01"
    cas_ip: str = "10.0.0.21"
    mailbox_server_ip: str = "10.0.0.11"
    database: str = "First Storage Group\\Mailbox Database"
    timezone: str = "America/New_York"  # where people work (work hours are local)

    @property
    def fqdn_suffix(self) -> str:
        return self.smtp_domain

    @property
    def mailbox_fqdn(self) -> str:
        return f"{self.mailbox_server}.{self.smtp_domain}"

    @property
    def cas_fqdn(self) -> str:
        return f"{self.cas_server}.{self.smtp_domain}"


@dataclass(frozen=True)
class Person:
    """One account. ``kind``: user, admin (has administrative rights), service, system."""

    key: str  # short stable id used in scenarios and truth.json
    display_name: str
    alias: str
    rid: int  # relative id: the SID is the domain SID + rid
    kind: str = "user"
    title: str = ""
    workstation: str = ""
    ip: str = ""
    has_mailbox: bool = True
    channels: tuple[str, ...] = ("outlook",)  # how this person usually reaches mail
    bypass_auditing: bool = False  # holds ms-Exch-Store-Bypass-Access-Auditing: no 10100s
    account_override: str = ""  # e.g. NT AUTHORITY\\SYSTEM
    device_type: str = "iPhone"  # ActiveSync
    process: str = ""  # desktop client process (default OUTLOOK.EXE)
    outlook_transport: str = "mapi"  # how Outlook reaches the CAS: "mapi" (MAPI/HTTP) or "rpc" (RPC/HTTP)
    org: Organization = field(default_factory=Organization, repr=False, compare=False)

    @property
    def account(self) -> str:
        """``DOMAIN\\user`` (sAMAccountName = alias)."""
        return self.account_override or f"{self.org.domain}\\{self.alias}"

    @property
    def smtp(self) -> str:
        return f"{self.alias}@{self.org.smtp_domain}"

    @property
    def upn(self) -> str:
        return self.smtp

    @property
    def legacy_dn(self) -> str:
        return f"/o={self.org.name}/ou={self.org.admin_group}/cn=Recipients/cn={self.alias}"

    @property
    def sid(self) -> str:
        if self.account_override.upper() == "NT AUTHORITY\\SYSTEM":
            return "S-1-5-18"
        return f"{self.org.domain_sid}-{self.rid}"

    @property
    def mailbox_guid(self) -> str:
        return str(uuid.UUID(bytes=hashlib.sha256(f"mbx:{self.org.name}:{self.alias}".encode()).digest()[:16], version=4))

    @property
    def device_id(self) -> str:
        return hashlib.sha256(f"eas:{self.alias}".encode()).hexdigest()[:26].upper()

    def forms(self) -> dict[str, str]:
        """Every identity form, as a directory export would list it."""
        return {
            "key": self.key,
            "display_name": self.display_name,
            "alias": self.alias,
            "smtp": self.smtp if self.has_mailbox else "",
            "upn": self.upn,
            "account": self.account,
            "legacy_dn": self.legacy_dn,
            "sid": self.sid,
            "mailbox_guid": self.mailbox_guid if self.has_mailbox else "",
            "kind": self.kind,
            "title": self.title,
            "workstation": self.workstation,
            "ip": self.ip,
        }


@dataclass(frozen=True)
class Delegation:
    """``delegate`` may open ``mailbox`` (FullAccess) and, if granted, send for it."""

    delegate: str
    mailbox: str
    rights: tuple[str, ...] = ("FullAccess",)  # FullAccess, SendAs, SendOnBehalf
    folders: tuple[str, ...] = ("/Inbox", "/Calendar")
    sessions_per_day: float = 2.0  # normal, work-hours use


@dataclass(frozen=True)
class Step:
    """One access of an incident: ``at`` minutes after the incident start."""

    operation: str  # one of STORE_OPERATIONS
    folder: str
    subject: str = ""
    at: float = 0.0


@dataclass(frozen=True)
class Incident:
    """Something the investigator must find. Times are local (organization zone).

    ``mailboxes`` are visited in order, each with the same ``steps`` (folder paths and
    subjects), starting ``gap_minutes`` apart.
    """

    id: str
    title: str
    kind: str  # after-hours-delegate, admin-sweep, delegate-send, compromised-owa
    actor: str
    mailboxes: tuple[str, ...]
    day: int  # day offset from the scenario start
    start: str  # "HH:MM" local time
    steps: tuple[Step, ...]
    channel: str = "outlook"
    client_host: str = ""  # default: the actor's workstation
    client_ip: str = ""  # default: the actor's ip
    admin_rights: bool = False
    process: str = ""  # default: the channel's usual process
    gap_minutes: float = 7.0
    description: str = ""


@dataclass(frozen=True)
class AdminChange:
    """An Exchange Management Shell cmdlet run by an administrator (the cmdlet log).

    ``parameters`` is the PowerShell-like argument string as Exchange 2013+ logs it;
    ``error`` non-empty makes it a failure (event 6). Times are local, like incidents.
    """

    day: int
    at: str  # "HH:MM" local
    actor: str
    cmdlet: str
    parameters: str
    operation: str = "AdminCommand"  # the normalized operation a parser must give it
    target: str = ""  # the mailbox as written in the parameters ("" = none)
    mailbox: str = ""  # that mailbox's person key
    error: str = ""
    incident: str = ""  # the incident it belongs to, if any
    note: str = ""


@dataclass(frozen=True)
class Normal:
    """Knobs of everyday background activity."""

    work_start: int = 8  # local hour
    work_end: int = 18
    messages_per_folder: float = 3.0  # mean MessageOpens after a FolderOpen
    # of the sessions that make up the store accesses: delegates (work hours only, weighted by
    # Delegation.sessions_per_day), service readers (svc-bes style); the rest are owners
    delegate_share: float = 0.06
    service_share_work: float = 0.06
    service_share_off: float = 0.5
    freebusy_logons_per_hour: float = 2.0  # SYSTEM 1016 logons during work hours
    backup_hour: int = 1  # local hour of the nightly backup logons
    owa_share: float = 0.15  # of owner sessions via OWA
    eas_share: float = 0.10  # via ActiveSync
    ews_share: float = 0.05  # via EWS (Mac Outlook etc.)


@dataclass(frozen=True)
class Scenario:
    """A complete, deterministic description of a case."""

    name: str
    description: str
    org: Organization
    people: tuple[Person, ...]
    delegations: tuple[Delegation, ...]
    incidents: tuple[Incident, ...]
    start: date
    days: int
    normal: Normal = Normal()
    staff: int = 0  # extra generic mailbox users (user0001…), added to the named people
    export_timezone: str = "America/New_York"  # zone of the machine that made CSV exports
    service_mailboxes: tuple[str, ...] = ()  # mailboxes svc readers touch (empty: all users)
    admin_changes: tuple[AdminChange, ...] = ()
    routine_admin: str = ""  # person key who runs harmless Get-MailboxStatistics on workdays

    def person(self, key: str) -> Person:
        for p in self.people:
            if p.key == key:
                return p
        raise KeyError(f"scenario {self.name}: no person {key!r}")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.org.timezone)

    @property
    def start_utc(self) -> datetime:
        local = datetime(self.start.year, self.start.month, self.start.day, tzinfo=self.zone)
        return local.astimezone(timezone.utc)

    @property
    def end_utc(self) -> datetime:
        end = self.start + timedelta(days=self.days)
        return datetime(end.year, end.month, end.day, tzinfo=self.zone).astimezone(timezone.utc)

    def local_time(self, day: int, hhmm: str) -> datetime:
        """UTC instant of local ``HH:MM`` on day ``day`` of the span."""
        d = self.start + timedelta(days=day)
        hh, mm = (int(x) for x in hhmm.split(":"))
        return datetime(d.year, d.month, d.day, hh, mm, tzinfo=self.zone).astimezone(timezone.utc)

    def validate(self) -> None:
        """Raise ValueError when the declaration is inconsistent (typos in keys, bad ops)."""
        keys = [p.key for p in self.people]
        if len(keys) != len(set(keys)):
            raise ValueError(f"scenario {self.name}: duplicate person keys")
        aliases = [p.alias.lower() for p in self.people]
        if len(aliases) != len(set(aliases)):
            raise ValueError(f"scenario {self.name}: duplicate aliases")
        known = set(keys)
        for d in self.delegations:
            if d.delegate not in known or d.mailbox not in known:
                raise ValueError(f"scenario {self.name}: delegation names an unknown person")
        for change in self.admin_changes:
            if change.actor not in known or not 0 <= change.day < self.days or (change.mailbox and change.mailbox not in known):
                raise ValueError(f"scenario {self.name}: admin change {change.cmdlet} is invalid")
        if self.routine_admin and self.routine_admin not in known:
            raise ValueError(f"scenario {self.name}: unknown routine admin")
        for inc in self.incidents:
            if inc.actor not in known or not set(inc.mailboxes) <= known:
                raise ValueError(f"scenario {self.name}: incident {inc.id} names an unknown person")
            if not 0 <= inc.day < self.days:
                raise ValueError(f"scenario {self.name}: incident {inc.id} is outside the span")
            if inc.channel not in CHANNELS:
                raise ValueError(f"incident {inc.id}: unknown channel {inc.channel}")
            for step in inc.steps:
                if step.operation not in STORE_OPERATIONS:
                    raise ValueError(f"incident {inc.id}: unknown operation {step.operation}")
