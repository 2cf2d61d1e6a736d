"""A scenario and a seed become a time-ordered stream of underlying mailbox accesses.

Every evidence format is written from this one stream, so all formats tell the same story.
The stream is a generator: sessions are generated hour by hour and merged through a small
heap (an access may spill past its hour, never before it), so memory stays bounded by one
hour of activity whatever ``events`` is.

``events`` is the exact number of *store accesses* (FolderOpen, MessageOpen, SendAs,
SendOnBehalf) in the stream, incidents included; ``Logon`` accesses (session starts, free/busy
and backup logons) come on top. Same scenario + seed + events => the same stream, always.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from forensics.synth.scenario import Incident, Normal, Person, Scenario

USER_AGENTS = {
    "outlook": "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)",
    "owa": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/122.0.0.0 Safari/537.36 Edg/122.0.2365.80",
    "ews": "MacOutlook/16.82.24021813 (Intelx64 Mac OS X 14.3.1 (Build 23D60))",
    "eas": "Apple-iPhone15C2/2104.361",
}
PROCESSES = {"outlook": "OUTLOOK.EXE", "owa": "w3wp.exe", "ews": "w3wp.exe", "eas": "w3wp.exe"}

_SUBJECT_HEADS = ("Re: ", "Fwd: ", "", "", "", "RE: ")
_SUBJECT_TOPICS = (
    "Weekly status", "Budget review", "Team lunch", "Customer escalation", "Travel request",
    "Project Atlas update", "Contract renewal", "Invoice query", "Holiday rota", "Release notes",
    "Design review", "Hiring plan", "Security awareness training", "Quarterly targets",
    "Meeting minutes", "Expense report", "Vendor onboarding", "Office move", "Board prep",
    "Sales pipeline", "Support ticket", "Offsite agenda", "Performance review", "Audit request",
)
_OWNER_FOLDERS = ("/Sent Items", "/Calendar", "/Inbox/Projects", "/Deleted Items", "/Drafts", "/Contacts")


@dataclass(slots=True)
class Access:
    """One underlying access: the truth every format derives its records from.

    ``logon_type`` is the true relation (Owner, Delegate, Admin); ``admin`` the
    administrative-rights flag the store reports. ``session`` groups a logon with the
    accesses it enables.
    """

    seq: int
    time: datetime  # UTC
    operation: str  # Logon, FolderOpen, MessageOpen, SendAs, SendOnBehalf
    actor: Person
    mailbox: Person
    channel: str  # outlook, owa, ews, eas
    client_host: str
    client_ip: str
    process: str
    process_id: int
    user_agent: str
    logon_type: str
    admin: bool
    folder: str = ""
    subject: str = ""
    message_id: str = ""
    item_id: str = ""
    size: int = 0
    session: str = ""
    incident: str = ""
    purpose: str = "owner"  # owner, delegate, service, freebusy, backup, incident

    @property
    def is_store(self) -> bool:
        return self.operation != "Logon"

    @property
    def audited(self) -> bool:
        """Does the store's access auditing (10100-10106) log it? Not for bypass holders."""
        return self.operation != "Logon" and not self.actor.bypass_auditing


def _pid(name: str) -> int:
    return 1000 + int(hashlib.sha256(name.encode()).hexdigest()[:6], 16) % 30000


class _Factory:
    """Turns session plans into ``Access`` objects with deterministic ids."""

    def __init__(self, scenario: Scenario, rng: random.Random) -> None:
        self.scenario = scenario
        self.rng = rng
        self.seq = 0
        self.org = scenario.org
        self.cas_pid = _pid(self.org.cas_server + "w3wp")

    def session_id(self) -> str:
        bits = self.rng.getrandbits(128)
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[bits & 3]}{h[17:20]}-{h[20:32]}"

    def message(self, subject: str = "") -> tuple[str, str, str, int]:
        rng = self.rng
        if not subject:
            subject = rng.choice(_SUBJECT_HEADS) + rng.choice(_SUBJECT_TOPICS)
            if rng.random() < 0.5:
                subject += f" #{rng.randrange(100, 999)}"
        token = f"{rng.getrandbits(64):016X}"
        message_id = f"<{token}@{self.org.mailbox_fqdn}>"
        item_id = "RgAAAAD" + hashlib.sha256(token.encode()).hexdigest()[:40].upper()
        return subject, message_id, item_id, rng.randrange(2_000, 250_000)

    def client(self, actor: Person, channel: str, host: str = "", ip: str = "", process: str = "") -> tuple:
        if channel == "outlook":
            host = host or actor.workstation
            proc = process or actor.process or PROCESSES["outlook"]
            pid = _pid(host + proc)
        else:
            host = host or self.org.cas_server
            proc = process or PROCESSES[channel]
            pid = self.cas_pid
        if not ip:
            ip = actor.ip if channel != "eas" else "10.20." + ".".join(actor.ip.split(".")[-2:])
        return host, ip, proc, pid, USER_AGENTS[channel]

    def make(self, time: datetime, operation: str, actor: Person, mailbox: Person, channel: str,
             client: tuple, logon_type: str, admin: bool, session: str, purpose: str,
             folder: str = "", subject: str = "", incident: str = "") -> Access:
        self.seq += 1
        message_id = item_id = ""
        size = 0
        if operation in ("MessageOpen", "SendAs", "SendOnBehalf"):
            subject, message_id, item_id, size = self.message(subject)
        host, ip, proc, pid, agent = client
        return Access(self.seq, time, operation, actor, mailbox, channel, host, ip, proc, pid, agent,
                      logon_type, admin, folder, subject, message_id, item_id, size, session, incident, purpose)


