"""What an Exchange web request in an IIS log means: whose mailbox, which folder and item,
which operation, or why it is not an access at all.

Input is one frame of W3C fields (already split and named by ``iis.py``); everything here
is column-wise pandas/Arrow work, so a million-line log costs a few dozen kernels, not a
million Python calls. The URL shapes per Exchange version are in
``reference/evidence-formats.md`` §3:

* Exchange 2003 OWA / WebDAV: ``/exchange/<mailbox>/<folder…>/<item>.EML`` (+ ``Cmd=``),
  WebDAV verbs (PROPFIND, SEARCH, MOVE, …); ``/public/…``; ``/exadmin/…/MBX/<mailbox>/…``.
* 2007+ OWA: explicit logon ``/owa/<smtp>/``, ``ae=Item`` / ``ae=Folder``, ``action=`` / ``ev=``.
* ActiveSync: ``User=``, ``DeviceId=``, ``DeviceType=``, ``Cmd=`` (+ ``Log=…_SmtpAdrs:…``).
* RPC/HTTP: query ``<mailbox-guid>@<domain>:6001``; MAPI/HTTP: ``MailboxId=``; EWS.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forensics.parsers.textcols import STR, joined, query_param, url_decode

#: seconds within which a 401 followed by the same request succeeding is one access
CHALLENGE_WINDOW_S = 30

SKIP_PROBE = "health probe (HealthMailbox / managed availability)"
SKIP_STATIC = "static file (script, style, image, font)"
SKIP_SIGNIN = "sign-in page (no mailbox named)"
SKIP_CHALLENGE = "401 challenge answered by the authenticated retry"
SKIP_NO_MAILBOX = "request names no mailbox or user"
SKIP_OTHER = "request names no mailbox (autodiscover, OAB, PowerShell, other path)"

_STATIC = (
    r"(?i)(?:\.(?:css|js|gif|png|jpe?g|ico|woff2?|ttf|eot|svg|map|xap|wav|mp3|manifest|htc|cur|txt)$"
    r"|/(?:resources|themes|scripts|fonts|images)/)"
)
_PROBE_UA = r"(?i)(?:activemonitoring|msexchmonitoring|amprobe|exchange.*monitoring)"
_WEBDAV_LIST = ("PROPFIND", "SEARCH")
_WEBDAV_READ = ("GET", "X-MS-ENUMATTS")

# protocol labels (kept in client_app, before the user agent)
P_2003, P_PUBLIC, P_EXADMIN = "OWA/WebDAV", "Public folders", "Exchange System Manager"
P_OWA, P_EAS, P_EWS, P_MAPI, P_RPC, P_ECP = "OWA", "ActiveSync", "EWS", "MAPI/HTTP", "RPC/HTTP", "ECP"
P_OTHER = "HTTP"


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].astype(STR).replace("", np.nan)
    return pd.Series(pd.array([None] * len(frame), dtype=STR), index=frame.index)


def _na(n: int, index: pd.Index) -> pd.Series:
    return pd.Series(pd.array([None] * n, dtype=STR), index=index)


def _set(target: pd.Series, mask: pd.Series, values: pd.Series | str) -> None:
    """target[mask] = values (aligned), in place."""
    if not mask.any():
        return
    target[mask] = values[mask] if isinstance(values, pd.Series) else values


def classify(fields: pd.DataFrame, times: pd.Series, all_events: bool) -> pd.DataFrame:
    """Turn named W3C fields into table columns plus ``skip`` (a reason, or NA when rowed).

    ``fields`` holds the W3C columns by their lower-case names (``cs-uri-stem``, …) as
    strings with NA for ``-``; ``times`` the parsed UTC times of the same rows.
    """
    n, index = len(fields), fields.index
    method = _col(fields, "cs-method").str.upper()
    stem = url_decode(_col(fields, "cs-uri-stem"))
    low = stem.str.lower().fillna("")
    query = _col(fields, "cs-uri-query")
    actor = url_decode(_col(fields, "cs-username"))
    agent = url_decode(_col(fields, "cs(user-agent)"))
    status = pd.to_numeric(_col(fields, "sc-status"), errors="coerce")

    is_2003 = low.str.startswith("/exchange/") | (low == "/exchange")
    is_public = low.str.startswith("/public/") | (low == "/public")
    is_exadmin = low.str.startswith("/exadmin/")
    is_owa = low.str.startswith("/owa/") | (low == "/owa")
    is_eas = low.str.startswith("/microsoft-server-activesync")
    is_ews = low.str.startswith("/ews/")
    is_mapi = low.str.startswith("/mapi/")
    is_rpc = low.str.startswith("/rpc/")
    is_ecp = low.str.startswith("/ecp/") | (low == "/ecp")
    protocol = pd.Series(
        np.select(
            [is_2003, is_public, is_exadmin, is_owa, is_eas, is_ews, is_mapi, is_rpc, is_ecp],
            [P_2003, P_PUBLIC, P_EXADMIN, P_OWA, P_EAS, P_EWS, P_MAPI, P_RPC, P_ECP],
            default=P_OTHER,
        ),
        index=index,
        dtype=STR,
    )

    mailbox, folder, item = _na(n, index), _na(n, index), _na(n, index)
    client_host = _na(n, index)
    operation = pd.Series("WebRequest", index=index, dtype=STR)
    mapping = pd.Series("native", index=index, dtype=STR)
    notes = _na(n, index)
    admin = pd.Series(pd.array([None] * n, dtype="boolean"), index=index)

    # -- Exchange 2003 OWA/WebDAV, public folders, ExAdmin: the URL names it all ------------
    dav = is_2003 | is_public | is_exadmin
    if dav.any():
        parts = stem.str.extract(r"(?i)^/(?:exchange|public)/(?P<m>[^/]*)/?(?P<rest>.*)$")
        admin_parts = stem.str.extract(r"(?i)^/exadmin/.*?/mbx/(?P<m>[^/]*)/?(?P<rest>.*)$")
        box = parts["m"].astype(STR).where(is_2003, admin_parts["m"].astype(STR))
        box = box.where(~is_public, "Public Folders")
        rest = parts["rest"].astype(STR).where(~is_exadmin, admin_parts["rest"].astype(STR))
        rest = rest.where(~is_public, joined([parts["m"].astype(STR), parts["rest"].astype(STR)], "/"))
        split = rest.str.extract(r"(?i)^(?P<f>(?:.*?/)?)(?P<i>[^/]*\.eml)(?P<a>/.*)?$")
        has_item = split["i"].notna() & dav
        item_text = joined([split["i"].astype(STR), split["a"].astype(STR)], "")
        folder_text = ("/" + split["f"].astype(STR).str.rstrip("/")).where(has_item, "/" + rest.str.rstrip("/"))
        _set(mailbox, dav, box.replace("", np.nan))
        _set(folder, dav, folder_text.replace("/", np.nan))
        _set(item, has_item, item_text)
        cmd = query_param(query, "Cmd")
        reading = method.isin(_WEBDAV_READ) & has_item
        listing = (method.isin(_WEBDAV_LIST) | ((method == "GET") & ~has_item)) & dav
        _set(operation, dav & reading, "MessageOpen")
        _set(operation, dav & listing & ~reading, "FolderOpen")
        _set(notes, dav, joined([("Cmd=" + cmd)]))
        _set(admin, is_exadmin, pd.Series(True, index=index, dtype="boolean"))

    # -- OWA 2007+: explicit logon names the mailbox; otherwise it is the user's own ---------
    if is_owa.any():
        explicit = stem.str.extract(r"(?i)^/owa/(?P<m>[^/?]+@[^/?]+)(?:/|$)", expand=False).astype(STR)
        ae = query_param(query, "ae")
        ident = query_param(query, "id")
        kind = query_param(query, "t")
        action = query_param(query, "action").fillna(query_param(query, "ev"))
        cmd = query_param(query, "Cmd")
        ae_low = ae.str.lower()
        is_item = is_owa & ((ae_low == "item") | (cmd.str.lower() == "open"))
        is_folder = is_owa & (ae_low == "folder") & ~is_item
        own = is_owa & explicit.isna() & actor.notna()
        _set(mailbox, is_owa, explicit)
        _set(mailbox, own, actor)
        _set(mapping, own, "inferred")
        _set(notes, own, "mailbox: the signed-in user's own (no explicit logon in the URL)")
        _set(operation, is_item, "MessageOpen")
        _set(operation, is_folder, "FolderOpen")
        _set(item, is_item, ident.fillna(kind))
        _set(folder, is_folder, ident.fillna(kind))
        tail = stem.str.extract(r"/(?P<t>[^/]+)/?$", expand=False).astype(STR)
        command = action.fillna(ae).fillna(tail)
        _set(item, is_owa & ~is_item & ~is_folder, command)

    # -- ActiveSync: the query names user, device and command ------------------------------
    if is_eas.any():
        user = query_param(query, "User")
        smtp = query_param(query, "Log", decode=False).str.extract(
            r"(?i)_SmtpAdrs:(?P<s>[^_&]+)", expand=False
        ).astype(STR)
        smtp = url_decode(smtp.replace("", np.nan))
        box = smtp.fillna(user)
        inferred = is_eas & box.isna() & actor.notna()
        _set(mailbox, is_eas, box)
        _set(mailbox, inferred, actor)
        _set(mapping, inferred, "inferred")
        eas_cmd = query_param(query, "Cmd")
        _set(item, is_eas, eas_cmd.fillna(method))
        _set(client_host, is_eas, query_param(query, "DeviceId"))
        _set(notes, is_eas, "DeviceType=" + query_param(query, "DeviceType"))

    # -- MAPI/HTTP and RPC/HTTP: MailboxId= / <guid>@<domain>:port name the mailbox ----------
    if is_mapi.any():
        _set(mailbox, is_mapi, query_param(query, "MailboxId"))
        endpoint = stem.str.extract(r"(?i)^/mapi/(?P<e>[^/]+)", expand=False).astype(STR)
        _set(item, is_mapi, endpoint)
    if is_rpc.any():
        target = query.str.extract(r"^(?P<t>[^:&]+@[^:&]+)", expand=False).astype(STR)
        _set(mailbox, is_rpc, url_decode(target.replace("", np.nan)))
        _set(item, is_rpc, method)
        server_target = query.str.extract(r"^(?P<t>[^:&@]+):\d+", expand=False).astype(STR)
        _set(notes, is_rpc & target.isna(), "RPC target " + server_target)
    if is_ews.any():
        _set(item, is_ews, stem.str.extract(r"/(?P<t>[^/]+)/?$", expand=False).astype(STR))
        _set(notes, is_ews & ~notes.notna(), "target mailbox is not in IIS (see the EWS protocol log)")
    if is_ecp.any():
        _set(item, is_ecp, stem.str.extract(r"/(?P<t>[^/]+)/?$", expand=False).astype(STR))

    # -- what is not an access -------------------------------------------------------------
    skip = _na(n, index)
    probe = actor.str.lower().str.contains("healthmailbox", regex=False).fillna(False)
    probe |= agent.str.contains(_PROBE_UA, regex=True).fillna(False)
    probe |= low.str.contains("healthcheck.htm", regex=False)
    static = ~dav & low.str.contains(_STATIC, regex=True)
    signin = is_owa & (low.str.startswith("/owa/auth") | low.str.contains("/logoff.owa", regex=False))
    known = dav | is_owa | is_eas | is_ews | is_mapi | is_rpc | is_ecp
    challenge = _challenges(fields, times, status, method, low, agent)
    _set(skip, ~known, SKIP_OTHER)
    _set(skip, known & mailbox.isna() & actor.isna(), SKIP_NO_MAILBOX)
    _set(skip, signin, SKIP_SIGNIN)
    _set(skip, challenge, SKIP_CHALLENGE)
    _set(skip, static, SKIP_STATIC)
    _set(skip, probe, SKIP_PROBE)
    if all_events:  # keep them, but never as accesses
        _set(operation, skip.notna(), "WebRequest")
        _set(notes, skip.notna(), "not an access: " + skip)
        skip = _na(n, index)

    outcome = pd.Series(np.where(status < 400, "Success", "Failure"), index=index, dtype=STR)
    outcome = outcome.where(status.notna(), np.nan)
    server = _col(fields, "s-computername").fillna(_col(fields, "s-ip"))
    client_app = joined([protocol, agent], ": ")
    status_text = joined(
        [_col(fields, "sc-status"), _col(fields, "sc-substatus"), _col(fields, "sc-win32-status")], "."
    )
    proxied = agent.str.startswith("Exchange-Server-Frontend-Proxy").fillna(False)
    xff = _col(fields, "x-forwarded-for").fillna(_col(fields, "cs(x-forwarded-for)"))
    details = joined(
        [
            "HTTP " + method.fillna("?") + " " + status_text.fillna("?"),
            "site=" + _col(fields, "s-sitename"),
            "X-Forwarded-For=" + xff,
            pd.Series(np.where(proxied, "c-ip is the front-end server", None), index=index, dtype=STR),
            notes,
        ],
        "; ",
    )
    return pd.DataFrame(
        {
            "time": times,
            "operation": operation,
            "mailbox": mailbox,
            "actor": actor,
            "admin_rights": admin,
            "folder": folder,
            "item": item,
            "client_ip": _col(fields, "c-ip"),
            "client_host": client_host,
            "client_app": client_app,
            "outcome": outcome,
            "server": server,
            "provider": "IIS",
            "mapping": mapping,
            "time_basis": "utc",
            "details": details,
            "skip": skip,
        },
        index=index,
    )


def _challenges(
    fields: pd.DataFrame,
    times: pd.Series,
    status: pd.Series,
    method: pd.Series,
    low: pd.Series,
    agent: pd.Series,
) -> pd.Series:
    """401s answered by the same client's same request succeeding within the window.

    "Same request" = same client address, method, path and user agent; the next such line
    (in file order) that is not a 401 must be a success (< 400) within
    ``CHALLENGE_WINDOW_S`` seconds. NTLM's 401-401-200 handshakes count once as well.
    """
    n = len(fields)
    is401 = (status == 401).to_numpy()
    if not is401.any():
        return pd.Series(False, index=fields.index)
    key = pd.DataFrame(
        {"ip": _col(fields, "c-ip"), "m": method, "p": low, "ua": agent}, index=fields.index
    )
    group = key.groupby(list(key.columns), dropna=False, sort=False).ngroup().to_numpy()
    order = np.lexsort((np.arange(n), group))  # by group, then file order
    g = group[order]
    t = times.to_numpy(dtype="datetime64[ns]")[order]
    st = status.to_numpy(dtype="float64", na_value=np.nan)[order]
    answered = ~np.isnan(st) & (st != 401)
    # for each position: index (in `order`) of the next answered row, within the same group
    pos = np.where(answered, np.arange(n), n)
    next_pos = np.minimum.accumulate(pos[::-1])[::-1]
    nxt = np.empty(n, dtype=np.int64)
    nxt[:-1] = next_pos[1:]
    nxt[-1] = n
    found = nxt < n
    safe = np.where(found, nxt, 0)
    ok = found & (g[safe] == g) & (st[safe] < 400)
    delta = (t[safe] - t) / np.timedelta64(1, "s")
    ok &= (delta >= 0) & (delta <= CHALLENGE_WINDOW_S)
    result = np.zeros(n, dtype=bool)
    result[order] = ok & (st == 401)
    return pd.Series(result, index=fields.index)
