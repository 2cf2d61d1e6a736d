"""Event Viewer CSV / TXT exports: both layouts, encodings, local times, damage."""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest

from forensics.errors import ParseError
from forensics.localtime import UNKNOWN_BASIS
from forensics.parsers import registry
from forensics.parsers.base import LoadOptions
from forensics.parsers.eventlog.eventviewer_csv import EventViewerCsvParser
from forensics.schema import validate
from helpers.eventviewer_export import FOLDER_OPEN, csv_field, rendered
from helpers.run_parser import run_parser

HEADER = "Level,Date and Time,Source,Event ID,Task Category\r\n"
W2003_HEADER = "Date,Time,Source,Type,Category,Event,User,Computer,Description\r\n"
FOLDER_MESSAGE = rendered("MSExchangeIS Auditing", 10100, FOLDER_OPEN)
# the real row shape from the reference doc (§6), with its description
SECURITY_ROW = ("Information,10/7/2016 06:38:24 PM,Microsoft-Windows-Security-Auditing,4658,File System,"
                '"The handle to an object was closed.\r\n\r\nSubject:\r\n\tSecurity ID:\t\tS-1-5-18"\r\n')
KB_1022 = ('Log on Failure on database "First Storage Group\\Private Information Store (ALIA)" - Windows 2000 '
           "account DOMAIN\\administrator; mailbox /o=Microsoft/ou=AdminGroup/cn=Recipients/cn=ALIAS.\r\n"
           "Error: -2147221231")
KB_1016 = ("Windows 2000 User NT AUTHORITY\\SYSTEM logged on to mailbox@domain.com mailbox, and is not the primary "
           "Windows 2000 account on this mailbox.")


def folder_row(stamp: str = "3/14/2010 3:22:41 PM", sep: str = ",") -> str:
    return sep.join(["Information", stamp, "MSExchangeIS Auditing", "10100", "Folder Access", csv_field(FOLDER_MESSAGE)]) + "\r\n"


def write(tmp_path: Path, text: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def parse(path: Path, **options):
    return run_parser(EventViewerCsvParser, path, LoadOptions(**options))


def test_vista_csv_rendered_description(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + folder_row() + SECURITY_ROW)
    frame, report = parse(path, source_tz="+02:00")
    assert validate(frame) == []
    row = frame.iloc[0]
    assert (row.operation, row.mailbox, row.actor, row.folder, row.mapping) == (
        "FolderOpen", "CEO Mailbox", "CONTOSO\\pat", "/Inbox", "rendered")
    assert row.client_app == "OUTLOOK.EXE (pid 4321)" and row.client_ip == "10.1.2.3"
    assert row.time == pd.Timestamp("2010-03-14T13:22:41Z")
    assert row.time_basis == "converted from UTC+02:00"
    assert row.record_id == 2 and row.source_format == "evtx-csv"
    assert report.skipped == {"Microsoft-Windows-Security-Auditing/4658": 1}
    assert report.records == 2 and report.balanced and report.notes == []


def test_all_events_keeps_the_real_security_row(tmp_path: Path) -> None:
    frame, report = parse(write(tmp_path, HEADER + SECURITY_ROW), source_tz="UTC", all_events=True)
    row = frame.iloc[0]
    assert (row.operation, row.provider, row.event_id) == ("Event", "Microsoft-Windows-Security-Auditing", 4658)
    assert row.details.startswith("The handle to an object was closed.")
    assert row.time == pd.Timestamp("2016-10-07T18:38:24Z")


def test_without_source_tz_the_load_warns_loudly(tmp_path: Path) -> None:
    frame, report = parse(write(tmp_path, HEADER + folder_row()))
    assert frame.time_basis.iloc[0] == UNKNOWN_BASIS
    assert frame.time.iloc[0] == pd.Timestamp("2010-03-14T15:22:41Z")
    assert any("LOCAL TIMES, ZONE UNKNOWN" in note for note in report.notes)


def test_iana_zone_with_dst(tmp_path: Path) -> None:
    rows = folder_row("3/14/2010 3:22:41 PM") + folder_row("7/14/2010 3:22:41 PM") + folder_row("10/31/2010 2:30:00 AM")
    frame, report = parse(write(tmp_path, HEADER + rows), source_tz="Europe/Berlin")
    assert list(frame.time) == [
        pd.Timestamp("2010-03-14T14:22:41Z"),  # CET, UTC+1
        pd.Timestamp("2010-07-14T13:22:41Z"),  # CEST, UTC+2
        pd.Timestamp("2010-10-31T00:30:00Z"),  # the repeated hour: taken as CEST
    ]
    assert (frame.time_basis == "converted from Europe/Berlin").all()
    assert any("DST fall-back" in str(w) for w in report.warnings)


def test_bad_source_tz_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="--source-tz Mars/Olympus"):
        parse(write(tmp_path, HEADER + folder_row()), source_tz="Mars/Olympus")


