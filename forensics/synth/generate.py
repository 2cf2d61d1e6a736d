"""Generate a case: every selected evidence format from one access stream, plus the truth.

Output layout (``OUT``)::

    truth.json          what happened and what each file must yield (forensics.synth.truth)
    identities.csv      directory export of every person (for exact Owner/Delegate/Admin)
    evidence/evtx/      Exchange Auditing.evtx, Application.evtx, MSExchange Management.evtx
    evidence/exports/   ExchangeAuditing.xml/.csv/-w2003.csv, Application.xml/.csv/-w2003.csv
                        (Event Viewer exports: Vista+ XML and CSV, Windows 2003 CSV)
    evidence/iis/       W3SVC1/u_exYYMMDD.log (Exchange 2013+ client access)
    evidence/iis2003/   W3SVC1/exYYMMDD.log (Exchange 2003 OWA/WebDAV)
    evidence/httpproxy/ <Protocol>/HttpProxy_YYYYMMDDHH-1.LOG (Exchange 2013+ front end; only when asked)
    evidence/mailbox-audit/SearchMailboxAuditLog.csv, SearchResult.xml
    evidence/ual/AuditLog_Purview.csv, AuditLog_Classic.csv, SearchUnifiedAuditLog.csv,
                        AuditLog_ManagementAPI.jsonl (Management Activity API JSON lines; only when asked)
    evidence/msgtrk/    MSGTRKMS/MSGTRK/MSGTRKMD<yyyymmddhh>-1.LOG (message tracking; only when asked)
    evidence/admin-audit/SearchAdminAuditLog.csv (Search-AdminAuditLog | Export-Csv; only when asked)

Load ``OUT/evidence`` as evidence; ``truth.json`` and ``identities.csv`` are not evidence.
"""

from __future__ import annotations

import csv
import os
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics.synth.accesses import Access, generate_accesses
from forensics.synth.formats.admin_audit import AdminAuditEmitter
from forensics.synth.formats.base import Emitter
from forensics.synth.formats.eventlog import ApplicationEmitter, ExchangeAuditingEmitter, ManagementEmitter
from forensics.synth.formats.httpproxy import HttpProxyEmitter
from forensics.synth.formats.iis import Iis2003Emitter, IisEmitter
from forensics.synth.formats.mailbox_audit import MailboxAuditEmitter, MailboxAuditXmlEmitter
from forensics.synth.formats.msgtrk import MessageTrackingEmitter
from forensics.synth.formats.ual import UalEmitter
from forensics.synth.formats.ual_json import UalJsonEmitter
from forensics.synth.scenario import Scenario
from forensics.synth.scenarios import get_scenario, with_staff
from forensics.synth.truth import TRUTH_VERSION, Tally, iso, write_truth

#: format groups the CLI accepts, in output order
FORMATS = ("evtx", "xml", "csv", "csv2003", "iis", "iis2003", "mailbox-audit", "mailbox-audit-xml", "ual",
           "ual-classic", "ual-powershell", "httpproxy", "ual-json", "evt", "msgtrk", "admin-audit")
#: written only when asked for: HttpProxy repeats the IIS log's front-end requests, and a case holding
#: both counts each request twice until overlapping formats are correlated
OPTIONAL_FORMATS = ("httpproxy", "ual-json", "evt", "msgtrk", "admin-audit")
DEFAULT_FORMATS = tuple(f for f in FORMATS if f not in OPTIONAL_FORMATS)
EVENT_LOG_KINDS = ("evtx", "xml", "csv", "csv2003", "evt")
#: Windows logs; "management" (the admin cmdlet log) is written as .evtx only
LOGS = ("exchange-auditing", "application", "management")


@dataclass
class Result:
    out: Path
    truth: dict[str, Any]
    seconds: float
    accesses: int
    files: list[Path] = field(default_factory=list)


