"""Detection of the W3C-style look-alikes: IIS, HttpProxy, message tracking, SMTP protocol, RPC
Client Access and other Exchange logs. Each is taken for itself, never for another; a format
the tool does not read is named ("… (not read yet)"), not called unsupported or corrupt.
(Message tracking was such a format; it is read now.)

Headers follow the published ones: IIS 10 (``reference/evidence-formats.md`` §3), HttpProxy
15.1, message tracking 15.1 (``MSGTRKMS*.LOG``), SMTP receive 15.0 and EWS 15.1 from Qazeer's
artefacts.help ``microsoft_exchange.md``; message tracking 14.0 from elastic/beats' filestream
BOM test; the RPC Client Access field list from ``Exchange-OutlookBuildsReport.ps1``
(arjun-tank/ExchangeTools), which reads those logs with their ``#`` lines stripped. Data lines are ours.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.errors import UnsupportedFormatError
from forensics.ingest import load_evidence
from forensics.parsers import registry
from forensics.parsers.w3c.httpproxy import HttpProxyParser
from forensics.parsers.w3c.iis import IisParser
from forensics.parsers.w3c.msgtrk import MessageTrackingParser
from forensics.parsers.unread import describe

EXCHANGE = "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2375.007\r\n"
IIS = ("#Software: Microsoft Internet Information Services 10.0\r\n#Version: 1.0\r\n#Date: 2021-06-11 00:00:00\r\n"
       "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
       "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\r\n"
       "2021-06-11 13:58:41 192.168.113.41 POST /mapi/emsmdb/ MailboxId=x@contoso.test 443 CONTOSO\\bob "
       "10.1.1.5 Microsoft+Office/16.0 - 200 0 0 63\r\n")
# an IIS log without its #Software line (cut by a collector): still IIS by its space-separated fields
IIS_NO_SOFTWARE = IIS.split("\r\n", 1)[1]
HTTPPROXY = (EXCHANGE + "#Log-type: HttpProxy Logs\r\n#Date: 2023-01-06T01:00:04.124Z\r\n"
             "#Fields: DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,ClientRequestId,"
             "Protocol,UrlHost,UrlStem,ProtocolAction,AuthenticationType,IsAuthenticated,AuthenticatedUser,"
             "Organization,AnchorMailbox,UserAgent,ClientIpAddress,ServerHostName,HttpStatus\r\n"
             "2023-01-06T01:00:04.124Z,3fe8,15,1,2375,7,,Mapi,mail.contoso.test,/mapi/emsmdb/,,Negotiate,true,"
             "CONTOSO\\bob,,Smtp~bob@contoso.test,Microsoft Office/16.0,10.1.1.5,EXCH01,200\r\n")
TRACKING_FIELDS = ("#Fields: date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,"
                   "source,event-id,internal-message-id,message-id,network-message-id,recipient-address,"
                   "recipient-status,total-bytes,recipient-count,related-recipient-address,reference,message-subject,"
                   "sender-address,return-path,message-info,directionality,tenant-id,original-client-ip,"
                   "original-server-ip,custom-data,transport-traffic-type,log-id,schema-version\r\n")
TRACKING = (EXCHANGE + "#Log-type: Message Tracking Log\r\n#Date: 2022-09-19T15:02:29.339Z\r\n" + TRACKING_FIELDS
            + '2022-09-19T15:02:29.450Z,10.0.0.2,EXCH01,10.0.0.2,EXCH01,"MDB:aa, Mailbox:bb, Event:1, '
              'MessageClass:IPM.Note",,STOREDRIVER,RECEIVE,438,<a@contoso.test>,6a63,ceo@contoso.test,To,3750,1,,,'
              "Hi,bob@contoso.test,bob@contoso.test,04I: ,Originating,,,,,Email,12ab,15.01.2375.007\r\n")
TRACKING_NO_TYPE = "\ufeff" + TRACKING.replace("#Log-type: Message Tracking Log\r\n", "")
SMTP = (EXCHANGE.replace("15.01.2375.007", "15.0.0.0") + "#Log-type: SMTP Receive Protocol Log\r\n"
        "#Date: 2023-01-11T16:00:04.113Z\r\n"
        "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n"
        "2023-01-11T15:59:53.909Z,EXCH01\\Default Frontend EXCH01,08DB,2,10.0.0.1:25,95.10.20.33:56026,<,EHLO x,\r\n")
SMTP_SEND = SMTP.replace("SMTP Receive Protocol Log", "SMTP Send Protocol Log")
RCA = (EXCHANGE + "#Date: 2023-01-11T16:00:00.000Z\r\n"
       "#Fields: date-time,session-id,seq-number,client-name,organization-info,client-software,"
       "client-software-version,client-mode,client-ip,server-ip,protocol,application-id,operation,rpc-status,"
       "processing-time,operation-specific,failures\r\n"
       "2023-01-11T16:00:01.000Z,12,0,/o=Contoso/ou=Exchange Administrative Group/cn=Recipients/cn=bob,,OUTLOOK.EXE,"
       "16.0.5,Cached,10.1.1.5,10.0.0.2,ncacn_http,,Connect,0,0,,\r\n")
EWS = (EXCHANGE + "#Log-type: EWS Logs\r\n#Date: 2023-01-06T16:00:06.386Z\r\n"
       "#Fields: DateTime,RequestId,MajorVersion,MinorVersion,BuildVersion,RevisionVersion,Ring,ClientRequestId,"
       "AuthenticationType,IsAuthenticated,AuthenticatedUser\r\n2023-01-06T16:00:06.410Z,5399,15,1,2375,7,,,,true,bob\r\n")
OTHER_EXCHANGE = EXCHANGE + "#Log-type: Transport Queue Log\r\n#Fields: Timestamp,QueueName\r\n2023-01-01T00:00:00Z,q\r\n"

READ = [("iis", IIS, IisParser), ("iis-no-software", IIS_NO_SOFTWARE, IisParser), ("httpproxy", HTTPPROXY, HttpProxyParser),
        ("tracking", TRACKING, MessageTrackingParser), ("tracking-no-type", TRACKING_NO_TYPE, MessageTrackingParser)]
NAMED = [
    ("smtp-receive", SMTP, "Exchange SMTP receive protocol log (not read yet)"),
    ("smtp-send", SMTP_SEND, "Exchange SMTP send protocol log (not read yet)"),
    ("rca", RCA, "Exchange RPC Client Access log (not read yet)"),
    ("ews", EWS, "Exchange EWS protocol log (not read yet)"),
    ("other", OTHER_EXCHANGE, "Exchange log of type 'Transport Queue Log' (not read yet)"),
]
ALL = [(k, text) for k, text, _ in READ] + [(k, text) for k, text, _ in NAMED]


@pytest.mark.parametrize("kind, text, parser", READ, ids=[r[0] for r in READ])
def test_read_formats_detected_as_themselves(kind: str, text: str, parser: type) -> None:
    assert registry.detect(text.encode("utf-8"), Path(f"{kind}.LOG")) is parser
    assert describe(text.encode("utf-8")) is None


@pytest.mark.parametrize("kind, text, name", NAMED, ids=[r[0] for r in NAMED])
def test_unread_formats_are_named(kind: str, text: str, name: str) -> None:
    head = text.encode("utf-8")
    assert describe(head) == name
    with pytest.raises(UnsupportedFormatError, match=name.replace("(", r"\(").replace(")", r"\)")):
        registry.detect(head, Path("MSGTRK2022091915-1.LOG"))


@pytest.mark.parametrize("kind, text", ALL, ids=[a[0] for a in ALL])
def test_no_look_alike_claims_another(kind: str, text: str) -> None:
    """Every pair: each sniffer claims its own format only (IIS, HttpProxy, message tracking)."""
    head = text.encode("utf-8")
    assert (IisParser.sniff(head, Path("x.log")) > 0) == kind.startswith("iis")
    assert (HttpProxyParser.sniff(head, Path("x.log")) > 0) == (kind == "httpproxy")
    assert (MessageTrackingParser.sniff(head, Path("x.log")) > 0) == kind.startswith("tracking")


def test_a_named_file_fails_with_its_name_when_loaded(tmp_path: Path) -> None:
    """Through the loader: the file is reported failed with its name, no line called corrupt."""
    path = tmp_path / "RECV2023011116-1.LOG"
    path.write_text(SMTP, encoding="utf-8")
    result = load_evidence([path])
    report = result.files[0]
    assert report.status == "failed" and report.bad == 0 and len(result.frame) == 0
    assert report.error.endswith("Exchange SMTP receive protocol log (not read yet)")
