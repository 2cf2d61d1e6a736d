"""Exchange 2013+ HttpProxy logs: fields by name, mailbox from URL or anchor, skips, bad lines.

Lines are written here from the documented field list and the shapes of real public lines:
the 15.01.2375 header and the Mapi/Ews/Eas/Owa/Autodiscover lines published in Qazeer's
artefacts.help ``microsoft_exchange.md`` (AnchorMailbox ``MailboxGuid~…``/``Sid~…``,
``UrlQuery`` ``?mailboxId=<guid>@<domain>``, GenericInfo ``BeginRequest=…;…``), elastic/integrations
``microsoft_exchange_server`` ``test-httpproxy.log`` (a Mapi line whose MailboxId differs from
its anchor) and Microsoft's CSS-Exchange ``Test-ProxyLogon.ps1`` (unauthenticated requests
with ``ServerInfo~`` anchors). Values (names, GUIDs, addresses) are our own.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forensics.ingest import load_evidence
from forensics.parsers.base import LoadOptions
from forensics.parsers.w3c.httpproxy import HttpProxyParser, looks_like_httpproxy
from forensics.parsers.w3c.httpproxy_requests import (
    SKIP_HEADER, SKIP_NOBODY, SKIP_PROBE, SKIP_STATIC, SKIP_UNAUTHENTICATED, anchor_mailbox,
)
from helpers.run_parser import run_parser

# the 15.1 field list (Qazeer artefacts.help, Exchange 15.01.2375.007), latency fields included
FIELDS = (
    "DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,Protocol,UrlHost,"
    "UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,Organization,AnchorMailbox,"
    "UserAgent,ClientIpAddress,ServerHostName,HttpStatus,BackEndStatus,ErrorCode,Method,ProxyAction,TargetServer,"
    "TargetServerVersion,RoutingType,RoutingHint,BackEndCookie,ServerLocatorHost,ServerLocatorLatency,RequestBytes,"
    "ResponseBytes,TargetOutstandingRequests,AuthModulePerfContext,HttpPipelineLatency,CalculateTargetBackEndLatency,"
    "GlsLatencyBreakup,TotalGlsLatency,AccountForestLatencyBreakup,TotalAccountForestLatency,"
    "ResourceForestLatencyBreakup,TotalResourceForestLatency,ADLatency,SharedCacheLatencyBreakup,"
    "TotalSharedCacheLatency,ActivityContextLifeTime,ModuleToHandlerSwitchingLatency,ClientReqStreamLatency,"
    "BackendReqInitLatency,BackendReqStreamLatency,BackendProcessingLatency,BackendRespInitLatency,"
    "BackendRespStreamLatency,ClientRespStreamLatency,KerberosAuthHeaderLatency,HandlerCompletionLatency,"
    "RequestHandlerLatency,HandlerToModuleSwitchingLatency,ProxyTime,CoreLatency,RoutingLatency,HttpProxyOverhead,"
    "TotalRequestTime,RouteRefresherLatency,UrlQuery,BackEndGenericInfo,GenericInfo,GenericErrors,EdgeTraceId,"
    "DatabaseGuid,UserADObjectGuid,PartitionEndpointLookupLatency,RoutingStatus"
)
NAMES = FIELDS.split(",")
HEAD = ("#Software: Microsoft Exchange Server\r\n#Version: 15.01.2375.007\r\n#Log-type: HttpProxy Logs\r\n"
        "#Date: 2023-01-06T01:00:04.124Z\r\n")
GUID_BOB = "5b1e2c3d-0a0b-4c4d-8e8f-101112131415"
GUID_CEO = "9a8b7c6d-1111-4222-8333-444455556666"
SID_BOB = "S-1-5-21-1111111111-2222222222-3333333333-1105"


def line(names: list[str] = NAMES, **values: str) -> str:
    """One data line: the given fields (by name) and empty ones elsewhere, as the writer leaves them."""
    cells = [""] * len(names)
    for name, value in values.items():
        cells[names.index(name)] = value
    return ",".join(cells)


def common(**values: str) -> dict[str, str]:
    base = {"RequestId": "3fe8b64c-9d09-495d-9123-c7759ae9bbfb", "MajorVersion": "15", "MinorVersion": "1",
            "BuildVersion": "2375", "RevisionVersion": "7", "ServerHostName": "EXCH01", "BackEndStatus": "200",
            "ProxyAction": "Proxy", "TargetServer": "exch02.contoso.test", "RoutingType": "IntraForest",
            "GenericInfo": "BeginRequest=2023-01-06T01:00:04.107Z;CorrelationID=<empty>;ProxyState-Run=None;"
                           "EndRequest=2023-01-06T01:00:04.124Z;",
            "RoutingStatus": "CafeV1", "HttpStatus": "200", "Method": "POST", "IsAuthenticated": "true",
            "AuthenticationType": "Negotiate"}
    base.update(values)
    return base


MAPI_OWN = line(**common(
    DateTime="2023-01-06T01:00:04.124Z", ClientRequestId="R:1b7dabb2:1;RT:Connect", Protocol="Mapi",
    UrlHost="mail.contoso.test", UrlStem="/mapi/emsmdb/", AuthenticatedUser="CONTOSO\\bob", Organization="contoso.test",
    AnchorMailbox=f"MailboxGuid~{GUID_BOB}", UserAgent="Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.16731; Pro)",
    ClientIpAddress="10.1.1.20", RoutingHint="MailboxGuidWithDomain", UrlQuery=f"?mailboxId={GUID_BOB}@contoso.test"))
# the client asks for another mailbox (MailboxId=) than the anchor: the URL wins, both kept as forms
MAPI_OTHER = line(**common(
    DateTime="2023-01-06T01:05:00.000Z", Protocol="Mapi", UrlStem="/mapi/emsmdb/", AuthenticatedUser="CONTOSO\\bob",
    AnchorMailbox=f"MailboxGuid~{GUID_BOB}", UserAgent="Microsoft Office/16.0", ClientIpAddress="10.1.1.20",
    UrlQuery=f"?MailboxId={GUID_CEO}@contoso.test"))
# quoted fields holding commas and doubled quotes (the writer's CSV quoting)
OWA_QUOTED = line(**common(
    DateTime="2023-01-06T02:20:32.841Z", Protocol="Owa", UrlStem="/owa/ceo@contoso.test/", Method="GET",
    AuthenticatedUser="CONTOSO\\bob", AnchorMailbox="Smtp~ceo@contoso.test", AuthenticationType="FBA",
    UserAgent='"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/62.0"',
    ClientIpAddress="95.5.6.7", GenericInfo='"BeginRequest=2023-01-06T02:20:32.840Z;Note=""a, b"";"'))
EAS_SID = line(**common(
    DateTime="2023-01-11T16:06:06.997Z", Protocol="Eas", UrlStem="/Microsoft-Server-ActiveSync/default.eas",
    Method="OPTIONS", AuthenticationType="Basic", AuthenticatedUser="CONTOSO\\bob", AnchorMailbox=f"Sid~{SID_BOB}",
    UserAgent="Outlook-iOS-Android/1.0", ClientIpAddress="20.10.20.30", HttpStatus="403",
    UrlQuery="?Cmd=Options&User=contoso.test%5Cbob&DeviceId=ABC123&DeviceType=Outlook"))
PROBE = line(**common(
    DateTime="2023-01-06T01:00:05.344Z", Protocol="Ews", UrlStem="/ews/", Method="GET",
    AuthenticatedUser="CONTOSO\\HealthMailbox0a1b2c3", AnchorMailbox="Sid~S-1-5-21-1-2-3-1142",
    UserAgent="AMProbe/Local/ClientAccess", ClientIpAddress="127.0.0.1"))
UNAUTH_401 = line(**common(
    DateTime="2023-01-07T08:39:45.725Z", Protocol="RpcHttp", UrlStem="/rpc", Method="GET", IsAuthenticated="false",
    AuthenticationType="NTLM", UserAgent="Mozilla/5.0 (X11; Linux x86_64)", ClientIpAddress="95.5.6.7", HttpStatus="401",
    AnchorMailbox=f"MailboxGuid~{GUID_CEO}"))
SCANNER = line(**common(
    DateTime="2023-01-06T11:47:32.435Z", Protocol="Ecp", UrlStem="/ecp/Current/exporttool/x.application", Method="GET",
    IsAuthenticated="false", AuthenticationType="FBA", AnchorMailbox="ServerVersion~Version 15.0 (Build 0.0)",
    UserAgent="Mozilla/5.0 zgrab/0.x", ClientIpAddress="95.5.6.8"))
STATIC = line(**common(
    DateTime="2023-01-06T02:21:00.000Z", Protocol="Owa", UrlStem="/owa/prem/15.1.2375.7/scripts/boot.worker.min.js",
    Method="GET", AuthenticatedUser="CONTOSO\\bob", AnchorMailbox=f"Sid~{SID_BOB}", UserAgent="Mozilla/5.0",
    ClientIpAddress="95.5.6.7"))
PROXYLOGON = line(**common(
    DateTime="2021-03-03T02:11:00.000Z", Protocol="Ecp", UrlStem="/ecp/y.js", Method="POST", IsAuthenticated="false",
    AnchorMailbox="ServerInfo~a]@exch01.contoso.test:444/autodiscover/autodiscover.xml?#",
    UserAgent="python-requests/2.25.1", ClientIpAddress="203.0.113.66", HttpStatus="241"))


def write(tmp_path: Path, *lines: str, head: str = HEAD, fields: str = FIELDS, name: str = "HttpProxy_2023010601-1.LOG") -> Path:
    path = tmp_path / name
    path.write_bytes((head + "#Fields: " + fields + "\r\n" + "".join(x + "\r\n" for x in lines)).encode("utf-8"))
    return path


def test_sniff_by_log_type_or_field_list(tmp_path: Path) -> None:
    assert looks_like_httpproxy(write(tmp_path, MAPI_OWN).read_bytes())
    no_type = write(tmp_path, MAPI_OWN, head="#Software: Microsoft Exchange Server\r\n", name="x.LOG")
    assert looks_like_httpproxy(no_type.read_bytes())
    assert HttpProxyParser.sniff(b"#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time\r\n",
                                 Path("u_ex.log")) == 0


def test_mapi_rows_mailbox_from_url_and_anchor(tmp_path: Path) -> None:
    frame, report = run_parser(HttpProxyParser, write(tmp_path, MAPI_OWN, MAPI_OTHER))
    assert report.records == 2 and report.accepted == 2 and report.balanced and not report.warnings
    assert frame["mailbox"].tolist() == [f"{GUID_BOB}@contoso.test", f"{GUID_CEO}@contoso.test"]
    assert frame["actor"].tolist() == ["CONTOSO\\bob"] * 2
    assert pd.isna(frame["mailbox_ids"].iloc[0])  # the anchor says the same
    # the anchor names bob's own mailbox: another mailbox, kept in details, never a form of the CEO's
    assert pd.isna(frame["mailbox_ids"].iloc[1])
    assert f"AnchorMailbox=MailboxGuid~{GUID_BOB}" in frame["details"].iloc[1]
    row = frame.iloc[0]
    assert row["time"] == pd.Timestamp("2023-01-06T01:00:04.124Z")
    assert row["operation"] == "WebRequest" and row["outcome"] == "Success"
    assert row["client_ip"] == "10.1.1.20" and row["server"] == "EXCH01"
    assert row["client_app"] == "MAPI/HTTP: Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.16731; Pro)"
    assert row["item"] == "emsmdb" and row["source_format"] == "httpproxy" and row["record_id"] == 6
    assert "AnchorMailbox=MailboxGuid~" in row["details"] and "backend=exch02.contoso.test" in row["details"]
    raw = HttpProxyParser.raw_record(tmp_path / "HttpProxy_2023010601-1.LOG", int(row["raw_ref"]), 6)
    assert raw == MAPI_OWN


def test_quoted_fields_with_commas(tmp_path: Path) -> None:
    frame, report = run_parser(HttpProxyParser, write(tmp_path, OWA_QUOTED))
    assert report.balanced and report.bad == 0 and len(frame) == 1
    row = frame.iloc[0]
    assert row["mailbox"] == "ceo@contoso.test"  # explicit logon in the URL
    assert row["client_app"].startswith("OWA: Mozilla/5.0") and "(KHTML, like Gecko)" in row["client_app"]
    assert row["item"] is pd.NA or pd.isna(row["item"])  # the stem's last part is the mailbox, not an item


def test_anchor_forms() -> None:
    assert anchor_mailbox("Smtp~ceo@contoso.test") == "ceo@contoso.test"
    assert anchor_mailbox(f"MailboxGuid~{GUID_CEO}@contoso.test") == f"{GUID_CEO}@contoso.test"
    assert anchor_mailbox(f"Sid~{SID_BOB}") == SID_BOB
    assert anchor_mailbox("UserPrincipalName~bob@contoso.test") == "bob@contoso.test"
    assert anchor_mailbox("SMTP:alice@contoso.test") == "alice@contoso.test"
    for none in ("ServerVersion~Version 15.1 (Build 2374.0)", "DatabaseGuid~fb7adba2-51f4-47e3-b170-fd39f85aaf35",
                 "ServerInfo~a]@ex:444/x?#", "Domain~contoso.test", "", None, "garbage"):
        assert anchor_mailbox(none) is None


def test_fields_by_name_across_blocks(tmp_path: Path) -> None:
    """A later version adds and moves columns; a second #Fields block is read by its own names."""
    later = ["DateTime", "RequestId", "Protocol", "UrlStem", "AuthenticatedUser", "ClientIpAddress", "UserAgent",
             "AnchorMailbox", "ServerHostName", "HttpStatus", "Method", "NewField", "UrlQuery"]
    second = line(later, DateTime="2023-01-06T03:00:00Z", Protocol="Ews", UrlStem="/EWS/Exchange.asmx",
                  AuthenticatedUser="bob@contoso.test", ClientIpAddress="10.1.1.21", UserAgent="ExchangeServicesClient",
                  AnchorMailbox="Smtp~ceo@contoso.test", ServerHostName="EXCH02", HttpStatus="500", Method="POST",
                  NewField='"x,y"')
    path = tmp_path / "HttpProxy_2023010603-1.LOG"
    path.write_bytes((HEAD + "#Fields: " + FIELDS + "\r\n" + MAPI_OWN + "\r\n" + HEAD + "#Fields: " + ",".join(later)
                      + "\r\n" + second + "\r\n").encode())
    frame, report = run_parser(HttpProxyParser, path)
    assert report.records == 2 and report.accepted == 2 and report.balanced
    row = frame.iloc[1]
    assert (row["actor"], row["mailbox"], row["server"], row["outcome"]) == ("bob@contoso.test", "ceo@contoso.test", "EXCH02", "Failure")
    assert row["client_app"] == "EWS: ExchangeServicesClient" and row["record_id"] == 12


