"""Exchange 2013+ HttpProxy logs: the front end's line per proxied request, per protocol folder.

Files: ``evidence/httpproxy/<Owa|Ews|Eas|Mapi|RpcHttp>/HttpProxy_YYYYMMDDHH-1.LOG`` (one per
protocol and UTC hour, as Exchange rolls them), the 15.1 header (``#Software``, ``#Version``,
``#Log-type: HttpProxy Logs``, ``#Date``, ``#Fields``: the 74 fields of
``reference/evidence-formats.md`` §7), values quoted when they hold a comma or a quote.

The same client accesses as the 2013+ IIS log (``formats.iis``), each one ``WebRequest`` row
whose mailbox is what the line names: OWA ``/owa/service.svc?action=GetItem|FindItem`` with
``AnchorMailbox Smtp~<mailbox>`` (mailbox = that address); EWS with ``Smtp~<mailbox>`` (the
client's X-AnchorMailbox); ActiveSync ``Cmd=Sync|ItemOperations`` anchored ``Sid~<mailbox owner's
SID>`` (mailbox = the SID); Outlook MAPI/HTTP ``?MailboxId=<guid>@<domain>`` (mailbox = that);
Outlook Anywhere ``RPC_IN_DATA`` + ``RPC_OUT_DATA`` ``?<guid>@<domain>:6001`` at each session's
logon. Noise that is no row: health probes (``HealthMailbox…``, ``AMProbe``) every 15 minutes
in the Ews folder, OWA static files, and about one request in ten first answered 401 before
authentication (no AuthenticatedUser).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from forensics.synth.accesses import Access
from forensics.synth.formats.base import Emitter, FormatTruth, expected_logon_type
from forensics.synth.scenario import Scenario

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
VERSION = "15.01.2375.007"
PROBE_UA = "AMProbe/Local/ClientAccess"
CARRIES = ("the 2013+ IIS log's client accesses, one WebRequest row per line: OWA service.svc (mailbox = "
           "AnchorMailbox Smtp~), EWS (Smtp~ anchor), ActiveSync (Sid~ anchor: the mailbox owner's SID), Outlook "
           "MAPI/HTTP (MailboxId=<GUID>@domain), Outlook Anywhere RPC_IN_DATA + RPC_OUT_DATA at each session's logon "
           "(<GUID>@domain:6001); plus noise (health probes, static files) and unauthenticated 401s, which are not "
           "rows")


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _cell(value: str) -> str:
    """The log writer's CSV quoting: quoted when holding a comma, quote or line break."""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


class _HourlyFiles:
    """One file per protocol folder and UTC hour, header written on open."""

    def __init__(self, root: Path, truth: FormatTruth) -> None:
        self.root = root
        self.truth = truth
        self.open: dict[str, tuple[str, TextIO]] = {}

    def write(self, protocol: str, t: datetime, values: dict[str, str]) -> None:
        hour = t.strftime("%Y%m%d%H")
        current = self.open.get(protocol)
        if current is None or current[0] != hour:
            if current is not None:
                current[1].close()
            folder = self.root / protocol
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"HttpProxy_{hour}-1.LOG"
            self.truth.files.append(path)
            f = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed on roll/close
            f.write(f"#Software: Microsoft Exchange Server\r\n#Version: {VERSION}\r\n#Log-type: HttpProxy Logs\r\n"
                    f"#Date: {_iso(t.replace(minute=0, second=0, microsecond=0))}\r\n#Fields: {FIELDS}\r\n")
            current = self.open[protocol] = (hour, f)
        cells = [""] * len(NAMES)
        for name, value in values.items():
            cells[NAMES.index(name)] = _cell(value)
        current[1].write(",".join(cells) + "\r\n")
        self.truth.tally.records += 1

    def close(self) -> None:
        for _, f in self.open.values():
            f.close()
        self.open.clear()


