"""Microsoft 365 unified audit log, Purview 8-column CSV export.

Columns ``RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,
AssociatedAdminUnitsNames``; ``CreationDate`` is UTC printed en-US (``3/5/2024 9:14:22 AM``);
``AuditData`` is the JSON of the management-activity schema (``CreationTime`` UTC ISO).

Which accesses it carries (accounts with the bypass right and SYSTEM are not audited):

- MessageOpen (any channel, owner or not) -> ``MailItemsAccessed`` with
  ``MailAccessType=Bind``: the binds of one session within 2 minutes of the first are one
  record with ``OperationCount`` items grouped in ``Folders[].FolderItems[]``; a parser makes
  one row per item, at the record's ``CreationTime``.
- FolderOpen from desktop Outlook -> ``MailItemsAccessed`` ``Sync`` (one record, one row, per
  folder); FolderOpen from web clients by a non-owner -> ``FolderBind``; by the owner: none.
- ``SendAs`` / ``SendOnBehalf`` -> records of those names (mailbox = ``SendAsUserSmtp`` /
  ``SendOnBehalfOfUserSmtp``).
- An owner's ``Logon`` -> ``MailboxLogin``; other logons: none.
- An ``AzureActiveDirectory`` ``UserLoggedIn`` (Entra ID sign-in, record type 15) for every
  OWA session start: a ``Logon`` row with no mailbox (the sign-in is to the tenant), the
  actor's address and user agent (``forensics.parsers.m365.ual_signins``).

``LogonType``: 0 Owner, 1 Admin, 2 Delegated. ``ClientIP`` carries a port on some records
(``203.0.113.77:51234``); ``ClientIPAddress`` never does. One file:
``evidence/ual/AuditLog_Purview.csv`` (UTF-8 with BOM), records in the order they were closed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from forensics.synth.accesses import Access
from forensics.synth.formats.base import Emitter, FormatTruth
from forensics.synth.scenario import Scenario

COLUMNS = ("RecordId", "CreationDate", "RecordType", "Operation", "UserId", "AuditData",
           "AssociatedAdminUnits", "AssociatedAdminUnitsNames")
LOGON_TYPES = {"Owner": 0, "Admin": 1, "Delegate": 2}
CLIENT_INFO = {"outlook": "Client=MSExchangeRPC", "owa": "Client=OWA;Action=ViaProxy",
               "ews": "Client=WebServices;Action=ViaProxy", "eas": "Client=ActiveSync"}
BIND_WINDOW = timedelta(minutes=2)
EXCHANGE_APP = "00000002-0000-0ff1-ce00-000000000000"


def us_utc(moment: datetime) -> str:
    t = moment.astimezone(timezone.utc)
    hour = t.hour % 12 or 12
    return f"{t.month}/{t.day}/{t.year} {hour}:{t.minute:02d}:{t.second:02d} {'AM' if t.hour < 12 else 'PM'}"


class _Bind:
    __slots__ = ("first", "items")

    def __init__(self, first: Access) -> None:
        self.first = first
        self.items: list[Access] = [first]


#: layout -> (format name, file name, header, csv quoting, truth layout label)
LAYOUTS = {
    "purview": ("ual", "AuditLog_Purview.csv", COLUMNS, csv.QUOTE_MINIMAL, "purview-8"),
    "classic": ("ual-classic", "AuditLog_Classic.csv", ("CreationDate", "UserIds", "Operations", "AuditData"),
                csv.QUOTE_MINIMAL, "classic-4"),
    "powershell": ("ual-powershell", "SearchUnifiedAuditLog.csv",
                   ("RecordType", "CreationDate", "UserIds", "Operations", "AuditData", "ResultIndex", "ResultCount",
                    "Identity", "IsValid", "ObjectState"), csv.QUOTE_ALL, "search-unifiedauditlog-10"),
}
RECORD_TYPE_NAMES = {1: "ExchangeAdmin", 2: "ExchangeItem", 3: "ExchangeItemGroup", 15: "AzureActiveDirectoryStsLogon",
                     50: "ExchangeItemAggregated"}


class UalEmitter(Emitter):
    """The same records in one of three CSV wrappers (``LAYOUTS``): the Purview 8-column
    export, the classic compliance-center 4-column export (ISO ``CreationDate`` with 7
    decimals and Z) and ``Search-UnifiedAuditLog | Export-Csv`` (10 quoted columns,
    ``RecordType`` by name)."""

    def __init__(self, scenario: Scenario, out: Path, seed: int, layout: str = "purview") -> None:
        super().__init__(scenario, out)
        name, file_name, header, quoting, label = LAYOUTS[layout]
        self.layout = layout
        path = out / "evidence" / "ual" / file_name
        path.parent.mkdir(parents=True, exist_ok=True)
        carries = " ".join((__doc__ or "").split("Which accesses it carries")[1].split("``LogonType``")[0].split())
        self.truth = FormatTruth(name, "ual", carries.lstrip("(): "), "utc", [path],
                                 extra={"layout": label, "encoding": "utf-8-bom"})
        self.truths = [self.truth]
        self.rng = random.Random(f"{scenario.name}:{seed}:ual")  # same records in every layout
        self.f = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed in close()
        self.w = csv.writer(self.f, lineterminator="\r\n", quoting=quoting)
        self.w.writerow(header)
        self.index = 0
        self.org = scenario.org
        self.binds: OrderedDict[str, _Bind] = OrderedDict()
        self.bind_records = 0
        self.access_types = {"Bind": 0, "Sync": 0}

    # ---- helpers ---------------------------------------------------------------------------
    def _uuid(self) -> str:
        bits = self.rng.getrandbits(128)
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[bits & 3]}{h[17:20]}-{h[20:32]}"

    @staticmethod
    def _folder_id(a: Access, folder: str) -> str:
        return "LgAAAAD" + hashlib.sha256(f"{a.mailbox.alias}{folder}".encode()).hexdigest()[:40].upper()

    def _common(self, a: Access, operation: str, record_type: int, created: datetime) -> dict:
        ip = a.client_ip
        client_ip = f"{ip}:{self.rng.randrange(1024, 65535)}" if a.channel == "owa" and self.rng.random() < 0.5 else ip
        logon = LOGON_TYPES[a.logon_type]
        return {
            "CreationTime": created.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
            "Id": self._uuid(), "Operation": operation, "OrganizationId": self.org.tenant_id,
            "RecordType": record_type, "ResultStatus": "Succeeded",
            "UserKey": f"10032001{a.actor.rid:08X}", "UserType": 2 if a.admin else 0, "Version": 1,
            "Workload": "Exchange", "ClientIP": client_ip, "UserId": a.actor.upn, "AppId": EXCHANGE_APP,
            "ClientAppId": "", "ClientIPAddress": ip, "ClientInfoString": CLIENT_INFO[a.channel],
            "ExternalAccess": False, "InternalLogonType": logon, "LogonType": logon,
            "LogonUserSid": a.actor.sid, "LogonUserDisplayName": a.actor.display_name,
            "MailboxGuid": a.mailbox.mailbox_guid, "MailboxOwnerSid": a.mailbox.sid,
            "MailboxOwnerUPN": a.mailbox.upn, "OrganizationName": self.org.tenant,
            "OriginatingServer": "DB9PR04MB8462 (15.20.8005.017)\r\n", "SessionId": a.session,
        }

    def _write(self, record: dict, user: str) -> None:
        created = datetime.strptime(record["CreationTime"], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
        audit = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        if self.layout == "purview":
            self.w.writerow([record["Id"], us_utc(created), record["RecordType"], record["Operation"], user, audit, "", ""])
        elif self.layout == "classic":
            self.w.writerow([created.strftime("%Y-%m-%dT%H:%M:%S.0000000Z"), user, record["Operation"], audit])
        else:
            self.index += 1
            self.w.writerow([RECORD_TYPE_NAMES.get(record["RecordType"], str(record["RecordType"])), us_utc(created),
                             user, record["Operation"], audit, self.index, "", record["Id"], "True", "Unchanged"])
        self.truth.tally.records += 1

    def _row(self, a: Access, time: datetime, operation: str, source_op: str, mailbox: str) -> None:
        self.truth.tally.row(time, operation, mailbox, a.actor.upn, a.mailbox.key, a.actor.key, a.logon_type,
                             a.client_ip, source_operation=source_op, incident=a.incident)

    # ---- MailItemsAccessed Bind aggregation -----------------------------------------------
    def _flush_binds(self, before: datetime | None) -> None:
        while self.binds:
            key, bind = next(iter(self.binds.items()))
            if before is not None and bind.first.time + BIND_WINDOW >= before:
                break
            del self.binds[key]
            self._write_bind(bind)

    def _write_bind(self, bind: _Bind) -> None:
        a = bind.first
        record = self._common(a, "MailItemsAccessed", 50, a.time)
        record["OperationProperties"] = [{"Name": "MailAccessType", "Value": "Bind"},
                                         {"Name": "IsThrottled", "Value": "False"}]
        folders: dict[str, list[dict]] = {}
        for item in bind.items:
            folders.setdefault(item.folder, []).append(
                {"Id": item.item_id, "InternetMessageId": item.message_id, "SizeInBytes": item.size})
            self._row(item, a.time, "MailItemsAccessed", "MailItemsAccessed", a.mailbox.upn)
        record["Folders"] = [{"Id": self._folder_id(a, f), "Path": f.replace("/", "\\"), "FolderItems": items}
                             for f, items in folders.items()]
        record["OperationCount"] = len(bind.items)
        self._write(record, a.actor.upn)
        self.bind_records += 1
        self.access_types["Bind"] += len(bind.items)

    # ---- the stream ------------------------------------------------------------------------
    def add(self, a: Access) -> None:
        self._flush_binds(a.time)
        if a.actor.bypass_auditing or a.actor.kind == "system":
            return
        op = a.operation
        if op == "MessageOpen":
            bind = self.binds.get(a.session)
            if bind is not None and a.time - bind.first.time <= BIND_WINDOW:
                bind.items.append(a)
            else:
                if bind is not None:
                    del self.binds[a.session]
                    self._write_bind(bind)
                self.binds[a.session] = _Bind(a)
            return
        if op == "FolderOpen":
            folder = a.folder.replace("/", "\\")
            if a.channel == "outlook":
                record = self._common(a, "MailItemsAccessed", 50, a.time)
                record["OperationProperties"] = [{"Name": "MailAccessType", "Value": "Sync"}]
                record["Folders"] = [{"Id": self._folder_id(a, a.folder), "Path": folder}]
                record["OperationCount"] = 1
                self._write(record, a.actor.upn)
                self._row(a, a.time, "MailItemsAccessed", "MailItemsAccessed", a.mailbox.upn)
                self.access_types["Sync"] += 1
            elif a.actor is not a.mailbox:
                record = self._common(a, "FolderBind", 3, a.time)
                record["Folder"] = {"Id": self._folder_id(a, a.folder), "Path": folder}
                self._write(record, a.actor.upn)
                self._row(a, a.time, "FolderOpen", "FolderBind", a.mailbox.upn)
            return
        if op in ("SendAs", "SendOnBehalf"):
            record = self._common(a, op, 2, a.time)
            record["Item"] = {"Id": a.item_id, "InternetMessageId": a.message_id, "Subject": a.subject,
                              "ParentFolder": {"Id": self._folder_id(a, a.folder), "Path": a.folder.replace("/", "\\")},
                              "SizeInBytes": a.size}
            if op == "SendAs":
                record["SendAsUserSmtp"] = a.mailbox.smtp
                record["SendAsUserMailboxGuid"] = a.mailbox.mailbox_guid
            else:
                record["SendOnBehalfOfUserSmtp"] = a.mailbox.smtp
                record["SendOnBehalfOfUserMailboxGuid"] = a.mailbox.mailbox_guid
            self._write(record, a.actor.upn)
            self._row(a, a.time, op, op, a.mailbox.smtp)
            return
        if op == "Logon":
            if a.channel == "owa":
                self._sign_in(a)
            if a.actor is a.mailbox:
                record = self._common(a, "MailboxLogin", 2, a.time)
                self._write(record, a.actor.upn)
                self._row(a, a.time, "Logon", "MailboxLogin", a.mailbox.upn)

    def _sign_in(self, a: Access) -> None:
        record = {
            "CreationTime": a.time.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"), "Id": self._uuid(),
            "Operation": "UserLoggedIn", "OrganizationId": self.org.tenant_id, "RecordType": 15,
            "ResultStatus": "Success", "UserKey": a.actor.sid, "UserType": 0, "Version": 1,
            "Workload": "AzureActiveDirectory", "ClientIP": a.client_ip, "ObjectId": EXCHANGE_APP,
            "UserId": a.actor.upn, "AzureActiveDirectoryEventType": 1,
            "ExtendedProperties": [{"Name": "UserAgent", "Value": a.user_agent},
                                   {"Name": "RequestType", "Value": "OAuth2:Authorize"}],
        }
        self._write(record, a.actor.upn)
        self.truth.tally.row(a.time, "Logon", "", a.actor.upn, "", a.actor.key, "Owner", a.client_ip,
                             source_operation="UserLoggedIn")  # an incident's rows are its mailbox accesses

    def close(self) -> None:
        self._flush_binds(None)
        self.truth.extra["bind_records"] = self.bind_records
        self.truth.extra["rows_by_mail_access_type"] = dict(self.access_types)
        self.f.close()
        if self.layout == "powershell":
            self._fill_result_count()

    def _fill_result_count(self) -> None:
        """Search-UnifiedAuditLog gives every record the search's total hits (ResultCount),
        known here only once all are written: rewrite the file with it."""
        path = self.truth.files[0]
        csv.field_size_limit(1 << 30)
        with open(path, encoding="utf-8-sig", newline="") as source:
            rows = list(csv.reader(source))
        with open(path, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
            writer.writerow(rows[0])
            for row in rows[1:]:
                row[6] = str(self.index)
                writer.writerow(row)
