"""The correlation rules as data: source families, comparable operations, time windows.

Kept apart from the matching code so the README, the methodology text of reports and the
tests read the same table the code applies. Every window was chosen from what the sources
document about when they stamp a record (``/work/shared/reference/evidence-formats.md``):

* the Exchange Auditing log (10100-10106) and ``Search-MailboxAuditLog`` exports are written
  by the same mailbox store for the same operation, on the same clock: ±2 s;
* an IIS line is written when the HTTP request completes, on the Client Access server's
  clock, around the store operation it caused: ±5 s;
* a Microsoft 365 ``MailItemsAccessed`` *Bind* record aggregates the binds of one session for
  up to 2 minutes and carries the time of the first (Microsoft Learn, "Use MailItemsAccessed
  to investigate compromised accounts": "aggregated ... within a 2-minute window"); every
  item of it is stamped with that time, so the open it records lies 0..120 s *after* the
  row's time (+2 s of clock): the window is [-122 s, +5 s] for row time minus the other row's;
* other UAL records (FolderBind, Sync, Send, logins) are stamped when they happen: ±5 s;
* two files of the same family (an .evtx and its Event Viewer XML/CSV export, the three UAL
  layouts, two mailbox-audit exports) record the same access only as the *same record*:
  identical second, persons, operation, folder and item (IIS lines: also the same line number,
  as in a partial copy of a log; two servers' logs can hold identical lines of two requests).
"""

from __future__ import annotations

from dataclasses import dataclass

#: source_format -> family (one kind of recorder: rows of one family share a clock)
FAMILIES: dict[str, str] = {
    "evtx": "eventlog", "evtx-xml": "eventlog", "evtx-csv": "eventlog",
    "mailbox-audit": "mailbox-audit", "iis": "iis", "httpproxy": "httpproxy", "ual": "ual",
}
#: families in anchoring order: the first present founds the accesses, the others join them
FAMILY_ORDER: tuple[str, ...] = ("eventlog", "mailbox-audit", "iis", "httpproxy", "ual")

#: operation -> access class (operations of one class record the same kind of access);
#: MailItemsAccessed is decided by its MailAccessType (Bind -> message, Sync -> folder)
OPERATION_CLASSES: dict[str, str] = {
    "FolderOpen": "FolderOpen", "MessageOpen": "MessageOpen", "SendAs": "SendAs",
    "SendOnBehalf": "SendOnBehalf", "Send": "Send", "Logon": "Logon",
    "SoftDelete": "SoftDelete", "HardDelete": "HardDelete", "MoveToDeletedItems": "MoveToDeletedItems",
    # an Entra ID sign-in (a Logon row naming no mailbox: UserLoggedIn) authenticates to the
    # tenant; it is not the mailbox logon of the same session, so it never joins one
    "SignIn": "SignIn",
}
#: a web request seen by the front end twice: its HttpProxy line and its IIS line. Given to
#: ``WebRequest`` rows of IIS and HttpProxy logs only when HttpProxy rows are loaded (``keys``),
#: keyed by client address and protocol as well as the persons, and never joined within one
#: family (two IIS logs, or two servers' HttpProxy logs, hold different requests)
WEB_REQUEST = "WebRequest"
WEB_REQUEST_FORMATS = frozenset({"iis", "httpproxy"})
#: the access operation counted when rows of several sources are one access
CLASS_OPERATIONS: dict[str, str] = {name: name for name in [*OPERATION_CLASSES.values(), WEB_REQUEST]}


@dataclass(frozen=True)
class Window:
    """Allowed ``incoming row time - founding row time``, in seconds, and the rule's name."""

    lo: float
    hi: float
    rule: str
    #: "nearest" (the closest founding row) or "forward" (the earliest one in the window:
    #: an aggregated record's items are the opens that follow its time, in order)
    mode: str = "nearest"


