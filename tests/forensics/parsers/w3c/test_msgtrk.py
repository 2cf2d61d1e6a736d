"""Message tracking logs: SUBMIT says which mailbox sent a message with which From address.

Lines are written here from the documented field lists and the shapes of real public lines:
the 15.1 header and a ``MSGTRKMS`` NOTIFYMAPI / STOREDRIVER RECEIVE pair from Qazeer's
artefacts.help ``microsoft_exchange.md``; the Exchange 2007 STOREDRIVER SUBMIT line (21 fields,
quoted ``source-context`` ``MDB:…, Mailbox:…, Event:…, MessageClass:…, CreationTime:…,
ClientType:User``) from pylogsparser's normalizer tests; SMTP RECEIVE / SEND / HAREDIRECTFAIL
lines from elastic/integrations ``test-messagetracking.log``. Names, GUIDs and subjects are ours.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forensics.ingest import load_evidence
from forensics.parsers.base import LoadOptions
from forensics.parsers.w3c.msgtrk import SKIP_PAIRED, UNRESOLVED, MessageTrackingParser
from forensics.parsers.w3c.msgtrk_events import SKIP_RECEIVE_UNNAMED, skip_reason
from helpers.run_parser import run_parser

FIELDS_15 = ("date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,"
             "event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,"
             "total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,"
             "return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,"
             "transport-traffic-type,log-id,schema-version")
FIELDS_2007 = ("date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,"
               "event-id,internal-message-id,message-id,recipient-address,recipient-status,total-bytes,"
               "recipient-count,related-recipient-address,reference,message-subject,sender-address,return-path,"
               "message-info")
HEAD = ("#Software: Microsoft Exchange Server\r\n#Version: 15.01.2375.007\r\n#Log-type: Message Tracking Log\r\n"
        "#Date: 2022-09-19T15:02:29.339Z\r\n")
MBX_BOB = "33345678-3232-4323-9111-08da9fd00918"
MBX_CEO = "44445678-3232-4323-9111-08da9fd00919"
MDB = "12345678-3232-2323-1111-123456799870"


def line(fields: str, **values: str) -> str:
    names = fields.split(",")
    cells = [""] * len(names)
    for name, value in values.items():
        cells[names.index(name.replace("_", "-"))] = value
    return ",".join(cells)


def context(mailbox: str, client: str = "MOMT") -> str:
    return (f'"MDB:{MDB}, Mailbox:{mailbox}, Event:63779422, MessageClass:IPM.Note, '
            f'CreationTime:2022-09-19T15:02:29.211Z, ClientType:{client}"')


def submit(when: str, mailbox: str, sender: str, subject: str, fields: str = FIELDS_15, client: str = "MOMT") -> str:
    return line(fields, date_time=when, client_ip="fe80::1234:5678:4321:1010%3", client_hostname="EXCH01",
                server_hostname="EXCH01", source_context=context(mailbox, client), source="STOREDRIVER",
                event_id="SUBMIT", message_id="<a1@contoso.test>", message_subject=subject, sender_address=sender)


OWN = submit("2022-09-19T15:02:29.339Z", MBX_BOB, "bob@contoso.test", "Quarterly figures")
SEND_AS = submit("2022-09-19T16:00:00.000Z", MBX_BOB, "ceo@contoso.test", '"Wire transfer, urgent"')
NOTIFY = line(FIELDS_15, date_time="2022-09-19T15:02:29.339Z", client_ip="fe80::1", client_hostname="EXCH01",
              source_context=context(MBX_BOB), source="STOREDRIVER", event_id="NOTIFYMAPI", sender_address="bob@contoso.test")
RECEIVE_STORE = line(FIELDS_15, date_time="2022-09-19T15:02:29.450Z", client_hostname="EXCH01.contoso.test",
                     server_hostname="EXCH01", source_context=context(MBX_BOB), source="STOREDRIVER", event_id="RECEIVE",
                     internal_message_id="438", message_id="<a1@contoso.test>", recipient_address="x@gmail.com",
                     message_subject="Quarterly figures", sender_address="bob@contoso.test", directionality="Originating",
                     original_client_ip="95.11.22.33")
SMTP_SEND = line(FIELDS_15, date_time="2022-09-19T15:02:30.000Z", client_ip="10.0.0.2", source="SMTP", event_id="SEND",
                 recipient_address="x@gmail.com", recipient_status="250 2.1.5 Recipient OK", sender_address="bob@contoso.test")


def write(tmp_path: Path, *lines: str, fields: str = FIELDS_15, name: str = "MSGTRKMS2022091915-1.LOG") -> Path:
    path = tmp_path / name
    path.write_bytes((HEAD + "#Fields: " + fields + "\r\n" + "".join(x + "\r\n" for x in lines)).encode("utf-8"))
    return path


def identities(tmp_path: Path) -> Path:
    path = tmp_path / "identities.csv"
    path.write_text("DisplayName,Alias,PrimarySmtpAddress,ExchangeGuid\r\n"
                    f"Bob,bob,bob@contoso.test,{MBX_BOB}\r\nChief,ceo,ceo@contoso.test,{MBX_CEO}\r\n", encoding="utf-8")
    return path


def test_submit_rows_and_transport_events_counted(tmp_path: Path) -> None:
    frame, report = run_parser(MessageTrackingParser, write(tmp_path, NOTIFY, OWN, RECEIVE_STORE, SMTP_SEND, SEND_AS))
    assert report.records == 5 and report.accepted == 2 and report.balanced and report.bad == 0
    # the RECEIVE STOREDRIVER of OWN's message (same message-id, mailbox, sender): one send, rowed once
    assert dict(report.skipped) == {skip_reason("NOTIFYMAPI"): 1, SKIP_PAIRED: 1, skip_reason("SEND"): 1}
    assert frame["operation"].tolist() == ["Send", "Send"]
    assert frame["actor"].tolist() == [MBX_BOB, MBX_BOB]
    assert frame["mailbox"].tolist() == ["bob@contoso.test", "ceo@contoso.test"]
    assert frame["item"].tolist() == ["Quarterly figures", "Wire transfer, urgent"]  # quoted comma kept
    row = frame.iloc[1]
    assert row["client_app"] == "ClientType: MOMT" and row["server"] == "EXCH01" and row["source_format"] == "msgtrk"
    assert f"submitted from mailbox {MBX_BOB}" in row["details"] and "MessageClass=IPM.Note" in row["details"]
    # no directory: a GUID cannot be compared with an address, so no Delegate is guessed
    assert frame["logon_type"].tolist() == ["Unknown", "Unknown"]
    assert frame["logon_rule"].tolist() == [UNRESOLVED, UNRESOLVED]
    raw = MessageTrackingParser.raw_record(tmp_path / "MSGTRKMS2022091915-1.LOG", int(row["raw_ref"]), int(row["record_id"]))
    assert raw == SEND_AS


def test_directory_tells_send_from_send_as(tmp_path: Path) -> None:
    """A submission from Bob's mailbox with the CEO's From address: SendAs/SendOnBehalf evidence."""
    path = write(tmp_path, OWN, SEND_AS)
    frame = load_evidence([path], options=LoadOptions(identities=identities(tmp_path))).frame.sort_values("record_id")
    assert frame["logon_type"].tolist() == ["Owner", "Delegate"]
    assert set(frame["logon_rule"].astype(str)) == {"directory"}
    assert frame["actor_key"].tolist()[0] == frame["mailbox_key"].tolist()[0]


def test_2007_fields_by_name_and_all_events(tmp_path: Path) -> None:
    old = submit("2010-04-19T12:29:07.390Z", MBX_CEO, "ceo@contoso.test", "Hello", fields=FIELDS_2007, client="User")
    path = write(tmp_path, old, SMTP_SEND, fields=FIELDS_2007)
    everything, report = run_parser(MessageTrackingParser, path, LoadOptions(all_events=True))
    assert report.balanced and report.bad == 1  # the 2013 SEND line has more fields than the 2007 header
    assert everything["operation"].tolist() == ["Send"]
    assert everything["client_app"].tolist() == ["ClientType: User"]


def test_all_events_keeps_transport_events_as_event_rows(tmp_path: Path) -> None:
    frame, report = run_parser(MessageTrackingParser, write(tmp_path, OWN, SMTP_SEND), LoadOptions(all_events=True))
    assert report.accepted == 2 and not report.skipped
    assert frame["operation"].tolist() == ["Send", "Event"]
    assert frame["item"].tolist()[1] == "SMTP SEND" and pd.isna(frame["logon_type"].iloc[1])


def test_bad_lines(tmp_path: Path) -> None:
    no_mailbox = OWN.replace(f"Mailbox:{MBX_BOB}, ", "")
    bad_time = OWN.replace("2022-09-19T15:02:29.339Z", "19/09/2022 15:02", 1)
    cut = OWN[:60]
    frame, report = run_parser(MessageTrackingParser, write(tmp_path, no_mailbox, bad_time, cut, SEND_AS))
    assert report.records == 4 and report.accepted == 1 and report.bad == 3 and report.balanced
    text = "\n".join(str(w) for w in report.warnings)
    assert "line 6: SUBMIT whose source-context names no Mailbox:<GUID>" in text
    assert "line 7: date-time missing or not an ISO-8601 UTC time" in text
    assert "line 8: field count differs from the 30 fields" in text


def test_receive_storedriver_alone_is_the_send(tmp_path: Path) -> None:
    """A transport log without the mailbox server's MSGTRKMS: the RECEIVE STOREDRIVER (real shape,
    Qazeer's artefacts.help pair) is the only record of the submission, so it is the Send row."""
    unnamed = RECEIVE_STORE.replace(f"Mailbox:{MBX_BOB}, ", "")
    frame, report = run_parser(MessageTrackingParser, write(tmp_path, RECEIVE_STORE, unnamed, name="MSGTRK2022091915-1.LOG"))
    assert report.records == 2 and report.accepted == 1 and report.balanced and report.bad == 0
    assert dict(report.skipped) == {SKIP_RECEIVE_UNNAMED: 1}
    row = frame.iloc[0]
    assert (row["operation"], row["actor"], row["mailbox"], row["item"]) == (
        "Send", MBX_BOB, "bob@contoso.test", "Quarterly figures")
    assert row["details"].startswith("RECEIVE; message-id=<a1@contoso.test>") and row["client_ip"] == "95.11.22.33"


