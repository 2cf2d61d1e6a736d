"""Classify an event's data string by its content (folder path, legacyExchangeDN, account…).

Used two ways: to check that a record fits its event map (a field of kind ``folder-path``
must look like one), and to assign strings to fields by content when it does not (the row's
``mapping`` then says ``inferred``). Every pattern is valid both for Python's ``re`` and for
RE2 (``pyarrow.compute``), so the per-row and the vectorized checks agree exactly.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

#: Content classes, most specific first (the order ``classify`` tries them in).
PATTERNS: dict[str, str] = {
    "legacy-dn": r"(?i)^/o=",
    "path": r"^/(?:$|[^oO]|[oO](?:$|[^=]))",
    "account": r"^[^\\/@\s][^\\/@]*\\[^\\]+$",
    "smtp": r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$",
    "ip": (
        r"^(?:\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?"
        r"|\[?[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:%\w+)?\]?"
        r"|\[?::[fF]{4}:\d{1,3}(?:\.\d{1,3}){3}\]?)$"
    ),
    "guid": r"^\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?$",
    "bool": r"(?i)^(?:true|false|yes|no)$",
    "int": r"^-?\d+$",
    "exe": r"(?i)\.exe$",
}
#: Patterns of the map ``kind``s that are not content classes of their own.
_HOST = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$"

_COMPILED = {name: re.compile(p) for name, p in PATTERNS.items()}
_HOST_RE = re.compile(_HOST)

#: map kind -> (content classes that satisfy it; None = a positive pattern of its own)
_KIND_CLASSES: dict[str, tuple[str, ...]] = {
    "folder-path": ("path",),
    "message-path": ("path",),
    "legacy-dn": ("legacy-dn",),
    "account": ("account",),
    "smtp": ("smtp",),
    "ip": ("ip",),
    "guid": ("guid",),
    "bool": ("bool",),
    "int": ("int",),
    "exe": ("exe",),
}
#: a mailbox is a display name, alias, SMTP address or legacyExchangeDN: anything that is
#: not plainly something else
_NOT_MAILBOX = ("path", "bool", "ip", "guid", "exe", "int")

#: classes specific enough to assign a string to a field by content alone
SPECIFIC = ("legacy-dn", "path", "account", "smtp", "ip", "guid", "bool", "int", "exe")


def classify(value: str | None) -> str:
    """The content class of one string: one of ``SPECIFIC``, ``"empty"`` or ``"text"``."""
    if value is None or not value.strip():
        return "empty"
    text = value.strip()
    for name, pattern in _COMPILED.items():
        if pattern.search(text):
            return name
    return "text"


def fits(kind: str, value: str | None) -> bool:
    """Does ``value`` look like what a map field of ``kind`` expects? (blank never fits)

    The value is checked as recorded (no trimming), exactly like ``fits_vector``.
    """
    if value is None or not value.strip():
        return False
    text = value
    if kind == "text":
        return True
    if kind == "host":
        return bool(_HOST_RE.search(text)) or bool(_COMPILED["ip"].search(text))
    if kind == "mailbox":
        return not any(_COMPILED[c].search(text) for c in _NOT_MAILBOX) or bool(_COMPILED["legacy-dn"].search(text))
    return any(_COMPILED[c].search(text) for c in _KIND_CLASSES[kind])


def fits_vector(kind: str, values: pa.Array) -> pa.Array:
    """``fits`` for a whole string array at once (RE2 in C++); nulls give False."""
    stripped = values
    nonempty = pc.invert(blank_vector(values))
    if kind == "text":
        return nonempty

    def match(pattern: str) -> pa.Array:
        return pc.fill_null(pc.match_substring_regex(stripped, pattern), False)

    if kind == "host":
        result = pc.or_(match(_HOST), match(PATTERNS["ip"]))
    elif kind == "mailbox":
        other = match(PATTERNS[_NOT_MAILBOX[0]])
        for name in _NOT_MAILBOX[1:]:
            other = pc.or_(other, match(PATTERNS[name]))
        result = pc.or_(pc.invert(other), match(PATTERNS["legacy-dn"]))
    else:
        classes = _KIND_CLASSES[kind]
        result = match(PATTERNS[classes[0]])
        for name in classes[1:]:
            result = pc.or_(result, match(PATTERNS[name]))
    return pc.and_(nonempty, result)


def blank_vector(values: pa.Array) -> pa.Array:
    """True where a value is null, empty or whitespace only (an anchored, early-exit scan)."""
    return pc.fill_null(pc.match_substring_regex(values, r"^\s*$"), True)


def class_fits(content_class: str, kind: str) -> bool:
    """Can a string of ``content_class`` fill a field of ``kind`` when assigning by content?"""
    if kind in _KIND_CLASSES:
        return content_class in _KIND_CLASSES[kind]
    if kind == "mailbox":
        return content_class in ("text", "smtp", "legacy-dn")
    if kind == "host":
        return content_class in ("text", "ip")
    return kind == "text"


def parse_bool(value: str | None) -> bool | None:
    if value is None:
        return None
    low = value.strip().lower()
    if low in ("true", "yes"):
        return True
    if low in ("false", "no"):
        return False
    return None
