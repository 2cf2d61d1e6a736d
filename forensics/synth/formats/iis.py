"""IIS W3C logs: Exchange 2003 OWA/WebDAV back end, and Exchange 2013+ client access.

Which accesses each log carries (``Logon`` accesses never produce a line of their own):

- ``iis-2003`` (``evidence/iis2003/W3SVC1/exYYMMDD.log``): OWA FolderOpen (``GET`` or
  ``PROPFIND`` of ``/exchange/<smtp>/<folder>/``) and MessageOpen (``GET
  /exchange/<smtp>/<folder>/<subject>.EML Cmd=open``). Mailbox = the SMTP in the path.
- ``iis`` (``evidence/iis/W3SVC1/u_exYYMMDD.log``): OWA FolderOpen/MessageOpen (``ae=Folder`` /
  ``ae=Item``; the URL names ``/owa/<smtp>/`` only when another mailbox is opened, otherwise the
  actor's own mailbox is meant: expected mailbox = the actor); EWS requests (``WebRequest``,
  no mailbox recorded: logon type Unknown); ActiveSync ``Cmd=Sync`` for FolderOpen and
  ``Cmd=ItemOperations`` for MessageOpen (``WebRequest``, mailbox = ``User=``); Outlook
  (``OUTLOOK.EXE``) over MAPI/HTTP, one ``POST /mapi/emsmdb/`` per store access (``WebRequest``,
  mailbox = ``<mailbox GUID>@domain``); Outlook Anywhere (RPC/HTTP) users instead open one
  ``RPC_IN_DATA`` + ``RPC_OUT_DATA`` pair per session (two ``WebRequest`` rows at the logon,
  mailbox = ``<GUID>@domain`` of ``<GUID>@domain:6001``). Services and MAPI tools other than
  Outlook (plain RPC) and sends through web clients do not appear.

Both carry noise that is no mailbox access (health probes, static files) and 401 challenge
pairs: about one request in ten is first logged anonymously with 401 in the same second.
Neither is a row. File days roll over at UTC midnight; one 2013+ file has a second
``#Fields`` block (an IIS restart) with a different field list.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO
from urllib.parse import quote, quote_plus

from forensics.synth.accesses import Access
from forensics.synth.formats.base import Emitter, FormatTruth, expected_logon_type
from forensics.synth.scenario import Scenario

FIELDS_2003 = ("date time s-sitename s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
               "cs(User-Agent) sc-status sc-substatus sc-win32-status")
FIELDS_2013 = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
               "cs(Referer) sc-status sc-substatus sc-win32-status time-taken")
FIELDS_2013_RESTART = ("date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip "
                       "cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken")
UA_2003 = "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1; SV1)"
PROBE_UA = "AMProbe/Local/ClientAccess"
CARRIES_2003 = ("OWA FolderOpen (GET or PROPFIND of /exchange/<smtp>/<folder>/) and MessageOpen "
                "(GET /exchange/<smtp>/<folder>/<subject>.EML Cmd=open); mailbox = the SMTP in the path; "
                "plus noise (probes, static files) and 401 challenge halves, which are not rows")
CARRIES_2013 = ("OWA FolderOpen/MessageOpen (ae=Folder/ae=Item; /owa/<smtp>/ only when another mailbox is "
                "opened, else the expected mailbox is the actor's cs-username); EWS POSTs (WebRequest, no "
                "mailbox, Unknown); ActiveSync Cmd=Sync/ItemOperations (WebRequest, mailbox = User=); Outlook "
                "MAPI/HTTP POST /mapi/emsmdb/ per store access (WebRequest, mailbox = <GUID>@domain); Outlook "
                "Anywhere users: RPC_IN_DATA + RPC_OUT_DATA /rpc/rpcproxy.dll per session (2 WebRequest rows at the "
                "logon, mailbox = <GUID>@domain from <GUID>@domain:6001, their store accesses have no line); plus "
                "noise (probes, static files) and 401 challenge halves, which are not rows")
_SUBJECT_SAFE = ":()-,'!&"


def _ua(text: str) -> str:
    return text.replace(" ", "+")


def _stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


class _DailyFiles:
    """One log file per UTC day, headers written on open."""

    def __init__(self, folder: Path, prefix: str, software: str, fields: str, truth: FormatTruth) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.software = software
        self.fields = fields
        self.truth = truth
        self.day: str | None = None
        self.f: TextIO | None = None

    def header(self, t: datetime, fields: str) -> None:
        assert self.f is not None
        self.f.write(f"#Software: {self.software}\r\n#Version: 1.0\r\n#Date: {_stamp(t)}\r\n#Fields: {fields}\r\n")

    def line(self, t: datetime, text: str) -> None:
        day = t.strftime("%y%m%d")
        if day != self.day:
            if self.f is not None:
                self.f.close()
            path = self.folder / f"{self.prefix}{day}.log"
            self.truth.files.append(path)
            self.f = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed on roll/close
            self.day = day
            self.header(t, self.fields)
        assert self.f is not None
        self.f.write(text + "\r\n")
        self.truth.tally.records += 1

    def close(self) -> None:
        if self.f is not None:
            self.f.close()
            self.f = None


class _IisEmitter(Emitter):
    probe_minutes = 15

    def __init__(self, scenario: Scenario, out: Path, seed: int) -> None:
        super().__init__(scenario, out)
        self.rng = random.Random(f"{scenario.name}:{seed}:{type(self).__name__}")
        self.next_probe = scenario.start_utc
        self.end = scenario.end_utc

    def probes_until(self, moment: datetime | None) -> None:
        while self.next_probe < self.end and (moment is None or self.next_probe <= moment):
            self.probe(self.next_probe)
            self.truth.tally.noise_records += 1
            self.next_probe += timedelta(minutes=self.probe_minutes)

    def probe(self, t: datetime) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def count(self, a: Access, operation: str, source_op: str, mailbox: str, mailbox_person: str,
              logon_type: str) -> None:
        self.truth.tally.row(a.time, operation, mailbox, a.actor.account, mailbox_person, a.actor.key,
                             logon_type, a.client_ip, source_operation=source_op, incident=a.incident)


class Iis2003Emitter(_IisEmitter):
    """Exchange 2003 OWA / WebDAV back-end log (IIS 6)."""

    probe_minutes = 60

    def __init__(self, scenario: Scenario, out: Path, seed: int) -> None:
        super().__init__(scenario, out, seed)
        self.truth = FormatTruth("iis-2003", "iis", CARRIES_2003, "utc")
        self.truths = [self.truth]
        self.files = _DailyFiles(out / "evidence" / "iis2003" / "W3SVC1", "ex",
                                 "Microsoft Internet Information Services 6.0", FIELDS_2003, self.truth)
        self.sip = scenario.org.mailbox_server_ip

    def _line(self, t: datetime, method: str, stem: str, query: str, user: str, ip: str, ua: str,
              status: str = "200 0 0") -> None:
        self.files.line(t, f"{_stamp(t)} W3SVC1 {self.sip} {method} {stem} {query or '-'} 80 {user or '-'} "
                           f"{ip} {_ua(ua) if ua else '-'} {status}")

    def probe(self, t: datetime) -> None:
        self._line(t, "GET", "/exchweb/bin/auth/owalogon.asp", "", "", "127.0.0.1", "")

    def add(self, a: Access) -> None:
        if a.channel != "owa" or a.operation not in ("FolderOpen", "MessageOpen"):
            return
        self.probes_until(a.time)
        rng = self.rng
        folder = "/".join(quote_plus(part, safe=_SUBJECT_SAFE) for part in a.folder.strip("/").split("/"))
        base = f"/exchange/{a.mailbox.smtp}/{folder}/"
        if a.operation == "FolderOpen":
            method, stem, query, src = ("PROPFIND", base, "", "PROPFIND") if a.seq % 3 == 0 else ("GET", base, "", "GET")
        else:
            method, stem, query, src = "GET", base + quote_plus(a.subject, safe=_SUBJECT_SAFE) + ".EML", "Cmd=open", "GET Cmd=open"
        if rng.random() < 0.1:
            self._line(a.time, method, stem, query, "", a.client_ip, UA_2003, "401 2 2148074254")
            self.truth.tally.challenge_records += 1
        self._line(a.time, method, stem, query, a.actor.account, a.client_ip, UA_2003)
        self.count(a, a.operation, src, a.mailbox.smtp, a.mailbox.key, expected_logon_type(a.actor, a.mailbox, None))
        if rng.random() < 0.3:
            self._line(a.time, "GET", "/exchweb/img/icon-msg-unread.gif", "", a.actor.account, a.client_ip, UA_2003)
            self.truth.tally.noise_records += 1

    def close(self) -> None:
        self.probes_until(None)
        self.files.close()


class IisEmitter(_IisEmitter):
    """Exchange 2013+ client access (front end, Default Web Site, IIS 10)."""

    def __init__(self, scenario: Scenario, out: Path, seed: int) -> None:
        super().__init__(scenario, out, seed)
        self.truth = FormatTruth("iis", "iis", CARRIES_2013, "utc")
        self.truths = [self.truth]
        self.files = _DailyFiles(out / "evidence" / "iis" / "W3SVC1", "u_ex",
                                 "Microsoft Internet Information Services 10.0", FIELDS_2013, self.truth)
        self.sip = scenario.org.cas_ip
        self.host = f"mail.{scenario.org.smtp_domain}"
        self.domain = scenario.org.smtp_domain
        # the IIS restart: noon UTC of day 3, the rest of that file has another field list
        self.restart_at = scenario.start_utc.replace(hour=12, minute=0, second=0) + timedelta(days=3)
        self.restart_day: str | None = None

    def _line(self, t: datetime, method: str, stem: str, query: str, user: str, ip: str, ua: str,
              referer: str = "", status: str = "200 0 0", taken: int = 0) -> None:
        if self.restart_day is None and t >= self.restart_at and self.files.day == t.strftime("%y%m%d"):
            self.restart_day = self.files.day
            self.files.header(t, FIELDS_2013_RESTART)
        ua_part = _ua(ua) if ua else "-"
        if self.restart_day is not None and self.files.day == self.restart_day and t.strftime("%y%m%d") == self.restart_day:
            text = (f"{_stamp(t)} {self.sip} {method} {stem} {query or '-'} 443 {user or '-'} {ip} {ua_part} "
                    f"{status} {taken}")
        else:
            text = (f"{_stamp(t)} {self.sip} {method} {stem} {query or '-'} 443 {user or '-'} {ip} {ua_part} "
                    f"{referer or '-'} {status} {taken}")
        self.files.line(t, text)

    def probe(self, t: datetime) -> None:
        self._line(t, "GET", "/owa/healthcheck.htm", "", "", "127.0.0.1", PROBE_UA, taken=3)

    def _cafe(self) -> str:
        bits = self.rng.getrandbits(128)
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _rpc(self, a: Access) -> None:
        """Outlook Anywhere: one RPC_IN_DATA + RPC_OUT_DATA channel pair per session."""
        target = f"{a.mailbox.mailbox_guid}@{self.domain}"
        query = f"{target}:6001&CorrelationID=<empty>;&cafeReqId={self._cafe()};"
        logon = expected_logon_type(a.actor, a.mailbox, None)
        for method in ("RPC_IN_DATA", "RPC_OUT_DATA"):
            if self.rng.random() < 0.1:
                self._line(a.time, method, "/rpc/rpcproxy.dll", query, "", a.client_ip, "MSRPC", status="401 1 2148074254",
                           taken=1)
                self.truth.tally.challenge_records += 1
            self._line(a.time, method, "/rpc/rpcproxy.dll", query, a.actor.account, a.client_ip, "MSRPC",
                       taken=self.rng.randrange(60_000, 900_000))
            self.count(a, "WebRequest", f"RPC {method}", target, a.mailbox.key, logon)

    def add(self, a: Access) -> None:
        ch = a.channel
        rpc = ch == "outlook" and a.process == "OUTLOOK.EXE" and a.actor.outlook_transport == "rpc"
        if not a.is_store:
            if rpc:
                self.probes_until(a.time)
                self._rpc(a)
            return
        if ch == "outlook" and (a.process != "OUTLOOK.EXE" or rpc):
            return
        if ch in ("owa", "eas") and a.operation not in ("FolderOpen", "MessageOpen"):
            return
        self.probes_until(a.time)
        rng = self.rng
        user, ip, ua = a.actor.account, a.client_ip, a.user_agent
        owner = a.actor is a.mailbox
        taken = rng.randrange(15, 400)
        if ch == "owa":
            kind = "Folder" if a.operation == "FolderOpen" else "Item"
            stem = "/owa/" if owner else f"/owa/{a.mailbox.smtp}/"
            item_class = "IPF.Note" if kind == "Folder" else "IPM.Note"
            ident = a.item_id or "LgAAAAD" + a.mailbox.mailbox_guid.replace("-", "").upper()
            query = f"ae={kind}&t={item_class}&id={quote(ident, safe='')}"
            if rng.random() < 0.3:
                self._line(a.time, "GET", "/owa/prem/15.2.1118.40/resources/styles/0/owafont_segoe.css", "",
                           user, ip, ua, f"https://{self.host}/owa/", taken=2)
                self.truth.tally.noise_records += 1
            self._line(a.time, "GET", stem, query, user, ip, ua, f"https://{self.host}/owa/", taken=taken)
            self.count(a, a.operation, f"OWA ae={kind}", a.actor.account if owner else a.mailbox.smtp,
                       a.mailbox.key, expected_logon_type(a.actor, a.mailbox, None))
            return
        if ch == "ews":
            method, stem, query = "POST", "/EWS/Exchange.asmx", f"&CorrelationID=<empty>;&cafeReqId={self._cafe()};"
            op, mailbox, person, logon = "EWS", "", "", "Unknown"
        elif ch == "eas":
            cmd = "Sync" if a.operation == "FolderOpen" else "ItemOperations"
            method, stem = "POST", "/Microsoft-Server-ActiveSync/default.eas"
            query = (f"User={a.mailbox.alias}&DeviceId={a.actor.device_id}&DeviceType={a.actor.device_type}"
                     f"&Cmd={cmd}&CorrelationID=<empty>;&cafeReqId={self._cafe()};")
            # EAS opens only the signed-in user's mailbox: the parser records cs-username, Owner by protocol
            op, mailbox, person = f"EAS Cmd={cmd}", user, a.mailbox.key
            logon = "Owner" if owner else expected_logon_type(a.actor, a.mailbox, None)
        else:
            method, stem = "POST", "/mapi/emsmdb/"
            mailbox = f"{a.mailbox.mailbox_guid}@{self.domain}"
            query = f"MailboxId={mailbox}&CorrelationID=<empty>;&cafeReqId={self._cafe()};"
            op, person = "MAPI", a.mailbox.key
            logon = expected_logon_type(a.actor, a.mailbox, None)
        if rng.random() < 0.1:
            self._line(a.time, method, stem, query, "", ip, ua, status="401 0 0", taken=1)
            self.truth.tally.challenge_records += 1
        self._line(a.time, method, stem, query, user, ip, ua, taken=taken)
        self.count(a, "WebRequest", op, mailbox, person, logon)

    def close(self) -> None:
        self.probes_until(None)
        self.files.close()
