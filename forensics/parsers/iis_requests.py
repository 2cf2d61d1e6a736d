"""What an Exchange web request in an IIS log means: whose mailbox, which folder and item,
which operation, or why it is not an access at all.

Input is one Arrow table of W3C fields (split and named by ``iis.py``); the work is
column-wise (Arrow kernels, numpy masks, Python only per *distinct* path / user / agent),
so a million-line log costs a few dozen kernels, not a million Python calls. URL shapes
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

from forensics.parsers.arrowtext import (
    S,
    Scatter,
    Uniq,
    as_array,
    complete_columns,
    extract,
    join,
    QueryParams,
    to_categorical,
    to_string_series,
    url_decode_text,
)

#: seconds within which a 401 followed by the same request succeeding is one access
CHALLENGE_WINDOW_S = 30

SKIP_PROBE = "health probe (HealthMailbox / managed availability)"
SKIP_STATIC = "static file (script, style, image, font)"
SKIP_SIGNIN = "sign-in page (no mailbox named)"
SKIP_CHALLENGE = "401 challenge answered by the authenticated retry"
SKIP_NO_MAILBOX = "request names no mailbox or user"
SKIP_OTHER = "request names no mailbox (autodiscover, OAB, PowerShell, other path)"
SKIP_REASONS = (SKIP_OTHER, SKIP_NO_MAILBOX, SKIP_SIGNIN, SKIP_CHALLENGE, SKIP_STATIC, SKIP_PROBE)

_STATIC = (
    r"(?i)(?:\.(?:css|js|gif|png|jpe?g|ico|woff2?|ttf|eot|svg|map|xap|wav|mp3|manifest|htc|cur|txt)$"
    r"|/(?:resources|themes|scripts|fonts|images)/)"
)
_PROBE_UA = r"(?i)(?:activemonitoring|msexchmonitoring|amprobe|exchange.*monitoring)"

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
OPERATIONS = ("WebRequest", "MessageOpen", "FolderOpen")
OP_WEB, OP_MESSAGE, OP_FOLDER = range(3)
MAPPINGS = ("native", "inferred")


@dataclass
class Classified:
    frame: pd.DataFrame  # rowed requests, table columns
    skipped: Counter[str]


def _text(table: pa.Table, name: str) -> pa.ChunkedArray | pa.Array:
    if name in table.column_names:
        return table.column(name)
    return pa.nulls(table.num_rows, S)


def challenge_rows(table: pa.Table, times: pa.Array) -> np.ndarray:
    """The rows that are 401 challenges answered by their retry, decided over the whole log
    (so a log classified in row ranges still pairs a 401 with a retry in the next range)."""
    status = _status(table)
    if not (status == 401).any():
        return np.zeros(table.num_rows, dtype=bool)
    method = Uniq.encode(_text(table, "cs-method"), str.upper)
    stem, agent = Uniq.encode(_text(table, "cs-uri-stem")), Uniq.encode(_text(table, "cs(user-agent)"))
    return _challenges(table, times, status, method, stem, agent)


def _labels(values: tuple[str, ...] | list[str]) -> pd.Index:
    """Categories as the schema's string dtype (what every parser's categoricals share)."""
    return pd.Index(list(values), dtype="string")


def _status(table: pa.Table) -> np.ndarray:
    """``sc-status`` as int32 (-1 where missing or not a number)."""
    text = _text(table, "sc-status")
    number = pc.cast(pc.if_else(pc.match_substring_regex(text, r"^\d{1,4}$"), text, pa.scalar(None, S)), pa.int32())
    return pc.fill_null(number, -1).to_numpy(zero_copy_only=False).astype(np.int32)


def classify(table: pa.Table, times: pa.Array, all_events: bool, challenge: np.ndarray | None = None) -> Classified:
    """Turn named W3C fields into table rows; count what is not an access by reason.

    ``table`` holds W3C columns by lower-case name (``cs-uri-stem``, …; ``-`` already
    null) plus ``record_id`` and ``raw_ref``; ``times`` the parsed UTC times; ``challenge``
    the 401 challenge rows when already decided (else decided here).
    """
    n = table.num_rows
    method = Uniq.encode(_text(table, "cs-method"), str.upper)
    stem = Uniq.encode(_text(table, "cs-uri-stem"), url_decode_text)
    actor = Uniq.encode(_text(table, "cs-username"), url_decode_text)
    agent = Uniq.encode(_text(table, "cs(user-agent)"), url_decode_text)
    query = _text(table, "cs-uri-query")
    params = QueryParams(query)
    status = _status(table)

    first = stem.derive(lambda v: pc.utf8_lower(extract(v, r"^/(?P<v>[^/?]*)")))
    codes = np.array([_FIRST_SEGMENT.get(s, P_OTHER) for s in first.values.to_pylist()] + [P_OTHER], dtype=np.int8)
    protocol = codes[first.index]
    is_ = {p: protocol == p for p in range(len(PROTOCOLS))}
    dav = is_[P_2003] | is_[P_PUBLIC] | is_[P_EXADMIN]

    mailbox, folder, item = Scatter(n), Scatter(n), Scatter(n)
    client_host, notes = Scatter(n), Scatter(n)
    admin = np.zeros(n, dtype=bool)
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
        cmd = params.get("Cmd")
        with_cmd = dav & cmd.notna()
        notes.set(with_cmd, pc.binary_join_element_wise("Cmd=", cmd.rows(with_cmd), ""))

    # -- OWA 2007+: explicit logon names the mailbox; otherwise it is the user's own ---------
    owa = is_[P_OWA]
    if owa.any():
        rows = np.flatnonzero(owa)
        explicit = stem.derive(lambda v: extract(v, r"(?i)^/owa/(?P<v>[^/?]+@[^/?]+)(?:/|$)"))
        ae = pc.utf8_lower(params.get("ae").rows(owa))
        ident, kind = params.get("id").rows(owa), params.get("t").rows(owa)
        action = pc.coalesce(params.get("action").rows(owa), params.get("ev").rows(owa))
        cmd = pc.utf8_lower(params.get("Cmd").rows(owa))
        sub_item = pc.fill_null(pc.or_kleene(pc.equal(ae, "item"), pc.equal(cmd, "open")), False).to_numpy(zero_copy_only=False)
        sub_folder = pc.fill_null(pc.equal(ae, "folder"), False).to_numpy(zero_copy_only=False) & ~sub_item
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
        command = pc.coalesce(action, params.get("ae").rows(owa), tail)
        other = ~sub_item & ~sub_folder
        item.set(owa & _spread(n, rows, other), command.filter(pa.array(other)))

    # -- ActiveSync: the query names user, device and command ------------------------------
    eas = is_[P_EAS]
    if eas.any():
        rows = np.flatnonzero(eas)
        smtp = params.get("Log").derive(lambda v: extract(v, r"(?i)_SmtpAdrs:(?P<v>[^_&]+)")).rows(eas)
        box = pc.coalesce(smtp, params.get("User").rows(eas))
        named = pc.is_valid(box).to_numpy(zero_copy_only=False)
        mailbox.set(eas, box)
        inferred = eas & ~_spread(n, rows, named, default=True) & actor.notna()
        mailbox.set(inferred, actor)
        mapping[inferred] = 1
        item.set(eas, pc.coalesce(params.get("Cmd").rows(eas), method.rows(eas)))
        client_host.set(eas, params.get("DeviceId").rows(eas))
        notes.set(eas, pc.binary_join_element_wise("DeviceType=", params.get("DeviceType").rows(eas), ""))

    # -- MAPI/HTTP, RPC/HTTP: MailboxId= / <guid>@<domain>:port name the mailbox; EWS, ECP ---
    if is_[P_MAPI].any():
        mailbox.set(is_[P_MAPI], params.get("MailboxId").rows(is_[P_MAPI]))
        item.set(is_[P_MAPI], stem.derive(lambda v: extract(v, r"(?i)^/mapi/(?P<v>[^/]+)")).rows(is_[P_MAPI]))
    if is_[P_RPC].any():
        rows = np.flatnonzero(is_[P_RPC])
        q = query.take(pa.array(rows))
        target = Uniq.encode(extract(q, r"^(?P<v>[^:&]+@[^:&]+)"), url_decode_text).rows()
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
    probe = actor.mask(lambda v: pc.match_substring(v, "healthmailbox", ignore_case=True))
    probe |= agent.mask(lambda v: pc.match_substring_regex(v, _PROBE_UA))
    probe |= stem.mask(lambda v: pc.match_substring(v, "healthcheck.htm", ignore_case=True))
    static = ~dav & stem.mask(lambda v: pc.match_substring_regex(v, _STATIC))
    signin = owa & stem.mask(lambda v: pc.match_substring_regex(v, r"(?i)^/owa/(?:auth(?:/|\.owa|$)|logoff\.owa)"))
    known = protocol != P_OTHER
    if challenge is None:
        challenge = _challenges(table, times, status, method, stem, agent)
    skip = np.full(n, -1, dtype=np.int8)  # index into SKIP_REASONS; later rules win
    for code, mask in enumerate(
        (~known, known & ~has_mailbox & ~actor.notna(), signin, challenge, static, probe)
    ):
        skip[mask] = code
    skipped: Counter[str] = Counter()
    for code, count in zip(*np.unique(skip[skip >= 0], return_counts=True)):
        skipped[SKIP_REASONS[code]] = int(count)
    if all_events and (skip >= 0).any():  # keep them, but never as accesses
        notes.set(skip >= 0, pa.array(np.array(["not an access: " + r for r in SKIP_REASONS])[skip[skip >= 0]], S))
        operation[skip >= 0] = OP_WEB
        skip[:] = -1
        skipped.clear()
    keep = skip < 0
    keep_arrow = pa.array(keep)

    outcome = np.where(status < 0, -1, np.where(status < 400, 0, 1))[keep]
    server = pc.coalesce(_text(table, "s-computername"), _text(table, "s-ip")).filter(keep_arrow)
    app_codes = protocol.astype(np.int64) * (len(agent.values) + 1) + (agent.index + 1)
    client_app = _client_app(app_codes[keep], agent)
    details = _details(table, keep, method, agent, notes.build())
    frame = pd.DataFrame(
        {
            "time": pd.Series(times.filter(keep_arrow).to_pandas(), dtype="datetime64[ns, UTC]"),
            "operation": pd.Categorical.from_codes(operation[keep], categories=_labels(OPERATIONS)),
            "mailbox": to_categorical(mailbox_values.filter(keep_arrow)),
            "actor": Uniq(actor.values, actor.index[keep]).categorical(),
            "admin_rights": pd.array(np.where(admin[keep], True, None), dtype="boolean"),
            "folder": to_string_series(folder.build().filter(keep_arrow)),
            "item": to_string_series(item.build().filter(keep_arrow)),
            "client_ip": to_categorical(_text(table, "c-ip").filter(keep_arrow)),
            "client_host": to_categorical(client_host.build().filter(keep_arrow)),
            "client_app": client_app,
            "outcome": pd.Categorical.from_codes(outcome, categories=_labels(("Success", "Failure"))),
            "server": to_categorical(server),
            "record_id": table.column("record_id").filter(keep_arrow).to_numpy(),
            "provider": pd.Categorical.from_codes(np.zeros(int(keep.sum()), dtype=np.int8), categories=_labels(["IIS"])),
            "mapping": pd.Categorical.from_codes(mapping[keep], categories=_labels(MAPPINGS)),
            "time_basis": pd.Categorical.from_codes(np.zeros(int(keep.sum()), dtype=np.int8), categories=_labels(["utc"])),
            "details": to_string_series(details),
        }
    )
    if "raw_ref" in table.column_names:
        frame["raw_ref"] = table.column("raw_ref").filter(keep_arrow).to_numpy()
    return Classified(complete_columns(frame, "iis"), skipped)


def _dav_folder(rest: pa.Array, items: pa.Array) -> pa.Array:
    """"/<folder path>" of each distinct URL remainder: what precedes the item, if any."""
    prefix = pc.fill_null(pc.struct_field(pc.extract_regex(rest, r"(?i)^(?P<v>(?:[^/]*/)*?)[^/]*\.eml(?:/.*)?$"), [0]), "")
    path = pc.utf8_rtrim(pc.if_else(pc.is_valid(items), prefix, rest), characters="/")
    path = pc.binary_join_element_wise("/", path, "")
    return pc.if_else(pc.equal(path, "/"), pa.scalar(None, S), path)


def _combine(codes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct combinations of several per-row code arrays: (first row of each, inverse)."""
    key = np.zeros(len(codes[0]), dtype=np.int64)
    for part in codes:
        key = pd.factorize(key * (int(part.max(initial=0)) + 2) + part + 1)[0].astype(np.int64)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    return first, inverse


