"""Build small Event Viewer exports (XML, CSV) for parser and learn-map tests."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from forensics.evtx.maps import load_maps
from forensics.evtx.rendered import render

NS = "http://schemas.microsoft.com/win/2004/08/events/event"

#: One folder access in the bundled 10100 layout (order of the rendered text).
FOLDER_OPEN = [
    "/Inbox", "CEO Mailbox", "CONTOSO\\pat", "Pat Assistant",
    "/o=Contoso/ou=Exchange Administrative Group/cn=Recipients/cn=pat", "False",
    "{6f1c2d3e-1111-2222-3333-444455556666}", "WKS042", "10.1.2.3", "OUTLOOK.EXE", "4321", "",
]


def bundled(provider: str, event_id: int):
    return load_maps().get(provider, event_id)


def event_xml(
    record_id: int,
    provider: str,
    event_id: int,
    strings: list[str] | None,
    message: str | None = None,
    *,
    time: str = "2010-03-04T15:22:41.000000000Z",
    channel: str = "Exchange Auditing",
    computer: str = "EXMBX01.contoso.com",
    user_data: str = "",
) -> str:
    """One ``<Event>``; ``user_data`` is raw ``<UserData>…</UserData>`` markup placed after
    the EventData (manifest events such as a cleared log carry it instead of EventData)."""
    data = "" if strings is None else "<EventData>" + "".join(f"<Data>{escape(s)}</Data>" for s in strings) + "</EventData>"
    data += user_data
    rendering = ""
    if message is not None:
        rendering = (
            "<RenderingInfo Culture='en-US'>"
            f"<Message>{escape(message)}</Message><Level>Information</Level><Task>Folder Access</Task>"
            "</RenderingInfo>"
        )
    return (
        f"<Event xmlns='{NS}'><System><Provider Name={quoteattr(provider)}/>"
        f"<EventID Qualifiers='16384'>{event_id}</EventID><Level>4</Level><Task>1</Task>"
        f"<Keywords>0x80000000000000</Keywords><TimeCreated SystemTime='{time}'/>"
        f"<EventRecordID>{record_id}</EventRecordID><Channel>{channel}</Channel>"
        f"<Computer>{computer}</Computer><Security/></System>{data}{rendering}</Event>"
    )


def export_xml(events: list[str], prolog: str = '<?xml version="1.0" encoding="UTF-8"?>\r\n') -> str:
    return prolog + "<Events>" + "\r\n".join(events) + "</Events>\r\n"


def rendered(provider: str, event_id: int, strings: list[str]) -> str:
    """The message Windows would render for ``strings`` under the bundled template."""
    return render(bundled(provider, event_id), strings)


def csv_field(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