def test_one_log_pairs_receives_with_submits_by_message(tmp_path: Path) -> None:
    again = OWN.replace("2022-09-19T15:02:29.339Z", "2022-09-19T15:09:00.000Z")  # the same message-id submitted twice
    other = RECEIVE_STORE.replace("<a1@contoso.test>", "<b2@contoso.test>")  # a message whose SUBMIT is elsewhere
    frame, report = run_parser(MessageTrackingParser, write(tmp_path, OWN, RECEIVE_STORE, again, other))
    assert report.records == 4 and report.accepted == 3 and report.skipped[SKIP_PAIRED] == 1 and report.balanced
    assert sorted(frame["details"].str.split(";").str[0]) == ["RECEIVE", "SUBMIT", "SUBMIT"]


def test_submit_and_receive_in_two_logs_are_one_access(tmp_path: Path) -> None:
    """Exchange 2013+: SUBMIT in MSGTRKMS (mailbox submission), RECEIVE in MSGTRK (transport)."""
    ms = write(tmp_path, OWN, SEND_AS, name="MSGTRKMS2022091915-1.LOG")
    receive_as = RECEIVE_STORE.replace("bob@contoso.test", "ceo@contoso.test").replace(
        "2022-09-19T15:02:29.450Z", "2022-09-19T16:00:03.100Z")
    stray = RECEIVE_STORE.replace("<a1@contoso.test>", "<zz@contoso.test>")
    trk = write(tmp_path, RECEIVE_STORE, receive_as, stray, name="MSGTRK2022091915-1.LOG")
    result = load_evidence([ms, trk])
    frame = result.frame
    assert len(frame) == 5 and frame["access_id"].nunique() == 3  # OWN, SEND_AS, and the stray RECEIVE
    by_kind = frame.assign(kind=frame["details"].str.split(";").str[0]).sort_values("time")
    joined = by_kind[by_kind["access_rule"].astype(str) == "tracking-same-message"]
    assert joined["kind"].tolist() == ["RECEIVE", "RECEIVE"]
    assert set(frame.loc[frame["mailbox"] == "ceo@contoso.test", "access_id"]) == {
        frame.loc[(frame["mailbox"] == "ceo@contoso.test"), "access_id"].iloc[0]}
    assert (frame.groupby("access_id")["access_sources"].first() == 1).all()  # one source format: msgtrk