def test_not_accesses_are_counted_by_reason(tmp_path: Path) -> None:
    path = write(tmp_path, PROBE, UNAUTH_401, SCANNER, STATIC, EAS_SID, ",".join(NAMES))
    frame, report = run_parser(HttpProxyParser, path)
    assert dict(report.skipped) == {SKIP_PROBE: 1, SKIP_UNAUTHENTICATED: 1, SKIP_NOBODY: 1, SKIP_STATIC: 1, SKIP_HEADER: 1}
    assert report.records == 6 and report.accepted == 1 and report.balanced
    row = frame.iloc[0]  # the ActiveSync request: mailbox only from the anchor (the user's SID)
    assert (row["mailbox"], row["client_host"], row["item"], row["outcome"]) == (SID_BOB, "ABC123", "Options", "Failure")
    assert "mailbox from AnchorMailbox" in row["details"]
    every, report_all = run_parser(HttpProxyParser, path, LoadOptions(all_events=True))
    assert len(every) == 5 and report_all.accepted == 5 and dict(report_all.skipped) == {SKIP_HEADER: 1}
    assert every["details"].str.contains("not an access: " + SKIP_PROBE, regex=False).sum() == 1


def test_proxylogon_pattern_is_named(tmp_path: Path) -> None:
    _, report = run_parser(HttpProxyParser, write(tmp_path, MAPI_OWN, PROXYLOGON))
    notes = [n for n in report.notes if n.startswith("PROXYLOGON PATTERN")]
    assert len(notes) == 1 and "lines 7" in notes[0] and "CVE-2021-26855" in notes[0]
    _, clean = run_parser(HttpProxyParser, write(tmp_path, MAPI_OWN, SCANNER, name="b.LOG"))
    assert not clean.notes


