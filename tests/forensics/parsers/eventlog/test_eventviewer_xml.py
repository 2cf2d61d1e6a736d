"""Event Viewer XML export parser: rendered messages, data strings, damage, XML bombs."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest

from forensics.errors import ParseError
from forensics.parsers import registry
from forensics.parsers.base import LoadOptions
from forensics.parsers.eventlog.eventviewer_xml import EventViewerXmlParser
from forensics.schema import validate
from helpers.eventviewer_export import FOLDER_OPEN, event_xml, export_xml, rendered
from helpers.run_parser import run_parser

AUDITING = "MSExchangeIS Auditing"
STORE = "MSExchangeIS Mailbox Store"

# The real classic event from a public MSExchange CmdletLogs sample (EVTX_FORMAT.md §10),
# trimmed to its strings: a failed Add-DatabaseAvailabilityGroupServer.
CMDLET_FAILURE = [
    "Add-DatabaseAvailabilityGroupServer", "{MailboxServer=SCEX02, Identity=DAG1}",
    "chinasupercloud.com/Users/Administrator", "S-1-5-21-3107969293-2071314508-2835089583-500",
    "S-1-5-21-3107969293-2071314508-2835089583-500", "ServerRemoteHost-EMC", "2084", "", "38",
    "00:00:02.2964781", "SCDC02.chinasupercloud.com",
    "Microsoft.Exchange.Data.DataValidationException: DnsHostName at "
    "Microsoft.Exchange.Data.Directory.ADSession.ObjectsFromEntries(SearchResultEntryCollection entries)",
    "Context", "",
]


def write(tmp_path: Path, text: str, name: str = "export.xml", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def parse(path: Path, **options) -> tuple[pd.DataFrame, object]:
    return run_parser(EventViewerXmlParser, path, LoadOptions(**options))


def test_rendered_message_is_read_and_wins(tmp_path: Path) -> None:
    message = rendered(AUDITING, 10100, FOLDER_OPEN)
    # the data strings are scrambled: only the rendered text can give the right fields
    scrambled = list(reversed(FOLDER_OPEN))
    path = write(tmp_path, export_xml([event_xml(7, AUDITING, 10100, scrambled, message)]))
    frame, report = parse(path)
    assert validate(frame) == []
    row = frame.iloc[0]
    assert (row.operation, row.mailbox, row.actor, row.folder) == ("FolderOpen", "CEO Mailbox", "CONTOSO\\pat", "/Inbox")
    assert row.client_ip == "10.1.2.3" and row.client_host == "WKS042"
    assert not pd.isna(row.admin_rights) and not row.admin_rights
    assert row.mapping == "rendered" and row.time_basis == "utc"
    assert row.time == pd.Timestamp("2010-03-04T15:22:41Z")
    assert row.record_id == 7 and row.server == "EXMBX01.contoso.com" and row.source_format == "evtx-xml"
    assert "pat" in row.actor_ids
    assert report.balanced and report.accepted == 1


def test_data_strings_and_event_map_without_rendering(tmp_path: Path) -> None:
    path = write(tmp_path, export_xml([event_xml(1, AUDITING, 10100, FOLDER_OPEN)]))
    frame, report = parse(path)
    row = frame.iloc[0]
    assert row.mapping == "map:MSExchangeIS_Auditing-10100.json"
    assert (row.mailbox, row.actor, row.folder) == ("CEO Mailbox", "CONTOSO\\pat", "/Inbox")


def test_logon_sentences_from_the_knowledge_base(tmp_path: Path) -> None:
    kb = [
        (1009, ["DOMAIN\\User1", "/o=ORG/ou=SITE/cn=Recipients/cn=User1"],
         "DOMAIN\\User1 logged on as /o=ORG/ou=SITE/cn=Recipients/cn=User1."),
        (1016, ["NT AUTHORITY\\SYSTEM", "mailbox@domain.com"],
         "Windows 2000 User NT AUTHORITY\\SYSTEM logged on to mailbox@domain.com mailbox, and is not the primary "
         "Windows 2000 account on this mailbox."),
        (1023, ["Domain\\ServiceAccount",
                "/o=ORG/ou=Site/cn=Configuration/cn=Servers/cn=ServerName/cn=Microsoft System Attendant",
                "/o=ORG/ou=Site/cn=Recipients/cn=UserName"],
         "Domain\\ServiceAccount was validated as /o=ORG/ou=Site/cn=Configuration/cn=Servers/cn=ServerName/"
         "cn=Microsoft System Attendant but was unable to log on to /o=ORG/ou=Site/cn=Recipients/cn=UserName."),
        (1029, ["/O=ORG/OU=SITE/CN=RECIPIENTS/CN=USER1", "Create Subfolder", "/O=ORG/OU=SITE/CN=RECIPIENTS/CN=USER2"],
         "/O=ORG/OU=SITE/CN=RECIPIENTS/CN=USER1 failed an operation because the user did not have the following "
         "access rights: 'Create Subfolder' The distinguished name of the owning mailbox is "
         "/O=ORG/OU=SITE/CN=RECIPIENTS/CN=USER2. The folder ID is in the data section of this event."),
    ]
    # data strings deliberately empty: the sentence alone must give the fields
    events = [event_xml(i, STORE, eid, [""] * len(s), msg, channel="Application") for i, (eid, s, msg) in enumerate(kb)]
    frame, report = parse(write(tmp_path, export_xml(events)))
    assert list(frame.operation) == ["Logon", "Logon", "LogonFailure", "AccessDenied"]
    assert list(frame.actor) == [s[0] for _, s, _ in kb]
    assert list(frame.mailbox) == [s[1] if eid in (1009, 1016) else s[2] for eid, s, _ in kb]
    assert (frame.mapping == "rendered").all()
    assert "rights=Create Subfolder" in frame.details.iloc[3]


def test_cmdlet_log_event_from_real_sample(tmp_path: Path) -> None:
    event = event_xml(735, "MSExchange CmdletLogs", 6, CMDLET_FAILURE, channel="MSExchange Management",
                      computer="scex01.chinasupercloud.com", time="2012-02-22T10:41:37.000000000Z")
    frame, report = parse(write(tmp_path, export_xml([event])))
    row = frame.iloc[0]
    assert (row.operation, row.outcome) == ("AdminCommand", "Failure")
    assert row.actor == "chinasupercloud.com/Users/Administrator"
    assert pd.isna(row.mailbox) and "object=DAG1" in row.details  # a DAG is an organisation object, not a mailbox
    assert "DataValidationException" in row.details and "cmdlet=Add-DatabaseAvailabilityGroupServer" in row.details


def test_other_events_counted_or_kept_with_all_events(tmp_path: Path) -> None:
    events = [
        event_xml(1, AUDITING, 10100, FOLDER_OPEN),
        event_xml(2, "Service Control Manager", 7036, ["Windows Update", "running"], channel="System"),
    ]
    path = write(tmp_path, export_xml(events))
    frame, report = parse(path)
    assert len(frame) == 1 and report.skipped == {"Service Control Manager/7036": 1} and report.balanced
    frame, report = parse(path, all_events=True)
    assert list(frame.operation) == ["FolderOpen", "Event"]
    assert frame.details.iloc[1] == "Windows Update | running"


def test_utf16_export_and_raw_record_by_offset(tmp_path: Path) -> None:
    events = [event_xml(i, AUDITING, 10100, FOLDER_OPEN) for i in range(1, 4)]
    text = export_xml(events, prolog='<?xml version="1.0" encoding="UTF-16"?>\r\n')
    path = write(tmp_path, "\ufeff" + text, encoding="utf-16-le")
    frame, report = parse(path)
    assert list(frame.record_id) == [1, 2, 3]
    raw = EventViewerXmlParser.raw_record(path, int(frame.raw_ref.iloc[1]), 2)
    assert raw == events[1]


def test_namespace_declared_on_the_root_only(tmp_path: Path) -> None:
    event = event_xml(5, AUDITING, 10100, FOLDER_OPEN).replace(" xmlns='http://schemas.microsoft.com/win/2004/08/events/event'", "")
    text = "<Events xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>" + event + "</Events>"
    frame, report = parse(write(tmp_path, text))
    assert list(frame.mailbox) == ["CEO Mailbox"]


def test_prefixed_elements_are_reported_not_crashed(tmp_path: Path) -> None:
    event = event_xml(5, AUDITING, 10100, FOLDER_OPEN).replace(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>", "<e:Event>"
    ).replace("</Event>", "</e:Event>")
    event = event.replace("<", "<e:").replace("<e:/", "</e:").replace("<e:e:", "<e:").replace("</e:e:", "</e:")
    text = "<e:Events xmlns:e='http://schemas.microsoft.com/win/2004/08/events/event'>" + event + "</e:Events>"
    # the scanner looks for <Event; a prefixed export is not an Event Viewer export: nothing found,
    # nothing crashes, and the unrecognised text is reported
    frame, report = parse(write(tmp_path, text))
    assert len(frame) == 0 and report.warning_count == 1 and report.balanced


def test_truncated_and_malformed_records_are_counted(tmp_path: Path) -> None:
    good = [event_xml(i, AUDITING, 10100, FOLDER_OPEN) for i in range(1, 4)]
    broken = event_xml(9, AUDITING, 10100, FOLDER_OPEN).replace("<Level>4</Level>", "<Level>4</Levl>")
    unclosed = event_xml(10, AUDITING, 10100, FOLDER_OPEN).replace("</Event>", "")
    no_id = event_xml(11, AUDITING, 10100, FOLDER_OPEN).replace(">10100<", ">abc<")
    text = export_xml([good[0], broken, good[1], unclosed, no_id, good[2]])
    text = text[: text.rindex("</Event>") - 40]  # the copy was cut off inside the last record
    frame, report = parse(write(tmp_path, text))
    assert list(frame.record_id) == [1, 2]
    assert report.records == 6 and report.bad == 4 and report.accepted == 2 and report.balanced
    messages = " ".join(str(w) for w in report.warnings)
    assert "malformed" in messages and "truncated" in messages and "not closed" in messages and "EventID" in messages


@pytest.mark.parametrize("event_id", ["99999999999", "70000", "-5", "1_0"])
def test_event_id_that_is_no_windows_event_id_is_a_bad_record(tmp_path: Path, event_id: str) -> None:
    # fuzz: an EventID past Int32 failed the whole file in the table with --all-events
    text = export_xml([event_xml(1, AUDITING, 10100, FOLDER_OPEN), event_xml(2, "Other", event_id, ["a"])])
    frame, report = parse(write(tmp_path, text), all_events=True)
    assert list(frame.record_id) == [1] and report.bad == 1 and report.records == 2 and report.balanced
    assert "without a valid EventID" in str(report.warnings[0]) and validate(frame) == []


def test_record_id_that_is_no_integer_keeps_the_row(tmp_path: Path) -> None:
    # fuzz: <EventRecordID>1e999</EventRecordID> failed the whole file in the table
    events = [event_xml(1, AUDITING, 10100, FOLDER_OPEN), event_xml("1e999", AUDITING, 10100, FOLDER_OPEN)]
    frame, report = parse(write(tmp_path, export_xml(events)))
    assert len(frame) == 2 and report.accepted == 2 and report.balanced and validate(frame) == []
    assert frame["record_id"].tolist()[0] == 1 and pd.isna(frame["record_id"].tolist()[1])


def test_xml_bomb_is_refused_quickly_with_a_clear_error(tmp_path: Path) -> None:
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(1, 10)
    ]
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE Events [' + "".join(levels) + "]>\n<Events>"
        + event_xml(1, AUDITING, 10100, ["&lol9;"] + FOLDER_OPEN[1:]).replace("&amp;lol9;", "&lol9;")
        + "</Events>"
    )
    path = write(tmp_path, bomb)
    started = time.monotonic()
    with pytest.raises(ParseError, match="refused.*(DTD|entit)"):
        parse(path)
    assert time.monotonic() - started < 2


def test_external_entity_is_refused(tmp_path: Path) -> None:
    xxe = ('<?xml version="1.0"?><!DOCTYPE e [<!ENTITY x SYSTEM "file:///etc/passwd">]><Events>'
           + event_xml(1, AUDITING, 10100, ["&x;"] + FOLDER_OPEN[1:]).replace("&amp;x;", "&x;") + "</Events>")
    with pytest.raises(ParseError, match="refused"):
        parse(write(tmp_path, xxe))


def test_entity_reference_without_dtd_is_a_bad_record_not_a_crash(tmp_path: Path) -> None:
    event = event_xml(1, AUDITING, 10100, ["&undefined;"] + FOLDER_OPEN[1:]).replace("&amp;undefined;", "&undefined;")
    frame, report = parse(write(tmp_path, export_xml([event, event_xml(2, AUDITING, 10100, FOLDER_OPEN)])))
    assert len(frame) == 1 and report.bad == 1 and report.balanced


def test_detection_by_content(tmp_path: Path) -> None:
    text = export_xml([event_xml(1, AUDITING, 10100, FOLDER_OPEN)])
    path = write(tmp_path, text, name="renamed.log")
    assert registry.detect(path.read_bytes()[:65536], path) is EventViewerXmlParser
    assert EventViewerXmlParser.sniff(b"<html><body>hi</body></html>", path) == 0


def test_many_records_stream_in_batches(tmp_path: Path) -> None:
    events = [event_xml(i, AUDITING, 10100, FOLDER_OPEN) for i in range(1, 12001)]
    frame, report = parse(write(tmp_path, export_xml(events)))
    assert len(frame) == 12000 and frame.record_id.is_monotonic_increasing and report.balanced


def test_invalid_bytes_and_comments(tmp_path: Path) -> None:
    good = event_xml(1, AUDITING, 10100, FOLDER_OPEN)
    commented = event_xml(2, AUDITING, 10100, FOLDER_OPEN).replace("<System>", "<System><!-- exported -->")
    text = export_xml([good, commented]).encode("utf-8").replace(b"CEO Mailbox", b"CEO \xff Mailbox", 1)
    path = tmp_path / "bytes.xml"
    path.write_bytes(text)
    frame, report = parse(path)
    assert list(frame.mailbox) == ["CEO \ufffd Mailbox", "CEO Mailbox"]
    assert report.balanced and any("replaced by U+FFFD" in str(w) for w in report.warnings)


def test_unreadable_time_is_kept_and_reported(tmp_path: Path) -> None:
    events = [event_xml(1, AUDITING, 10100, FOLDER_OPEN, time="0001-01-01T00:00:00Z"),
              event_xml(2, AUDITING, 10100, FOLDER_OPEN, time="yesterday"),
              event_xml(3, AUDITING, 10100, FOLDER_OPEN)]
    frame, report = parse(write(tmp_path, export_xml(events)))
    assert frame.time.isna().tolist() == [True, True, False]
    assert sum("unreadable TimeCreated" in str(w) for w in report.warnings) == 2


def test_partly_matching_message_is_merged_with_the_data(tmp_path: Path) -> None:
    message = rendered(AUDITING, 10100, FOLDER_OPEN).replace("Address: 10.1.2.3", "Client Address (IPv4): 10.1.2.3")
    path = write(tmp_path, export_xml([event_xml(1, AUDITING, 10100, FOLDER_OPEN, message)]))
    frame, report = parse(path)
    row = frame.iloc[0]
    assert row.mapping == "rendered+map:MSExchangeIS_Auditing-10100.json"
    assert (row.mailbox, row.client_ip, row.client_host) == ("CEO Mailbox", "10.1.2.3", "WKS042")


def test_hostile_unclosed_elements_take_linear_time(tmp_path: Path) -> None:
    text = "<Events><Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>" + "<Event>" * 50000
    started = time.monotonic()
    frame, report = parse(write(tmp_path, text))
    assert time.monotonic() - started < 10
    assert len(frame) == 0 and report.records == report.bad == 50001 and report.balanced


def test_text_between_records_is_reported(tmp_path: Path) -> None:
    events = [event_xml(i, AUDITING, 10100, FOLDER_OPEN) for i in (1, 2, 3)]
    text = (export_xml(events[:1]) + export_xml(events[1:2])  # two exports concatenated: fine
            + '<!DOCTYPE x [<!ENTITY e "boom">]>GARBAGE' + events[2] + "</Events>")
    frame, report = parse(write(tmp_path, text))
    assert list(frame.record_id) == [1, 2, 3]
    assert report.warning_count == 1 and "between records" in str(report.warnings[0])
    assert "ENTITY" in str(report.warnings[0])
