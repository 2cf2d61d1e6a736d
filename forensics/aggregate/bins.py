"""Time bins for the mailbox x time heatmap: hour, day or week of the display zone's wall clock.

A bin is a half-open wall-clock interval [start, next start). Its UTC bounds are what the
drill-down query uses (``after:START before:END`` with explicit offsets). Rows are assigned
by wall clock (one vectorized division); the UTC bounds are derived so that the query
selects exactly the same rows, also across daylight-saving changes (the repeated autumn
hour is one two-hour bin; the skipped spring hour is an empty bin) — tests check it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timezone, tzinfo

import numpy as np
import pandas as pd

from forensics.query.zone import DAY_NS, HOUR_NS, NAT

BINS: tuple[str, ...] = ("hour", "day", "week")

#: Auto choice: spans up to these lengths use the bin; anything longer uses weeks.
AUTO_LIMITS: dict[str, int] = {"hour": 4 * DAY_NS, "day": 180 * DAY_NS}


def choose_bin(span_ns: int) -> str:
    """The bin for a time span: hours up to 4 days, days up to 180 days, else weeks."""
    if span_ns <= AUTO_LIMITS["hour"]:
        return "hour"
    if span_ns <= AUTO_LIMITS["day"]:
        return "day"
    return "week"


def wall_bin_index(local: np.ndarray, bin: str) -> np.ndarray:
    """Absolute bin number of each wall-clock time (hours/days/Monday-weeks since the epoch)."""
    if bin == "hour":
        return local // HOUR_NS
    if bin == "day":
        return local // DAY_NS
    if bin == "week":
        return (local // DAY_NS + 3) // 7  # 1970-01-01 was a Thursday: weeks start Monday
    raise ValueError(f"unknown bin {bin!r} (use one of {', '.join(BINS)})")


def wall_bin_start(index: np.ndarray, bin: str) -> np.ndarray:
    """Wall-clock ns of the start of absolute bin numbers (inverse of :func:`wall_bin_index`)."""
    if bin == "hour":
        return index * HOUR_NS
    if bin == "day":
        return index * DAY_NS
    return (index * 7 - 3) * DAY_NS


def wall_to_utc(wall: np.ndarray, tz: tzinfo) -> np.ndarray:
    """UTC ns of wall-clock instants in ``tz`` (ambiguous -> the earlier, skipped -> shifted on)."""
    if isinstance(tz, timezone):
        offset = tz.utcoffset(None)
        return wall - int(offset.total_seconds() * 1_000_000_000) if offset else wall
    naive = pd.DatetimeIndex(wall.astype("datetime64[ns]"))
    aware = naive.tz_localize(tz, ambiguous=np.ones(len(naive), dtype=bool), nonexistent="shift_forward")
    return aware.tz_convert("UTC").tz_localize(None).asi8


@dataclass(frozen=True)
class TimeBins:
    """Contiguous bins covering a span: ``edges_utc`` has one more entry than there are bins."""

    bin: str
    first: int  # absolute bin number of the first bin
    edges_utc: np.ndarray  # int64 UTC ns, len = n + 1
    wall_starts: np.ndarray  # int64 wall-clock ns, len = n

    @property
    def n(self) -> int:
        return len(self.wall_starts)

    def labels(self, start: int = 0, stop: int | None = None) -> list[str]:
        """Readable labels of bins ``start..stop`` in the display zone."""
        stamps = pd.DatetimeIndex(self.wall_starts[start:stop].astype("datetime64[ns]"))
        if self.bin == "hour":
            return list(stamps.strftime("%Y-%m-%d %H:00"))
        if self.bin == "day":
            return list(stamps.strftime("%Y-%m-%d %a"))
        return list(stamps.strftime("week of %Y-%m-%d"))


def valid_range(local: np.ndarray, valid: np.ndarray, all_valid: bool | None = None) -> tuple[int, int]:
    """Min and max of the wall-clock times where ``valid`` (recorded, and in the caller's rows)."""
    if all_valid if all_valid is not None else bool(valid.all()):
        return int(local.min()), int(local.max())
    chosen = local[valid]  # one compressing pass, then min/max over the (smaller) result
    return int(chosen.min()), int(chosen.max())


def make_bins(
    local: np.ndarray, bin: str, tz: tzinfo, span_rows: np.ndarray | None = None, span: tuple[int, int] | None = None
) -> tuple[TimeBins, np.ndarray]:
    """Bins spanning the recorded times (of ``span_rows`` only, when given), and each row's
    bin number 0..n-1. A row without a time gets a negative number; a row outside
    ``span_rows`` may get any number (callers count only their rows). No per-row rewrite
    marks them: that would be one more pass over millions of rows. ``span`` (min, max) saves
    recomputing it when the caller already has it."""
    valid = local != NAT if span_rows is None else span_rows
    all_valid = bool(valid.all())
    if not len(local) or (not all_valid and not valid.any()):
        empty = np.zeros(0, dtype=np.int64)
        return TimeBins(bin, 0, np.zeros(1, dtype=np.int64), empty), np.full(len(local), -1, dtype=np.int64)
    lo, hi = span if span is not None else valid_range(local, valid, all_valid)
    first = int(wall_bin_index(np.array([lo]), bin)[0])
    last = int(wall_bin_index(np.array([hi]), bin)[0])
    absolute = wall_bin_index(local, bin)
    numbers = np.arange(first, last + 2, dtype=np.int64)
    wall = wall_bin_start(numbers, bin)
    edges = wall_to_utc(wall, tz)
    index = absolute - first  # NaT: NAT // bin is far below any real bin, so negative
    return TimeBins(bin, first, edges, wall[:-1]), index
