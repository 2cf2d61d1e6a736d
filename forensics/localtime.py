"""Local wall-clock times from text exports -> UTC, with the conversion stated on every row.

Event Viewer CSV/TXT exports (and other text exports) write times in the *exporting
machine's* zone, which the file does not record. The user states it (``--source-tz``) as an
offset (``+02:00``, ``-0500``, ``UTC+2``) or an IANA zone (``Europe/Berlin``, DST-aware);
without it the times are treated as UTC and the load says so loudly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from forensics.errors import ParseError

UNKNOWN_BASIS = "local time, zone unknown (treated as UTC)"
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


@dataclass(frozen=True)
class SourceZone:
    """The zone local times are converted from, and the row's ``time_basis`` text."""

    tz: tzinfo | None  # None = unknown (times taken as UTC)
    basis: str

    @property
    def known(self) -> bool:
        return self.tz is not None


def parse_source_tz(text: str | None) -> SourceZone:
    """``--source-tz`` value -> SourceZone; a bad value is the user's error (one line)."""
    if text is None or not str(text).strip():
        return SourceZone(None, UNKNOWN_BASIS)
    raw = str(text).strip()
    if raw.upper() in ("UTC", "Z", "GMT"):
        return SourceZone(timezone.utc, "converted from UTC")
    hit = _OFFSET.match(raw)
    if hit:
        sign, hours, minutes = hit.group(1), int(hit.group(2)), int(hit.group(3) or 0)
        if hours > 14 or minutes >= 60:
            raise ParseError(f"--source-tz {raw}: offset out of range (-14:00..+14:00)")
        delta = timedelta(hours=hours, minutes=minutes) * (-1 if sign == "-" else 1)
        return SourceZone(timezone(delta), f"converted from UTC{sign}{hours:02d}:{minutes:02d}")
    try:
        return SourceZone(ZoneInfo(raw), f"converted from {raw}")
    except (ZoneInfoNotFoundError, ValueError):
        raise ParseError(
            f"--source-tz {raw}: not a UTC offset (e.g. +02:00) or a known time zone (e.g. Europe/Berlin)"
        ) from None


@dataclass
class LocalizeResult:
    times: pd.Series  # tz-aware UTC
    ambiguous: int  # rows in a DST fall-back hour (assumed daylight time, the first pass)
    nonexistent: int  # rows in a DST spring-forward gap (shifted forward)


def to_utc(naive: pd.Series, zone: SourceZone) -> LocalizeResult:
    """Convert naive local times to UTC (vectorized). Unknown zone: taken as UTC."""
    naive = pd.to_datetime(naive, errors="coerce")
    if not zone.known:
        return LocalizeResult(naive.dt.tz_localize("UTC"), 0, 0)
    if isinstance(zone.tz, timezone):
        return LocalizeResult(naive.dt.tz_localize(zone.tz).dt.tz_convert("UTC"), 0, 0)
    tz = zone.tz
    strict = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    lost = strict.isna() & naive.notna()
    ambiguous = nonexistent = 0
    if lost.any():
        subset = naive[lost]
        as_dst = subset.dt.tz_localize(tz, ambiguous=np.ones(len(subset), dtype=bool), nonexistent="NaT")
        gap = as_dst.isna()
        ambiguous = int((~gap).sum())
        if gap.any():
            as_dst[gap] = subset[gap].dt.tz_localize(tz, ambiguous=np.ones(int(gap.sum()), dtype=bool),
                                                      nonexistent="shift_forward")
            nonexistent = int(gap.sum())
        strict = strict.copy()
        strict[lost] = as_dst
    return LocalizeResult(strict.dt.tz_convert("UTC"), ambiguous, nonexistent)


#: Date/time shapes Event Viewer writes under common locales (tried per file, best wins).
DATETIME_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%d/%m/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%y %I:%M:%S %p",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%d-%m-%Y %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M",
    "%Y-%m-%d %H:%M",
    "%d.%m.%Y %H:%M",
)