def _emitters(scenario: Scenario, out: Path, formats: Sequence[str], seed: int, *, logs: Sequence[str]) -> list[Emitter]:
    kinds = [k for k in EVENT_LOG_KINDS if k in formats]
    emitters: list[Emitter] = []
    if kinds and "exchange-auditing" in logs:
        emitters.append(ExchangeAuditingEmitter(scenario, out, kinds))
    if kinds and "application" in logs:
        emitters.append(ApplicationEmitter(scenario, out, kinds))
    if "evtx" in kinds and "management" in logs:
        emitters.append(ManagementEmitter(scenario, out, kinds, seed))
    if "iis" in formats:
        emitters.append(IisEmitter(scenario, out, seed))
    if "iis2003" in formats:
        emitters.append(Iis2003Emitter(scenario, out, seed))
    if "httpproxy" in formats:
        emitters.append(HttpProxyEmitter(scenario, out, seed))
    if "mailbox-audit" in formats:
        emitters.append(MailboxAuditEmitter(scenario, out))
    if "mailbox-audit-xml" in formats:
        emitters.append(MailboxAuditXmlEmitter(scenario, out))
    for layout, name in (("purview", "ual"), ("classic", "ual-classic"), ("powershell", "ual-powershell")):
        if name in formats:
            emitters.append(UalEmitter(scenario, out, seed, layout))
    if "ual-json" in formats:  # the same records as the Management Activity API's JSON lines
        emitters.append(UalJsonEmitter(scenario, out, seed))
    if "msgtrk" in formats:  # SendAs submissions, resolved through identities.csv ExchangeGuid
        emitters.append(MessageTrackingEmitter(scenario, out, seed))
    if "admin-audit" in formats:  # the cmdlet log's calls as a Search-AdminAuditLog export
        emitters.append(AdminAuditEmitter(scenario, out))
    return emitters


def write_identities(scenario: Scenario, path: Path) -> None:
    """A directory export (the columns ``--identities`` reads) of every person."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(["DisplayName", "Alias", "PrimarySmtpAddress", "UserPrincipalName", "LegacyExchangeDN",
                    "SamAccountName", "Sid", "ExchangeGuid"])
        for p in scenario.people:
            fm = p.forms()
            w.writerow([fm["display_name"], fm["alias"], fm["smtp"], fm["upn"], fm["legacy_dn"],
                        p.account.split("\\", 1)[-1], fm["sid"], fm["mailbox_guid"]])


def _write_readme(out: Path, truth: dict[str, Any]) -> None:
    """A short human description of the case (Markdown: no parser claims it as evidence)."""
    lines = [f"# Synthetic case: {truth['scenario']}", "", truth["description"], "",
             f"Generated by `{truth['command'] or 'forensics.synth.generate'}` (seed {truth['seed']}); "
             "the same command always writes the same bytes. Everything here is synthetic.", "",
             f"Time span {truth['span']['start']} .. {truth['span']['end']} (UTC); people work in "
             f"{truth['timezones']['organization']}; CSV exports are in {truth['timezones']['export']} local time "
             f"(load them with `--source-tz {truth['timezones']['export']}`). Directory export: "
             f"`{truth['identities_csv']}` (`--identities`). Ground truth: `truth.json`.", "",
             "## Incidents to find", ""]
    for inc in truth["incidents"]:
        ops = ", ".join(f"{n} {op}" for op, n in inc["operations"].items())
        lines.append(f"- **{inc['title']}** ({inc['first']} .. {inc['last']}, from {inc['client_ip']}): {ops}. "
                     f"{inc['description']}")
    lines += ["", "## Files", "", "| format | files | records | rows |", "|---|---|---|---|"]
    for name, fmt in truth["formats"].items():
        lines.append(f"| {name} | {len(fmt['files'])} | {fmt['records']} | {fmt['rows']} |")
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")


class _IncidentLog:
    """Collects the truth of each incident from the stream."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.seen: dict[str, list[Access]] = {i.id: [] for i in scenario.incidents}

    def add(self, a: Access) -> None:
        if a.incident:
            self.seen[a.incident].append(a)

    def as_list(self, emitters: list[Emitter]) -> list[dict[str, Any]]:
        out = []
        for inc in self.scenario.incidents:
            acc = self.seen[inc.id]
            store = [a for a in acc if a.is_store]
            first = acc[0]
            rows = {t.name: t.tally.incident_rows.get(inc.id, 0) for e in emitters for t in e.truths}
            out.append({
                "id": inc.id, "title": inc.title, "kind": inc.kind, "description": inc.description,
                "actor": inc.actor, "actor_account": first.actor.account, "actor_display_name": first.actor.display_name,
                "mailboxes": list(inc.mailboxes),
                "mailbox_aliases": [self.scenario.person(k).alias for k in inc.mailboxes],
                "channel": inc.channel, "client_ip": first.client_ip, "client_host": first.client_host,
                "client_app": first.process, "logon_type": first.logon_type, "admin_rights": first.admin,
                "first": iso(min(a.time for a in store)), "last": iso(max(a.time for a in store)),
                "logons": sum(1 for a in acc if not a.is_store),
                "operations": dict(sorted(Counter(a.operation for a in store).items())),
                "items": [a.subject for a in store if a.subject],
                "folders": sorted({a.folder for a in store}),
                "rows": rows,
            })
        return out


