"""What an Exchange web request in an IIS log means: whose mailbox, which folder and item,
which operation, or why it is not an access at all.

Input is one batch of W3C fields as an Arrow table (split and named by ``iis.py``); the
work is column-wise (Arrow kernels, numpy masks, Python only per *distinct* path / user /
agent; query strings split at the byte level by ``urlquery``), so a batch costs a few dozen
kernels, not a Python call per line. Whether a 401 was answered by its retry is only known
for the whole log: such rows leave a batch "pending" (``iis_assembly`` settles them). URL shapes
per Exchange version (``reference/evidence-formats.md`` §3):

* Exchange 2003 OWA / WebDAV: ``/exchange/<mailbox>/<folder…>/<item>.EML`` (+ ``Cmd=``),
  WebDAV verbs (PROPFIND, SEARCH, MOVE, …); ``/public/…``; ``/exadmin/…/MBX/<mailbox>/…``.
* 2007+ OWA: explicit logon ``/owa/<smtp>/``, ``ae=Item`` / ``ae=Folder``, ``action=`` / ``ev=``.
* ActiveSync: ``User=``, ``DeviceId=``, ``DeviceType=``, ``Cmd=`` (+ ``Log=…_SmtpAdrs:…``).
* RPC/HTTP: query ``<mailbox-guid>@<domain>:6001``; MAPI/HTTP: ``MailboxId=``; EWS.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from forensics.identity.probes import PROBE_ACCOUNT, PROBE_AGENT, PROBE_PATH
from forensics.parsers.arrowtext import S, Scatter, Uniq, extract, join
from forensics.parsers.w3c.iis_challenge import time_ns_of
from forensics.parsers.w3c.urlquery import QueryParams, url_decode

SKIP_PROBE = "health probe (HealthMailbox / managed availability / connectivity test)"
SKIP_STATIC = "static file (script, style, image, font)"
SKIP_SIGNIN = "sign-in page (no mailbox named)"
SKIP_CHALLENGE = "401 challenge answered by the authenticated retry"
SKIP_NO_MAILBOX = "request names no mailbox or user"
SKIP_OTHER = "request names no mailbox (autodiscover, OAB, PowerShell, other path)"
SKIP_REASONS = (SKIP_OTHER, SKIP_NO_MAILBOX, SKIP_SIGNIN, SKIP_CHALLENGE, SKIP_STATIC, SKIP_PROBE)
(K_OTHER, K_NO_MAILBOX, K_SIGNIN, K_CHALLENGE, K_STATIC, K_PROBE) = range(len(SKIP_REASONS))

_STATIC = (
    r"(?i)(?:\.(?:css|js|gif|png|jpe?g|ico|woff2?|ttf|eot|svg|map|xap|wav|mp3|manifest|htc|cur|txt)$"
    r"|/(?:resources|themes|scripts|fonts|images)/)"
)

# protocol labels, kept in client_app before the user agent; index = protocol code
PROTOCOLS = (
    "HTTP", "OWA/WebDAV", "Public folders", "Exchange System Manager", "OWA", "ActiveSync",
    "EWS", "MAPI/HTTP", "RPC/HTTP", "ECP",
)
(P_OTHER, P_2003, P_PUBLIC, P_EXADMIN, P_OWA, P_EAS, P_EWS, P_MAPI, P_RPC, P_ECP) = range(len(PROTOCOLS))
_FIRST_SEGMENT = {
    "exchange": P_2003, "public": P_PUBLIC, "exadmin": P_EXADMIN, "owa": P_OWA,
    "microsoft-server-activesync": P_EAS, "ews": P_EWS, "mapi": P_MAPI, "rpc": P_RPC, "ecp": P_ECP,
}
#: the logon rule of rows whose protocol opens only the signed-in user's own mailbox
PROTOCOL_RULE = "protocol:ActiveSync"
OPERATIONS = ("WebRequest", "MessageOpen", "FolderOpen")
OP_WEB, OP_MESSAGE, OP_FOLDER = range(3)
MAPPINGS = ("native", "inferred")
OUTCOMES = ("Success", "Failure")


@dataclass
class RequestChunk:
    """One block of requests, interpreted.

    ``out`` holds the rows that stay (Arrow columns named as the table; ``operation``,
    ``outcome`` and ``mapping`` as int8 codes into ``OPERATIONS``/``OUTCOMES``/``MAPPINGS``);
    ``out_rows`` their row numbers in the block. 401s whose fate depends on the log-wide
    pairing are ``pending`` (block rows, their reason code before pairing, -1 = an access;
    with ``--all-events`` also their details without a note).
    """

    out: pa.Table
    out_rows: np.ndarray
    skipped: Counter[str]
    #: what the log-wide 401 pairing needs of every request (``RequestKeys.add``), handed
    #: over in file order by the reading thread, which then sets ``first_row``
    key_parts: tuple | None
    pending: np.ndarray
    pending_code: np.ndarray
    first_row: int = 0  # log-wide number of the block's first row
    pending_prefix: pa.Array | None = None
    probe_ns: np.ndarray | None = None  # times of the block's health probes (their rhythm is a clock)


def _text(table: pa.Table, name: str) -> pa.Array:
    if name in table.column_names:
        column = table.column(name)
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return pa.nulls(table.num_rows, S)


def _decoded(column: pa.Array | Uniq) -> Uniq:
    """A low-variety text column (or its encoding), its distinct values URL-decoded."""
    raw = column if isinstance(column, Uniq) else Uniq.encode(column)
    return Uniq(_blank_to_null(url_decode(raw.values)), raw.index) if len(raw.values) else raw


def _dictionary(values: pa.Array) -> pa.DictionaryArray:
    """Categorical columns leave a block dictionary-encoded (merged once per log at the end)."""
    return pc.dictionary_encode(values)


def _blank_to_null(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, S), values)


def _status(codes: Uniq) -> np.ndarray:
    """``sc-status`` as int32 (-1 where missing or not a number), decided per distinct value."""
    if not len(codes.values):
        return np.full(len(codes.index), -1, dtype=np.int32)
    text = codes.values
    number = pc.cast(pc.if_else(pc.match_substring_regex(text, r"^\d{1,4}$"), text, pa.scalar(None, S)), pa.int32())
    lookup = np.append(pc.fill_null(number, -1).to_numpy(zero_copy_only=False), -1).astype(np.int32)
    return lookup[codes.index]


class _Params:
    """Query parameters of one protocol's rows, looked up lazily and placed back by row."""

    def __init__(self, query: pa.Array, rows: np.ndarray) -> None:
        self.rows = rows
        self._params = QueryParams(query.take(pa.array(rows)))

    def get(self, name: str, where: np.ndarray | None = None) -> pa.Array:
        return self._params.get(name, where)