def test_malformed_lines_are_bad_records_naming_their_line(tmp_path: Path) -> None:
    truncated = MAPI_OWN[: MAPI_OWN.index("/mapi/")]  # cut mid-line (a crash while writing)
    unbalanced = OWA_QUOTED.replace('"Mozilla', "Mozilla", 1)  # an opening quote lost
    bad_time = MAPI_OWN.replace("2023-01-06T01:00:04.124Z", "2023-02-30T01:00:04.124Z", 1)
    damaged = "#" + MAPI_OWN[1:]
    path = tmp_path / "HttpProxy_bad.LOG"
    path.write_bytes(
        (MAPI_OWN + "\r\n" + HEAD + "#Fields: " + FIELDS + "\r\n" + truncated + "\r\n" + unbalanced + "\r\n"
         + MAPI_OTHER + "\r\n" + bad_time + "\r\n" + damaged + "\r\n").encode()
        + MAPI_OWN.replace("CONTOSO\\bob", "CONTOSO\\b\xf6b").encode("cp1252") + b"\r\n"
    )
    frame, report = run_parser(HttpProxyParser, path)
    assert report.balanced and report.records == 7
    assert report.accepted == 2 and report.bad == 5
    text = "\n".join(str(w) for w in report.warnings)
    assert "line 1: data line before any #Fields: header" in text
    assert "line 7: field count differs" in text
    assert "line 8: unbalanced quotes" in text
    assert "line 10: DateTime missing or not an ISO-8601 UTC time" in text
    assert "line 11: not a log directive" in text
    assert "line 12: text is not valid UTF-8; such lines were decoded as Windows-1252" in text  # read, not bad
    assert frame["record_id"].tolist() == [9, 12]
    assert frame["actor"].tolist() == ["CONTOSO\\bob", "CONTOSO\\b\u00f6b"]


