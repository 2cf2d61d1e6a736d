"""Exchange admin cmdlet log (channel ``MSExchange Management``, provider ``MSExchange CmdletLogs``).

Event 1 = the cmdlet succeeded, 6 = it failed. The unnamed ``<Data>`` strings are: cmdlet
name, parameters, caller (an AD canonical path such as ``contoso.com/Users/Administrator``),
caller SID, SID, runspace / client application, process id, …, and for failures the error
text (a real Exchange 2010 failure carries 14 strings, the exception being the 12th).

The parameter string comes in two shapes: Exchange 2010 writes a hashtable-like
``{MailboxServer=SCEX02, Identity=DAG1}``, later versions a PowerShell-like
``-Identity "pat" -User 'CONTOSO\\x' -AccessRights FullAccess -Confirm:$false``. Both are read.

Every cmdlet event is a row, ``AdminCommand`` unless it matters to mailbox access, in which
case it gets the specific operation the findings and reports flag.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from forensics.identity.cmdlet_targets import ORGANISATION, target_kind

PROVIDER = "MSExchange CmdletLogs"
OUTCOMES = {1: "Success", 6: "Failure"}

#: The extended right whose holders generate no mailbox-access audit events.
BYPASS_RIGHT = "ms-exch-store-bypass-access-auditing"

_PERMISSION_CMDLETS = {
    "add-mailboxpermission",
    "remove-mailboxpermission",
    "add-recipientpermission",
    "add-mailboxfolderpermission",
}
_INBOX_RULE_CMDLETS = {"new-inboxrule", "set-inboxrule", "remove-inboxrule"}
_EXPORT_CMDLETS = {"new-mailboxexportrequest", "new-compliancesearch"}
_FORWARDING_PARAMS = ("forwardingsmtpaddress", "forwardingaddress", "delivertomailboxandforward")
#: Cmdlets whose ``-Identity`` names something other than a mailbox.
_NOT_A_MAILBOX = {"set-eventloglevel", "get-eventloglevel", "set-adminauditlogconfig"}

_HASHTABLE_KEY = re.compile(r"(?:^|,\s*)([A-Za-z_][A-Za-z0-9_]*)=")
_PARAM_NAME = re.compile(r"^-([A-Za-z_][A-Za-z0-9_]*)(?::(.*))?$", re.DOTALL)
_ERROR_HINT = re.compile(r"exception|error|failed|cannot|couldn't|could not|denied", re.IGNORECASE)


# --- parameter strings ----------------------------------------------------------------------


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Split a PowerShell argument string into ``(token, was_quoted)``.

    Quotes ('…' with '' escapes, "…" with "" and backtick escapes), and bracketed groups
    ``{…}``, ``(…)``, ``@(…)`` stay whole, so ``-ContentFilter {Received -lt "x"}`` keeps its
    inner ``-lt``. Commas glue array elements (``a, b``) into one token.
    """
    tokens: list[tuple[str, bool]] = []
    buf: list[str] = []
    quoted = False
    i, n = 0, len(text)
    depth = 0
    while i < n:
        ch = text[i]
        if depth == 0 and ch.isspace():
            if buf:
                # an array continues over ", " / " ," (look ahead without copying the text)
                j = i
                while j < n and text[j].isspace():
                    j += 1
                if buf[-1] == "," or (j < n and text[j] == ","):
                    i = j
                    continue
                tokens.append(("".join(buf), quoted))
                buf, quoted = [], False
            i += 1
            continue
        if ch in "'\"\u2018\u2019\u201c\u201d" and depth == 0:
            closers = "'\u2018\u2019" if ch in "'\u2018\u2019" else "\"\u201c\u201d"
            i += 1
            while i < n:
                c = text[i]
                if c == "`" and closers[0] == '"' and i + 1 < n:
                    buf.append(text[i + 1])
                    i += 2
                    continue
                if c in closers:
                    if i + 1 < n and text[i + 1] == c:  # doubled quote = literal quote
                        buf.append(c)
                        i += 2
                        continue
                    break
                buf.append(c)
                i += 1
            quoted = True
            i += 1
            continue
        if ch in "{(":
            depth += 1
        elif ch in "})" and depth:
            depth -= 1
        buf.append(ch)
        i += 1
    if buf:
        tokens.append(("".join(buf), quoted))
    return tokens


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value