def classify(table: pa.Table, times: pa.Array, all_events: bool) -> RequestChunk:
    """Turn named W3C fields into table rows; count what is not an access by reason.

    ``table`` holds one block's W3C columns by lower-case name (``cs-uri-stem``, …; ``-``
    already null) plus ``record_id`` and ``raw_ref``; ``times`` the parsed UTC times.
    Batches may be classified in parallel: nothing here depends on another batch.
    """
    n = table.num_rows
    method_raw = Uniq.encode(_text(table, "cs-method"))
    method = Uniq(pc.utf8_upper(method_raw.values) if len(method_raw.values) else method_raw.values, method_raw.index)
    stem_raw = Uniq.encode(_text(table, "cs-uri-stem"))
    stem = _decoded(stem_raw)
    actor = _decoded(_text(table, "cs-username"))
    agent_raw = Uniq.encode(_text(table, "cs(user-agent)"))
    agent = _decoded(agent_raw)
    ip = Uniq.encode(_text(table, "c-ip"))
    query = _text(table, "cs-uri-query")
    status_text = Uniq.encode(_text(table, "sc-status"))
    status = _status(status_text)
    time_ns = time_ns_of(times)
    key_parts = (ip, method, stem_raw, agent_raw, status, time_ns)

    first = stem.derive(lambda v: pc.utf8_lower(extract(v, r"^/(?P<v>[^/?]*)")))
    codes = np.array([_FIRST_SEGMENT.get(s, P_OTHER) for s in first.values.to_pylist()] + [P_OTHER], dtype=np.int8)
    protocol = codes[first.index]
    is_ = {p: protocol == p for p in range(len(PROTOCOLS))}
    dav = is_[P_2003] | is_[P_PUBLIC] | is_[P_EXADMIN]

    mailbox, folder, item = Scatter(n), Scatter(n), Scatter(n)
    client_host, notes, mailbox_ids = Scatter(n), Scatter(n), Scatter(n)
    admin = np.zeros(n, dtype=bool)
    protocol_owner = np.zeros(n, dtype=bool)  # the protocol fixes the mailbox to the caller
    operation = np.full(n, OP_WEB, dtype=np.int8)
    mapping = np.zeros(n, dtype=np.int8)  # 0 native, 1 inferred
    methods = method.values.to_pylist()

    def method_is(*names: str) -> np.ndarray:
        hits = np.array([m in names for m in methods] + [False], dtype=bool)
        return hits[method.index]

    # -- Exchange 2003 OWA/WebDAV, public folders, ExAdmin: the URL names it all ------------
    if dav.any():
        box = stem.derive(lambda v: extract(v, r"(?i)^/exchange/(?P<v>[^/]*)"))
        admin_box = stem.derive(lambda v: extract(v, r"(?i)^/exadmin/.*?/mbx/(?P<v>[^/]*)"))
        rest = stem.derive(
            lambda v: extract(v, r"(?i)^/(?:exchange/[^/]*|public|exadmin/.*?/mbx/[^/]*)/?(?P<v>.*)$")
        )
        rest = Uniq(rest.values, np.where(dav, rest.index, -1))
        item_part = rest.derive(lambda v: extract(v, r"(?i)^(?:[^/]*/)*?(?P<v>[^/]*\.eml(?:/.*)?)$"))
        folder_part = rest.derive(lambda v: _dav_folder(v, item_part.values))
        has_item = item_part.notna() & dav
        mailbox.set_where_valid(is_[P_2003], box)
        mailbox.set_where_valid(is_[P_EXADMIN], admin_box)
        mailbox.set(is_[P_PUBLIC], "Public Folders")
        folder.set_where_valid(dav, folder_part)
        item.set(has_item, item_part)
        reading = method_is("GET", "X-MS-ENUMATTS") & has_item
        listing = (method_is("PROPFIND", "SEARCH") | (method_is("GET") & ~has_item)) & dav
        operation[dav & listing] = OP_FOLDER
        operation[dav & reading] = OP_MESSAGE
        admin |= is_[P_EXADMIN]
        rows = np.flatnonzero(dav)
        cmd = _Params(query, rows).get("Cmd")
        with_cmd = pc.is_valid(cmd).to_numpy(zero_copy_only=False)
        notes.set(_spread(n, rows, with_cmd), pc.binary_join_element_wise("Cmd=", cmd.filter(pa.array(with_cmd)), ""))

    # -- OWA 2007+: explicit logon names the mailbox; otherwise it is the user's own ---------
    owa = is_[P_OWA]
    if owa.any():
        rows = np.flatnonzero(owa)
        params = _Params(query, rows)
        explicit = stem.derive(lambda v: extract(v, r"(?i)^/owa/(?P<v>[^/?]+@[^/?]+)(?:/|$)"))
        ae_raw = params.get("ae")
        ae = pc.utf8_lower(ae_raw)
        cmd = pc.utf8_lower(params.get("Cmd"))
        sub_item = pc.fill_null(pc.or_kleene(pc.equal(ae, "item"), pc.equal(cmd, "open")), False).to_numpy(zero_copy_only=False)
        sub_folder = pc.fill_null(pc.equal(ae, "folder"), False).to_numpy(zero_copy_only=False) & ~sub_item
        opened = sub_item | sub_folder
        other = ~opened
        ident, kind = params.get("id", opened), params.get("t", opened)
        action = pc.coalesce(params.get("action", other), params.get("ev", other))
        is_item, is_folder = _spread(n, rows, sub_item), _spread(n, rows, sub_folder)
        own = owa & ~explicit.notna() & actor.notna()
        mailbox.set(owa, explicit)
        mailbox.set(own, actor)
        mapping[own] = 1
        notes.set(own, "mailbox: the signed-in user's own (no explicit logon in the URL)")
        operation[is_item] = OP_MESSAGE
        operation[is_folder] = OP_FOLDER
        target = pc.coalesce(ident, kind)
        item.set(is_item, target.filter(pa.array(sub_item)))
        folder.set(is_folder, target.filter(pa.array(sub_folder)))
        tail = stem.derive(lambda v: extract(v, r"/(?P<v>[^/]+)/?$")).rows(owa)
        command = pc.coalesce(action, ae_raw, tail)
        item.set(owa & _spread(n, rows, other), command.filter(pa.array(other)))

    # -- ActiveSync: the query names user, device and command ------------------------------
    eas = is_[P_EAS]
    if eas.any():
        rows = np.flatnonzero(eas)
        params = _Params(query, rows)
        # EAS reaches only the authenticated user's own mailbox (MS-ASHTTP: the request acts
        # for the signed-in user; User= is the client's own spelling of that name, in any
        # form). So the mailbox is the server-logged _SmtpAdrs, else the signed-in user, and
        # the row is Owner by protocol: a User= in another form proves no other mailbox.
        smtp = extract(params.get("Log"), r"(?i)_SmtpAdrs:(?P<v>[^_&]+)")
        user = params.get("User")
        signed_in = actor.rows(eas)
        box = pc.coalesce(smtp, signed_in, user)
        from_actor = pc.and_(pc.is_null(smtp), pc.is_valid(signed_in)).to_numpy(zero_copy_only=False)
        mailbox.set(eas, box)
        mapping[_spread(n, rows, from_actor)] = 1
        protocol_owner |= eas & actor.notna()
        mailbox_ids.set(eas, join([user, smtp], "|"))
        item.set(eas, pc.coalesce(params.get("Cmd"), method.rows(eas)))
        client_host.set(eas, params.get("DeviceId"))
        notes.set(eas, join([pc.binary_join_element_wise("DeviceType=", params.get("DeviceType"), ""),
                             pc.binary_join_element_wise("User=", user, "")], "; "))

    # -- MAPI/HTTP, RPC/HTTP: MailboxId= / <guid>@<domain>:port name the mailbox; EWS, ECP ---
    if is_[P_MAPI].any():
        rows = np.flatnonzero(is_[P_MAPI])
        mailbox.set(is_[P_MAPI], _Params(query, rows).get("MailboxId"))
        item.set(is_[P_MAPI], stem.derive(lambda v: extract(v, r"(?i)^/mapi/(?P<v>[^/]+)")).rows(is_[P_MAPI]))
    if is_[P_RPC].any():
        rows = np.flatnonzero(is_[P_RPC])
        q = query.take(pa.array(rows))
        target = _decoded(extract(q, r"^(?P<v>[^:&]+@[^:&]+)")).rows()
        mailbox.set(is_[P_RPC], target)
        item.set(is_[P_RPC], method.rows(is_[P_RPC]))
        notes.set(is_[P_RPC], pc.binary_join_element_wise("RPC target ", extract(q, r"^(?P<v>[^&]+)"), ""))
    for p, note in ((P_EWS, "target mailbox is not in IIS (see the EWS protocol log)"), (P_ECP, None)):
        if is_[p].any():
            item.set(is_[p], stem.derive(lambda v: extract(v, r"/(?P<v>[^/]+)/?$")).rows(is_[p]))
            if note:
                notes.set(is_[p], note)

    # -- what is not an access -------------------------------------------------------------
    mailbox_values = mailbox.build()
    has_mailbox = pc.is_valid(mailbox_values).to_numpy(zero_copy_only=False)
    # one definition (identity/probes) for the skip reason and for the LOGGING GAP clock
    probe = actor.mask(lambda v: pc.match_substring_regex(v, PROBE_ACCOUNT))
    probe |= agent.mask(lambda v: pc.match_substring_regex(v, PROBE_AGENT))
    probe |= stem.mask(lambda v: pc.match_substring_regex(v, PROBE_PATH))
    static = ~dav & stem.mask(lambda v: pc.match_substring_regex(v, _STATIC))
    signin = owa & stem.mask(lambda v: pc.match_substring_regex(v, r"(?i)^/owa/(?:auth(?:/|\.owa|$)|logoff\.owa)"))
    known = protocol != P_OTHER
    skip = np.full(n, -1, dtype=np.int8)  # index into SKIP_REASONS; later rules win
    for code, mask in ((K_OTHER, ~known), (K_NO_MAILBOX, known & ~has_mailbox & ~actor.notna()), (K_SIGNIN, signin),
                       (K_STATIC, static), (K_PROBE, probe)):
        skip[mask] = code
    # a 401 that its retry answers is a challenge unless static/probe rules say otherwise:
    # that is known only once the whole log is read
    pending_mask = (status == 401) & (skip < K_CHALLENGE)
    settled = ~pending_mask & (skip >= 0)
    skipped: Counter[str] = Counter()
    for code, count in zip(*np.unique(skip[settled], return_counts=True)):
        skipped[SKIP_REASONS[code]] = int(count)
    if all_events:  # keep them, but never as accesses
        marked = skip >= 0
        if marked.any():
            labels = pa.array(["not an access: " + r for r in SKIP_REASONS], S)
            notes.set(marked, labels.take(pa.array(skip[marked])))
            operation[marked] = OP_WEB
        keep = np.ones(n, dtype=bool)
        skipped.clear()
    else:
        keep = (skip < 0)
    out_rows = np.flatnonzero(keep)
    keep_arrow = pa.array(keep)

    outcome = np.where(status < 0, -1, np.where(status < 400, 0, 1)).astype(np.int8)[keep]
    server = pc.coalesce(_text(table, "s-computername"), _text(table, "s-ip")).filter(keep_arrow)
    app_codes = protocol.astype(np.int64) * (len(agent.values) + 1) + (agent.index + 1)
    client_app = _client_app(app_codes[keep], agent)
    detail_parts = _detail_parts(table, method, agent, status_text)
    details = _details(detail_parts, keep, notes.build())
    pending = np.flatnonzero(pending_mask)
    prefix = None
    if all_events and len(pending):
        prefix = _details(detail_parts, pending_mask, pa.nulls(n, S))
    columns = {
        "time": times.filter(keep_arrow),
        "operation": pa.array(operation[keep], pa.int8()),
        "mailbox": _dictionary(_blank_to_null(mailbox_values.filter(keep_arrow))),
        "actor": actor.dictionary(keep),
        "admin_rights": pa.array(admin[keep], pa.bool_(), mask=~admin[keep]),
        "folder": folder.build().filter(keep_arrow),
        "item": item.build().filter(keep_arrow),
        "client_ip": ip.dictionary(keep),
        "client_host": _dictionary(_blank_to_null(client_host.build().filter(keep_arrow))),
        "client_app": client_app,
        "outcome": pa.array(outcome, pa.int8()),
        "server": _dictionary(_blank_to_null(server.cast(S))),
        "record_id": _text(table, "record_id").filter(keep_arrow),
        "mapping": pa.array(mapping[keep], pa.int8()),
        "protocol_owner": pa.array(protocol_owner[keep], pa.bool_()),
        "mailbox_ids": mailbox_ids.build().filter(keep_arrow),
        "details": details,
    }
    if "raw_ref" in table.column_names:
        columns["raw_ref"] = _text(table, "raw_ref").filter(keep_arrow)
    return RequestChunk(pa.table(columns), out_rows, skipped, key_parts, pending, skip[pending],
                        pending_prefix=prefix, probe_ns=time_ns[probe])


