"""Every pair of the W3C-style look-alikes, against every registered parser: IIS (with and
without its header), HttpProxy of every protocol folder, message tracking, SMTP receive/send
protocol logs, and the other ``#Log-type:`` families Exchange writes. Each is detected as
itself, or refused with its own name "(not read yet)", never read as a look-alike.

Headers: those of ``test_unread`` (sources there); HttpProxy protocol folders from
``reference/evidence-formats.md`` §7 (Autodiscover, Eas, Ecp, Ews, Mapi, Oab, Owa, OwaCalendar,
PowerShell, RpcHttp); the agent log's field list as Microsoft's Exchange 2010 agent logging
documents it (Timestamp, SessionId, LocalEndpoint, RemoteEndpoint, EnteredOrgFromIP, MessageId,
P1FromAddress, P2FromAddresses, Recipients, NumRecipients, Agent, Event, Action, SmtpResponse,
Reason, ReasonData, Diagnostics; exchangeinbox.com "Exchange agent logs" lists the same);
the connectivity log's ``#Log-type: Transport Connectivity Log`` and fields ``date-time,
session,source,Destination,direction,description`` from Microsoft "Connectivity logging in
Exchange Server" (structure of the connectivity log files). Data lines are ours.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.errors import UnsupportedFormatError
from forensics.ingest import load_evidence
from forensics.parsers import registry
from forensics.parsers.unread import describe
from tests.forensics.parsers.test_unread import (
    EWS, EXCHANGE, HTTPPROXY, IIS, IIS_NO_SOFTWARE, OTHER_EXCHANGE, RCA, SMTP, SMTP_SEND, TRACKING, TRACKING_NO_TYPE,
)

PROTOCOLS = ("Autodiscover", "Eas", "Ecp", "Ews", "Mapi", "Oab", "Owa", "OwaCalendar", "PowerShell", "RpcHttp")
AGENT = (EXCHANGE + "#Log-type: Agent Log\r\n#Date: 2012-02-26T09:51:42.968Z\r\n"
         "#Fields: Timestamp,SessionId,LocalEndpoint,RemoteEndpoint,EnteredOrgFromIP,MessageId,P1FromAddress,"
         "P2FromAddresses,Recipients,NumRecipients,Agent,Event,Action,SmtpResponse,Reason,ReasonData,Diagnostics\r\n"
         "2012-02-26T09:51:42.968Z,08CEC282DA2C4CFE,192.168.30.60:25,192.168.30.23:2457,192.168.30.23,"
         "<m@x.test>,a@x.test,a@x.test,b@contoso.test,1,Content Filter Agent,OnEndOfData,AcceptMessage,,,,SCL:0\r\n")
CONNECTIVITY = (EXCHANGE + "#Log-type: Transport Connectivity Log\r\n#Date: 2023-01-11T16:00:00.000Z\r\n"
                "#Fields: date-time,session,source,Destination,direction,description\r\n"
                "2023-01-11T16:00:01.000Z,08DB,SMTP,mail.contoso.test,+,Undefined;QueueLength=0\r\n")
IIS_HEADERLESS = IIS.split("#Fields:", 1)[1].split("\r\n", 1)[1]  # the data line alone (a grep excerpt)

#: text -> the parser that must read it (None: refused, named in ``named``)
READ = {"iis": (IIS, "iis"), "iis-no-software": (IIS_NO_SOFTWARE, "iis"), "iis-headerless": (IIS_HEADERLESS, "iis"),
        "tracking": (TRACKING, "msgtrk"), "tracking-no-type": (TRACKING_NO_TYPE, "msgtrk")}
READ.update({f"httpproxy-{p}": (HTTPPROXY.replace(",Mapi,", f",{p},"), "httpproxy") for p in PROTOCOLS})
NAMED = {
    "smtp-receive": (SMTP, "Exchange SMTP receive protocol log (not read yet)"),
    "smtp-send": (SMTP_SEND, "Exchange SMTP send protocol log (not read yet)"),
    "rca": (RCA, "Exchange RPC Client Access log (not read yet)"),
    "ews": (EWS, "Exchange EWS protocol log (not read yet)"),
    "agent": (AGENT, "Exchange transport agent log (not read yet)"),
    "connectivity": (CONNECTIVITY, "Exchange transport connectivity log (not read yet)"),
    "other": (OTHER_EXCHANGE, "Exchange log of type 'Transport Queue Log' (not read yet)"),
}


def _claimants(text: str, name: str) -> set[str]:
    head = text.encode("utf-8")
    return {p.name for p in registry.all_parsers() if p.sniff(head, Path(name)) > 0}


@pytest.mark.parametrize("kind", sorted(READ))
def test_each_read_format_is_claimed_by_its_own_parser_only(kind: str) -> None:
    text, parser = READ[kind]
    assert _claimants(text, "x.LOG") == {parser}
    assert registry.detect(text.encode("utf-8"), Path("x.LOG")).name == parser


@pytest.mark.parametrize("kind", sorted(NAMED))
def test_each_unread_format_is_named_and_claimed_by_none(kind: str) -> None:
    text, name = NAMED[kind]
    assert _claimants(text, "x.LOG") == set()
    assert describe(text.encode("utf-8")) == name
    with pytest.raises(UnsupportedFormatError, match=name.replace("(", r"\(").replace(")", r"\)")):
        registry.detect(text.encode("utf-8"), Path("x.LOG"))


@pytest.mark.parametrize("kind", sorted(set(READ) | set(NAMED)))
def test_headerless_lines_of_an_exchange_log_are_never_iis(kind: str) -> None:
    """Cut out of its header (a grep excerpt), a comma-separated Exchange line fits no IIS
    layout: no parser claims it, whatever the name; only IIS's own lines are IIS."""
    text = (READ.get(kind) or NAMED[kind])[0]
    lines = "".join(line + "\r\n" for line in text.split("\r\n") if line and not line.startswith(("#", "\ufeff#")))
    claimed = _claimants(lines, "u_ex230111.log")
    assert claimed == ({"iis"} if kind.startswith("iis") else set())


def test_a_folder_of_look_alikes_loads_each_as_itself(tmp_path: Path) -> None:
    files = {}
    for kind, (text, parser) in READ.items():
        files[kind] = tmp_path / f"{kind}.LOG"
        files[kind].write_text(text, encoding="utf-8")
    for kind, (text, _) in NAMED.items():
        files[kind] = tmp_path / f"{kind}.LOG"
        files[kind].write_text(text, encoding="utf-8")
    result = load_evidence([tmp_path])
    by_name = {Path(r.path).stem: r for r in result.files}
    for kind, (_, parser) in READ.items():
        report = by_name[kind]
        assert report.parser == parser and report.status == "loaded" and report.bad == 0, (kind, report.error)
    for kind, (_, name) in NAMED.items():
        report = by_name[kind]
        assert report.status == "failed" and report.error.endswith(name) and report.bad == 0