def test_directory_links_guid_and_sid_forms(tmp_path: Path) -> None:
    """Logon type from the directory export: ExchangeGuid and Sid name the same person."""
    identities = tmp_path / "identities.csv"
    identities.write_text(
        "DisplayName,Alias,PrimarySmtpAddress,SamAccountName,Sid,ExchangeGuid\r\n"
        f"Bob,bob,bob@contoso.test,bob,{SID_BOB},{GUID_BOB}\r\n"
        f"Chief,ceo,ceo@contoso.test,ceo,S-1-5-21-1111111111-2222222222-3333333333-1106,{GUID_CEO}\r\n",
        encoding="utf-8",
    )
    path = write(tmp_path, MAPI_OWN, MAPI_OTHER, OWA_QUOTED, EAS_SID)
    result = load_evidence([path], options=LoadOptions(identities=identities))
    assert result.files[0].parser == "httpproxy" and result.files[0].status == "loaded"
    frame = result.frame.sort_values("record_id")
    assert frame["logon_type"].tolist() == ["Owner", "Delegate", "Delegate", "Owner"]
    assert set(frame["logon_rule"].astype(str)) == {"directory"}


@pytest.mark.parametrize("content", [b"\xef\xbb\xbf", b"#Software: Microsoft Exchange Server\r\n"])
def test_no_data_lines(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "HttpProxy_empty.LOG"
    path.write_bytes(content + (HEAD + "#Fields: " + FIELDS + "\r\n").encode())
    frame, report = run_parser(HttpProxyParser, path)
    assert len(frame) == 0 and report.records == 0 and report.balanced


def test_lines_across_read_blocks_keep_numbers_and_offsets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks far smaller than a line: every row still names its own line and byte offset,
    blank lines in a run are skipped, and the parsed bytes are the hashed bytes."""
    from forensics.parsers.w3c import exchange_log

    monkeypatch.setattr(exchange_log, "BLOCK", 700)
    lines = [MAPI_OWN, "", OWA_QUOTED, EAS_SID, "", MAPI_OTHER] * 3
    path = write(tmp_path, *lines)
    frame, report = run_parser(HttpProxyParser, path)
    assert report.records == 12 and report.accepted == 12 and report.balanced and report.bad == 0
    text = path.read_bytes()
    assert report.hashes is not None and report.hashes.size == len(text)
    by_number = {i + 1: x for i, x in enumerate(text.decode("utf-8").split("\r\n"))}
    for raw_ref, number in zip(frame["raw_ref"].tolist(), frame["record_id"].tolist()):
        assert HttpProxyParser.raw_record(path, raw_ref, number) == by_number[number]
    assert frame["record_id"].tolist() == [6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 23]


def test_sid_or_guid_mailbox_without_directory_is_unknown_not_delegate(tmp_path: Path) -> None:
    """CONTOSO\\bob and his own SID share no key: without a directory no Delegate is guessed."""
    path = write(tmp_path, MAPI_OWN, MAPI_OTHER, OWA_QUOTED, EAS_SID)
    frame = load_evidence([path]).frame.sort_values("record_id")
    assert frame["logon_type"].tolist() == ["Unknown", "Unknown", "Delegate", "Unknown"]
    assert frame["logon_rule"].astype(str).tolist() == [
        "mailbox-id-unresolved", "mailbox-id-unresolved", "no-match", "mailbox-id-unresolved"]


def _probe_at(minute: int) -> str:
    hour, minute = divmod(minute, 60)
    return PROBE.replace("2023-01-06T01:00:05.344Z", f"2023-01-06T{hour:02d}:{minute:02d}:05.344Z")


def test_silent_health_probes_are_a_logging_gap(tmp_path: Path) -> None:
    """Probes every minute, then none for 45 minutes: the window is named (the IIS rule, reused)."""
    minutes = list(range(0, 80)) + list(range(125, 150))
    frame, report = run_parser(HttpProxyParser, write(tmp_path, *[_probe_at(m) for m in minutes], MAPI_OWN))
    notes = [n for n in report.notes if n.startswith("LOGGING GAP")]
    assert len(notes) == 1 and "2023-01-06 01:19:05 to 2023-01-06 02:05:05 (46 min)" in notes[0]
    assert [(p.start, p.end) for p in report.missing] == [("2023-01-06T01:19:05Z", "2023-01-06T02:05:05Z")]
    steady = [_probe_at(m) for m in range(0, 105)]
    _, quiet = run_parser(HttpProxyParser, write(tmp_path, *steady, name="steady.LOG"))
    assert not quiet.notes and not quiet.missing