def test_day_first_locale(tmp_path: Path) -> None:
    frame, _ = parse(write(tmp_path, HEADER + folder_row("25.12.2010 17:05:00") + folder_row("02.01.2011 08:00:00")),
                     source_tz="-0500")
    assert list(frame.time) == [pd.Timestamp("2010-12-25T22:05:00Z"), pd.Timestamp("2011-01-02T13:00:00Z")]


def test_ambiguous_date_order_is_reported(tmp_path: Path) -> None:
    frame, report = parse(write(tmp_path, HEADER + folder_row("3/4/2010 3:22:41 PM")), source_tz="UTC")
    assert frame.time.iloc[0] == pd.Timestamp("2010-03-04T15:22:41Z")
    assert any("ambiguous" in str(w) for w in report.warnings)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-8-sig", "utf-16-be"])
def test_bom_encodings(tmp_path: Path, encoding: str) -> None:
    text = HEADER + folder_row().replace("Pat Assistant", "Pät Åssistant")
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(encoding, b"")
    path = tmp_path / "export.csv"
    path.write_bytes(bom + text.encode(encoding))
    frame, report = parse(path, source_tz="UTC")
    assert frame.actor_ids.iloc[0].split("|")[0] == "Pät Åssistant"
    assert report.warning_count == 0


def test_cp1252_fallback_is_reported(tmp_path: Path) -> None:
    text = HEADER + folder_row() + folder_row().replace("CEO Mailbox", "Geschäftsführung")
    frame, report = parse(write(tmp_path, text, encoding="cp1252"), source_tz="UTC")
    assert list(frame.mailbox) == ["CEO Mailbox", "Geschäftsführung"]
    assert any("Windows-1252" in str(w) for w in report.warnings)


def test_tab_separated_txt(tmp_path: Path) -> None:
    text = HEADER.replace(",", "\t") + folder_row(sep="\t")
    frame, report = parse(write(tmp_path, text, name="export.txt", encoding="utf-16"), source_tz="UTC")
    assert list(frame.mailbox) == ["CEO Mailbox"] and report.balanced


def test_windows_2003_layout_with_and_without_header(tmp_path: Path) -> None:
    rows = (
        "3/4/2010,3:22:41 PM,MSExchangeIS Mailbox Store,Failure Audit,Logons,1022,N/A,EXSRV01," + csv_field(KB_1022) + "\r\n"
        + "3/4/2010,3:23:00 PM,MSExchangeIS Mailbox Store,Success Audit,Logons,1016,NT AUTHORITY\\SYSTEM,EXSRV01,"
        + csv_field(KB_1016) + "\r\n"
    )
    for text in (W2003_HEADER + rows, rows):
        frame, report = parse(write(tmp_path, text), source_tz="-05:00")
        assert list(frame.operation) == ["LogonFailure", "Logon"]
        assert list(frame.actor) == ["DOMAIN\\administrator", "NT AUTHORITY\\SYSTEM"]
        assert frame.mailbox.iloc[0] == "/o=Microsoft/ou=AdminGroup/cn=Recipients/cn=ALIAS"
        assert "error=-2147221231" in frame.details.iloc[0]
        assert list(frame.server) == ["EXSRV01", "EXSRV01"]
        assert frame.time.iloc[0] == pd.Timestamp("2010-03-04T20:22:41Z")
        assert report.balanced and report.records == 2


