"""Small .evt logs for the reader and parser tests, laid out by ``forensics.synth.evt_writer``
after Microsoft's "Event Log File Format" (ELF_LOGFILE_HEADER, EVENTLOGRECORD, ELF_EOF_RECORD)
and libyal's "Windows Event Log (EVT) format" (libevt documentation), including the circular
buffer's wrap with a record split across the end of the file."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

from forensics.synth.evt_writer import AUDIT_SUCCESS, EvtEvent, EvtWriter

T0 = datetime(2008, 3, 4, 9, 0, tzinfo=timezone.utc)
#: strings of an Exchange 2007 SP2 "Folder Access" 10100 in the order of resources/maps (the
#: order of the rendered text, evidence-formats.md 1.2)
FOLDER_ACCESS = ["/Inbox", "Alice Ames", "CONTOSO\\bob", "Bob Burns", "/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=bob",
                 "False", "5e7d3a2c-9a1b-4c2d-8e3f-0a1b2c3d4e5f", "WKS-BOB", "10.0.0.23", "OUTLOOK.EXE", "4412",
                 "MSExchangeRPC"]


def folder_access(i: int, **kw) -> EvtEvent:
    strings = list(FOLDER_ACCESS)
    strings[0] = f"/Inbox/Sub{i}"
    return EvtEvent("MSExchangeIS Auditing", 10100, T0 + timedelta(minutes=i), strings, qualifiers=0x4000,
                    category=1, **kw)


def logon_1016(i: int) -> EvtEvent:
    return EvtEvent("MSExchangeIS Mailbox Store", 1016, T0 + timedelta(minutes=i),
                    [f"CONTOSO\\user{i}", "alice@contoso.com"], qualifiers=0x4000, event_type=AUDIT_SUCCESS, category=7)


def noise(i: int) -> EvtEvent:
    return EvtEvent("MSExchangeIS Mailbox Store", 1221, T0 + timedelta(minutes=i), ["First Storage Group\\Mailbox Store", "120"],
                    qualifiers=0x4000)


def write_log(path: Path, n: int = 30, *, max_size: int | None = None, remove: tuple[int, ...] = (),
              dirty: bool = False) -> Path:
    """``n`` events cycling 10100 / 1016 / 1221, record numbers 1..n."""
    writer = EvtWriter(path, "EXCH2003", max_size=max_size, dirty=dirty)
    makers = (folder_access, logon_1016, noise)
    for i in range(n):
        writer.write(makers[i % 3](i))
    for number in remove:
        writer.remove(number)
    writer.close()
    return path
