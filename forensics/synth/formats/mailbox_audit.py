"""Exchange 2010-2019 mailbox audit log: the ``Search-MailboxAuditLog`` CSV and the
``New-MailboxAuditLogSearch`` ``SearchResult.xml`` report.

Carries the non-owner store accesses of accounts without the bypass right, as Exchange's
default delegate/admin auditing records them: FolderOpen -> ``FolderBind`` (Delegate and
Admin; a delegate's binds of one folder are consolidated to one per 3 hours, as in
Exchange 2010), MessageOpen -> ``MessageBind`` (Admin only: delegate message reads are not
audited), ``SendAs``, ``SendOnBehalf``. Owners are not audited. ``LogonType`` is stated by the
source. ``LastAccessed`` is, in the CSV, the exporting shell's local time without offset
(truth: ``timezone``): ``evidence/mailbox-audit/SearchMailboxAuditLog.csv``, UTF-8 with
BOM, every field quoted as ``Export-Csv -NoTypeInformation`` writes it; in the XML report
(``evidence/mailbox-audit/SearchResult.xml``) local time with its offset.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr
from zoneinfo import ZoneInfo

from forensics.synth.accesses import Access
from forensics.synth.formats.base import Emitter, FormatTruth
from forensics.synth.formats.eventlog import us_local
from forensics.synth.scenario import Scenario

COLUMNS = (
    "RunspaceId", "Operation", "OperationResult", "LogonType", "ExternalAccess", "DestFolderId",
    "DestFolderPathName", "FolderId", "FolderPathName", "ClientInfoString", "ClientIPAddress",
    "ClientMachineName", "ClientProcessName", "ClientVersion", "InternalLogonType", "MailboxOwnerUPN",
    "MailboxOwnerSid", "DestMailboxOwnerUPN", "DestMailboxOwnerSid", "DestMailboxGuid", "CrossMailboxOperation",
    "LogonUserDisplayName", "DelegateUserDisplayName", "LogonUserSid", "SourceItems", "SourceFolders",
    "SourceItemIdsList", "SourceItemSubjectsList", "SourceItemAttachmentsList", "SourceItemFolderPathNamesList",
    "SourceFolderIdsList", "SourceFolderPathNamesList", "ItemId", "ItemSubject", "ItemAttachments",
    "DirtyProperties", "OriginatingServer", "MailboxGuid", "MailboxResolvedOwnerName", "LastAccessed",
    "Identity", "IsValid", "ObjectState",
)
CLIENT_INFO = {"outlook": "Client=MSExchangeRPC", "owa": "Client=OWA;Action=ViaProxy",
               "ews": "Client=WebServices;Action=ViaProxy", "eas": "Client=ActiveSync"}
SOURCE_OPS = {"FolderOpen": "FolderBind", "MessageOpen": "MessageBind", "SendAs": "SendAs",
              "SendOnBehalf": "SendOnBehalf"}
CONSOLIDATE = timedelta(hours=3)


class _MailboxAuditBase(Emitter):
    """Which accesses the mailbox audit log records, and their truth; subclasses write."""

    name = ""
    path_name = ""

    def __init__(self, scenario: Scenario, out: Path, time_basis: str, extra: dict) -> None:
        super().__init__(scenario, out)
        self.path = out / "evidence" / "mailbox-audit" / self.path_name
        self.path.parent.mkdir(parents=True, exist_ok=True)
        carries = " ".join((__doc__ or "").split("\n\n")[1].split("``LastAccessed``")[0].split())
        self.truth = FormatTruth(self.name, "mailbox-audit", carries, time_basis, [self.path], extra=extra)
        self.truths = [self.truth]
        self.zone = ZoneInfo(scenario.export_timezone)
        self.last_bind: dict[tuple[str, str, str], datetime] = {}
        self.server = f"{scenario.org.mailbox_server} (15.02.1118.040)"

    def add(self, a: Access) -> None:
        if not a.is_store or a.actor is a.mailbox or a.actor.bypass_auditing:
            return
        logon = "Admin" if a.admin else "Delegate"
        if a.operation == "MessageOpen" and logon != "Admin":
            return
        if a.operation == "FolderOpen" and logon == "Delegate":
            key = (a.actor.key, a.mailbox.key, a.folder)
            last = self.last_bind.get(key)
            if last is not None and a.time - last < CONSOLIDATE:
                return
            self.last_bind[key] = a.time
        op = SOURCE_OPS[a.operation]
        self.write(a, op, logon)
        self.truth.tally.records += 1
        self.truth.tally.row(a.time, a.operation, a.mailbox.upn, a.actor.display_name, a.mailbox.key, a.actor.key,
                             logon, a.client_ip, source_operation=op, incident=a.incident)

    def write(self, a: Access, op: str, logon: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    @staticmethod
    def folder_id(a: Access) -> str:
        return "LgAAAAD" + hashlib.sha256(f"{a.mailbox.alias}{a.folder}".encode()).hexdigest()[:40].upper()


class MailboxAuditEmitter(_MailboxAuditBase):
    """``Search-MailboxAuditLog -ShowDetails | Export-Csv -NoTypeInformation -Encoding UTF8``."""

    name = "mailbox-audit"
    path_name = "SearchMailboxAuditLog.csv"

    def __init__(self, scenario: Scenario, out: Path) -> None:
        super().__init__(scenario, out, f"local:{scenario.export_timezone}",
                         {"timezone": scenario.export_timezone, "encoding": "utf-8-bom"})
        self.f = open(self.path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed in close()
        self.w = csv.writer(self.f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        self.w.writerow(COLUMNS)
        self.runspace = "5c1f9a2e-7b3d-4e8a-9f10-2a6b8c4d0e31"

    def write(self, a: Access, op: str, logon: str) -> None:
        folder = a.folder.replace("/", "\\")
        item = a.operation != "FolderOpen"
        source_items = a.operation == "MessageOpen"
        identity = hashlib.sha256(f"mal:{a.seq}".encode()).hexdigest()[:48].upper()
        row = {
            "RunspaceId": self.runspace, "Operation": op, "OperationResult": "Succeeded", "LogonType": logon,
            "ExternalAccess": "False", "FolderId": self.folder_id(a), "FolderPathName": folder,
            "ClientInfoString": CLIENT_INFO[a.channel], "ClientIPAddress": a.client_ip,
            "ClientMachineName": a.client_host if a.channel == "outlook" else "",
            "ClientProcessName": a.process, "ClientVersion": "16.0.17328.20162" if a.channel == "outlook" else "15.2.1118.40",
            "InternalLogonType": logon, "MailboxOwnerUPN": a.mailbox.upn, "MailboxOwnerSid": a.mailbox.sid,
            "CrossMailboxOperation": "", "LogonUserDisplayName": a.actor.display_name,
            "DelegateUserDisplayName": a.actor.display_name if op == "SendOnBehalf" else "",
            "LogonUserSid": a.actor.sid,
            "SourceItems": "Microsoft.Exchange.Management.SystemConfigurationTasks.MailboxAuditLogSourceItem"
            if source_items else "",
            "SourceItemIdsList": a.item_id if source_items else "",
            "SourceItemSubjectsList": a.subject if source_items else "",
            "SourceItemFolderPathNamesList": folder if source_items else "",
            "ItemId": a.item_id if item and not source_items else "",
            "ItemSubject": a.subject if item and not source_items else "",
            "OriginatingServer": self.server, "MailboxGuid": a.mailbox.mailbox_guid,
            "MailboxResolvedOwnerName": a.mailbox.account, "LastAccessed": us_local(a.time, self.zone),
            "Identity": identity, "IsValid": "True", "ObjectState": "Unchanged",
        }
        self.w.writerow([row.get(c, "") for c in COLUMNS])

    def close(self) -> None:
        self.f.close()


class MailboxAuditXmlEmitter(_MailboxAuditBase):
    """``New-MailboxAuditLogSearch`` report ``SearchResult.xml``: one ``<Event>`` per entry,
    attributes as in Microsoft's documented sample, ``LastAccessed`` with its UTC offset (so
    times are exact), ``LogonUserDN`` = the non-owner's display name, message binds with a
    ``<SourceItems>`` child per item. Root element ``<SearchResults>`` (undocumented)."""

    name = "mailbox-audit-xml"
    path_name = "SearchResult.xml"

    def __init__(self, scenario: Scenario, out: Path) -> None:
        super().__init__(scenario, out, "utc", {"encoding": "utf-8"})
        self.f = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
        self.f.write('<?xml version="1.0" encoding="utf-8"?>\r\n<SearchResults>\r\n')

    def write(self, a: Access, op: str, logon: str) -> None:
        local = a.time.astimezone(self.zone)
        stamp = local.isoformat(timespec="microseconds")
        folder = a.folder.replace("/", "\\")
        attrs = {
            "MailboxGuid": a.mailbox.mailbox_guid, "Owner": a.mailbox.account, "LastAccessed": stamp,
            "Operation": op, "OperationResult": "Succeeded", "LogonType": logon, "FolderId": self.folder_id(a),
            "FolderPathName": folder, "ClientInfoString": CLIENT_INFO[a.channel], "ClientIPAddress": a.client_ip,
            "InternalLogonType": logon, "MailboxOwnerUPN": a.mailbox.upn, "MailboxOwnerSid": a.mailbox.sid,
            "CrossMailboxOperation": "false", "LogonUserDN": a.actor.display_name, "LogonUserSid": a.actor.sid,
        }
        if a.operation in ("SendAs", "SendOnBehalf"):
            attrs["ItemSubject"] = a.subject
        head = " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())
        if a.operation == "MessageOpen":
            child = (f'  <SourceItems>\r\n   <SourceItem ItemId={quoteattr(a.item_id)} Subject={quoteattr(a.subject)} '
                     f"FolderPathName={quoteattr(folder)} />\r\n  </SourceItems>\r\n")
            self.f.write(f"<Event {head}>\r\n{child}</Event>\r\n")
        else:
            self.f.write(f"<Event {head} />\r\n")

    def close(self) -> None:
        self.f.write("</SearchResults>\r\n")
        self.f.close()