def parse_parameters(text: str | None) -> dict[str, str | bool]:
    """Parameters of a logged cmdlet call: ``{name: value}`` (switches are ``True``).

    Names keep their case as written; values are unquoted. Leading values without a name
    are kept under ``_positional0``, ``_positional1``…
    """
    if not text:
        return {}
    text = text.strip()
    if text.startswith("{") and text.endswith("}") and not text.startswith("{-"):
        inner = text[1:-1].strip()
        if _HASHTABLE_KEY.match(inner):
            keys = list(_HASHTABLE_KEY.finditer(inner))
            out: dict[str, str | bool] = {}
            for k, match in enumerate(keys):
                end = keys[k + 1].start() if k + 1 < len(keys) else len(inner)
                out[match.group(1)] = _unquote(inner[match.end():end])
            return out
    out = {}
    pending: str | None = None
    positional = 0
    for token, quoted in _tokens(text):
        named = None if quoted else _PARAM_NAME.match(token)
        if named and not re.match(r"^-\d", token):
            if pending is not None:
                out[pending] = True  # the previous name was a switch
            name, inline = named.group(1), named.group(2)
            if inline is not None:
                out[name] = _switch_value(inline)
                pending = None
            else:
                pending = name
            continue
        if pending is not None:
            out[pending] = token
            pending = None
        else:
            out[f"_positional{positional}"] = token
            positional += 1
    if pending is not None:
        out[pending] = True
    return out


def _switch_value(inline: str) -> str | bool:
    low = inline.strip().lower()
    if low in ("$true", "true"):
        return True
    if low in ("$false", "false"):
        return False
    return _unquote(inline)


