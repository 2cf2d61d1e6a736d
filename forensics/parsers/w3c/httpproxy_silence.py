"""Silences inside one HttpProxy log: windows in which the front end's logging stopped.

Why health probes: managed availability probes the front end's protocols around the clock
(``AMProbe`` agents, ``HealthMailbox…`` accounts), whoever else works; their lines are counted,
not rowed, but their rhythm is a clock (the reasoning and the conservative thresholds of the
IIS check, ``iis_silence``, are reused unchanged: at least ``MIN_PROBES`` probes in the file, a
silence of at least 15 minutes and ten times their usual longest interval). A file without
enough probes makes no claim.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from forensics.parsers.base import FileReport
from forensics.parsers.w3c.iis_silence import MAX_LISTED, NOTE, probe_silences, silence_periods


def note_silences(report: FileReport, probe_ns: np.ndarray) -> None:
    """Add the file's ``LOGGING GAP`` note and periods, if its probes fall silent."""
    silences = probe_silences(probe_ns)
    if not silences:
        return
    spans = [f"{_utc(a)} to {_utc(b)} ({_minutes(b - a)})" for a, b in silences[:MAX_LISTED]]
    if len(silences) > MAX_LISTED:
        spans.append(f"… {len(silences) - MAX_LISTED} more")
    count = len(silences)
    report.notes.append(
        f"{NOTE}: the Exchange health probes that run around the clock ({len(probe_ns):,} in this HttpProxy log) "
        f"fall silent {count} time{'s' if count != 1 else ''}: {'; '.join(spans)} UTC. Requests in "
        f"{'those windows' if count != 1 else 'that window'} are not in this log (the front end or its HttpProxy "
        "logging stopped, the server was down, or lines were removed)"
    )
    report.missing.extend(silence_periods(silences))


def _utc(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _minutes(ns: int) -> str:
    hours, minutes = divmod(int(ns // 60_000_000_000), 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