def _hour_weight(local: datetime, normal: Normal) -> float:
    weekday = local.weekday() < 5
    h = local.hour
    if normal.work_start <= h < normal.work_end:
        return 10.0 if weekday else 1.0
    if normal.work_end <= h < 23 or 6 <= h < normal.work_start:
        return 1.5 if weekday else 0.5
    return 0.3 if weekday else 0.2


def _quotas(weights: list[float], total: int) -> list[int]:
    """Split ``total`` over hours in proportion to ``weights`` (largest remainder, exact)."""
    s = sum(weights)
    raw = [w * total / s for w in weights]
    base = [int(math.floor(r)) for r in raw]
    rest = total - sum(base)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - base[i]), i))
    for i in order[:rest]:
        base[i] += 1
    return base


def incident_accesses(scenario: Scenario, incident: Incident, factory: _Factory) -> list[Access]:
    """The accesses of one incident: a logon per mailbox, then its steps."""
    actor = scenario.person(incident.actor)
    start = scenario.local_time(incident.day, incident.start)
    client = factory.client(actor, incident.channel, incident.client_host, incident.client_ip, incident.process)
    out: list[Access] = []
    for n, key in enumerate(incident.mailboxes):
        mailbox = scenario.person(key)
        logon_type = "Owner" if mailbox is actor else ("Admin" if incident.admin_rights else "Delegate")
        t0 = start + timedelta(minutes=n * incident.gap_minutes)
        session = factory.session_id()
        out.append(factory.make(t0 - timedelta(seconds=2), "Logon", actor, mailbox, incident.channel, client,
                                logon_type, incident.admin_rights, session, "incident", incident=incident.id))
        for step in incident.steps:
            t = t0 + timedelta(seconds=round(step.at * 60) + factory.rng.randrange(0, 3))
            out.append(factory.make(t, step.operation, actor, mailbox, incident.channel, client, logon_type,
                                    incident.admin_rights, session, "incident", step.folder, step.subject,
                                    incident.id))
    return out


def incident_store_count(scenario: Scenario) -> int:
    """How many store accesses the incidents alone produce (the minimum of ``events``)."""
    return sum(len(i.steps) * len(i.mailboxes) for i in scenario.incidents)


