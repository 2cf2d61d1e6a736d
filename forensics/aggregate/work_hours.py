"""Working time, for the findings' after-hours counts: start–end on work days, in a zone.

Kept with the case (``case.json``) and in the GUI settings as one short text
(``"08:00;18:00;0,1,2,3,4;Europe/Berlin"``), so a report made from the command line counts
after-hours access exactly as the examiner's GUI did; people type it as
``"08:00-18:00 Mon-Fri Europe/Berlin"`` (``parse``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time as clock
from datetime import tzinfo

import numpy as np
import pandas as pd

from forensics.errors import ForensicsError
from forensics.query.zone import DAY_NS, NAT, local_ns, resolve_tz


class WorkHoursError(ForensicsError):
    """Work hours typed in a form ``WorkHours.parse`` cannot read."""


WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SPEC = re.compile(r"^\s*(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})(?:\s+(?P<days>[A-Za-z,\-]+))?(?:\s+(?P<zone>\S+))?\s*$")


@dataclass(frozen=True)
class WorkHours:
    """Working time: ``start``–``end`` on ``days`` (Monday=0) in ``tz`` (None = display zone)."""

    start: clock = clock(8, 0)
    end: clock = clock(18, 0)
    days: tuple[int, ...] = (0, 1, 2, 3, 4)
    tz: str | tzinfo | None = None

    def zone(self, display_tz: str | tzinfo) -> tzinfo:
        return resolve_tz(self.tz if self.tz is not None else display_tz)

    def after_hours(self, times: pd.Series, display_tz: str | tzinfo = "UTC") -> np.ndarray:
        """True where a time falls outside working time (NaT -> False)."""
        local = local_ns(times, self.zone(display_tz)) if len(times) else np.zeros(0, dtype=np.int64)
        valid = local != NAT
        of_day = local % DAY_NS
        start = _ns(self.start)
        end = _ns(self.end)
        within = (of_day >= start) & (of_day < end) if start <= end else (of_day >= start) | (of_day < end)
        day = (local // DAY_NS + 3) % 7
        workday = np.isin(day, np.asarray(self.days, dtype=np.int64))
        return valid & ~(within & workday)

    def describe(self, display_tz: str | tzinfo = "UTC") -> str:
        days = ", ".join(WEEKDAY_NAMES[d] for d in sorted(self.days)) or "no days"
        zone = self.zone(display_tz)
        return f"{self.start:%H:%M}–{self.end:%H:%M} on {days} ({getattr(zone, 'key', None) or zone})"

    def to_text(self) -> str:
        """The stored form (case.json, GUI settings)."""
        zone = "" if self.tz is None else str(getattr(self.tz, "key", None) or self.tz)
        return f"{self.start:%H:%M};{self.end:%H:%M};{','.join(str(d) for d in self.days)};{zone}"

    @classmethod
    def from_text(cls, text: str) -> "WorkHours | None":
        """The stored form read back; ``None`` when empty or damaged (the caller's default applies)."""
        try:
            start, end, days, zone = str(text).split(";", 3)
            hours = cls(clock.fromisoformat(start), clock.fromisoformat(end),
                        tuple(int(d) for d in days.split(",") if d != ""), zone or None)
            if any(not 0 <= d <= 6 for d in hours.days):
                return None
            if hours.tz is not None:
                resolve_tz(hours.tz)
            return hours
        except (ValueError, TypeError):
            return None

    @classmethod
    def parse(cls, spec: str) -> "WorkHours":
        """``"08:00-18:00"``, ``"07:30-16:00 Mon-Thu"``, ``"08:00-18:00 Mon,Wed,Fri Europe/Berlin"``
        (days default to Mon-Fri, the zone to the display zone); a clear error otherwise."""
        hit = _SPEC.match(spec or "")
        if not hit:
            raise WorkHoursError(f"work hours {spec!r}: expected START-END [DAYS] [ZONE], e.g. '08:00-18:00 Mon-Fri Europe/Berlin'")
        try:
            start, end = (clock.fromisoformat(hit.group(k).zfill(5)) for k in ("start", "end"))
        except ValueError:
            raise WorkHoursError(f"work hours {spec!r}: {hit.group('start')}-{hit.group('end')} is not a time range") from None
        days = _days(hit.group("days"), spec) if hit.group("days") else cls.days
        zone = hit.group("zone")
        if zone:
            try:
                resolve_tz(zone)
            except ValueError as exc:
                raise WorkHoursError(f"work hours {spec!r}: {exc}") from None
        return cls(start, end, days, zone)


def _days(text: str, spec: str) -> tuple[int, ...]:
    names = [n.lower() for n in WEEKDAY_NAMES]
    out: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        try:
            a = names.index(first.strip().lower()[:3])
            b = names.index(last.strip().lower()[:3]) if last else a
        except ValueError:
            raise WorkHoursError(f"work hours {spec!r}: {part!r} is not a weekday or range (Mon..Sun)") from None
        out.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return tuple(sorted(set(out)))


def _ns(moment: clock) -> int:
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1_000_000_000


@dataclass(frozen=True)
class ZoneChoice:
    """The zone work hours are counted in, and why (the GUI and reports say both)."""

    zone: str
    why: str


def work_zone(hours: WorkHours, stated: Iterable[str | None], display_tz: str | tzinfo = "UTC") -> ZoneChoice:
    """The zone ``hours`` apply in. The examiner's own zone wins; else the organisation's
    zone where the case or evidence states one (the source zone its local-time exports were
    loaded with: the clock the people worked by); else the display zone (UTC unless changed).
    Several different stated zones are no answer: the display zone, saying so."""
    if hours.tz is not None:
        return ZoneChoice(_name(hours.tz), "set in the work hours")
    zones = sorted({str(z).strip() for z in stated if z and str(z).strip()} - {"UTC", "utc", "Z", "GMT"})
    if len(zones) == 1:
        return ZoneChoice(zones[0], "the zone the case's evidence was loaded with (its local times)")
    display = _name(display_tz)
    if zones:
        return ZoneChoice(display, f"the display zone: the evidence states several zones ({', '.join(zones)})")
    return ZoneChoice(display, "the display zone: neither the case nor the evidence states the organisation's zone")


def _name(tz: str | tzinfo) -> str:
    return str(getattr(tz, "key", None) or tz)


def after_hours_text(count: int, share: float) -> str:
    """"3 (12%)": the count beside the share, and a share that never rounds a real event away
    ("1 (<1%)", not "0%"; "999 (>99%)" while one access was in hours)."""
    count = int(count)
    if count <= 0:
        return "0"
    percent = float(share) * 100
    if percent < 1:
        shown = "<1%"
    elif percent > 99 and percent < 100:
        shown = ">99%"
    else:
        shown = f"{percent:.0f}%"
    return f"{count:,} ({shown})"
