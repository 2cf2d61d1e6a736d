"""The display time zone: UTC (default), the local zone, a fixed offset, or a named (IANA)
zone such as ``America/New_York``.

Display only: the frame stays UTC; this decides how times are printed and how times typed
in queries and the time-range control are read. Named and local zones follow daylight
saving time per timestamp (a case across the March change shows EST before and EDT after).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_OFFSET = re.compile(r"^(?:UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


@dataclass(frozen=True)
class DisplayZone:
    kind: str = "utc"  # utc | local | offset | named
    offset_minutes: int = 0
    name: str = ""  # the IANA name of a named zone

    @classmethod
    def parse(cls, text: str) -> "DisplayZone":
        """Read a stored or typed zone: 'UTC', 'local', '+02:00', 'UTC-05:30', 'America/New_York'."""
        text = (text or "").strip()
        if not text or text.upper() in ("UTC", "Z", "GMT"):
            return cls()
        if text.lower() == "local":
            return cls("local")
        match = _OFFSET.match(text)
        if not match:
            return cls("named", name=_zone_name(text))
        sign, hours, minutes = match.groups()
        total = int(hours) * 60 + int(minutes or 0)
        if total > 14 * 60:
            raise ValueError(f"offset out of range: {text!r}")
        return cls("offset", -total if sign == "-" else total)

    def tzinfo(self) -> tzinfo:
        if self.kind == "local":
            from dateutil import tz  # pandas' own dependency; follows the zone's DST rules

            return tz.tzlocal()
        if self.kind == "offset":
            return timezone(timedelta(minutes=self.offset_minutes))
        if self.kind == "named":
            return ZoneInfo(self.name)
        return timezone.utc

    def query_tz(self) -> str:
        """The zone as the query language and reports take it: a name where there is one
        (so daylight saving applies per time), else a ±HH:MM offset."""
        if self.kind == "utc":
            return "UTC"
        if self.kind == "named":
            return self.name
        if self.kind == "local":
            name = local_zone_name()
            if name:
                return name
        offset = self.tzinfo().utcoffset(datetime.now()) or timedelta(0)
        return format_offset(int(offset.total_seconds() // 60))

    def storage(self) -> str:
        if self.kind == "offset":
            return format_offset(self.offset_minutes)
        if self.kind == "named":
            return self.name
        return self.kind

    def label(self) -> str:
        if self.kind == "utc":
            return "UTC"
        if self.kind == "local":
            return f"Local ({self.query_tz()})"
        if self.kind == "named":
            return self.name
        return f"UTC{format_offset(self.offset_minutes)}"

    def offset_at(self, moment: datetime) -> str:
        """The zone's UTC offset at ``moment`` (a tz-aware instant), e.g. "UTC-04:00"."""
        offset = moment.astimezone(self.tzinfo()).utcoffset() or timedelta(0)
        return "UTC" + format_offset(int(offset.total_seconds() // 60))


def _zone_name(text: str) -> str:
    """``text`` if it names a zone of the IANA database, else a clear ValueError."""
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"not a time zone: {text!r} (use UTC, local, an offset such as +02:00 or -05:30, "
                         "or a zone name such as America/New_York)") from None
    return text


def local_zone_name() -> str:
    """This machine's zone name (``TZ``, else the /etc/localtime link), "" when unknown."""
    for candidate in (os.environ.get("TZ", "").lstrip(":"), _link_name()):
        if candidate:
            try:
                ZoneInfo(candidate)
                return candidate
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ""


def _link_name() -> str:
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return ""
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""


def format_offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


_format_offset = format_offset  # earlier name
