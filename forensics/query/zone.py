"""Display time zones: the zone in which the user reads and types times.

Data stays UTC; only what the user types (``after:2024-03-05``) and what we show (bin
labels) are in the display zone. Accepted spellings: an IANA name ("Europe/Berlin"),
"UTC", "local" (this machine's zone), or a fixed offset ("+02:00", "UTC-05:00", "-0530").
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?$", re.IGNORECASE)


def resolve_tz(tz: str | tzinfo | None) -> tzinfo:
    """Turn a user's zone spelling into a ``tzinfo`` (ValueError when unknown)."""
    if tz is None:
        return timezone.utc
    if isinstance(tz, tzinfo):
        return tz
    text = str(tz).strip()
    if text.upper() in ("", "UTC", "Z", "GMT"):
        return timezone.utc
    if text.lower() == "local":
        local = datetime.now().astimezone().tzinfo
        return local if local is not None else timezone.utc
    match = _OFFSET.match(text)
    if match:
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta >= timedelta(hours=24):
            raise ValueError(f"time zone offset out of range: {text!r}")
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone: {text!r}") from exc
