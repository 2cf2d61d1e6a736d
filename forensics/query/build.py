"""Write query text from values, so drill-downs and reports use the query language itself.

A heatmap cell, a findings line or a right-click "Filter to this value" all become a query
string through these helpers; running that string gives exactly the rows they describe.
"""

from __future__ import annotations

import re
from datetime import tzinfo

import pandas as pd

from forensics.query.zone import resolve_tz

#: characters a bare (unquoted) value may hold; anything else is quoted
_BARE = re.compile(r"[A-Za-z0-9_.@\\/+\-,#=*!?&%$~']+")


def quote(value: str) -> str:
    """``value`` as a query value: bare when safe, else double-quoted with escapes."""
    text = str(value)
    if _BARE.fullmatch(text) and text not in ("OR", "AND", "NOT") and not text.startswith("-"):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def exact(field: str, value: object) -> str:
    """``field:=value`` (exact, case-sensitive); a missing value becomes ``missing:field``."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return f"missing:{field}"
    return f"{field}:={quote(str(value))}"


def contains(field: str, value: str) -> str:
    """``field:value`` (substring, case-insensitive)."""
    return f"{field}:{quote(value)}"


def exclude(field: str, value: object) -> str:
    """The negation of :func:`exact`."""
    return "-" + exact(field, value)


def format_time(stamp: pd.Timestamp, tz: str | tzinfo = "UTC") -> str:
    """A UTC instant written in the display zone WITH its offset, so it parses back exactly."""
    zone = resolve_tz(tz)
    local = pd.Timestamp(stamp).tz_convert(zone)
    text = local.strftime("%Y-%m-%d %H:%M" if local.second == 0 and local.microsecond == 0 and local.nanosecond == 0 else "%Y-%m-%d %H:%M:%S.%f")
    offset = local.strftime("%z")
    offset = "Z" if offset in ("+0000", "") else f"{offset[:3]}:{offset[3:]}"
    return f'"{text}{offset}"'


def time_range(start: pd.Timestamp | None, end: pd.Timestamp | None, tz: str | tzinfo = "UTC") -> str:
    """``after:START before:END`` (start inclusive, end exclusive) in the display zone."""
    parts = []
    if start is not None:
        parts.append(f"after:{format_time(start, tz)}")
    if end is not None:
        parts.append(f"before:{format_time(end, tz)}")
    return " ".join(parts)


def all_of(*parts: str) -> str:
    """AND of query fragments; fragments containing OR are parenthesised."""
    out = []
    for part in parts:
        part = part.strip()
        if not part:
            continue
        out.append(f"({part})" if " OR " in f" {part} " else part)
    return " ".join(out)
