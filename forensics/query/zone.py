"""Display time zones: the zone in which the user reads and types times.

Data stays UTC; only what the user types (``after:2024-03-05``) and what we show (bin
labels) are in the display zone. Accepted spellings: an IANA name ("Europe/Berlin"),
"UTC", "local" (this machine's zone), or a fixed offset ("+02:00", "UTC-05:00", "-0530").
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

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


NAT = np.iinfo(np.int64).min
HOUR_NS = 3_600_000_000_000
DAY_NS = 24 * HOUR_NS


def utc_ns(series: pd.Series) -> np.ndarray:
    """Nanoseconds since the epoch (UTC) of a datetime column; NaT is ``NAT``. No copy when ns."""
    values = series
    array = values.array
    if isinstance(values.dtype, pd.DatetimeTZDtype) and getattr(values.dtype, "unit", "ns") == "ns":
        return array.asi8  # zero-copy: tz-aware arrays store UTC ns
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    if not pd.api.types.is_datetime64_dtype(values.dtype):
        values = pd.to_datetime(values, utc=True, errors="coerce").dt.tz_localize(None)
    if values.dtype != np.dtype("datetime64[ns]"):
        values = values.astype("datetime64[ns]")
    return values.to_numpy().view(np.int64)


def local_ns(series: pd.Series, tz: tzinfo) -> np.ndarray:
    """Wall-clock nanoseconds in ``tz`` (as if that wall clock were UTC); NaT stays ``NAT``.

    Why: hour-of-day, weekday and day/week bins are wall-clock notions of the display zone;
    fixed offsets are one vectorized addition, named zones go through pandas' tz database.
    """
    base = utc_ns(series)
    if isinstance(tz, timezone):
        offset = tz.utcoffset(None)
        if not offset:
            return base
        shifted = base + int(offset.total_seconds() * 1_000_000_000)
        return np.where(base == NAT, NAT, shifted)
    values = series if isinstance(series.dtype, pd.DatetimeTZDtype) else pd.to_datetime(series, utc=True, errors="coerce")
    wall = values.dt.tz_convert(tz).dt.tz_localize(None)
    if wall.dtype != np.dtype("datetime64[ns]"):
        wall = wall.astype("datetime64[ns]")
    return wall.to_numpy().view(np.int64)


def hour_of_day(local: np.ndarray) -> np.ndarray:
    """0..23 from wall-clock ns (NAT gives -1)."""
    return np.where(local == NAT, -1, (local // HOUR_NS) % 24)


def weekday(local: np.ndarray) -> np.ndarray:
    """Monday=0 .. Sunday=6 from wall-clock ns (NAT gives -1); 1970-01-01 was a Thursday."""
    return np.where(local == NAT, -1, (local // DAY_NS + 3) % 7)
