"""Reduce each way Exchange names a person to comparable keys.

The same person appears as ``CONTOSO\\pat``, ``pat@contoso.com``, ``/o=Contoso/.../cn=pat``,
``Pat Assistant``, a SID or a mailbox GUID. The heuristic of DESIGN.md links them:
alias = DN's last ``cn`` = local part of the SMTP address = sAMAccountName.
"""

from __future__ import annotations

import re
from functools import lru_cache

_GUID_PREFIXED_CN = re.compile(r"^[0-9a-f]{32}-(.+)$", re.IGNORECASE)
_SID = re.compile(r"^S-1-\d+(-\d+)+$", re.IGNORECASE)
_GUID = re.compile(r"^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$", re.IGNORECASE)

#: Account domains that name built-in principals, not people: keep them whole.
BUILTIN_DOMAINS = {"nt authority", "nt service", "builtin", "window manager", "font driver host"}
_SID_OR_GUID = re.compile(r"^(S-1-\d+(-\d+)+|\{?[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\}?)$", re.IGNORECASE)


@lru_cache(maxsize=1 << 16)  # the same few thousand names recur across many combinations
def identity_keys(value: str | None) -> frozenset[str]:
    """Lower-case keys under which ``value`` may match another form of the same person."""
    if not value:
        return frozenset()
    text = value.strip().strip("'\"").strip()
    if not text or text == "-":
        return frozenset()
    low = text.lower()
    keys = {low}
    if _SID.match(text) or _GUID.match(text):
        return frozenset({low.strip("{}")})
    if low.startswith("/o="):
        last = low.rsplit("/cn=", 1)[-1] if "/cn=" in low else ""
        if last:
            match = _GUID_PREFIXED_CN.match(last)
            keys.add(match.group(1) if match else last)
    elif "\\" in low:
        domain, _, user = low.partition("\\")
        if user:
            keys.add(user)
    elif "@" in low:
        local = low.split("@", 1)[0]
        if local:
            keys.add(local)
    return frozenset(keys)


def opaque_kind(value: str | None) -> str | None:
    """``"sid"`` or ``"guid"`` when ``value`` is an exact id (a SID, a bare GUID), else None.

    Exact ids outrank names when forms are matched to a directory person (``Directory.person``)."""
    if not value:
        return None
    text = value.strip().strip("'\"").strip()
    if _SID.match(text):
        return "sid"
    if _GUID.match(text):
        return "guid"
    return None


def is_address(value: str | None) -> bool:
    """An address-like form (``x@domain``, ``DOMAIN\\x``, ``/o=…``): unique in a directory,
    unlike a display name or a bare alias, so a match on it is not overruled by a foreign SID."""
    if not value:
        return False
    low = value.strip().strip("'\"").strip().lower()
    return low.startswith("/o=") or "\\" in low or "@" in low


_GUID_AT = re.compile(r"^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?@", re.IGNORECASE)


def id_like(value: str | None) -> bool:
    """An id that no name can be compared with: a SID, a GUID, or a mailbox GUID address
    (``<guid>@<domain>``: MAPI/HTTP ``MailboxId=``, RPC/HTTP targets)."""
    if not value:
        return False
    text = value.strip().strip("'\"").strip()
    return opaque_kind(value) is not None or bool(_GUID_AT.match(text))


def split_ids(joined: str | None) -> list[str]:
    """Split an ``actor_ids``/``mailbox_ids`` cell ("a|b|c") into its parts."""
    if not joined:
        return []
    return [part for part in str(joined).split("|") if part]


def all_keys(*values: str | None) -> frozenset[str]:
    keys: set[str] = set()
    for value in values:
        keys |= identity_keys(value)
    return frozenset(keys)


@lru_cache(maxsize=1 << 16)
def alias_of(form: str) -> str | None:
    """The alias a form reduces to, or None when it has none (display names, SIDs)."""
    text = form.strip().strip("'\"").strip()
    low = text.lower()
    if not low or low == "-" or _SID_OR_GUID.match(text):
        return None
    if low.startswith("/o="):
        last = low.rsplit("/cn=", 1)[-1] if "/cn=" in low else ""
        match = _GUID_PREFIXED_CN.match(last)
        return (match.group(1) if match else last) or None
    if "\\" in low:
        domain, _, user = low.partition("\\")
        if domain in BUILTIN_DOMAINS:
            return text.upper()
        return user or None
    if "@" in low and " " not in low:
        return low.split("@", 1)[0] or None
    return None
