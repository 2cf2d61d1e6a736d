"""Exchange 2010–2019 administrator audit log, as ``Search-AdminAuditLog | Export-Csv``.

File: ``evidence/admin-audit/SearchAdminAuditLog.csv``, UTF-8 with BOM, Windows PowerShell's
``#TYPE Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.AdminAuditLogEvent``
first line, then the AdminAuditLogEvent properties in Export-Csv order, every cell quoted
("Administrator audit log structure", Exchange 2013 docs; the column layout
``tests/forensics/parsers/m365/test_admin_audit.py`` follows). ``RunDate`` is the exporting
shell's local time (the scenario's export zone) in en-US format, as the parser expects with
``--source-tz``. ``CmdletParameters`` is written as ``Name=Value`` pairs joined by ``;`` (what
the usual export recipe ``@{n='CmdletParameters';e={($_.CmdletParameters|%{"$($_.Name)=$($_.Value)"})
-join ';'}}`` makes of the list; a bare Export-Csv would print ``System.Collections.ArrayList``).

Rows: the scenario's ``admin_changes`` (the cmdlet log's calls), one row each with the same
operation, mailbox target and caller as the MSExchange Management log; failures have
``Succeeded`` False and the error text. The routine ``Get-MailboxStatistics`` calls of that log
are not here: the admin audit log does not record ``Get-``/``Search-``/``Test-`` cmdlets.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from zoneinfo import ZoneInfo

from forensics.evtx.cmdlets import parse_parameters
from forensics.synth.accesses import Access
from forensics.synth.formats.base import Emitter, FormatTruth
from forensics.synth.formats.eventlog import us_local
from forensics.synth.scenario import Scenario

COLUMNS = ["RunspaceId", "ObjectModified", "ModifiedObjectResolvedName", "CmdletName", "CmdletParameters",
           "ModifiedProperties", "Caller", "ExternalAccess", "Succeeded", "Error", "RunDate", "OriginatingServer",
           "Identity", "IsValid", "ObjectState"]
TYPE_LINE = "#TYPE Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.AdminAuditLogEvent"
CARRIES = ("the scenario's admin cmdlets (the cmdlet log's calls, without its routine Get- cmdlets, which the admin "
           "audit log does not record): actor = Caller (AD path), mailbox = -Identity/-Mailbox as written, Succeeded "
           "False with the error for failures; RunDate in the export zone's local time")


class AdminAuditEmitter(Emitter):
    """The organisation's admin audit log, searched and exported by the investigator."""

    def __init__(self, scenario: Scenario, out: Path) -> None:
        super().__init__(scenario, out)
        self.path = out / "evidence" / "admin-audit" / "SearchAdminAuditLog.csv"
        self.truth = FormatTruth("admin-audit", "admin-audit", CARRIES, f"local:{scenario.export_timezone}", [self.path],
                                 extra={"timezone": scenario.export_timezone, "encoding": "utf-8-bom"})
        self.truths = [self.truth]

    def add(self, access: Access) -> None:  # the admin audit log is not driven by mailbox accesses
        return

    def close(self) -> None:
        s = self.scenario
        org = s.org
        zone = ZoneInfo(s.export_timezone)
        server = f"{org.mailbox_server} (15.01.2507.006)"
        calls = sorted(((s.local_time(c.day, c.at), c) for c in s.admin_changes), key=lambda tc: (tc[0], tc[1].cmdlet))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "w", encoding="utf-8-sig", newline="") as f:
            f.write(TYPE_LINE + "\r\n")
            w = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
            w.writerow(COLUMNS)
            for n, (moment, change) in enumerate(calls):
                actor = s.person(change.actor)
                caller = f"{org.smtp_domain}/Users/{actor.display_name}"
                params = parse_parameters(change.parameters)
                pairs = ";".join(f"{k}={'True' if v is True else v}" for k, v in params.items())
                target = s.person(change.mailbox) if change.mailbox else None
                obj = f"{org.smtp_domain}/Users/{target.display_name}" if target else str(
                    params.get("Identity", params.get("Mailbox", "")))
                ident = hashlib.sha256(f"aal:{s.name}:{n}".encode()).hexdigest()[:40].upper()
                w.writerow([f"5c1f9a2e-7b3d-4e8a-9f10-{n:012d}", obj, obj, change.cmdlet, pairs, "", caller, "False",
                            "False" if change.error else "True", change.error or "None", us_local(moment, zone),
                            server, f"RgAAAAA{ident}", "True", "New"])
                self.truth.tally.records += 1
                self.truth.tally.row(moment, change.operation, change.target, caller, change.mailbox, actor.key,
                                     "Admin" if target is not None else "Unknown", "", source_operation=change.cmdlet,
                                     incident=change.incident)