def _dav_folder(rest: pa.Array, items: pa.Array) -> pa.Array:
    """"/<folder path>" of each distinct URL remainder: what precedes the item, if any."""
    prefix = pc.fill_null(pc.struct_field(pc.extract_regex(rest, r"(?i)^(?P<v>(?:[^/]*/)*?)[^/]*\.eml(?:/.*)?$"), [0]), "")
    path = pc.utf8_rtrim(pc.if_else(pc.is_valid(items), prefix, rest), characters="/")
    path = pc.binary_join_element_wise("/", path, "")
    return pc.if_else(pc.equal(path, "/"), pa.scalar(None, S), path)


def _combine(codes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct combinations of several per-row code arrays (each >= -1): (first row of
    each, inverse). One mixed-radix integer per row while that fits, re-numbered when not."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    size = 1
    for part in codes:
        radix = int(part.max(initial=0)) + 2
        if size * radix >= 2**62:
            key, size = _renumber(key)
        key = key * radix + part + 1
        size *= radix
    return _distinct(key, size)


def _renumber(key: np.ndarray) -> tuple[np.ndarray, int]:
    codes, uniques = pd.factorize(key)
    return codes.astype(np.int64), len(uniques)


def _distinct(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each distinct key, inverse), by a table lookup when keys are few."""
    if size <= 4 * len(key) + 1024:
        first = np.full(size, len(key), dtype=np.int64)
        np.minimum.at(first, key, np.arange(len(key)))
        present = np.flatnonzero(first < len(key))
        number = np.zeros(size, dtype=np.int64)
        number[present] = np.arange(len(present))
        return first[present], number[key]
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return first, inverse.ravel()


@dataclass
class _DetailParts:
    """What ``details`` is made of, per row: verb, status triple, site, X-Forwarded-For, proxy."""

    parts: list[Uniq]
    proxied: np.ndarray


def _detail_parts(table: pa.Table, method: Uniq, agent: Uniq, status: Uniq) -> _DetailParts:
    xff = pc.coalesce(_text(table, "x-forwarded-for"), _text(table, "cs(x-forwarded-for)"))
    parts = [method, status] + [
        Uniq.encode(col) for col in (*(_text(table, f) for f in ("sc-substatus", "sc-win32-status", "s-sitename")), xff)
    ]
    proxied = agent.mask(lambda v: pc.starts_with(v, "Exchange-Server-Frontend-Proxy")).astype(np.int64)
    return _DetailParts(parts, proxied)


def _details(detail: _DetailParts, keep: np.ndarray, notes: pa.Array) -> pa.Array:
    """``HTTP <verb> <status>.<sub>.<win32>; site=…; X-Forwarded-For=…; <notes>`` of the kept rows.

    Built once per distinct combination of its parts (few in practice), then spread to rows.
    """
    parts = detail.parts + [Uniq.encode(notes)]
    codes = [p.index[keep] for p in parts] + [detail.proxied[keep]]
    if not len(codes[0]):
        return pa.array([], S)
    first, inverse = _combine(codes)
    texts = [p.values.to_pylist() + [None] for p in parts]
    labels = []
    for row in first.tolist():
        verb, status, sub, win32, site, forwarded, note = (texts[i][codes[i][row]] for i in range(7))
        label = f"HTTP {verb or '?'} " + (".".join(x for x in (status, sub, win32) if x) or "?")
        if site:
            label += f"; site={site}"
        if forwarded:
            label += f"; X-Forwarded-For={forwarded}"
        if codes[7][row]:
            label += "; c-ip is the front-end server"
        if note:
            label += f"; {note}"
        labels.append(label)
    return pa.array(labels, S).take(pa.array(inverse.ravel()))


def _spread(n: int, rows: np.ndarray, sub: np.ndarray, default: bool = False) -> np.ndarray:
    """A full-length mask from a mask over ``rows``."""
    out = np.full(n, default, dtype=bool)
    out[rows] = sub
    return out


def _client_app(codes: np.ndarray, agent: Uniq) -> pa.DictionaryArray:
    """"<protocol>: <user agent>" built once per distinct (protocol, agent) pair."""
    width = len(agent.values) + 1
    first, inverse = _distinct(codes, len(PROTOCOLS) * width)
    agents = agent.values.to_pylist() + [None]
    labels = []
    for code in codes[first].tolist():
        proto, ua = PROTOCOLS[code // width], agents[code % width - 1] if code % width else None
        labels.append(f"{proto}: {ua}" if ua else proto)
    return pa.DictionaryArray.from_arrays(pa.array(inverse.ravel(), pa.int32()), pa.array(labels, S))