_FORMAT_WORDS = {"%d": "day", "%m": "month", "%Y": "year", "%y": "year (2 digits)", "%H": "hour (24h)",
                 "%I": "hour (12h)", "%M": "minute", "%S": "second", "%p": "AM/PM"}
_EXAMPLE = pd.Timestamp("2024-03-05 14:07:09")


def describe_format(fmt: str | None) -> str:
    """A strptime format in plain words for messages: ``%m/%d/%Y %I:%M:%S %p`` reads
    "month/day/year hour (12h):minute:second AM/PM, e.g. 03/05/2024 02:07:09 PM
    [%m/%d/%Y %I:%M:%S %p]" (the example date is 5 March, so the order shows)."""
    if not fmt:
        return "no date format found"
    words = fmt
    for code, word in _FORMAT_WORDS.items():
        words = words.replace(code, word)
    return f"{words}, e.g. {_EXAMPLE.strftime(fmt)} (5 March 2024) [{fmt}]"


def choose_format(sample: pd.Series) -> tuple[str | None, bool]:
    """The format parsing most of ``sample``; ``(format, ambiguous)`` where ambiguous means
    a month-first and a day-first reading both fit every value (e.g. all days <= 12)."""
    sample = sample.dropna().astype(str).str.strip()
    sample = sample[sample != ""]
    if sample.empty:
        return None, False
    scores = []
    for fmt in DATETIME_FORMATS:
        parsed = pd.to_datetime(sample, format=fmt, errors="coerce")
        scores.append((int(parsed.notna().sum()), fmt))
    best_score = max(s for s, _ in scores)
    if best_score == 0:
        return None, False
    winners = [fmt for s, fmt in scores if s == best_score]
    month_first = any(f.startswith("%m") for f in winners)
    day_first = any(f.startswith("%d/") or f.startswith("%d-") for f in winners)
    return winners[0], month_first and day_first


def to_ns(times: pd.Series) -> pd.Series:
    """Times outside the table's nanosecond range (year 1, 9999: damaged text) become NaT
    instead of failing the whole batch when the table converts to ``datetime64[ns]``."""
    inside = times.notna() & (times >= pd.Timestamp.min.tz_localize(getattr(times.dt, "tz", None))) & (
        times <= pd.Timestamp.max.tz_localize(getattr(times.dt, "tz", None)))
    unit_ns = "datetime64[ns]" if getattr(times.dt, "tz", None) is None else pd.DatetimeTZDtype("ns", times.dt.tz)
    return times.where(inside).astype(unit_ns)


def parse_local(values: pd.Series, fmt: str | None) -> pd.Series:
    """Naive datetimes from text with the file's format (falls back to a mixed parse)."""
    text = values.astype("string").str.strip()
    if fmt is None:
        return _parse_mixed(text)
    parsed = to_ns(pd.to_datetime(text, format=fmt, errors="coerce"))
    missing = parsed.isna() & text.notna() & (text != "")
    if missing.any():
        parsed[missing] = _parse_mixed(text[missing])
    return parsed


def _parse_mixed(text: pd.Series) -> pd.Series:
    """``format="mixed"`` parse of wall-clock text. A value carrying its own UTC offset (damaged
    text such as ``3:0-4``) is not a local time: NaT. Why value by value then: pandas refuses a
    column mixing zones (and a zone with naive values) outright; only such text pays for it."""
    try:
        parsed = pd.to_datetime(text, errors="coerce", format="mixed")
    except ValueError:  # zones mixed
        parsed = pd.Series([_naive_or_nat(v) for v in text.tolist()], index=text.index, dtype="datetime64[us]")
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):  # every value had an offset
        return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    return to_ns(parsed)


def _naive_or_nat(value: object) -> pd.Timestamp:
    if not isinstance(value, str):
        return pd.NaT
    stamp = pd.to_datetime(value, errors="coerce")
    return pd.NaT if stamp is pd.NaT or stamp.tzinfo is not None else stamp
