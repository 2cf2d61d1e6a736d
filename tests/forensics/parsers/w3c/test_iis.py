"""IIS W3C parser: real Exchange lines, every #Fields block, bad lines, 401 pairs, round trip.

Sample lines are from ``reference/evidence-formats.md`` §3. Lines marked COMPOSITE had parts
elided in the source (``…``) or a lost separator restored; they keep the real shape.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from forensics import schema
from forensics.parsers.w3c import iis as iis_module
from forensics.parsers.base import LoadOptions
from forensics.parsers.w3c.iis import IisParser
from forensics.parsers.w3c.iis_requests import SKIP_CHALLENGE, SKIP_NO_MAILBOX, SKIP_OTHER, SKIP_PROBE, SKIP_STATIC
from helpers.run_parser import run_parser

F_2003 = ("#Fields: date time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
          "cs(User-Agent) sc-status sc-substatus sc-win32-status")
F_2013 = ("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
          "cs(Referer) sc-status sc-substatus sc-win32-status time-taken")
F_2010 = ("#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
          "sc-status sc-substatus sc-win32-status time-taken")
HEAD = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2021-06-11 00:00:00\n"

# real (msexchangeguru, Exchange 2003 back end); the UA's "(...)" is the source's own elision
L_2003 = ("2009-10-12 23:27:49 W3SVC101 121.221.51.111 GET /exchange/ratish@msexchangeguru.com/Sent+Items/"
          "RE:+Exchange+2007+KnowHow.EML Cmd=open 80 MSEXCHANGEGURU\\meera 121.221.151.10 "
          "Exchange-Server-Frontend-Proxy/6.5+Mozilla/4.0+(...) 200 0 0")
# real (Microsoft Q&A); cafeReqId abridged in the source
L_EAS = ("2021-06-11 13:58:41 192.168.113.41 POST /Microsoft-Server-ActiveSync/default.eas "
         "User=seanryan&DeviceId=N273TC3QE567H90G6LH4LTK89G&DeviceType=iPad&Cmd=Search&CorrelationID=<empty>;"
         "&cafeReqId=fffa581c-; 443 XXXXXXX\\seanryan 192.168.124.83 Apple-iPad7C2/1805.212 - 200 0 0 63")
# real (2011 blog post; Exchange 2010 fields, no Referer); Log value abridged in the source
L_EAS_2010 = ("2011-05-06 11:29:50 192.168.1.41 OPTIONS /Microsoft-Server-ActiveSync/default.eas "
              "User=XXXXXX&DeviceId=IMEIXXXXXXXXXXX&DeviceType=NokiaEmail&Log=V0_LdapC9_LdapL16_Mbx:MB.DOMAIN.LOCAL_"
              "Dc:dc.domain.local_Throttle0_Budget:(A)Conn%3a0%2c 443 DOMAIN\\Username 192.168.100.201 "
              "NokiaE721/2.02(0)MailforExchange+3gpp-gba 200 0 0 140")
# real (IOC write-up); COMPOSITE: ids abridged, UA/Referer separator restored
L_OWA = ("2020-08-23 00:23:38 123.12.12.12 POST /owa/service.svc action=SubscribeToNotification&UA=0&ID=-3&AC=1"
         "&CorrelationID=7cf2;&ClientId=OWXJ&cafeReqId=36ac; 443 Azzzzzz 68.36.74.53 "
         "Mozilla/5.0+(iPhone;+CPU+iPhone+OS+13_6)+Safari/604.1 https://wenmail.test.com/owa/ 200 0 0 327")
# real (Microsoft support, Exchange 2010 RPC/HTTP, no Referer)
L_RPC = ("2013-03-21 23:06:14 10.0.0.1 RPC_OUT_DATA /rpc/rpcproxy.dll cas.contoso.com:6001 443 CONTOSO\\user "
         "10.0.0.10 MSRPC 503 3 0 15")
# COMPOSITE: MAPI/HTTP 401 from a Q&A (masked MailboxId), fields completed; then its authenticated retry
L_MAPI_401 = ("2021-06-11 14:00:00 10.0.0.2 POST /mapi/emsmdb/ MailboxId=2b3c4d5e-1111-2222-3333-444455556666@"
              "mydomain.com&CorrelationID=<empty>;&cafeReqId=39a2; 443 - 10.1.1.50 "
              "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.4549;+Pro) - 401 0 0 15")
L_MAPI_200 = L_MAPI_401.replace(" 443 - ", " 443 CONTOSO\\pat ").replace(" 401 0 0 15", " 200 0 0 31")


def write(tmp_path: Path, text: str, name: str = "u_ex210611.log", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def parse(path: Path, **options) -> tuple[pd.DataFrame, object]:
    frame, report = run_parser(IisParser, path, LoadOptions(**options))
    assert schema.validate(frame) == []
    assert report.balanced, report
    return frame, report


def test_exchange_2003_item_open_names_mailbox_folder_item(tmp_path: Path) -> None:
    frame, report = parse(write(tmp_path, "#Software: Microsoft Internet Information Services 6.0\n" + F_2003 + "\n" + L_2003 + "\n"))
    (row,) = frame.to_dict("records")
    assert row["operation"] == "MessageOpen"
    assert row["mailbox"] == "ratish@msexchangeguru.com"
    assert row["folder"] == "/Sent Items"
    assert row["item"] == "RE: Exchange 2007 KnowHow.EML"
    assert row["actor"] == "MSEXCHANGEGURU\\meera"
    assert row["client_ip"] == "121.221.151.10"
    assert row["client_app"] == "OWA/WebDAV: Exchange-Server-Frontend-Proxy/6.5 Mozilla/4.0 (...)"
    assert "c-ip is the front-end server" in row["details"] and "Cmd=open" in row["details"]
    assert row["time"] == pd.Timestamp("2009-10-12 23:27:49", tz="UTC")
    assert row["outcome"] == "Success" and row["server"] == "121.221.51.111"
    assert row["record_id"] == 3 and report.records == 1


def test_webdav_verbs_and_folder_get(tmp_path: Path) -> None:
    base = "2009-10-12 23:30:0{s} W3SVC1 10.0.0.5 {m} /exchange/ceo/{p} - 80 CONTOSO\\pa 10.0.0.9 Microsoft-WebDAV-MiniRedir/6.0 {st} 0 0"
    lines = [
        base.format(s=0, m="PROPFIND", p="Inbox/", st=207),
        base.format(s=1, m="SEARCH", p="Inbox", st=207),
        base.format(s=2, m="GET", p="Inbox/", st=200),
        base.format(s=3, m="X-MS-ENUMATTS", p="Inbox/Budget%202010.EML", st=207),
        base.format(s=4, m="MOVE", p="Inbox/Budget.EML", st=201),
        base.format(s=5, m="GET", p="Inbox/Budget.EML/report.xls", st=200),
        base.format(s=6, m="GET", p="Budget.EML", st=200),
        "2009-10-12 23:30:07 W3SVC1 10.0.0.5 GET /public/Company/Policies/ - 80 CONTOSO\\pa 10.0.0.9 Mozilla 200 0 0",
    ]
    frame, _ = parse(write(tmp_path, F_2003 + "\n" + "\n".join(lines) + "\n"))
    assert frame["operation"].tolist() == [
        "FolderOpen", "FolderOpen", "FolderOpen", "MessageOpen", "WebRequest", "MessageOpen", "MessageOpen", "FolderOpen"
    ]
    assert frame["item"].tolist()[3:7] == ["Budget 2010.EML", "Budget.EML", "Budget.EML/report.xls", "Budget.EML"]
    assert frame["folder"].tolist()[6] is pd.NA or pd.isna(frame["folder"].tolist()[6])
    assert frame["mailbox"].tolist()[:7] == ["ceo"] * 7
    assert frame["mailbox"].tolist()[7] == "Public Folders" and frame["folder"].tolist()[7] == "/Company/Policies"


def test_activesync_owa_rpc_lines(tmp_path: Path) -> None:
    text = HEAD + F_2013 + "\n" + L_EAS + "\n" + L_OWA + "\n" + F_2010 + "\n" + L_EAS_2010 + "\n" + L_RPC + "\n"
    frame, report = parse(write(tmp_path, text))
    assert len(frame) == 4 and report.bad == 0
    eas, owa, eas10, rpc = frame.to_dict("records")
    # ActiveSync opens only the signed-in user's mailbox: the mailbox is cs-username, User= a form of it
    assert (eas["operation"], eas["mailbox"], eas["actor"], eas["item"]) == (
        "WebRequest", "XXXXXXX\\seanryan", "XXXXXXX\\seanryan", "Search")
    assert (eas["logon_type"], eas["logon_rule"], eas["mailbox_ids"]) == ("Owner", "protocol:ActiveSync", "seanryan")
    assert "User=seanryan" in eas["details"]
    assert eas["client_host"] == "N273TC3QE567H90G6LH4LTK89G" and "DeviceType=iPad" in eas["details"]
    assert eas["client_app"] == "ActiveSync: Apple-iPad7C2/1805.212"
    assert (owa["mailbox"], owa["item"], owa["mapping"]) == ("Azzzzzz", "SubscribeToNotification", "inferred")
    assert owa["client_app"] == "OWA: Mozilla/5.0 (iPhone; CPU iPhone OS 13_6) Safari/604.1"
    assert (eas10["mailbox"], eas10["item"]) == ("DOMAIN\\Username", "OPTIONS")  # no Cmd=: the verb
    assert rpc["outcome"] == "Failure" and rpc["item"] == "RPC_OUT_DATA"
    assert pd.isna(rpc["mailbox"]) and "RPC target cas.contoso.com:6001" in rpc["details"]


def test_owa_item_and_folder_opens_with_explicit_logon(tmp_path: Path) -> None:
    lines = [
        "2024-03-05 10:00:00 10.0.0.1 GET /owa/ceo@contoso.com/ ae=Item&t=IPM.Note&id=RgAAAAD%2B1 443 CONTOSO\\eve 203.0.113.9 Mozilla - 200 0 0 5",
        "2024-03-05 10:00:01 10.0.0.1 GET /owa/ ae=Folder&t=IPF.Note&id=LgAAAAD1 443 CONTOSO\\eve 203.0.113.9 Mozilla - 200 0 0 5",
        "2024-03-05 10:00:02 10.0.0.1 GET /owa/ceo@contoso.com/ ae=Folder&t=IPF.Note 443 CONTOSO\\eve 203.0.113.9 Mozilla - 200 0 0 5",
    ]
    frame, _ = parse(write(tmp_path, HEAD + F_2013 + "\n" + "\n".join(lines) + "\n"))
    assert frame["operation"].tolist() == ["MessageOpen", "FolderOpen", "FolderOpen"]
    assert frame["mailbox"].tolist() == ["ceo@contoso.com", "CONTOSO\\eve", "ceo@contoso.com"]
    assert frame["mapping"].tolist() == ["native", "inferred", "native"]
    assert frame["item"].tolist()[0] == "RgAAAAD+1"
    assert frame["folder"].tolist()[1:] == ["LgAAAAD1", "IPF.Note"]


def test_mapi_401_challenge_is_not_a_second_access(tmp_path: Path) -> None:
    lone = L_MAPI_401.replace("14:00:00", "15:00:00").replace("10.1.1.50", "10.1.1.77")
    late = L_MAPI_401.replace("14:00:00", "16:00:00")
    late_ok = L_MAPI_200.replace("14:00:00", "16:05:00")
    text = HEAD + F_2013 + "\n" + "\n".join([L_MAPI_401, L_MAPI_200, lone, late, late_ok]) + "\n"
    frame, report = parse(write(tmp_path, text))
    assert report.skipped[SKIP_CHALLENGE] == 1
    assert report.records == 5 and len(frame) == 4
    assert frame["outcome"].tolist() == ["Success", "Failure", "Failure", "Success"]
    assert frame["mailbox"].tolist()[0] == "2b3c4d5e-1111-2222-3333-444455556666@mydomain.com"
    assert frame["item"].tolist()[0] == "emsmdb"


def test_ntlm_double_401_handshake_counts_once(tmp_path: Path) -> None:
    first = L_MAPI_401
    second = L_MAPI_401.replace(" 401 0 0 15", " 401 1 2148074254 2")
    text = HEAD + F_2013 + "\n" + "\n".join([first, second, L_MAPI_200]) + "\n"
    frame, report = parse(write(tmp_path, text))
    assert report.skipped[SKIP_CHALLENGE] == 2 and len(frame) == 1


def test_noise_is_counted_not_rowed_unless_all_events(tmp_path: Path) -> None:
    lines = [
        "2024-03-05 10:00:00 10.0.0.1 GET /owa/prem/15.2.1118.40/scripts/boot.js - 443 CONTOSO\\eve 10.0.0.9 Mozilla - 200 0 0 1",
        "2024-03-05 10:00:00 10.0.0.1 GET /owa/healthcheck.htm - 443 - 127.0.0.1 AMProbe/Local/ClientAccess - 200 0 0 1",
        "2024-03-05 10:00:00 10.0.0.1 POST /EWS/Exchange.asmx - 443 CONTOSO\\HealthMailbox0a1b2c 10.0.0.1 Mozilla - 200 0 0 1",
        "2024-03-05 10:00:00 10.0.0.1 GET /owa/ - 443 - 10.0.0.9 Mozilla - 302 0 0 1",
        "2024-03-05 10:00:00 10.0.0.1 POST /Autodiscover/Autodiscover.xml - 443 CONTOSO\\eve 10.0.0.9 Outlook - 200 0 0 1",
        "2024-03-05 10:00:01 10.0.0.1 POST /EWS/Exchange.asmx - 443 CONTOSO\\eve 10.0.0.9 Outlook - 200 0 0 1",
    ]
    path = write(tmp_path, HEAD + F_2013 + "\n" + "\n".join(lines) + "\n")
    frame, report = parse(path)
    assert dict(report.skipped) == {SKIP_STATIC: 1, SKIP_PROBE: 2, SKIP_NO_MAILBOX: 1, SKIP_OTHER: 1}
    assert len(frame) == 1 and frame["item"].tolist() == ["Exchange.asmx"]
    everything, report_all = parse(path, all_events=True)
    assert len(everything) == 6 and report_all.accepted == 6 and not report_all.skipped
    assert (everything["operation"] == "WebRequest").all()
    assert everything["details"].str.contains("not an access").sum() == 5


def test_fields_blocks_reorder_and_date_directive(tmp_path: Path) -> None:
    text = (
        "#Software: Microsoft Internet Information Services 10.0\n#Date: 2024-03-05 00:00:00\n"
        "#Fields: time c-ip cs-username cs-method cs-uri-stem cs-uri-query sc-status\n"
        "10:00:00 10.0.0.9 CONTOSO\\eve GET /owa/ceo@contoso.com/ ae=Item&id=A1 200\n"
        "#Fields: date time cs-uri-query cs-uri-stem cs-method cs-username c-ip sc-status s-computername\n"
        "2024-03-06 11:00:00 ae=Item&id=B2 /owa/cfo@contoso.com/ GET CONTOSO\\eve 10.0.0.8 200 EXCH01\n"
    )
    frame, _ = parse(write(tmp_path, text))
    assert frame["time"].tolist() == [pd.Timestamp("2024-03-05 10:00", tz="UTC"), pd.Timestamp("2024-03-06 11:00", tz="UTC")]
    assert frame["mailbox"].tolist() == ["ceo@contoso.com", "cfo@contoso.com"]
    assert frame["item"].tolist() == ["A1", "B2"]
    assert frame["client_ip"].tolist() == ["10.0.0.9", "10.0.0.8"]
    assert frame["server"].tolist()[1] == "EXCH01"


def test_malformed_lines_are_bad_records_with_line_numbers(tmp_path: Path) -> None:
    good = L_EAS
    text = (
        good.replace(" 443 ", " https ") + "\n"  # line 1: before any #Fields, fitting no IIS default layout
        + HEAD + F_2013 + "\n"  # lines 2-5
        + good + "\n"  # 6
        + good[:60] + "\n"  # 7: truncated
        + good + " extra\n"  # 8: one field too many
        + "\n"  # 9: blank, not a record
        + good.replace("2021-06-11 13:58:41", "2021-13-45 99:58:41") + "\n"  # 10: bad date
        + good.replace("Cmd=Search", "Cmd=Se\rarch") + "\n"  # 11: stray CR
        + good[:100]  # 12: truncated last line, no newline
    )
    frame, report = parse(write(tmp_path, text))
    assert len(frame) == 1 and frame["record_id"].tolist() == [6]
    assert report.records == 7 and report.bad == 6 and report.accepted == 1
    locations = sorted(int(w.location.split()[1]) for w in report.warnings)
    assert locations == [1, 7, 8, 10, 11, 12]
    messages = " ".join(w.message for w in report.warnings)
    assert "before any #Fields" in messages and "fields where #Fields: names 15" in messages
    assert "carriage return" in messages and "date/time" in messages


def test_blocks_split_lines_and_directives_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [L_EAS.replace("13:58:41", f"13:58:{i:02d}") for i in range(30)]
    text = HEAD + F_2013 + "\n" + "\n".join(lines[:15]) + "\n" + F_2013 + "\n" + "\n".join(lines[15:]) + "\n"
    path = write(tmp_path, text)
    whole, _ = parse(path)
    monkeypatch.setattr(iis_module, "BLOCK", 97)  # far smaller than a line: every line spans blocks
    pieces, report = parse(path)
    assert len(whole) == len(pieces) == 30 and report.records == 30
    pd.testing.assert_frame_equal(whole, pieces)
    assert IisParser.raw_record(path, int(pieces["raw_ref"].iloc[20]), None) == lines[20]


def test_encodings_bom_utf16_and_ansi(tmp_path: Path) -> None:
    ansi_line = L_2003.replace("KnowHow", "Gr%FC%DFe").replace("meera", "m\xe9ra")
    text = F_2003 + "\n" + ansi_line + "\n"
    ansi, report = parse(write(tmp_path, text, "ex1.log", "cp1252"))
    assert ansi["actor"].tolist() == ["MSEXCHANGEGURU\\méra"]
    assert any("Windows-1252" in w.message for w in report.warnings)
    bom, _ = parse(write(tmp_path, "\ufeff" + text, "ex2.log", "utf-8"))
    assert bom["actor"].tolist() == ["MSEXCHANGEGURU\\méra"] and bom["raw_ref"].tolist() == [3 + len(F_2003) + 1]
    path16 = write(tmp_path, "\ufeff" + text, "ex3.log", "utf-16-le")
    assert IisParser.sniff(path16.read_bytes()[:4096], path16) > 0
    wide, report16 = parse(path16)
    assert wide["actor"].tolist() == ["MSEXCHANGEGURU\\méra"] and wide["record_id"].tolist() == [2]
    assert any("UTF-16" in w.message for w in report16.warnings)
    assert IisParser.raw_record(path16, None, 2) == ansi_line


def test_data_line_damaged_into_a_directive_is_a_bad_record(tmp_path: Path) -> None:
    # found while fuzzing: a line whose first byte became "#" was taken for a directive and vanished
    text = HEAD + F_2013 + "\n" + L_EAS + "\n" + "#" + L_OWA[1:] + "\n#Remark: kept quietly\n"
    frame, report = parse(write(tmp_path, text))
    assert report.records == 2 and report.bad == 1 and report.balanced
    assert [w.location for w in report.warnings] == ["line 6"] and "not a W3C directive" in report.warnings[0].message


def test_utf16_byte_order_mark_alone_is_an_empty_log(tmp_path: Path) -> None:
    # fuzz: a UTF-16 BOM with nothing after it crashed the line splitter (IndexError)
    path = tmp_path / "u_ex210611.log"
    for data in (b"\xff\xfe", b"\xfe\xff"):
        path.write_bytes(data)
        frame, report = parse(path)
        assert frame.empty and report.records == 0 and report.balanced


def test_raw_record_returns_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, HEAD + F_2013 + "\r\n" + L_EAS + "\r\n" + L_OWA + "\r\n")
    frame, _ = parse(path)
    assert [IisParser.raw_record(path, ref, rid) for ref, rid in zip(frame["raw_ref"], frame["record_id"])] == [L_EAS, L_OWA]


def test_sniff_by_content() -> None:
    assert IisParser.sniff((HEAD + F_2013).encode(), Path("x.txt")) >= 90
    assert IisParser.sniff(F_2003.encode(), Path("noext")) >= 90
    assert IisParser.sniff(b"date,time\n1,2\n", Path("a.log")) == 0


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from forensics.synth.generate import generate

    out = tmp_path_factory.mktemp("iis-case")
    generate("contoso", out, seed=3, events=2500, formats=("iis", "iis2003"))
    return out, json.loads((out / "truth.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["iis", "iis-2003"])
def test_round_trip_with_generated_case(case: tuple[Path, dict], name: str) -> None:
    from helpers.roundtrip import expected, load_format, tally

    out, truth = case
    frame, reports = load_format(out, truth, name, IisParser)
    spec = truth["formats"][name]
    assert sum(r.records for r in reports) == spec["records"]
    assert sum(sum(r.skipped.values()) for r in reports) == spec["noise_records"] + spec["challenge_records"]
    assert sum(r.skipped[SKIP_CHALLENGE] for r in reports) == spec["challenge_records"]
    assert all(r.balanced and r.bad == 0 for r in reports)
    assert tally(frame) == expected(truth, name)


@pytest.mark.parametrize("all_events", [False, True])
def test_row_ranges_equal_one_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, all_events: bool) -> None:
    lines = []
    for i in range(40):  # challenge pairs straddle every possible range boundary
        t = f"2021-06-11 14:{i // 60:02d}:{i % 60:02d}"
        lines += [L_MAPI_401.replace("2021-06-11 14:00:00", t), L_MAPI_200.replace("2021-06-11 14:00:00", t),
                  L_EAS.replace("2021-06-11 13:58:41", t)]
    path = write(tmp_path, HEAD + F_2013 + "\n" + "\n".join(lines) + "\n")
    one, one_report = parse(path, all_events=all_events)
    for rows, ahead, threads in ((2, 0, 1), (3, 2, 2), (7, 5, 3)):  # batches classified in parallel, collected in order
        monkeypatch.setattr(iis_module, "ROWS_PER_BATCH", rows)
        monkeypatch.setattr(iis_module, "BATCHES_AHEAD", ahead)
        monkeypatch.setattr(iis_module, "INTERPRETERS", threads)
        ranged, report = parse(path, all_events=all_events)
        assert report.skipped == one_report.skipped
        if all_events:
            assert len(ranged) == len(one) == 120
            assert ranged["details"].str.contains("not an access: " + SKIP_CHALLENGE, regex=False).sum() == 40
        else:
            assert report.skipped[SKIP_CHALLENGE] == 40 and len(ranged) == len(one) == 80
        pd.testing.assert_frame_equal(ranged.astype(object), one.astype(object))


def test_impossible_or_out_of_range_dates_are_bad_records(tmp_path: Path) -> None:
    good = L_EAS
    lines = [good, good.replace("2021-06-11", "2021-02-30"), good.replace("2021-06-11", "21-06-11"),
             good.replace("2021-06-11", "0021-06-11")]
    frame, report = parse(write(tmp_path, HEAD + F_2013 + "\n" + "\n".join(lines) + "\n"))
    assert len(frame) == 1 and report.bad == 3
    assert [w.location for w in report.warnings] == ["line 6", "line 7", "line 8"]
