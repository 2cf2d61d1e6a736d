"""Lost audit evidence (Microsoft-Windows-Eventlog 1102, 104, 1101, 1104; Windows 2003 Security
517) becomes AuditConfigChange rows in all three Windows-log parsers: .evtx, Event Viewer XML
and CSV exports."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from forensics.evtx.cmdlets import cmdlet_fields
from forensics.evtx.eventlog import PROVIDER, eventlog_fields, legacy_security_fields, strings_from_message
from forensics.evtx.handlers import handler_for
from forensics.ingest import load_evidence
from forensics.parsers.base import LoadOptions
from forensics.query import compile_query
from forensics.synth.evtx_writer import ClassicEvent, EvtxWriter, UserData
from helpers.eventviewer_export import csv_field, event_xml, export_xml

NS = "http://manifests.microsoft.com/win/2004/08/windows/eventlog"
SID = "S-1-5-21-4230534742-2542757381-3142984815-1111"
CLEARED_104 = UserData("LogFileCleared", NS, ("SubjectUserName", "SubjectDomainName", "Channel", "BackupPath"))
CLEARED_1102 = UserData("LogFileCleared", NS, ("SubjectUserSid", "SubjectUserName", "SubjectDomainName", "SubjectLogonId"))
AUTO_BACKUP_105 = UserData("AutoBackup", NS, ("Channel", "BackupPath"))
T0 = datetime(2024, 3, 5, 22, 14, tzinfo=timezone.utc)
MESSAGE_1102 = ("The audit log was cleared.\r\nSubject:\r\n\tSecurity ID:\t" + SID + "\r\n\tAccount Name:\tadmmig"
                "\r\n\tDomain Name:\tOFFSEC\r\n\tLogon ID:\t0x46B7B4")
GONE = "written before this time are gone"


# --- the handler -------------------------------------------------------------------------


def test_1102_row_has_the_cmdlet_row_shape() -> None:
    row = eventlog_fields(1102, [SID, "admmig", "OFFSEC", "0x46B7B4"])
    cmdlet = cmdlet_fields(1, ["Set-Mailbox", "-Identity ceo -AuditEnabled $false", "contoso.com/Users/adm", SID])
    assert set(row) == set(cmdlet)
    assert (row["operation"], row["outcome"], row["mapping"]) == ("AuditConfigChange", "Success", "native")
    assert row["actor"] == "OFFSEC\\admmig" and row["actor_ids"] == f"OFFSEC\\admmig|{SID}"
    assert row["mailbox"] is None and row["item"] == "log cleared: Security"
    assert "1102" in row["details"] and "Security" in row["details"] and "0x46B7B4" in row["details"]
    assert GONE not in row["details"]  # the Security log holds no mailbox-audit records


@pytest.mark.parametrize("hostile", ["The " * 10_000, "\r\n" * 20_000, "Account Name: x" + " " * 40_000 + "y"])
def test_hostile_messages_are_read_in_linear_time(hostile: str) -> None:
    # a rendered message is evidence: these took 1.5-3.6 s at 40,000 characters (quadratic)
    started = time.perf_counter()
    strings_from_message(1102, hostile)
    strings_from_message(104, hostile)
    assert time.perf_counter() - started < 0.5
    assert strings_from_message(1102, MESSAGE_1102) == [SID, "admmig", "OFFSEC", "0x46B7B4"]
    assert strings_from_message(104, "The Exchange Auditing log file was cleared.")[2] == "Exchange Auditing"


@pytest.mark.parametrize(
    ("channel", "lost"),
    [
        ("Exchange Auditing", "mailbox-access audit records"),
        ("MSExchange Management", "admin cmdlet records"),
        ("Application", "store logon events"),
    ],
)
def test_104_of_an_exchange_log_says_what_is_gone(channel: str, lost: str) -> None:
    row = eventlog_fields(104, ["eve", "CONTOSO", channel, ""])
    assert row["operation"] == "AuditConfigChange" and row["actor"] == "CONTOSO\\eve"
    assert row["item"] == f"log cleared: {channel}"
    assert "104" in row["details"] and channel in row["details"]
    assert lost in row["details"] and GONE in row["details"]
    assert "backed up" not in row["details"]


def test_104_backup_path_user_without_domain_and_other_channels() -> None:
    row = eventlog_fields(104, ["tony", "", "Microsoft-Windows-Sysmon/Operational", "C:\\cleared.evtx"])
    assert row["actor"] == "tony" and row["actor_ids"] == "tony"
    assert row["item"] == "log cleared: Microsoft-Windows-Sysmon/Operational"
    assert "backed up to C:\\cleared.evtx" in row["details"] and GONE not in row["details"]


def test_a_clear_without_strings_is_still_a_row() -> None:
    security = eventlog_fields(1102, [])
    assert security["item"] == "log cleared: Security" and security["actor"] is None and security["actor_ids"] is None
    unknown = eventlog_fields(104, [])
    assert unknown["item"] == "log cleared" and "channel not recorded" in unknown["details"]


@pytest.mark.parametrize("event_id", [100, 105, 1100, 1105, 6005])
def test_other_eventlog_events_are_not_rows(event_id: int) -> None:
    assert eventlog_fields(event_id, ["System", "C:\\x.evtx"]) is None


def test_dropped_audit_events_and_a_full_security_log_are_rows() -> None:
    dropped = eventlog_fields(1101, ["0"])
    assert (dropped["operation"], dropped["item"], dropped["actor"]) == ("AuditConfigChange", "audit events dropped: Security", None)
    assert "reason code 0" in dropped["details"] and "records of this time are missing" in dropped["details"]
    assert "reason code" not in eventlog_fields(1101, [])["details"]
    full = eventlog_fields(1104, [])
    assert (full["operation"], full["item"]) == ("AuditConfigChange", "log full: Security")
    assert "no Security audit record was written from this time" in full["details"]


MESSAGE_517 = ("The audit log was cleared\r\n \tPrimary User Name:\tSYSTEM\r\n \tPrimary Domain:\tNT AUTHORITY\r\n"
               " \tPrimary Logon ID:\t(0x0,0x3E7)\r\n \tClient User Name:\tadmin2\r\n \tClient Domain:\tCONTOSO\r\n"
               " \tClient Logon ID:\t(0x0,0x2C4C2)\r\n")


def test_windows_2003_security_clear_names_the_client_who_cleared_it() -> None:
    strings = strings_from_message(517, MESSAGE_517)
    assert strings == ["SYSTEM", "NT AUTHORITY", "(0x0,0x3E7)", "admin2", "CONTOSO", "(0x0,0x2C4C2)"]
    row = legacy_security_fields(517, strings)
    assert (row["operation"], row["actor"], row["item"]) == ("AuditConfigChange", "CONTOSO\\admin2", "log cleared: Security")
    assert "event 517" in row["details"] and "(0x0,0x2C4C2)" in row["details"]
    without_client = legacy_security_fields(517, ["jdoe", "CONTOSO", "(0x0,0x1)", "-", "-", "-"])
    assert without_client["actor"] == "CONTOSO\\jdoe"
    assert legacy_security_fields(528, strings) is None and strings_from_message(517, "Das Protokoll") is None


def test_registered_for_the_manifest_provider_only() -> None:
    assert handler_for(PROVIDER) is eventlog_fields
    assert handler_for(PROVIDER.lower()) is eventlog_fields
    assert handler_for("EventLog") is None  # the classic source (6005, 6006, 6008…) is another provider


def test_strings_from_rendered_messages() -> None:
    assert strings_from_message(1102, MESSAGE_1102) == [SID, "admmig", "OFFSEC", "0x46B7B4"]
    assert strings_from_message(104, "The Exchange Auditing log file was cleared.") == ["", "", "Exchange Auditing", ""]
    assert strings_from_message(104, "Das Protokoll wurde gelöscht.") is None
    assert strings_from_message(1102, "Das Überwachungsprotokoll wurde gelöscht.") is None
    assert strings_from_message(105, "The System log file was cleared.") is None


# --- through the three parsers --------------------------------------------------------------


def _balanced(report) -> None:
    assert report.status == "loaded", report.error
    assert report.records == report.accepted + sum(report.skipped.values()) + report.bad


def write_evtx(tmp_path: Path) -> list[Path]:
    """A System log with two 104 (Exchange logs), a 105 and an unrelated event; a Security log with a 1102."""
    system, security = tmp_path / "System.evtx", tmp_path / "Security.evtx"
    with EvtxWriter(system, channel="System", computer="EXMBX01.contoso.com") as writer:
        writer.write(ClassicEvent(provider=PROVIDER, event_id=104, time=T0, qualifiers=None, user_data=CLEARED_104,
                                  data=["eve", "CONTOSO", "Exchange Auditing", ""]))
        writer.write(ClassicEvent(provider=PROVIDER, event_id=105, time=T0 + timedelta(seconds=1), qualifiers=None,
                                  user_data=AUTO_BACKUP_105, data=["System", "C:\\Archive-System.evtx"]))
        writer.write(ClassicEvent(provider=PROVIDER, event_id=104, time=T0 + timedelta(seconds=2), qualifiers=None,
                                  user_data=CLEARED_104, data=["eve", "CONTOSO", "MSExchange Management", "D:\\mgmt.evtx"]))
        writer.write(ClassicEvent(provider="Service Control Manager", event_id=7036, time=T0, qualifiers=16384,
                                  data=["Windows Update", "running"]))
    with EvtxWriter(security, channel="Security", computer="EXMBX01.contoso.com") as writer:
        writer.write(ClassicEvent(provider=PROVIDER, event_id=1102, time=T0 + timedelta(seconds=3), qualifiers=None,
                                  keywords=0x4020000000000000, user_data=CLEARED_1102,
                                  data=[SID, "admmig", "OFFSEC", "0x46b7b4"]))
    return [system, security]


def test_evtx_log_clears_are_rows(tmp_path: Path) -> None:
    result = load_evidence(write_evtx(tmp_path))
    system, security = result.files
    for report in result.files:
        _balanced(report)
    assert (system.records, system.accepted) == (4, 2)
    assert dict(system.skipped) == {f"{PROVIDER}/105": 1, "Service Control Manager/7036": 1}
    assert (security.records, security.accepted, security.bad) == (1, 1, 0)
    frame = result.frame.sort_values("time").reset_index(drop=True)
    assert frame["operation"].tolist() == ["AuditConfigChange"] * 3
    assert frame["item"].tolist() == ["log cleared: Exchange Auditing", "log cleared: MSExchange Management",
                                      "log cleared: Security"]
    assert frame["actor"].tolist() == ["CONTOSO\\eve", "CONTOSO\\eve", "OFFSEC\\admmig"]
    assert "mailbox-access audit records" in frame.loc[0, "details"] and "backed up" not in frame.loc[0, "details"]
    assert "backed up to D:\\mgmt.evtx" in frame.loc[1, "details"]
    assert SID in frame.loc[2, "actor_ids"] and frame.loc[2, "record_id"] == 1
    assert frame["mailbox"].isna().all() and (frame["source_format"] == "evtx").all()
    assert frame["event_id"].tolist() == [104, 104, 1102]
    assert compile_query("is:change").count(frame) == 3


def test_evtx_all_events_keeps_other_eventlog_events_as_generic_rows(tmp_path: Path) -> None:
    result = load_evidence(write_evtx(tmp_path)[:1], options=LoadOptions(all_events=True))
    report = result.files[0]
    _balanced(report)
    assert dict(report.skipped) == {}
    assert (result.frame["operation"] == "Event").sum() == 2  # the 105 and the 7036


def test_xml_export_log_clears_are_rows(tmp_path: Path) -> None:
    indented_104 = (f'<UserData>\r\n  <LogFileCleared xmlns="{NS}">\r\n    <SubjectUserName>eve</SubjectUserName>\r\n'
                    "    <SubjectDomainName>CONTOSO</SubjectDomainName>\r\n    <Channel>Exchange Auditing</Channel>\r\n"
                    "    <BackupPath />\r\n  </LogFileCleared>\r\n</UserData>")
    compact_1102 = (f'<UserData><LogFileCleared xmlns="{NS}"><SubjectUserSid>{SID}</SubjectUserSid>'
                    "<SubjectUserName>admmig</SubjectUserName><SubjectDomainName>OFFSEC</SubjectDomainName>"
                    "<SubjectLogonId>0x46b7b4</SubjectLogonId></LogFileCleared></UserData>")
    shutdown_1100 = f'<UserData><ServiceShutdown xmlns="{NS}"/></UserData>'
    events = [
        event_xml(10, PROVIDER, 104, None, "The Exchange Auditing log file was cleared.", channel="System",
                  user_data=indented_104),
        event_xml(11, PROVIDER, 1102, None, MESSAGE_1102, channel="Security", user_data=compact_1102),
        event_xml(12, PROVIDER, 1100, None, "The event logging service has shut down.", channel="Security",
                  user_data=shutdown_1100),
    ]
    path = tmp_path / "export.xml"
    path.write_text(export_xml(events), encoding="utf-8")
    result = load_evidence([path])
    report = result.files[0]
    _balanced(report)
    assert report.parser == "evtx-xml" and report.accepted == 2 and dict(report.skipped) == {f"{PROVIDER}/1100": 1}
    frame = result.frame.sort_values("record_id").reset_index(drop=True)
    assert frame["operation"].tolist() == ["AuditConfigChange", "AuditConfigChange"]
    assert frame["item"].tolist() == ["log cleared: Exchange Auditing", "log cleared: Security"]
    assert frame["actor"].tolist() == ["CONTOSO\\eve", "OFFSEC\\admmig"]
    assert GONE in frame.loc[0, "details"] and "backed up" not in frame.loc[0, "details"]
    assert SID in frame.loc[1, "actor_ids"]


def test_csv_export_log_clears_are_rows(tmp_path: Path) -> None:
    rows = [
        ["Information", "3/5/2024 10:14:00 PM", PROVIDER, "104", "Log clear",
         csv_field("The Exchange Auditing log file was cleared.")],
        ["Information", "3/5/2024 10:14:03 PM", PROVIDER, "1102", "Log clear", csv_field(MESSAGE_1102)],
        ["Information", "3/5/2024 10:15:00 PM", PROVIDER, "1105", "Log clear", csv_field("Event log automatic backup")],
    ]
    text = "Level,Date and Time,Source,Event ID,Task Category\r\n" + "".join(",".join(r) + "\r\n" for r in rows)
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    result = load_evidence([path], options=LoadOptions(source_tz="UTC"))
    report = result.files[0]
    _balanced(report)
    assert report.parser == "evtx-csv" and report.accepted == 2 and dict(report.skipped) == {f"{PROVIDER}/1105": 1}
    frame = result.frame.sort_values("time").reset_index(drop=True)
    assert frame["operation"].tolist() == ["AuditConfigChange", "AuditConfigChange"]
    assert frame["item"].tolist() == ["log cleared: Exchange Auditing", "log cleared: Security"]
    assert frame["actor"].isna().tolist() == [True, False]  # a 104 message names no account
    assert frame.loc[1, "actor"] == "OFFSEC\\admmig" and "0x46B7B4" in frame.loc[1, "details"]
    assert GONE in frame.loc[0, "details"]


def test_csv_exports_full_log_and_windows_2003_clear_are_rows(tmp_path: Path) -> None:
    vista = ("Level,Date and Time,Source,Event ID,Task Category\r\n"
             f"Error,3/5/2024 10:14:00 PM,{PROVIDER},1104,Event processing,The security log is now full.\r\n")
    w2003 = ("Date,Time,Source,Type,Category,Event,User,Computer,Description\r\n"
             f"3/5/2004,10:15:00 PM,Security,Success Audit,System Event ,517,NT AUTHORITY\\SYSTEM,EXCH2003,"
             f"{csv_field(MESSAGE_517)}\r\n")
    paths = [tmp_path / "vista.csv", tmp_path / "w2003.csv"]
    paths[0].write_text(vista, encoding="utf-8")
    paths[1].write_text(w2003, encoding="utf-8")
    result = load_evidence(paths, options=LoadOptions(source_tz="UTC"))
    for report in result.files:
        _balanced(report)
        assert report.accepted == 1
    frame = result.frame.sort_values("time").reset_index(drop=True)
    assert frame["operation"].tolist() == ["AuditConfigChange", "AuditConfigChange"]
    assert frame["item"].tolist() == ["log cleared: Security", "log full: Security"]
    assert frame.loc[0, "actor"] == "CONTOSO\\admin2" and frame["event_id"].tolist() == [517, 1104]


# --- real samples (../shared) ----------------------------------------------------------------


def test_real_dropped_audit_events(shared_samples: Path) -> None:
    result = load_evidence([shared_samples / "omerbenamram-evtx" / "security.evtx"])
    _balanced(result.files[0])
    rows = result.frame[result.frame["event_id"] == 1101]
    assert len(rows) == 1 and rows["operation"].iloc[0] == "AuditConfigChange"
    assert rows["record_id"].iloc[0] == 2198 and "reason code 0" in rows["details"].iloc[0]
    assert f"{PROVIDER}/1101" not in result.files[0].skipped and result.files[0].skipped[f"{PROVIDER}/1100"] == 36


def test_real_security_log_clear(shared_samples: Path) -> None:
    path = shared_samples / "EVTX-to-MITRE-Attack" / "ID4688-5447-4950-Firewall disabled (command).evtx"
    result = load_evidence([path])
    _balanced(result.files[0])
    rows = result.frame[result.frame["operation"] == "AuditConfigChange"]
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["actor"], row["item"], row["event_id"], row["record_id"]) == (
        "OFFSEC\\admmig", "log cleared: Security", 1102, 1965597)
    assert "S-1-5-21-4230534742-2542757381-3142984815-1111" in row["actor_ids"]


def test_real_system_log_clears(shared_samples: Path) -> None:
    result = load_evidence([shared_samples / "omerbenamram-evtx" / "system.evtx"])
    report = result.files[0]
    _balanced(report)
    assert f"{PROVIDER}/104" not in report.skipped
    rows = result.frame[result.frame["event_id"] == 104]
    assert len(rows) == 2 and (rows["operation"] == "AuditConfigChange").all()
    assert set(rows["actor"]) == {"DESKTOP-2KGM189\\tony"}
    assert set(rows["item"]) == {"log cleared: Microsoft-Windows-Sysmon/Operational"}
    assert sorted(rows["record_id"]) == [1847, 1848]


def test_bundled_real_system_log_clears(data_dir: Path) -> None:
    """tests/data/evtx/system_dirty.evtx is the same real System log: no ../shared needed."""
    result = load_evidence([data_dir / "evtx" / "system_dirty.evtx"])
    _balanced(result.files[0])
    rows = result.frame
    assert len(rows) == 2 and (rows["operation"] == "AuditConfigChange").all()
    assert set(rows["actor"]) == {"DESKTOP-2KGM189\\tony"} and sorted(rows["record_id"]) == [1847, 1848]


def test_only_the_events_a_handler_makes_rows_of_are_handed_to_it() -> None:
    """A Security log full of Eventlog 1100s must not pay for the handler (the .evtx fast path)."""
    from forensics.evtx.cmdlets import cmdlet_fields
    from forensics.evtx.eventlog import eventlog_fields
    from forensics.evtx.handlers import handler_for

    assert handler_for("microsoft-windows-eventlog", 104) is eventlog_fields
    assert handler_for("Microsoft-Windows-Eventlog", 1102) is eventlog_fields
    assert handler_for("Microsoft-Windows-Eventlog", 1100) is None
    assert handler_for("Microsoft-Windows-Eventlog", 1104) is eventlog_fields
    assert handler_for("Security", 517) is not None and handler_for("Security", 528) is None
    assert handler_for("MSExchange CmdletLogs", 6) is cmdlet_fields and handler_for("MSExchange CmdletLogs", 8) is None
    assert handler_for("Microsoft-Windows-Eventlog") is eventlog_fields and handler_for("Other") is None