def test_missing_message_dll_strings_use_the_event_map(tmp_path: Path) -> None:
    text = ("The description for Event ID 10100 from source MSExchangeIS Auditing cannot be found. Either the "
            "component that raises this event is not installed on your local computer or the installation is "
            "corrupted.\r\n\r\nIf the event originated on another computer, the display information had to be saved "
            "with the event.\r\n\r\nThe following information was included with the event: \r\n\r\n"
            + "\r\n".join(FOLDER_OPEN))
    row = ",".join(["Information", "3/4/2010 3:22:41 PM", "MSExchangeIS Auditing", "10100", "(1)", csv_field(text)])
    frame, report = parse(write(tmp_path, HEADER + row + "\r\n"), source_tz="UTC")
    assert frame.mapping.iloc[0] == "map:MSExchangeIS_Auditing-10100.json"
    assert (frame.mailbox.iloc[0], frame.actor.iloc[0]) == ("CEO Mailbox", "CONTOSO\\pat")


def test_cmdlet_log_description(tmp_path: Path) -> None:
    text = "Cmdlet succeeded. Cmdlet New-MailboxExportRequest, parameters -Mailbox \"ceo\" -FilePath \"\\\\srv\\pst\\ceo.pst\"."
    row = ",".join(["Information", "3/4/2010 3:22:41 PM", "MSExchange CmdletLogs", "1", "General", csv_field(text)])
    frame, _ = parse(write(tmp_path, HEADER + row + "\r\n"), source_tz="UTC")
    assert (frame.operation.iloc[0], frame.mailbox.iloc[0], frame.outcome.iloc[0]) == ("MailboxExport", "ceo", "Success")


def test_wrong_field_counts_are_bad_records_and_everything_adds_up(tmp_path: Path) -> None:
    text = (HEADER + folder_row() + "Information,3/4/2010 3:25:00 PM,oops\r\n" + folder_row()
            + "Information,3/4/2010 3:25:00 PM,MSExchangeIS Auditing,notanumber,x,y\r\n"
            + "\r\n" + folder_row("garbage date"))
    frame, report = parse(write(tmp_path, text), source_tz="UTC")
    assert len(frame) == 3 and report.bad == 2 and report.records == 5 and report.balanced
    assert frame.time.isna().sum() == 1
    messages = " ".join(str(w) for w in report.warnings)
    assert "line 15" in messages and "unreadable date" in messages


def test_a_row_of_empty_fields_is_a_bad_record_not_a_silent_skip(tmp_path: Path) -> None:
    text = HEADER + ",,,,,\r\n" + folder_row() + "\r\n" + " , , ,\r\n" + folder_row()
    frame, report = parse(write(tmp_path, text), source_tz="UTC")
    assert len(frame) == 2 and report.bad == 2 and report.records == 4 and report.balanced
    assert [w.location for w in report.warnings if "empty fields" in w.message] == ["line 2", "line 17"]  # physical lines


@pytest.mark.parametrize("event_id", ["\u00b2", "9" * 5000, "99999999999", "-1"])
def test_event_id_that_is_no_windows_event_id_is_a_bad_record(tmp_path: Path, event_id: str) -> None:
    # fuzz: "²" passed isdigit() and crashed int(); 5000 digits crashed int(); an id past Int32
    # failed the whole file in the table with --all-events
    text = HEADER + folder_row() + folder_row().replace(",10100,", f",{event_id},")
    for all_events in (False, True):
        frame, report = parse(write(tmp_path, text), source_tz="UTC", all_events=all_events)
        assert len(frame) == 1 and report.bad == 1 and report.records == 2 and report.balanced
        assert "is not a number 0-65535" in str(report.warnings[0]) and validate(frame) == []