def generate(
    scenario: Scenario | str,
    out: Path,
    *,
    seed: int = 1,
    events: int | None = None,
    formats: Sequence[str] = DEFAULT_FORMATS,
    logs: Sequence[str] = LOGS,
    staff: int | None = None,
    identities: Path | None = None,
    command: str = "",
    progress: Callable[[int], None] | None = None,
) -> Result:
    """Write the case into ``out`` (created; files inside it are overwritten).

    ``staff`` None: the scenario's own staff, raised for large ``events`` so that each
    person keeps a plausible volume (one extra person per 2,000 events). ``identities``: where
    to write the directory export (default ``out/identities.csv``; the demo keeps it outside
    the folder the GUI opens, where it would be tried as evidence).
    """
    if isinstance(scenario, str):
        scenario = get_scenario(scenario)
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown format(s): {', '.join(sorted(unknown))} (known: {', '.join(FORMATS)})")
    if staff is None:
        staff = max(scenario.staff, (events or 0) // 2000)
    scenario = with_staff(scenario, staff)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    emitters = _emitters(scenario, out, formats, seed, logs=logs)
    underlying = Tally()
    incidents = _IncidentLog(scenario)
    n = 0
    try:
        for a in generate_accesses(scenario, seed, events):
            n += 1
            underlying.row(a.time, a.operation, a.mailbox.key, a.actor.key, a.mailbox.key, a.actor.key,
                           a.logon_type, a.client_ip, incident=a.incident)
            incidents.add(a)
            for e in emitters:
                e.add(a)
            if progress is not None and n % 100_000 == 0:
                progress(n)
    finally:
        for e in emitters:
            e.close()
    identities = identities or out / "identities.csv"
    identities.parent.mkdir(parents=True, exist_ok=True)
    write_identities(scenario, identities)
    store = sum(v for k, v in underlying.by["operation"].items() if k != "Logon")
    truth: dict[str, Any] = {
        "truth_version": TRUTH_VERSION,
        "scenario": scenario.name,
        "description": scenario.description,
        "seed": seed,
        "events": store,
        "command": command,
        "span": {"start": iso(scenario.start_utc), "end": iso(scenario.end_utc)},
        "timezones": {"organization": scenario.org.timezone, "export": scenario.export_timezone},
        "organization": {"name": scenario.org.name, "domain": scenario.org.domain,
                         "smtp_domain": scenario.org.smtp_domain, "mailbox_server": scenario.org.mailbox_fqdn,
                         "cas_server": scenario.org.cas_fqdn},
        "people": [p.forms() for p in scenario.people],
        "identities_csv": os.path.relpath(identities, out).replace(os.sep, "/"),
        "accesses": underlying.as_dict(with_records=False),
        "incidents": incidents.as_list(emitters),
        "admin_changes": [
            {"time": iso(scenario.local_time(c.day, c.at)), "actor": c.actor,
             "actor_account": scenario.person(c.actor).account, "cmdlet": c.cmdlet, "parameters": c.parameters,
             "outcome": "Failure" if c.error else "Success", "operation": c.operation, "target": c.target,
             "mailbox": c.mailbox, "incident": c.incident, "note": c.note}
            for c in scenario.admin_changes
        ],
        "formats": {t.name: t.as_dict(out) for e in emitters for t in e.truths},
    }
    write_truth(out / "truth.json", truth)
    _write_readme(out, truth)
    files = [p for e in emitters for t in e.truths for p in t.files]
    return Result(out, truth, time.perf_counter() - started, n, sorted(set(files)))