def _details(table: pa.Table, keep: np.ndarray, method: Uniq, agent: Uniq, notes: pa.Array) -> pa.Array:
    """``HTTP <verb> <status>.<sub>.<win32>; site=…; X-Forwarded-For=…; <notes>`` of the kept rows.

    Built once per distinct combination of its parts (few in practice), then spread to rows.
    """
    xff = pc.coalesce(_text(table, "x-forwarded-for"), _text(table, "cs(x-forwarded-for)"))
    parts = [method] + [
        Uniq.encode(col) for col in (*(_text(table, f) for f in ("sc-status", "sc-substatus", "sc-win32-status",
                                                                    "s-sitename")), xff, notes)
    ]
    proxied = agent.mask(lambda v: pc.starts_with(v, "Exchange-Server-Frontend-Proxy")).astype(np.int64)
    codes = [p.index[keep] for p in parts] + [proxied[keep]]
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


def _client_app(codes: np.ndarray, agent: Uniq) -> pd.Categorical:
    """"<protocol>: <user agent>" built once per distinct (protocol, agent) pair."""
    uniques, inverse = np.unique(codes, return_inverse=True)
    agents = agent.values.to_pylist() + [None]
    width = len(agent.values) + 1
    labels = []
    for code in uniques.tolist():
        proto, ua = PROTOCOLS[code // width], agents[code % width - 1] if code % width else None
        labels.append(f"{proto}: {ua}" if ua else proto)
    return categorical_labels(labels, inverse)


def categorical_labels(labels: list[str], inverse: np.ndarray) -> pd.Categorical:
    codes, categories = pd.factorize(pd.array(labels, dtype="string"))
    return pd.Categorical.from_codes(codes[inverse.ravel()], categories=pd.Index(categories, dtype="string"))


def _challenges(
    table: pa.Table, times: pa.Array, status: np.ndarray, method: Uniq, stem: Uniq, agent: Uniq
) -> np.ndarray:
    """401s answered by the same client's same request succeeding within the window.

    "Same request" = same client address, method, path and user agent; the next such line
    (in file order) that is not a 401 must be a success (< 400) within
    ``CHALLENGE_WINDOW_S`` seconds. NTLM's 401-401-200 handshakes count once as well.
    """
    n = table.num_rows
    is401 = status == 401
    result = np.zeros(n, dtype=bool)
    if not is401.any():
        return result
    ip = Uniq.encode(_text(table, "c-ip")).index
    candidates = np.flatnonzero(np.isin(ip, np.unique(ip[is401])))  # same client as some 401
    key = np.zeros(len(candidates), dtype=np.int64)
    for part in (ip, method.index, stem.index, agent.index):
        key = pd.factorize(key * (int(part.max(initial=0)) + 2) + part[candidates] + 1)[0].astype(np.int64)
    order = np.lexsort((candidates, key))  # by request key, then file order
    g, rows = key[order], candidates[order]
    t = as_array(times).to_numpy(zero_copy_only=False)[rows].astype("datetime64[ns]")
    st = status[rows]
    answered = st != 401
    m = len(rows)
    pos = np.where(answered, np.arange(m), m)
    nxt = np.append(np.minimum.accumulate(pos[::-1])[::-1][1:], m)  # next answered after each
    safe = np.minimum(nxt, m - 1)
    ok = (nxt < m) & (g[safe] == g) & (st[safe] >= 0) & (st[safe] < 400) & (st == 401)
    delta = (t[safe] - t) / np.timedelta64(1, "s")
    ok &= (delta >= 0) & (delta <= CHALLENGE_WINDOW_S)
    result[rows[ok]] = True
    return result