def test_raw_record_returns_the_physical_lines(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + folder_row() + SECURITY_ROW + folder_row("3/15/2010 1:00:00 AM"))
    frame, _ = parse(path, source_tz="UTC")
    raw = EventViewerCsvParser.raw_record(path, int(frame.raw_ref.iloc[1]), None)
    assert raw == folder_row("3/15/2010 1:00:00 AM").rstrip("\r\n")


def test_not_an_event_viewer_export(tmp_path: Path) -> None:
    path = write(tmp_path, "a,b\r\n1,2\r\n")
    assert EventViewerCsvParser.sniff(path.read_bytes(), path) == 0
    with pytest.raises(ParseError, match="not an Event Viewer"):
        parse(path)


def test_detection_by_content(tmp_path: Path) -> None:
    for text in (HEADER + folder_row(), folder_row(), W2003_HEADER):
        path = write(tmp_path, text, name="export.dat")
        assert registry.detect(path.read_bytes(), path) is EventViewerCsvParser


def test_localized_header_and_unquoted_txt_continuations(tmp_path: Path) -> None:
    german = "Ebene,Datum und Uhrzeit,Quelle,Ereignis-ID,Aufgabenkategorie\r\n"
    row = ",".join(["Informationen", "14.03.2010 15:22:41", "MSExchangeIS Mailbox Store", "1016", "Anmeldungen",
                    csv_field(KB_1016)])
    path = write(tmp_path, german + row + "\r\n", name="export.dat")
    assert registry.detect(path.read_bytes(), path) is EventViewerCsvParser
    frame, _ = parse(path, source_tz="+01:00")
    assert frame.time.iloc[0] == pd.Timestamp("2010-03-14T14:22:41Z") and frame.actor.iloc[0] == "NT AUTHORITY\\SYSTEM"
    # a tab-separated export whose description lines were not quoted
    lines = FOLDER_MESSAGE.split("\r\n")
    txt = HEADER.replace(",", "\t") + "\t".join(["Information", "3/14/2010 3:22:41 PM", "MSExchangeIS Auditing",
                                                  "10100", "Folder Access", lines[0]]) + "\r\n"
    txt += "\r\n".join(lines[1:]) + "\r\n" + folder_row(sep="\t")
    frame, report = parse(write(tmp_path, txt, name="export.txt"), source_tz="UTC")
    assert list(frame.mailbox) == ["CEO Mailbox", "CEO Mailbox"]
    assert frame.client_ip.iloc[0] == "10.1.2.3" and report.balanced and report.records == 2
    assert any("continuation" in str(w) for w in report.warnings)


def test_a_line_the_csv_module_rejects_is_one_bad_record(tmp_path: Path) -> None:
    broken = "Information,3/14/2010 3:22:41 PM,MSExchangeIS Auditing,10100,Folder\rAccess,x\r\n"
    frame, report = parse(write(tmp_path, HEADER + folder_row() + broken + folder_row()), source_tz="UTC")
    assert len(frame) == 2 and report.bad == 1 and report.records == 3 and report.balanced
    assert any("unreadable CSV line" in str(w) for w in report.warnings)
    assert any("carriage return inside an unquoted value" in str(w) for w in report.warnings)  # not "universal-newline"


def test_windows_2003_unquoted_description_lines(tmp_path: Path) -> None:
    first, second = KB_1022.split("\r\n")
    text = (W2003_HEADER
            + f"3/4/2010,3:22:41 PM,MSExchangeIS Mailbox Store,Failure Audit,Logons,1022,N/A,EXSRV01,{first}\r\n"
            + second + "\r\n"
            + "3/4/2010,3:23:00 PM,MSExchangeIS Mailbox Store,Success Audit,Logons,1016,N/A,EXSRV01,"
            + KB_1016 + "\r\n"
            + "3/4/2010,oops\r\n")
    frame, report = parse(write(tmp_path, text), source_tz="UTC")
    assert list(frame.operation) == ["LogonFailure", "Logon"]
    assert "error=-2147221231" in frame.details.iloc[0]
    assert frame.mailbox.iloc[1] == "mailbox@domain.com"  # the description's own comma did not split it
    assert report.bad == 1 and report.records == 3 and report.balanced
