"""Exchange 2010-2019 mailbox audit log: ``Search-MailboxAuditLog -ShowDetails | Export-Csv``.

Carries the non-owner store accesses of accounts without the bypass right, as Exchange's
default delegate/admin auditing records them: FolderOpen -> ``FolderBind`` (Delegate and
Admin; a delegate's binds of one folder are consolidated to one per 3 hours, as in
Exchange 2010), MessageOpen -> ``MessageBind`` (Admin only: delegate message reads are not
audited), ``SendAs``, ``SendOnBehalf``. Owners are not audited. ``LogonType`` is stated by the
source. ``LastAccessed`` is the exporting shell's local time, without offset (truth:
``timezone``). One file: ``evidence/mailbox-audit/SearchMailboxAuditLog.csv``, UTF-8 with BOM,
every field quoted as ``Export-Csv -NoTypeInformation`` writes it.
"""

from __future__ import annotations

import csv
import hashlib
from datetime import datetime, timedelta
from pathlib import Path
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


class MailboxAuditEmitter(Emitter):
    def __init__(self, scenario: Scenario, out: Path) -> None:
        super().__init__(scenario, out)
        path = out / "evidence" / "mailbox-audit" / "SearchMailboxAuditLog.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.truth = FormatTruth("mailbox-audit", "mailbox-audit", (__doc__ or "").split("\n\n")[1].replace("\n", " "),
                                 f"local:{scenario.export_timezone}", [path],
                                 extra={"timezone": scenario.export_timezone, "encoding": "utf-8-bom"})
        self.truths = [self.truth]
        self.zone = ZoneInfo(scenario.export_timezone)
        self.f = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed in close()
        self.w = csv.writer(self.f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        self.w.writerow(COLUMNS)
        self.last_bind: dict[tuple[str, str, str], datetime] = {}
        self.runspace = "5c1f9a2e-7b3d-4e8a-9f10-2a6b8c4d0e31"
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
        folder = a.folder.replace("/", "\\")
        folder_id = "LgAAAAD" + hashlib.sha256(f"{a.mailbox.alias}{a.folder}".encode()).hexdigest()[:40].upper()
        item = a.operation != "FolderOpen"
        source_items = a.operation == "MessageOpen"
        identity = hashlib.sha256(f"mal:{a.seq}".encode()).hexdigest()[:48].upper()
        row = {
            "RunspaceId": self.runspace, "Operation": op, "OperationResult": "Succeeded", "LogonType": logon,
            "ExternalAccess": "False", "FolderId": folder_id, "FolderPathName": folder,
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
        self.truth.tally.records += 1
        self.truth.tally.row(a.time, a.operation, a.mailbox.upn, a.actor.display_name, a.mailbox.key, a.actor.key,
                             logon, a.client_ip, source_operation=op, incident=a.incident)

    def close(self) -> None:
        self.f.close()
