"""What a line of an Exchange 2013+ HttpProxy log means: who, whose mailbox, from where.

The front end (Client Access service) writes one line per proxied request into
``Logging\\HttpProxy\\<Protocol>\\HttpProxy_*.LOG`` (``reference/evidence-formats.md`` §7).
The fields read, by name:

* actor: ``AuthenticatedUser`` (``DOMAIN\\user`` or a UPN; empty before authentication).
* mailbox: the mailbox the client named in the URL when it did (MAPI/HTTP ``MailboxId=``,
  RPC/HTTP ``<guid>@<domain>:6001``, OWA explicit logon ``/owa/<smtp>/``), otherwise the
  routing anchor ``AnchorMailbox`` (``Smtp~``, ``MailboxGuid~``, ``Sid~``, ``UserPrincipalName~``,
  ``ExternalDirectoryObjectId~``…). Anchors that name no mailbox (``ServerInfo~``,
  ``DatabaseGuid~``, ``ServerVersion~``, ``Domain~``…) give none. The anchor is kept in
  details; the directory export's ExchangeGuid / Sid links a GUID or SID mailbox to a person.
  For EWS the anchor is usually the signed-in user's own (the EWS log names the target).
* ``ClientIpAddress``, ``UserAgent`` (as ``<protocol>: <agent>``), ``HttpStatus`` (outcome),
  ``ServerHostName``; ``Protocol`` (the log folder: Owa, Ews, Mapi, Eas, RpcHttp, …).

Work is column-wise: distinct anchors, stems, agents and users are analysed once each
(``Uniq``); query strings are split at the byte level (``urlquery``). Lines that are no
access (health probes, static files, unauthenticated 401s, lines naming nobody) are counted
by reason, or kept marked with ``--all-events``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from forensics.parsers.arrowtext import S, Scatter, Uniq, extract, join
from forensics.parsers.w3c.urlquery import QueryParams

#: the fields read (lower-case ``#Fields:`` names); the dozens of latency fields are never materialised
WANTED = frozenset({
    "datetime", "protocol", "urlstem", "protocolaction", "authenticationtype", "authenticateduser",
    "anchormailbox", "useragent", "clientipaddress", "serverhostname", "httpstatus", "errorcode", "method",
    "targetserver", "urlquery",
})
SKIP_HEADER = "field-name line repeated as data"
SKIP_NOBODY = "request names no user or mailbox"
SKIP_UNAUTHENTICATED = "unauthenticated 401 (a sign-in challenge or a failed sign-in; names no user)"
SKIP_STATIC = "static file (script, style, image, font)"
SKIP_PROBE = "health probe (HealthMailbox / managed availability)"
SKIP_REASONS = (SKIP_NOBODY, SKIP_UNAUTHENTICATED, SKIP_STATIC, SKIP_PROBE)
K_NOBODY, K_UNAUTHENTICATED, K_STATIC, K_PROBE = range(len(SKIP_REASONS))

#: client_app labels per Protocol value, the same words the IIS parser uses where both exist
PROTOCOL_LABELS = {
    "owa": "OWA", "owacalendar": "OWA calendar", "eas": "ActiveSync", "ews": "EWS", "mapi": "MAPI/HTTP",
    "rpchttp": "RPC/HTTP", "ecp": "ECP", "autodiscover": "Autodiscover", "oab": "OAB", "powershell": "PowerShell",
    "pushnotifications": "Push notifications", "rest": "REST", "xrop": "XRop", "e12": "Exchange 2007 proxy",
}
#: AnchorMailbox prefixes (before "~") that name a mailbox or its owner
MAILBOX_ANCHORS = {
    "smtp", "mailboxguid", "sid", "userprincipalname", "upn", "liveidmembername", "externaldirectoryobjectid",
    "puid", "mailbox",
}
_STATIC = (
    r"(?i)(?:\.(?:css|js|gif|png|jpe?g|ico|woff2?|ttf|eot|svg|map|xap|wav|mp3|manifest|htc|cur|txt)$"
    r"|/(?:resources|themes|scripts|fonts|images)/)"
)
_PROBE_UA = r"(?i)(?:amprobe|activemonitoring|msexchangemonitoring|msexchmonitoring|exchange.*monitoring)"
_SMTP = re.compile(r"^[^@\s~]+@[^@\s~]+$")


@dataclass
class ProxyChunk:
    """One batch interpreted: the Arrow columns of its rows and what was skipped, by reason."""

    columns: dict[str, pa.Array]
    skipped: Counter[str]
    bad_lines: list[tuple[int, str]]  # (line number, why): times that are no times
    proxylogon_lines: np.ndarray  # line numbers of unauthenticated ServerInfo~ requests
    probe_ns: np.ndarray  # times of the health probes (their rhythm is a clock: ``httpproxy_silence``)


def anchor_mailbox(anchor: str | None) -> str | None:
    """The mailbox (or owner) form an ``AnchorMailbox`` value names, or None."""
    if not anchor:
        return None
    text = anchor.strip()
    prefix, sep, rest = text.partition("~")
    if not sep:
        if text.lower().startswith("smtp:"):
            text = text[5:]
        return text if _SMTP.match(text) else None
    if prefix.strip().lower() not in MAILBOX_ANCHORS:
        return None
    value = rest.split("~", 1)[0].strip()
    return value or None


def _column(table: pa.Table, name: str) -> pa.Array:
    if name in table.column_names:
        column = table.column(name)
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return pa.nulls(table.num_rows, S)


def _status(codes: Uniq) -> np.ndarray:
    """``HttpStatus`` as int32 per row (-1 where missing or not a number)."""
    if not len(codes.values):
        return np.full(len(codes.index), -1, dtype=np.int32)
    text = codes.values
    number = pc.cast(pc.if_else(pc.match_substring_regex(text, r"^\d{1,4}$"), text, pa.scalar(None, S)), pa.int32())
    lookup = np.append(pc.fill_null(number, -1).to_numpy(zero_copy_only=False), -1).astype(np.int32)
    return lookup[codes.index]


def _labels(codes: list[np.ndarray], texts: list[list[str | None]],
            fmt: Callable[[str | None, str | None], str | None]) -> pa.DictionaryArray:
    """A dictionary column whose label is ``fmt(*values)``, built once per distinct combination."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for part, text in zip(codes, texts):
        key = key * (len(text) + 1) + (part + 1)
    uniques, inverse = np.unique(key, return_inverse=True)
    labels = []
    for k in uniques.tolist():
        parts = []
        for text in reversed(texts):
            k, code = divmod(k, len(text) + 1)
            parts.append(text[code - 1] if code else None)
        labels.append(fmt(*reversed(parts)))
    return pa.DictionaryArray.from_arrays(pa.array(inverse.ravel(), pa.int32()), pa.array(labels, S))