SAME_RECORD = "same-record"  # one record in several exports of one family
#: a message's STOREDRIVER SUBMIT and RECEIVE in two message tracking logs (MSGTRKMS, MSGTRK):
#: one send, recognised by message-id, submitting mailbox and sender address, whatever their times
SAME_MESSAGE = "tracking-same-message"
#: source formats whose Send rows are keyed by message (``keys.row_keys``)
MESSAGE_KEYED = frozenset({"msgtrk"})
FOUNDING = "founding"  # the row an access was founded on
ALONE = "alone"  # an access seen in one row only

STORE = Window(-2, 2, "store-clock ±2s")
SAME_FAMILY = Window(-2, 2, "same-family ±2s")
IIS = Window(-5, 5, "iis-request ±5s")
UAL = Window(-5, 5, "ual-record ±5s")
UAL_BIND = Window(-122, 5, "ual-bind-window -122s..+5s", "forward")
#: the front end writes its HttpProxy line and its IIS line when the same request completes,
#: on the same clock: ±2 s
PROXY = Window(-2, 2, "httpproxy-iis ±2s")


def window(incoming: str, anchor: str, access_class: str) -> Window:
    """The window for a row of family ``incoming`` joining an access founded by ``anchor``
    (``anchor`` comes first in ``FAMILY_ORDER``, or is the same family)."""
    if incoming == anchor:
        return SAME_FAMILY
    if "httpproxy" in (incoming, anchor):
        return PROXY
    if incoming == "ual":
        return UAL_BIND if access_class == "MessageOpen" else UAL
    if "iis" in (incoming, anchor):
        return IIS
    return STORE


#: one line per rule, for the README and the methodology section of reports
RULES_TEXT: tuple[str, ...] = (
    "Rows are one access only when they name the same mailbox person and the same actor person "
    "(identity resolution's person keys; a row missing either is never merged), record the same kind "
    "of access (FolderOpen = 10100, FolderBind, IIS folder request, MailItemsAccessed Sync; MessageOpen = "
    "10102, MessageBind, IIS message request, MailItemsAccessed Bind; SendAs, SendOnBehalf, Send, Logon, "
    "deletes by name), and name the same folder and the same item wherever both rows name one in the same "
    "form (folder paths compared without case or slash style; subjects without case or a trailing .EML; "
    "message ids with message ids).",
    "Two rows of one evidence file are never one access.",
    "Message tracking: a message's STOREDRIVER SUBMIT and RECEIVE (the mailbox submission and the transport "
    "service taking it in, logged in MSGTRKMS and MSGTRK on Exchange 2013 and later) are one send when they "
    "name the same message-id, submitting mailbox and sender address; within one log the parser rows it once.",
    "Same record: rows of two files of one family (an .evtx and its XML/CSV exports, the UAL layouts, "
    "two mailbox-audit exports) are merged only when identical to the second (two IIS logs: also at the same "
    "line number).",
    "Across families, a row joins the access founded by the first family present, in the order Exchange "
    "Auditing log, mailbox-audit export, IIS, Microsoft 365 UAL, within a window: store clock ±2 s "
    "(event log and mailbox-audit), IIS request ±5 s, UAL record ±5 s, UAL MailItemsAccessed Bind "
    "-122 s..+5 s (the record carries the time of the first bind of a 2-minute aggregation). Each access "
    "takes at most one row of each family layer; a row matching nothing is an access of its own.",
    "HttpProxy and IIS: when HttpProxy logs are loaded, a request's HttpProxy line and its front-end IIS line "
    "(both WebRequest rows) are one access when they name the same user, mailbox, client address, protocol "
    "(MAPI/HTTP, ActiveSync, OWA, ...) and item, within ±2 s; two IIS logs, or two HttpProxy logs, never join "
    "each other this way. IIS lines that the IIS parser reads as FolderOpen/MessageOpen are not joined with "
    "HttpProxy lines.",
    "A MailItemsAccessed Bind row names a message id, the event log and IIS a subject: such rows are "
    "matched by folder and time only, so the count is exact but which message id went with which subject "
    "inside one aggregated record is not asserted.",
    "Clock offsets are measured on the matched rows (median and spread per file); a file whose rows match "
    "item-identical rows of another source only beyond the window is flagged, and no offset is applied.",
)
