"""The display time zone: UTC (default), the local zone, or a fixed offset.

Display only: the frame stays UTC; this decides how times are printed and how times typed
in queries and the time-range control are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo

_OFFSET = re.compile(r"^(?:UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


@dataclass(frozen=True)
class DisplayZone:
    kind: str = "utc"  # utc | local | offset
    offset_minutes: int = 0

    @classmethod
    def parse(cls, text: str) -> "DisplayZone":
        """Read a stored or typed zone: 'UTC', 'local', '+02:00', 'UTC-05:30'."""
        text = (text or "").strip()
        if not text or text.upper() in ("UTC", "Z", "GMT"):
            return cls()
        if text.lower() == "local":
            return cls("local")
        match = _OFFSET.match(text)
        if not match:
            raise ValueError(f"not a time zone offset: {text!r} (use e.g. +02:00 or -05:30)")
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
        return timezone.utc

    def query_tz(self) -> str:
        """The zone as the query language takes it (a name or a ±HH:MM offset)."""
        if self.kind == "utc":
            return "UTC"
        offset = self.tzinfo().utcoffset(datetime.now()) or timedelta(0)
        return _format_offset(int(offset.total_seconds() // 60))

    def storage(self) -> str:
        if self.kind == "offset":
            return _format_offset(self.offset_minutes)
        return self.kind

    def label(self) -> str:
        if self.kind == "utc":
            return "UTC"
        if self.kind == "local":
            return f"Local ({self.query_tz()})"
        return f"UTC{_format_offset(self.offset_minutes)}"


def _format_offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