def _app(protocol: str | None, agent: str | None) -> str | None:
    if protocol and agent:
        return f"{protocol}: {agent}"
    return protocol or agent


def classify(table: pa.Table, times: pa.Array, all_events: bool) -> ProxyChunk:
    """Turn one batch of HttpProxy fields (lower-case names, ``record_id``, ``raw_ref``) into
    table columns; ``times`` are the parsed ``DateTime`` values (null = not a time)."""
    n = table.num_rows
    numbers = _column(table, "record_id").to_numpy(zero_copy_only=False)
    raw_time = _column(table, "datetime")
    header = pc.fill_null(pc.equal(pc.utf8_lower(raw_time), "datetime"), False).to_numpy(zero_copy_only=False)
    timed = pc.is_valid(times).to_numpy(zero_copy_only=False)
    skipped: Counter[str] = Counter()
    if header.any():
        skipped[SKIP_HEADER] = int(header.sum())
    bad = ~timed & ~header
    bad_lines = [(int(x), "DateTime missing or not an ISO-8601 UTC time") for x in numbers[bad].tolist()]

    protocol_raw = Uniq.encode(_column(table, "protocol"))
    protocol_names = protocol_raw.values.to_pylist()
    protocol_labels = [PROTOCOL_LABELS.get((p or "").lower(), p) for p in protocol_names]
    lowered = [(p or "").lower() for p in protocol_names] + [""]

    def protocol_is(*names: str) -> np.ndarray:
        """Row mask of the given Protocol values, decided once per distinct value."""
        return np.array([p in names for p in lowered], dtype=bool)[protocol_raw.index]

    stem = Uniq.encode(_column(table, "urlstem"))
    actor = Uniq.encode(_column(table, "authenticateduser"))
    agent = Uniq.encode(_column(table, "useragent"))
    anchor = Uniq.encode(_column(table, "anchormailbox"))
    status = _status(Uniq.encode(_column(table, "httpstatus")))
    query = pc.utf8_ltrim(_column(table, "urlquery"), characters="?")

    # -- whose mailbox ------------------------------------------------------------------------
    anchor_box = Uniq(pa.array([anchor_mailbox(v) for v in anchor.values.to_pylist()], S), anchor.index)
    target = Scatter(n)
    mapi = protocol_is("mapi")
    if mapi.any():
        rows = np.flatnonzero(mapi)
        target.set(mapi, QueryParams(query.take(pa.array(rows))).get("MailboxId"))
    rpc = protocol_is("rpchttp")
    if rpc.any():
        rows = np.flatnonzero(rpc)
        target.set(rpc, extract(query.take(pa.array(rows)), r"^(?P<v>[^:&=/]+@[^:&=/]+):\d+"))
    owa = protocol_is("owa", "owacalendar")
    if owa.any():
        explicit = stem.derive(lambda v: extract(v, r"(?i)^/owa/(?:calendar/)?(?P<v>[^/?]+@[^/?]+)(?:/|$)"))
        target.set_where_valid(owa, explicit)
    url_box = target.build()
    anchored = anchor_box.rows()
    mailbox = pc.coalesce(url_box, anchored)
    # a routing anchor that differs from the mailbox the URL names is another mailbox (often the
    # caller's own): it stays in details (AnchorMailbox=), never in mailbox_ids, which lists forms
    # of the one mailbox accessed; identity gives ids precedence over names, so an anchor there
    # would turn an access to another mailbox into the caller's own
    mailbox_ids = pa.nulls(len(mailbox), S)

    # -- what is not an access --------------------------------------------------------------
    has_actor = actor.notna()
    has_mailbox = pc.is_valid(mailbox).to_numpy(zero_copy_only=False)
    probe = actor.mask(lambda v: pc.match_substring(v, "healthmailbox", ignore_case=True))
    probe |= anchor.mask(lambda v: pc.match_substring(v, "healthmailbox", ignore_case=True))
    probe |= agent.mask(lambda v: pc.match_substring_regex(v, _PROBE_UA))
    static = stem.mask(lambda v: pc.match_substring_regex(v, _STATIC))
    skip = np.full(n, -1, dtype=np.int8)  # later rules win
    for code, mask in ((K_NOBODY, ~has_actor & ~has_mailbox), (K_UNAUTHENTICATED, (status == 401) & ~has_actor),
                       (K_STATIC, static), (K_PROBE, probe)):
        skip[mask] = code
    server_info = anchor.mask(lambda v: pc.starts_with(pc.utf8_lower(v), "serverinfo~"))
    proxylogon = numbers[server_info & ~has_actor & timed]
    eligible = timed & ~header
    for code, count in zip(*np.unique(skip[eligible & (skip >= 0)], return_counts=True)):
        if not all_events:
            skipped[SKIP_REASONS[code]] += int(count)
    keep = eligible if all_events else eligible & (skip < 0)
    keep_arrow = pa.array(keep)

    # -- the row's other columns ------------------------------------------------------------
    eas = protocol_is("eas")
    command = Scatter(n)
    client_host = Scatter(n)
    if eas.any():
        rows = np.flatnonzero(eas)
        params_eas = QueryParams(query.take(pa.array(rows)))
        command.set(eas, params_eas.get("Cmd"))
        client_host.set(eas, params_eas.get("DeviceId"))
    if owa.any():
        rows = np.flatnonzero(owa)
        command.set(owa, QueryParams(query.take(pa.array(rows))).get("action"))
    tail = stem.derive(lambda v: extract(v, r"/(?P<v>[^/@]+)/?$"))  # not an explicit logon's address
    item = pc.coalesce(_column(table, "protocolaction"), command.build(), tail.rows())
    ip = Uniq.encode(_column(table, "clientipaddress"))
    ip = ip.derive(lambda v: extract(v, r"^\s*(?P<v>\S+)"))
    protocol_codes = protocol_raw.index[keep]
    client_app = _labels([protocol_codes, agent.index[keep]], [protocol_labels, agent.values.to_pylist()], _app)

    notes = Scatter(n)
    if all_events:
        marked = skip >= 0
        if marked.any():
            reasons = pa.array(["not an access: " + r for r in SKIP_REASONS], S)
            notes.set(marked, reasons.take(pa.array(skip[marked])))
    from_anchor = pc.and_(pc.is_null(url_box), pc.is_valid(anchored))
    source = pc.if_else(from_anchor, pa.scalar("mailbox from AnchorMailbox", S), pa.scalar(None, S))
    method = _column(table, "method")
    http = pc.binary_join_element_wise("HTTP ", pc.coalesce(method, pa.scalar("?", S)), " ",
                                       pc.coalesce(_column(table, "httpstatus"), pa.scalar("?", S)), "")
    details = join([
        http.filter(keep_arrow),
        pc.binary_join_element_wise(_column(table, "protocol"), _column(table, "urlstem"), " ").filter(keep_arrow),
        pc.binary_join_element_wise("AnchorMailbox=", anchor.rows(), "").filter(keep_arrow),
        pc.binary_join_element_wise("backend=", _column(table, "targetserver"), "").filter(keep_arrow),
        pc.binary_join_element_wise("auth=", _column(table, "authenticationtype"), "").filter(keep_arrow),
        pc.binary_join_element_wise("error=", _column(table, "errorcode"), "").filter(keep_arrow),
        source.filter(keep_arrow),
        notes.build().filter(keep_arrow),
    ], "; ")
    status_kept = status[keep]
    outcome = np.where(status_kept < 0, -1, np.where(status_kept < 400, 0, 1)).astype(np.int8)
    columns = {
        "time": times.filter(keep_arrow),
        "outcome": pa.array(outcome, pa.int8()),
        "mailbox": pc.dictionary_encode(mailbox.filter(keep_arrow)),
        "mailbox_ids": mailbox_ids.filter(keep_arrow),
        "actor": pc.dictionary_encode(actor.rows(keep)),
        "item": item.filter(keep_arrow),
        "client_ip": pc.dictionary_encode(ip.rows(keep)),
        "client_host": pc.dictionary_encode(client_host.build().filter(keep_arrow)),
        "client_app": client_app,
        "server": pc.dictionary_encode(_column(table, "serverhostname").filter(keep_arrow)),
        "record_id": _column(table, "record_id").filter(keep_arrow),
        "raw_ref": _column(table, "raw_ref").filter(keep_arrow),
        "details": details,
    }
    probe_ns = times.filter(pa.array(probe & eligible)).cast(pa.int64()).to_numpy(zero_copy_only=False)
    return ProxyChunk(columns, skipped, bad_lines, proxylogon, probe_ns)
