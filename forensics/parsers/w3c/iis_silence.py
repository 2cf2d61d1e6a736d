"""Silences inside one IIS log: hours in which logging stopped or lines were removed.

Why health probes: an Exchange 2013+ server's managed availability probes its own OWA, EWS,
ActiveSync and MAPI endpoints around the clock (user agents such as ``AMProbe``, the
``HealthMailbox…`` accounts, ``healthcheck.htm``), night and day, whoever else is working.
Which requests are probes is one definition, ``forensics.identity.probes``: the IIS parser
applies it once per request and hands this clock exactly the times of the requests it
counted as probes, so the clock and the skip counts never disagree.
Their requests are counted, not rowed, but their rhythm is a clock: a window in which the
probes fall silent for far longer than they ever do otherwise is a window whose requests
are not in the file (IIS or its logging stopped, the server was down, or lines were cut
out). Users' own requests prove nothing by their absence, so only the probes are used, and
only when a file holds enough of them to show a rhythm.

The rule is deliberately conservative: a silence must last at least ``MIN_SILENCE_S`` and
``RHYTHM_FACTOR`` times the 95th percentile of the probes' own intervals in that file.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from forensics.parsers.base import MissingPeriod

#: fewer probes than this show no rhythm worth judging by
MIN_PROBES = 50
#: a silence shorter than this is never reported (a reboot, a quiet minute)
MIN_SILENCE_S = 15 * 60
#: ... nor one shorter than this many times the probes' usual longest interval (95th pct.)
RHYTHM_FACTOR = 10
#: silences spelled out per note; more are counted
MAX_LISTED = 5
NOTE = "LOGGING GAP"


def probe_silences(times_ns: np.ndarray) -> list[tuple[int, int]]:
    """(last probe before, first probe after) in ns since the epoch, for each silence."""
    if len(times_ns) < MIN_PROBES:
        return []
    times = np.sort(times_ns.astype(np.int64, copy=False))
    gaps = np.diff(times)
    usual = float(np.percentile(gaps, 95))
    threshold = max(MIN_SILENCE_S * 1e9, RHYTHM_FACTOR * usual)
    where = np.flatnonzero(gaps > threshold)
    return [(int(times[i]), int(times[i + 1])) for i in where.tolist()]


def silence_note(silences: list[tuple[int, int]], probes: int) -> str | None:
    """The file's note naming its silences (UTC), or ``None`` when there is none."""
    if not silences:
        return None
    spans = [f"{_utc(a)} to {_utc(b)} ({_duration(b - a)})" for a, b in silences[:MAX_LISTED]]
    if len(silences) > MAX_LISTED:
        spans.append(f"… {len(silences) - MAX_LISTED} more")
    count = len(silences)
    return (f"{NOTE}: the Exchange health probes that run around the clock ({probes:,} in this file) fall silent "
            f"{count} time{'s' if count != 1 else ''}: {'; '.join(spans)} UTC. Requests in "
            f"{'those windows' if count != 1 else 'that window'} are not in this log (IIS or its logging stopped, "
            "the server was down, or lines were removed)")


def silence_periods(silences: list[tuple[int, int]]) -> list[MissingPeriod]:
    """The silences as periods (for the heatmap): between the probes either side."""
    return [MissingPeriod(_iso(a), _iso(b), f"{NOTE}: health probes silent for {_duration(b - a)}") for a, b in silences]


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _utc(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _duration(ns: int) -> str:
    minutes = int(ns // 60_000_000_000)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
