"""Windows event logs from the accesses: ``Exchange Auditing`` and ``Application``.

One builder turns accesses into classic events whose ``<Data>`` strings are ordered by the
event maps in ``resources/maps`` (read the map's ``fields``) and whose rendered text comes from
the map's ``message`` template; then three sinks write the very same events as ``.evtx``
(``forensics.synth.evtx_writer``), as an Event Viewer XML export (with ``RenderingInfo``) and
as an Event Viewer CSV export (local time of the exporting machine).

Which accesses each log carries:

- ``Exchange Auditing``: every store access (FolderOpen 10100, MessageOpen 10102,
  SendOnBehalf 10104, SendAs 10106) of every account except holders of the
  bypass-auditing right; owners included.
- ``Application``: every ``Logon`` (session start): 1009 for an owner logging on to their
  own mailbox, 1016 for any other account (delegates, admins, services, free/busy, backup);
  plus one 1221 "online defragmentation" event per day (noise: no mailbox access).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from forensics.paths import resource_path
from forensics.synth.accesses import Access
from forensics.synth.formats.base import Emitter, FormatTruth, expected_logon_type
from forensics.synth.scenario import Scenario
from forensics.synth.truth import Tally

AUDIT_PROVIDER = "MSExchangeIS Auditing"
STORE_PROVIDER = "MSExchangeIS Mailbox Store"
KEYWORDS_CLASSIC = 0x80000000000000
KEYWORDS_AUDIT_SUCCESS = 0x20000000000000
QUALIFIERS_INFO = 16384

CMDLET_PROVIDER = "MSExchange CmdletLogs"
AUDIT_EVENTS = {"FolderOpen": 10100, "MessageOpen": 10102, "SendOnBehalf": 10104, "SendAs": 10106}
# classic category numbers and their names (CategoryMessageFile); numbers are our choice
TASKS = {10100: (1, "Folder Access"), 10102: (2, "Message Access"), 10104: (4, "Extended Send On Behalf Of"),
         10106: (3, "Extended Send As"), 1009: (7, "Logons"), 1016: (7, "Logons"), 1221: (6, "General"),
         1: (1, "General"), 6: (1, "General")}
APP_IDS = {"outlook": "MSExchangeRPC", "owa": "OWA", "ews": "EWS", "eas": "AirSync"}
DEFRAG_MESSAGE = ('The database "%1" has %2 megabytes of free space after online defragmentation has '
                  "terminated.")

_PERCENT = re.compile(r"%(\d+)")


def load_map(provider: str, event_id: int) -> dict:
    """The bundled event map of ``provider``/``event_id``."""
    path = resource_path("maps", f"{provider.replace(' ', '_')}-{event_id}.json")
    return json.loads(path.read_text(encoding="utf-8"))


def compile_template(template: str) -> tuple[str | int, ...]:
    """Split a message template into literal text and 0-based insertion indexes."""
    parts: list[str | int] = []
    pos = 0
    for m in _PERCENT.finditer(template):
        parts.append(template[pos:m.start()])
        parts.append(int(m.group(1)) - 1)
        pos = m.end()
    parts.append(template[pos:])
    return tuple(parts)


def render_compiled(parts: tuple[str | int, ...], data: list[str]) -> str:
    n = len(data)
    return "".join(p if isinstance(p, str) else (data[p] if 0 <= p < n else f"%{p + 1}") for p in parts)


def render(template: str, data: list[str]) -> str:
    """Substitute ``%1``..``%n`` as the EventLog service does."""
    return render_compiled(compile_template(template), data)


@dataclass(slots=True)
class LogEvent:
    """One classic event, with what Event Viewer would render for it."""

    provider: str
    event_id: int
    time: datetime
    data: list[str]
    template: tuple[str | int, ...]  # compiled message template (rendered only by the exports)
    level: int = 4
    keywords: int = KEYWORDS_CLASSIC
    qualifiers: int = QUALIFIERS_INFO
    record_id: int = 0

    @property
    def message(self) -> str:
        return render_compiled(self.template, self.data)

    @property
    def task(self) -> int:
        return TASKS[self.event_id][0]

    @property
    def task_name(self) -> str:
        return TASKS[self.event_id][1]

    @property
    def keyword_names(self) -> list[str]:
        names = ["Audit Success"] if self.keywords & KEYWORDS_AUDIT_SUCCESS else []
        return names + ["Classic"]


class EventBuilder:
    """Maps accesses to classic events, ordering ``<Data>`` by the event maps."""

    def __init__(self, scenario: Scenario) -> None:
        self.org = scenario.org
        self.maps = {eid: load_map(AUDIT_PROVIDER, eid) for eid in AUDIT_EVENTS.values()}
        self.maps.update({eid: load_map(STORE_PROVIDER, eid) for eid in (1009, 1016)})
        self.fields = {eid: [f["name"] for f in m["fields"]] for eid, m in self.maps.items()}
        self.templates = {eid: compile_template(m["message"]) for eid, m in self.maps.items()}
        self.templates[1221] = compile_template(DEFRAG_MESSAGE)
        self.templates[1] = compile_template("Cmdlet succeeded. Cmdlet %1, parameters %2.")
        self.templates[6] = compile_template("Cmdlet failed. Cmdlet %1, parameters %2.\r\n%12")

    @staticmethod
    def identifier(a: Access) -> str:
        h = hashlib.md5(f"id:{a.seq}".encode()).hexdigest()  # noqa: S324 - an id, not security
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def values(self, a: Access) -> dict[str, str]:
        item = f"{a.folder}/{a.subject}" if a.subject else ""
        return {
            "folder": a.folder, "item": item, "mailbox": a.mailbox.alias, "actor": a.actor.account,
            "actor_display": a.actor.display_name, "actor_dn": a.actor.legacy_dn,
            "admin_rights": "True" if a.admin else "False", "identifier": self.identifier(a),
            "client_host": a.client_host, "client_ip": a.client_ip, "process_name": a.process,
            "process_id": str(a.process_id), "application_id": APP_IDS[a.channel],
        }

    def audit(self, a: Access) -> LogEvent:
        eid = AUDIT_EVENTS[a.operation]
        v = self.values(a)
        data = [v.get(name, "") for name in self.fields[eid]]
        return LogEvent(AUDIT_PROVIDER, eid, a.time, data, self.templates[eid])

    def logon(self, a: Access) -> LogEvent:
        if a.actor is a.mailbox:
            eid, values = 1009, {"actor": a.actor.account, "mailbox": a.mailbox.legacy_dn}
        else:
            eid, values = 1016, {"actor": a.actor.account, "mailbox": a.mailbox.smtp}
        data = [values.get(name, "") for name in self.fields[eid]]
        return LogEvent(STORE_PROVIDER, eid, a.time, data, self.templates[eid], level=0, keywords=KEYWORDS_CLASSIC | KEYWORDS_AUDIT_SUCCESS)

    def defrag(self, moment: datetime, day: int) -> LogEvent:
        data = [self.org.database, str(80 + (day * 37) % 400)]
        return LogEvent(STORE_PROVIDER, 1221, moment, data, self.templates[1221])


# ---- sinks ---------------------------------------------------------------------------------

class EvtxSink:
    """The ``.evtx`` file, through the binary writer."""

    suffix = ".evtx"

    def __init__(self, path: Path, channel: str, computer: str) -> None:
        from forensics.synth.evtx_writer import ClassicEvent, EvtxWriter

        self._event = ClassicEvent
        self._writer = EvtxWriter(path, channel=channel, computer=computer)

    def write(self, e: LogEvent) -> None:
        rid = self._writer.write(self._event(provider=e.provider, event_id=e.event_id, qualifiers=e.qualifiers,
                                             level=e.level, task=e.task, time=e.time, data=list(e.data),
                                             keywords=e.keywords))
        if rid != e.record_id:  # the XML/CSV exports rely on the same numbering
            raise RuntimeError(f"evtx writer numbered record {e.record_id} as {rid}")

    def close(self) -> None:
        self._writer.close()


_LEVEL_NAMES = {0: "Information", 2: "Error", 3: "Warning", 4: "Information"}


class XmlSink:
    """Event Viewer "Save All Events As… XML": ``<Events>`` of ``<Event>`` with RenderingInfo."""

    suffix = ".xml"

    def __init__(self, path: Path, channel: str, computer: str) -> None:
        self._f = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
        self._f.write('<?xml version="1.0" encoding="UTF-8"?>\r\n<Events>\r\n')
        self.channel = escape(channel)
        self.computer = escape(computer)

    def write(self, e: LogEvent) -> None:
        t = e.time.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"
        data = "".join(f"<Data>{escape(d)}</Data>" for d in e.data)
        keywords = "".join(f"<Keyword>{k}</Keyword>" for k in e.keyword_names)
        self._f.write(
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>"
            f"<Provider Name={quoteattr(e.provider)}/><EventID Qualifiers='{e.qualifiers}'>{e.event_id}</EventID>"
            f"<Version>0</Version><Level>{e.level}</Level><Task>{e.task}</Task><Opcode>0</Opcode>"
            f"<Keywords>0x{e.keywords:x}</Keywords><TimeCreated SystemTime='{t}'/>"
            f"<EventRecordID>{e.record_id}</EventRecordID><Correlation/><Execution ProcessID='0' ThreadID='0'/>"
            f"<Channel>{self.channel}</Channel><Computer>{self.computer}</Computer><Security/></System>"
            f"<EventData>{data}</EventData>"
            f"<RenderingInfo Culture='en-US'><Message>{escape(e.message)}</Message>"
            f"<Level>{_LEVEL_NAMES.get(e.level, 'Information')}</Level><Task>{escape(e.task_name)}</Task>"
            f"<Opcode>Info</Opcode><Channel>{self.channel}</Channel><Provider></Provider>"
            f"<Keywords>{keywords}</Keywords></RenderingInfo></Event>\r\n"
        )

    def close(self) -> None:
        self._f.write("</Events>\r\n")
        self._f.close()


def us_local(moment: datetime, zone: ZoneInfo) -> str:
    """``M/D/YYYY h:mm:ss AM`` in ``zone`` (en-US Event Viewer)."""
    lt = moment.astimezone(zone)
    hour = lt.hour % 12 or 12
    return f"{lt.month}/{lt.day}/{lt.year} {hour}:{lt.minute:02d}:{lt.second:02d} {'AM' if lt.hour < 12 else 'PM'}"


class EvtSink:
    """The same log as a Windows Server 2003 ``.evt`` (``forensics.synth.evt_writer``): the
    insertion strings are the ``<Data>`` strings, the stored EventID carries the qualifiers in
    its high 16 bits, times are whole seconds (the format has no fraction)."""

    suffix = ".evt"

    def __init__(self, path: Path, computer: str) -> None:
        from forensics.synth.evt_writer import AUDIT_SUCCESS, INFORMATION, EvtEvent, EvtWriter

        self._event = EvtEvent
        self._types = (AUDIT_SUCCESS, INFORMATION)
        # the NetBIOS name: Windows 2003 wrote Computername so
        self._writer = EvtWriter(path, computer=computer.split(".")[0].upper())

    def write(self, e: LogEvent) -> None:
        kind = self._types[0] if e.keywords & KEYWORDS_AUDIT_SUCCESS else (1 if e.level == 2 else self._types[1])
        number = self._writer.write(self._event(source=e.provider, event_id=e.event_id, time=e.time,
                                                strings=list(e.data), event_type=kind, category=e.task,
                                                qualifiers=e.qualifiers))
        if number != e.record_id:
            raise RuntimeError(f"evt writer numbered record {e.record_id} as {number}")

    def close(self) -> None:
        self._writer.close()


class CsvSink:
    """Event Viewer "Save All Events As… CSV": 5 named columns + an unnamed description."""

    suffix = ".csv"
    HEADER = ["Level", "Date and Time", "Source", "Event ID", "Task Category"]

    def __init__(self, path: Path, zone: ZoneInfo, encoding: str) -> None:
        # utf-16 writes a BOM (little-endian here); utf-8-sig writes the UTF-8 BOM
        self._f = open(path, "w", encoding=encoding, newline="")  # noqa: SIM115 - closed in close()
        self._w = csv.writer(self._f, lineterminator="\r\n")
        self._w.writerow(self.HEADER)
        self.zone = zone

    def write(self, e: LogEvent) -> None:
        self._w.writerow([_LEVEL_NAMES.get(e.level, "Information"), us_local(e.time, self.zone), e.provider,
                          e.event_id, e.task_name, e.message])

    def close(self) -> None:
        self._f.close()


class Csv2003Sink:
    """Windows Server 2003 Event Viewer CSV: ``Date,Time,Source,Type,Category,Event,User,
    Computer,Description``, no header row, ANSI (cp1252), local time."""

    def __init__(self, path: Path, zone: ZoneInfo, computer: str) -> None:
        self._f = open(path, "w", encoding="cp1252", errors="replace", newline="")  # noqa: SIM115 - closed in close()
        self._w = csv.writer(self._f, lineterminator="\r\n")
        self.zone = zone
        self.computer = computer.split(".")[0]

    def write(self, e: LogEvent) -> None:
        date, time_ = us_local(e.time, self.zone).split(" ", 1)
        kind = "Success Audit" if e.keywords & KEYWORDS_AUDIT_SUCCESS else ("Error" if e.level == 2 else "Information")
        self._w.writerow([date, time_, e.provider, kind, e.task_name, e.event_id, "N/A", self.computer, e.message])

    def close(self) -> None:
        self._f.close()


# ---- emitters -------------------------------------------------------------------------------

#: (kind, description) of the representations of one log
SINKS = {
    "evtx": ("evtx", "the .evtx file"),
    "xml": ("evtx-xml", "an Event Viewer XML export (raw <Data> and rendered Message)"),
    "csv": ("evtx-csv", "an Event Viewer CSV export (rendered description, local time)"),
    "csv2003": ("evtx-csv", "a Windows Server 2003 Event Viewer CSV export (9 columns, no header, cp1252, "
                            "local time)"),
    "evt": ("evt", "a Windows Server 2003 .evt file (positional insertion strings, whole-second times)"),
}


class _LogEmitter(Emitter):
    """One Windows log written to the selected representations (evtx, xml, csv)."""

    log_name = ""
    file_stem = ""
    carries = ""
    csv_encoding = "utf-8-sig"

    def __init__(self, scenario: Scenario, out: Path, kinds: list[str]) -> None:
        super().__init__(scenario, out)
        self.builder = EventBuilder(scenario)
        self.tally = Tally()
        self.next_id = 1
        self.sinks: list = []
        zone = ZoneInfo(scenario.export_timezone)
        computer = scenario.org.mailbox_fqdn
        for kind in kinds:
            source_format, what = SINKS[kind]
            if kind == "evtx":
                path = out / "evidence" / "evtx" / f"{self.log_name}.evtx"
                basis = "utc"
            elif kind == "evt":
                path = out / "evidence" / "evt" / f"{self.log_name}.evt"
                basis = "utc"
            elif kind == "csv2003":
                path = out / "evidence" / "exports" / f"{self.file_stem}-w2003.csv"
                basis = f"local:{scenario.export_timezone}"
            else:
                path = out / "evidence" / "exports" / f"{self.file_stem}.{kind}"
                basis = "utc" if kind == "xml" else f"local:{scenario.export_timezone}"
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "evtx":
                sink = EvtxSink(path, self.log_name, computer)
            elif kind == "evt":
                sink = EvtSink(path, computer)
            elif kind == "xml":
                sink = XmlSink(path, self.log_name, computer)
            elif kind == "csv2003":
                sink = Csv2003Sink(path, zone, computer)
            else:
                sink = CsvSink(path, zone, self.csv_encoding)
            self.sinks.append(sink)
            truth = FormatTruth(f"{kind}-{self.file_stem.lower()}", source_format,
                                f"{what} of the '{self.log_name}' log: {self.carries}", basis, [path],
                                self.tally)
            if kind == "csv":
                truth.extra["encoding"] = "utf-16le-bom" if self.csv_encoding == "utf-16" else "utf-8-bom"
                truth.extra["timezone"] = scenario.export_timezone
            if kind == "csv2003":
                truth.extra.update(encoding="cp1252", timezone=scenario.export_timezone, layout="w2003-9-columns")
            self.truths.append(truth)

    def emit(self, e: LogEvent) -> None:
        e.record_id = self.next_id
        self.next_id += 1
        self.tally.records += 1
        for sink in self.sinks:
            sink.write(e)

    def close(self) -> None:
        for sink in self.sinks:
            sink.close()


class ExchangeAuditingEmitter(_LogEmitter):
    log_name = "Exchange Auditing"
    file_stem = "ExchangeAuditing"
    carries = ("every store access (10100 FolderOpen, 10102 MessageOpen, 10104 SendOnBehalf, 10106 SendAs) "
               "by every account except bypass-auditing holders; mailbox = alias, actor = DOMAIN\\user")
    csv_encoding = "utf-16"

    def add(self, a: Access) -> None:
        if not a.audited:
            return
        e = self.builder.audit(a)
        self.emit(e)
        self.tally.row(a.time, a.operation, a.mailbox.alias, a.actor.account, a.mailbox.key, a.actor.key,
                       expected_logon_type(a.actor, a.mailbox, a.admin), a.client_ip, event_id=e.event_id,
                       incident=a.incident)


class ApplicationEmitter(_LogEmitter):
    log_name = "Application"
    file_stem = "Application"
    carries = ("every logon: 1009 owner logon (mailbox = own legacyExchangeDN), 1016 any other account "
               "(mailbox = SMTP; no admin flag, so non-owners are Delegate); plus one 1221 per day (noise)")

    def __init__(self, scenario: Scenario, out: Path, kinds: list[str]) -> None:
        super().__init__(scenario, out, kinds)
        self.day = 0
        self.next_defrag = self._defrag_time(0)
        self.end = scenario.end_utc

    def _defrag_time(self, day: int) -> datetime:
        return self.scenario.local_time(0, "02:30") + timedelta(days=day)

    def _noise_until(self, moment: datetime | None) -> None:
        while self.next_defrag < self.end and (moment is None or self.next_defrag <= moment):
            self.emit(self.builder.defrag(self.next_defrag, self.day))
            self.tally.noise_records += 1
            self.day += 1
            self.next_defrag = self._defrag_time(self.day)

    def add(self, a: Access) -> None:
        if a.operation != "Logon":
            return
        self._noise_until(a.time)
        e = self.builder.logon(a)
        self.emit(e)
        mailbox = a.mailbox.legacy_dn if e.event_id == 1009 else a.mailbox.smtp
        self.tally.row(a.time, "Logon", mailbox, a.actor.account, a.mailbox.key, a.actor.key,
                       expected_logon_type(a.actor, a.mailbox, None), "", event_id=e.event_id,
                       incident=a.incident)

    def close(self) -> None:
        self._noise_until(None)
        super().close()


class ManagementEmitter(_LogEmitter):
    """The ``MSExchange Management`` log (admin cmdlets), as ``.evtx`` only.

    Rows: every cmdlet event (1 success, 6 failure) is one row with the operation declared
    in the scenario; actor = the caller's AD canonical path (its SID is the 4th and 5th
    string); mailbox = the -Identity/-Mailbox target as written ("" when the target is no
    mailbox: a database, an event-log category); logon type Admin when a mailbox is named
    (a cmdlet runs with administrative rights), else Unknown. Not driven by the accesses:
    the scenario's ``admin_changes`` plus one harmless ``Get-MailboxStatistics`` per workday.
    """

    log_name = "MSExchange Management"
    file_stem = "MSExchangeManagement"
    carries = ("the scenario's admin cmdlets (1 success, 6 failure) and one Get-MailboxStatistics per workday; "
               "actor = caller AD path, mailbox = -Identity/-Mailbox as written, logon type Admin (Unknown "
               "without a mailbox)")

    def __init__(self, scenario: Scenario, out: Path, kinds: list[str], seed: int) -> None:
        super().__init__(scenario, out, [k for k in kinds if k == "evtx"])
        self.seed = seed
        self.changes: list[Access] = []

    def add(self, a: Access) -> None:  # the cmdlet log is not driven by mailbox accesses
        return

    def _calls(self) -> list[tuple[datetime, object]]:
        import random

        from forensics.synth.scenario import AdminChange

        s = self.scenario
        calls: list[tuple[datetime, AdminChange]] = [(s.local_time(c.day, c.at), c) for c in s.admin_changes]
        if s.routine_admin:
            rng = random.Random(f"{s.name}:{self.seed}:management")
            users = [p for p in s.people if p.has_mailbox]
            for day in range(s.days):
                if (s.start + timedelta(days=day)).weekday() >= 5:
                    continue
                who = rng.choice(users)
                at = f"{rng.randrange(9, 17):02d}:{rng.randrange(60):02d}"
                calls.append((s.local_time(day, at), AdminChange(day, at, s.routine_admin, "Get-MailboxStatistics",
                                                                   f'-Identity "{who.alias}"', target=who.alias,
                                                                   mailbox=who.key)))
        return sorted(calls, key=lambda tc: (tc[0], tc[1].cmdlet))

    def close(self) -> None:
        org = self.scenario.org
        for n, (moment, change) in enumerate(self._calls()):
            actor = self.scenario.person(change.actor)
            caller = f"{org.smtp_domain}/Users/{actor.display_name}"
            eid = 6 if change.error else 1
            data = [change.cmdlet, change.parameters, caller, actor.sid, actor.sid, "Exchange Management Shell",
                    str(4000 + n), "", str(30 + n), f"00:00:0{n % 10}.{(n * 7919) % 10**7:07d}",
                    f"DC01.{org.smtp_domain}", change.error, "Context" if change.error else "", ""]
            self.emit(LogEvent(CMDLET_PROVIDER, eid, moment, data, self.builder.templates[eid],
                               level=2 if change.error else 4, qualifiers=49152 if change.error else QUALIFIERS_INFO))
            mailbox = self.scenario.person(change.mailbox) if change.mailbox else None
            self.tally.row(moment, change.operation, change.target, caller, change.mailbox, actor.key,
                           "Admin" if mailbox is not None else "Unknown", "", event_id=eid,
                           source_operation=change.cmdlet, incident=change.incident)
        super().close()