class HttpProxyEmitter(Emitter):
    """The Client Access front end's HttpProxy logs of the 2013+ organisation."""

    probe_minutes = 15

    def __init__(self, scenario: Scenario, out: Path, seed: int) -> None:
        super().__init__(scenario, out)
        self.rng = random.Random(f"{scenario.name}:{seed}:{type(self).__name__}")
        self.truth = FormatTruth("httpproxy", "httpproxy", CARRIES, "utc")
        self.truths = [self.truth]
        self.files = _HourlyFiles(out / "evidence" / "httpproxy", self.truth)
        self.org = scenario.org
        self.host = f"mail.{scenario.org.smtp_domain}"
        self.next_probe = scenario.start_utc
        self.end = scenario.end_utc
        self.health = f"{scenario.org.domain}\\HealthMailbox0a1b2c3"

    def _guid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _line(self, protocol: str, t: datetime, stem: str, method: str, user: str, anchor: str, agent: str, ip: str,
              query: str = "", status: int = 200, action: str = "") -> None:
        ms = self.rng.randrange(5, 900)
        values = {
            "DateTime": _iso(t), "RequestId": self._guid(), "MajorVersion": "15", "MinorVersion": "1",
            "BuildVersion": "2375", "RevisionVersion": "7", "Protocol": protocol, "UrlHost": self.host, "UrlStem": stem,
            "ProtocolAction": action,
            "AuthenticationType": "Negotiate" if protocol in ("Mapi", "RpcHttp", "Ews") else "Basic",
            "IsAuthenticated": "true" if user else "false", "AuthenticatedUser": user,
            "Organization": self.org.smtp_domain if user else "", "AnchorMailbox": anchor, "UserAgent": agent,
            "ClientIpAddress": ip, "ServerHostName": self.org.cas_server, "HttpStatus": str(status),
            "BackEndStatus": str(status) if status != 401 else "", "Method": method,
            "ProxyAction": "Proxy" if user else "", "TargetServer": self.org.mailbox_fqdn if user else "",
            "TargetServerVersion": "15.01.2375.000" if user else "", "RoutingType": "IntraForest" if user else "",
            "RequestBytes": str(self.rng.randrange(200, 5000)), "ResponseBytes": str(self.rng.randrange(200, 90000)),
            "TotalRequestTime": str(ms), "UrlQuery": query,
            "GenericInfo": f"BeginRequest={_iso(t)};CorrelationID=<empty>;ProxyState-Run=None;"
                           f"ProxyState-Complete=ProxyResponseData;SharedCacheGuard=0;EndRequest={_iso(t)};",
            "RoutingStatus": "CafeV1" if user else "",
        }
        self.files.write(protocol, t, values)

    def probes_until(self, moment: datetime | None) -> None:
        while self.next_probe < self.end and (moment is None or self.next_probe <= moment):
            self._line("Ews", self.next_probe, "/ews/", "GET", self.health, f"Sid~{self.org.domain_sid}-1142",
                       PROBE_UA, "127.0.0.1")
            self.truth.tally.noise_records += 1
            self.next_probe += timedelta(minutes=self.probe_minutes)

    def _count(self, a: Access, source_op: str, mailbox: str) -> None:
        self.truth.tally.row(a.time, "WebRequest", mailbox, a.actor.account, a.mailbox.key, a.actor.key,
                             expected_logon_type(a.actor, a.mailbox, None), a.client_ip, source_operation=source_op,
                             incident=a.incident)

    def _challenged(self, protocol: str, a: Access, stem: str, method: str, anchor: str, query: str) -> None:
        """About one request in ten is first answered 401, before the client authenticates."""
        if self.rng.random() < 0.1:
            self._line(protocol, a.time, stem, method, "", anchor, a.user_agent, a.client_ip, query, status=401)
            self.truth.tally.challenge_records += 1

    def add(self, a: Access) -> None:
        ch = a.channel
        rpc = ch == "outlook" and a.process == "OUTLOOK.EXE" and a.actor.outlook_transport == "rpc"
        domain = self.org.smtp_domain
        if not a.is_store:
            if rpc:  # Outlook Anywhere: one RPC_IN_DATA + RPC_OUT_DATA channel pair per session
                self.probes_until(a.time)
                target = f"{a.mailbox.mailbox_guid}@{domain}"
                for method in ("RPC_IN_DATA", "RPC_OUT_DATA"):
                    query = f"?{target}:6001"
                    self._challenged("RpcHttp", a, "/rpc/rpcproxy.dll", method, "", query)
                    self._line("RpcHttp", a.time, "/rpc/rpcproxy.dll", method, a.actor.account,
                               f"MailboxGuid~{a.mailbox.mailbox_guid}", "MSRPC", a.client_ip, query)
                    self._count(a, f"RpcHttp {method}", target)
            return
        if ch == "outlook" and (a.process != "OUTLOOK.EXE" or rpc):
            return
        if ch in ("owa", "eas") and a.operation not in ("FolderOpen", "MessageOpen"):
            return
        self.probes_until(a.time)
        user, ip, ua = a.actor.account, a.client_ip, a.user_agent
        if ch == "owa":
            action = "GetItem" if a.operation == "MessageOpen" else "FindItem"
            anchor = f"Smtp~{a.mailbox.smtp}"
            if self.rng.random() < 0.3:
                self._line("Owa", a.time, "/owa/prem/15.1.2375.7/resources/styles/0/owafont_segoe.css", "GET", user,
                           anchor, ua, ip)
                self.truth.tally.noise_records += 1
            query = f"?action={action}&app=Mail&n={self.rng.randrange(1, 99)}"
            self._challenged("Owa", a, "/owa/service.svc", "POST", anchor, query)
            self._line("Owa", a.time, "/owa/service.svc", "POST", user, anchor, ua, ip, query)
            self._count(a, f"Owa {action}", a.mailbox.smtp)
        elif ch == "ews":
            anchor = f"Smtp~{a.mailbox.smtp}"
            self._challenged("Ews", a, "/EWS/Exchange.asmx", "POST", anchor, "")
            self._line("Ews", a.time, "/EWS/Exchange.asmx", "POST", user, anchor, ua, ip)
            self._count(a, "Ews", a.mailbox.smtp)
        elif ch == "eas":
            cmd = "Sync" if a.operation == "FolderOpen" else "ItemOperations"
            anchor = f"Sid~{a.mailbox.sid}"
            query = (f"?Cmd={cmd}&User={self.org.domain}%5C{a.actor.alias}&DeviceId={a.actor.device_id}"
                     f"&DeviceType={a.actor.device_type}")
            stem = "/Microsoft-Server-ActiveSync/default.eas"
            self._challenged("Eas", a, stem, "POST", anchor, query)
            self._line("Eas", a.time, stem, "POST", user, anchor, ua, ip, query)
            self._count(a, f"Eas Cmd={cmd}", a.mailbox.sid)
        else:
            target = f"{a.mailbox.mailbox_guid}@{domain}"
            query = f"?MailboxId={target}"
            anchor = f"MailboxGuid~{a.mailbox.mailbox_guid}"
            self._challenged("Mapi", a, "/mapi/emsmdb/", "POST", anchor, query)
            self._line("Mapi", a.time, "/mapi/emsmdb/", "POST", user, anchor, ua, ip, query)
            self._count(a, "Mapi", target)

    def close(self) -> None:
        self.probes_until(None)
        self.files.close()