class _Background:
    """Everyday sessions: owners, delegates, service readers, free/busy and backup logons."""

    def __init__(self, scenario: Scenario, factory: _Factory) -> None:
        self.s = scenario
        self.f = factory
        self.rng = factory.rng
        self.users = [p for p in scenario.people if p.has_mailbox]
        by_key = {p.key: p for p in scenario.people}
        self.delegations = [d for d in scenario.delegations if d.sessions_per_day > 0]
        self.delegation_weights = [d.sessions_per_day for d in self.delegations]
        self.by_key = by_key
        self.services = [p for p in scenario.people if p.kind == "service" and not p.bypass_auditing]
        self.backup = [p for p in scenario.people if p.kind == "service" and p.bypass_auditing]
        self.system = next((p for p in scenario.people if p.kind == "system"), None)
        served = [by_key[k] for k in scenario.service_mailboxes if k in by_key]
        self.served = served or self.users

    def _session(self, start: datetime, actor: Person, mailbox: Person, channel: str, folders: list[str],
                 logon_type: str, purpose: str, budget: int, out: list[Access]) -> int:
        f, rng = self.f, self.rng
        client = f.client(actor, channel)
        session = f.session_id()
        out.append(f.make(start, "Logon", actor, mailbox, channel, client, logon_type, False, session, purpose))
        t = start
        used = 0
        mean = self.s.normal.messages_per_folder
        for folder in folders:
            if used >= budget:
                break
            t += timedelta(seconds=rng.randrange(1, 20))
            out.append(f.make(t, "FolderOpen", actor, mailbox, channel, client, logon_type, False, session,
                              purpose, folder))
            used += 1
            n = min(int(rng.expovariate(1.0 / mean)) if mean > 0 else 0, budget - used)
            for _ in range(n):
                t += timedelta(seconds=rng.randrange(5, 120))
                out.append(f.make(t, "MessageOpen", actor, mailbox, channel, client, logon_type, False, session,
                                  purpose, folder))
                used += 1
        return used

    def hour(self, start: datetime, local: datetime, quota: int, out: list[Access]) -> None:
        rng, normal = self.rng, self.s.normal
        work = normal.work_start <= local.hour < normal.work_end and local.weekday() < 5
        left = quota
        while left > 0:
            t = start + timedelta(seconds=rng.randrange(0, 3600))
            r = rng.random()
            if work and self.delegations and r < normal.delegate_share:
                d = rng.choices(self.delegations, self.delegation_weights)[0]
                actor, mailbox = self.by_key[d.delegate], self.by_key[d.mailbox]
                folders = [rng.choice(d.folders)]
                left -= self._session(t, actor, mailbox, "outlook", folders, "Delegate", "delegate", left, out)
            elif self.services and r < (normal.delegate_share + normal.service_share_work if work
                                        else normal.service_share_off):
                actor, mailbox = rng.choice(self.services), rng.choice(self.served)
                left -= self._session(t, actor, mailbox, "outlook", ["/Inbox"], "Delegate", "service", left, out)
            else:
                owner = rng.choice(self.users)
                c = rng.random()
                channel = "outlook"
                for name, share in (("owa", normal.owa_share), ("eas", normal.eas_share), ("ews", normal.ews_share)):
                    if c < share and name in owner.channels:
                        channel = name
                        break
                    c -= share
                folders = ["/Inbox"]
                while rng.random() < 0.35 and len(folders) < 4:
                    folders.append(rng.choice(_OWNER_FOLDERS))
                left -= self._session(t, owner, owner, channel, folders, "Owner", "owner", left, out)
        # logons without store access: free/busy lookups by SYSTEM, nightly backup
        if work and self.system is not None:
            n = int(normal.freebusy_logons_per_hour) + (rng.random() < normal.freebusy_logons_per_hour % 1)
            for _ in range(n):
                t = start + timedelta(seconds=rng.randrange(0, 3600))
                mailbox = rng.choice(self.users)
                client = self.f.client(self.system, "outlook")
                out.append(self.f.make(t, "Logon", self.system, mailbox, "outlook", client, "Delegate", False,
                                       self.f.session_id(), "freebusy"))
        if local.hour == normal.backup_hour:
            for actor in self.backup:
                t = start + timedelta(seconds=rng.randrange(0, 120))
                client = self.f.client(actor, "outlook")
                for mailbox in self.users:
                    t += timedelta(seconds=rng.randrange(1, 4))
                    out.append(self.f.make(t, "Logon", actor, mailbox, "outlook", client, "Delegate", False,
                                           self.f.session_id(), "backup"))


def generate_accesses(scenario: Scenario, seed: int = 1, events: int | None = None) -> Iterator[Access]:
    """Yield the scenario's accesses in time order (ties by sequence number).

    ``events`` None means the scenario's natural size (about 300 store accesses per person).
    Raises ValueError when ``events`` is smaller than what the incidents alone need.
    """
    scenario.validate()
    minimum = incident_store_count(scenario)
    users = sum(1 for p in scenario.people if p.has_mailbox)
    if events is None:
        events = max(minimum, 12 * users * scenario.days)
    if events < minimum:
        raise ValueError(f"--events must be at least {minimum} (the incidents alone have that many accesses)")
    rng = random.Random(f"{scenario.name}:{seed}")
    factory = _Factory(scenario, rng)
    heap: list[tuple[datetime, int, Access]] = []
    # incidents use their own generator so background size never shifts them
    inc_factory = _Factory(scenario, random.Random(f"{scenario.name}:{seed}:incidents"))
    inc_factory.seq = 10**12  # distinct sequence space; ordering ties still deterministic
    for incident in scenario.incidents:
        for a in incident_accesses(scenario, incident, inc_factory):
            heapq.heappush(heap, (a.time, a.seq, a))
    background = _Background(scenario, factory)
    hours = scenario.days * 24
    start = scenario.start_utc
    zone = scenario.zone
    locals_ = [(start + timedelta(hours=h)).astimezone(zone) for h in range(hours)]
    quotas = _quotas([_hour_weight(lt, scenario.normal) for lt in locals_], events - minimum)
    out: list[Access] = []
    for h in range(hours):
        hour_start = start + timedelta(hours=h)
        out.clear()
        background.hour(hour_start, locals_[h], quotas[h], out)
        for a in out:
            heapq.heappush(heap, (a.time, a.seq, a))
        boundary = hour_start + timedelta(hours=1)
        while heap and heap[0][0] < boundary:
            yield heapq.heappop(heap)[2]
    while heap:
        yield heapq.heappop(heap)[2]