def _get(params: dict[str, str | bool], *names: str) -> str | bool | None:
    lowered = {k.lower(): v for k, v in params.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _text(value: str | bool | None) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    value = value.strip()
    return value or None


# --- classification ----------------------------------------------------------------------------


def classify(cmdlet: str, params: dict[str, str | bool]) -> tuple[str, list[str]]:
    """``(operation, flags)`` of a cmdlet call; flags name every specific reason that
    applied (one call may e.g. set forwarding and grant send-on-behalf at once)."""
    name = cmdlet.strip().lower()
    keys = {k.lower() for k in params}
    flags: list[str] = []
    if name == "add-adpermission":
        rights = str(_get(params, "ExtendedRights") or "").lower()
        if BYPASS_RIGHT in rights.replace(" ", ""):
            flags.append("AuditConfigChange: AUDIT BYPASS GRANTED (ms-Exch-Store-Bypass-Access-Auditing)")
        if "send-as" in rights or "receive-as" in rights:
            flags.append("PermissionChange: Send-As/Receive-As extended right")
    if name == "set-eventloglevel":
        identity = str(_get(params, "Identity", "_positional0") or "").lower().replace("/", "\\")
        if identity.startswith("msexchangeis\\9000 private"):
            flags.append("AuditConfigChange: mailbox access auditing category level")
    if name == "set-mailboxauditbypassassociation" and _get(params, "AuditBypassEnabled") not in (None, False, "$false"):
        # the Exchange 2010+ mailbox-audit counterpart of the bypass right
        flags.append("AuditConfigChange: AUDIT BYPASS GRANTED (mailbox audit bypass association)")
    if name == "set-adminauditlogconfig":
        flags.append("AuditConfigChange: admin audit log configuration")
    if name == "set-mailbox" and "auditenabled" in keys:
        flags.append("AuditConfigChange: mailbox auditing switched")
    if name == "set-mailbox" and keys & set(_FORWARDING_PARAMS):
        flags.append("ForwardingChange")
    if name in _PERMISSION_CMDLETS or (name == "set-mailbox" and "grantsendonbehalfto" in keys):
        flags.append("PermissionChange")
    if name in _INBOX_RULE_CMDLETS:
        flags.append("InboxRuleChange")
    if name in _EXPORT_CMDLETS:
        flags.append("MailboxExport")
    # one row, one operation: the most consequential for mailbox access wins
    for operation in ("AuditConfigChange", "ForwardingChange", "PermissionChange", "InboxRuleChange", "MailboxExport"):
        if any(f.startswith(operation) for f in flags):
            return operation, flags
    return "AdminCommand", flags


def _object(cmdlet: str, params: dict[str, str | bool]) -> str | None:
    """The organisation object (plan, policy, configuration) the call acts on, as written,
    or ``None`` when it acts on a mailbox or on something unknown (``cmdlet_targets``)."""
    if cmdlet.strip().lower() not in _NOT_A_MAILBOX and target_kind(cmdlet) != "organisation":
        return None
    return _text(_get(params, "Identity", "_positional0")) or ORGANISATION


def _target(cmdlet: str, params: dict[str, str | bool]) -> tuple[str | None, str | None]:
    """``(mailbox, folder)`` the call acts on, as written."""
    name = cmdlet.strip().lower()
    if name in _NOT_A_MAILBOX or target_kind(cmdlet) == "organisation":
        return None, None
    if name in ("add-adpermission", "remove-adpermission"):
        # a mailbox only for Send-As / Receive-As grants; else a database, server, container
        rights = str(_get(params, "ExtendedRights") or "").lower()
        if "send-as" not in rights and "receive-as" not in rights:
            return None, None
    identity = _text(_get(params, "Identity"))
    mailbox_param = _text(_get(params, "Mailbox"))
    if name in _INBOX_RULE_CMDLETS:
        if mailbox_param:
            return mailbox_param, None
        if identity and "\\" in identity:  # "mailbox\rule name"
            return identity.rsplit("\\", 1)[0], None
        return None, None
    if name == "new-compliancesearch":
        return _text(_get(params, "ExchangeLocation")), None
    target = identity or mailbox_param or _text(_get(params, "_positional0"))
    if target and name.endswith("mailboxfolderpermission") and ":" in target:
        mailbox, _, folder = target.partition(":")
        return mailbox or None, folder or None
    return target, None


def _acts_on_own_mailbox(cmdlet: str, params: dict[str, str | bool]) -> bool:
    """A mailbox cmdlet whose call names no target at all (no -Identity, -Mailbox, positional)."""
    if target_kind(cmdlet) != "mailbox":
        return False
    return not any(_text(_get(params, name)) for name in ("Identity", "Mailbox", "_positional0"))


def _error_text(strings: Sequence[str]) -> str | None:
    tail = [s for s in strings[7:] if s and s.strip()]
    for s in tail:
        if _ERROR_HINT.search(s) and len(s) > 20:
            return s.strip()
    return strings[11].strip() if len(strings) > 11 and strings[11].strip() else None


def cmdlet_fields(event_id: int, strings: list[str]) -> dict | None:
    """Row columns of one cmdlet-log event, or ``None`` if it is not a cmdlet call
    (another event id, or no cmdlet name): the caller then keeps it as a generic event."""
    if int(event_id) not in OUTCOMES or not strings or not (strings[0] or "").strip():
        return None
    strings = [("" if s is None else str(s)) for s in strings]
    raw_params = strings[1].strip() if len(strings) > 1 else ""
    outcome = OUTCOMES[int(event_id)]
    return call_fields(
        strings[0].strip(), parse_parameters(raw_params), raw_params, caller=strings[2].strip() if len(strings) > 2 else "",
        outcome=outcome, sids=[s.strip() for s in strings[3:5] if s.strip()],
        client_app=(strings[5].strip() or None) if len(strings) > 5 else None,
        process_id=strings[6].strip() if len(strings) > 6 else "",
        error=_error_text(strings) if outcome == "Failure" else None,
    )


def call_fields(
    cmdlet: str, params: dict[str, str | bool], raw_params: str, *, caller: str, outcome: str | None,
    sids: Sequence[str] = (), client_app: str | None = None, process_id: str = "", error: str | None = None,
) -> dict:
    """Row columns of one cmdlet call, whatever recorded it (the cmdlet log, an admin audit
    log export): one vocabulary and one target rule for every source."""
    operation, flags = classify(cmdlet, params)
    mailbox, folder = _target(cmdlet, params)
    details = [f"cmdlet={cmdlet}", f"parameters={raw_params}"]
    target_object = _object(cmdlet, params)
    if target_object:
        details.append(f"object={target_object}")
    mapping = "native"
    if mailbox is None and target_object is None and caller and _acts_on_own_mailbox(cmdlet, params):
        # a mailbox cmdlet naming no mailbox acts on the caller's own (e.g. New-InboxRule without -Mailbox)
        mailbox, mapping = caller, "inferred"
        details.append("mailbox: the caller's own (the cmdlet names no -Identity/-Mailbox)")
    details += [f"flag={f}" for f in flags]
    grantee = _text(_get(params, "User", "Trustee", "GrantSendOnBehalfTo", "ForwardingSmtpAddress", "ForwardingAddress"))
    if grantee:
        details.append(f"target_user={grantee}")
    if process_id:
        details.append(f"process_id={process_id}")
    if error:
        details.append(f"error={error}")
    return {
        "operation": operation,
        "outcome": outcome,
        "mailbox": mailbox,
        "mailbox_ids": mailbox,
        "folder": folder,
        "actor": caller or (sids[0] if sids else None),
        "actor_ids": "|".join(v for v in dict.fromkeys([caller, *sids]) if v) or None,
        "client_app": client_app,
        "item": cmdlet,
        "details": "; ".join(details),
        "mapping": mapping,
    }
