"""Exchange 2013+ message tracking logs: which mailbox submitted a message with which From address.

Files (``evidence/msgtrk/``), one per log kind and UTC day, named as Exchange names them
(``<prefix><yyyymmddhh>-1.LOG``): ``MSGTRKMS`` (mailbox submission service: ``STOREDRIVER
SUBMIT``), ``MSGTRK`` (transport service: ``STOREDRIVER RECEIVE`` of the submitted message,
``SMTP RECEIVE`` of inbound mail), ``MSGTRKMD`` (mailbox delivery: ``STOREDRIVER DELIVER``).
Header ``#Software: Microsoft Exchange Server``, ``#Version: 15.0.0.0``, ``#Log-type: Message
Tracking Log``, ``#Date``, ``#Fields`` (the 30 fields of 2013+: Microsoft, "Message tracking in
Exchange Server", learn.microsoft.com/exchange/mail-flow/transport-logs/message-tracking, and
"Understanding Message Tracking", technet bb124375, as ``parsers/w3c/msgtrk_events`` cites).

Rows: every ``SendAs`` access of the stream is one submission from the actor's own mailbox
(``source-context`` ``Mailbox:<actor's mailbox GUID>``) with the mailbox owner's address as
``sender-address``: a SUBMIT in MSGTRKMS and its RECEIVE in MSGTRK, each a ``Send`` row (two
logs: the parser pairs a RECEIVE only with a SUBMIT of the same file; ``correlate`` joins the
two). ``SendOnBehalf`` accesses are not written: which address the envelope (``sender-address``)
holds for an on-behalf message is not in the documentation we follow, and a guessed line would
make the truth claim more than we know. Owners' own sends are not in the access stream and are
not invented here. Noise, no row: the DELIVER of each sent message to its internal recipient
and, at about one logon in ten, an inbound ``SMTP RECEIVE`` + ``DELIVER`` to the logon's mailbox.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from forensics.synth.accesses import Access
from forensics.synth.formats.base import Emitter, FormatTruth
from forensics.synth.scenario import Person, Scenario

FIELDS = ("date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,connector-id,source,"
          "event-id,internal-message-id,message-id,network-message-id,recipient-address,recipient-status,"
          "total-bytes,recipient-count,related-recipient-address,reference,message-subject,sender-address,"
          "return-path,message-info,directionality,tenant-id,original-client-ip,original-server-ip,custom-data,"
          "transport-traffic-type,log-id,schema-version")
NAMES = FIELDS.split(",")
VERSION = "15.0.0.0"
CLIENT_TYPES = {"outlook": "MOMT", "owa": "OWA", "ews": "WebServices", "eas": "AirSync"}
CARRIES = ("each SendAs access as a STOREDRIVER SUBMIT (MSGTRKMS) and its STOREDRIVER RECEIVE (MSGTRK), each a Send "
           "row: actor = the submitting mailbox's GUID (the delegate's; resolved through identities.csv ExchangeGuid), "
           "mailbox = sender-address (the owner's SMTP address); SendOnBehalf not written; DELIVER and inbound SMTP "
           "RECEIVE lines are noise (not rows)")


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _cell(value: str) -> str:
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


class _DailyFiles:
    """One file per log prefix and UTC day; a line a few ms past midnight stays in the open file."""

    def __init__(self, root: Path, truth: FormatTruth) -> None:
        self.root = root
        self.truth = truth
        self.open: dict[str, tuple[str, TextIO]] = {}

    def write(self, prefix: str, t: datetime, values: dict[str, str]) -> None:
        day = t.strftime("%Y%m%d")
        current = self.open.get(prefix)
        if current is None or current[0] < day:
            if current is not None:
                current[1].close()
            self.root.mkdir(parents=True, exist_ok=True)
            path = self.root / f"{prefix}{t.strftime('%Y%m%d%H')}-1.LOG"
            self.truth.files.append(path)
            f = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed on roll/close
            f.write(f"#Software: Microsoft Exchange Server\r\n#Version: {VERSION}\r\n#Log-type: Message Tracking Log\r\n"
                    f"#Date: {_iso(t)}\r\n#Fields: {FIELDS}\r\n")
            current = self.open[prefix] = (day, f)
        cells = [""] * len(NAMES)
        for name, value in values.items():
            cells[NAMES.index(name)] = _cell(value)
        current[1].write(",".join(cells) + "\r\n")
        self.truth.tally.records += 1

    def close(self) -> None:
        for _, f in self.open.values():
            f.close()
        self.open.clear()


class MessageTrackingEmitter(Emitter):
    """The mailbox server's message tracking logs (2013+ layout, one server with every role)."""

    def __init__(self, scenario: Scenario, out: Path, seed: int) -> None:
        super().__init__(scenario, out)
        self.rng = random.Random(f"{scenario.name}:{seed}:{type(self).__name__}")
        self.truth = FormatTruth("msgtrk", "msgtrk", CARRIES, "utc")
        self.truths = [self.truth]
        self.files = _DailyFiles(out / "evidence" / "msgtrk", self.truth)
        self.org = scenario.org
        self.server = scenario.org.mailbox_server
        self.ip = scenario.org.mailbox_server_ip
        self.fqdn = scenario.org.mailbox_fqdn
        self.mdb = self._guid()
        self.internal = 1000
        self.mailboxes = [p for p in scenario.people if p.has_mailbox]

    def _guid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _base(self, t: datetime, source: str, event: str, message_id: str, subject: str, sender: str,
              recipient: str) -> dict[str, str]:
        self.internal += 1
        return {"date-time": _iso(t), "client-ip": self.ip, "client-hostname": self.fqdn, "server-ip": self.ip,
                "server-hostname": self.server, "source": source, "event-id": event,
                "internal-message-id": str(self.internal), "message-id": message_id,
                "network-message-id": self._guid(), "recipient-address": recipient, "total-bytes": "",
                "recipient-count": "1", "message-subject": subject, "sender-address": sender, "return-path": sender,
                "log-id": self._guid(), "schema-version": "15.01.2375.007"}

    def _deliver(self, t: datetime, message_id: str, subject: str, sender: str, recipient: Person) -> None:
        values = self._base(t, "STOREDRIVER", "DELIVER", message_id, subject, sender, recipient.smtp)
        values.update({"source-context": f"{self.rng.randrange(10, 99)}", "recipient-status": "",
                       "directionality": "Incoming", "message-info": _iso(t - timedelta(seconds=1))})
        self.files.write("MSGTRKMD", t, values)
        self.truth.tally.noise_records += 1

    def _inbound(self, a: Access) -> None:
        t = a.time + timedelta(milliseconds=self.rng.randrange(100, 900))
        sender = f"news{self.rng.randrange(1, 50)}@mail.example.net"
        message_id = f"<{self.rng.getrandbits(64):016x}@mail.example.net>"
        values = self._base(t, "SMTP", "RECEIVE", message_id, "Newsletter", sender, a.mailbox.smtp)
        values.update({"client-ip": "203.0.113.25", "client-hostname": "mail.example.net",
                       "connector-id": f"{self.server}\\Default Frontend {self.server}",
                       "source-context": f"08D9{self.rng.getrandbits(48):012X};250 2.6.0 queued", "directionality": "Incoming",
                       "original-client-ip": "203.0.113.25"})
        self.files.write("MSGTRK", t, values)
        self.truth.tally.noise_records += 1
        self._deliver(t + timedelta(milliseconds=40), message_id, "Newsletter", sender, a.mailbox)

    def _send_as(self, a: Access) -> None:
        recipient = self.rng.choice(self.mailboxes)
        context = (f"MDB:{self.mdb}, Mailbox:{a.actor.mailbox_guid}, Event:{self.rng.randrange(10**6, 10**8)}, "
                   f"MessageClass:IPM.Note, CreationTime:{_iso(a.time - timedelta(seconds=2))}, "
                   f"ClientType:{CLIENT_TYPES.get(a.channel, 'MOMT')}")
        sender = a.mailbox.smtp
        submit = self._base(a.time, "STOREDRIVER", "SUBMIT", a.message_id, a.subject, sender, recipient.smtp)
        submit.update({"source-context": context, "total-bytes": str(a.size), "directionality": "Originating"})
        self.files.write("MSGTRKMS", a.time, submit)
        self._row(a, a.time, "SUBMIT", "")
        received = a.time + timedelta(milliseconds=self.rng.randrange(50, 1500))
        receive = self._base(received, "STOREDRIVER", "RECEIVE", a.message_id, a.subject, sender, recipient.smtp)
        receive.update({"source-context": context, "total-bytes": str(a.size), "directionality": "Originating",
                        "original-client-ip": a.client_ip})
        self.files.write("MSGTRK", received, receive)
        self._row(a, received, "RECEIVE", a.client_ip)
        self._deliver(received + timedelta(milliseconds=60), a.message_id, a.subject, sender, recipient)

    def _row(self, a: Access, t: datetime, event: str, ip: str) -> None:
        # the written (millisecond) time, as the parser reads it
        t = t.replace(microsecond=t.microsecond // 1000 * 1000)
        self.truth.tally.row(t, "Send", a.mailbox.smtp, a.actor.mailbox_guid, a.mailbox.key, a.actor.key,
                             "Owner" if a.actor is a.mailbox else "Delegate", ip, source_operation=event,
                             incident=a.incident)

    def add(self, a: Access) -> None:
        if a.operation == "SendAs":
            self._send_as(a)
        elif a.operation == "Logon" and a.mailbox.has_mailbox and self.rng.random() < 0.1:
            self._inbound(a)

    def close(self) -> None:
        self.files.close()
