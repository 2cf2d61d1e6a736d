"""Where the evidence is missing, in the columns of a mailbox × time heatmap.

Why: a heatmap cell of zero reads as "nobody opened this mailbox then". Inside a period
that a completeness check found missing (an IIS day file absent, probes silent, Microsoft
365 throttling) it only means "no evidence". The heatmap hatches those columns and its
tooltip names the gap, so absence of evidence is never read as evidence of absence.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forensics.parsers.base import FileReport, MissingPeriod

_PRESENT = ("loaded", "duplicate")


@dataclass(frozen=True)
class GapSpan:
    """One missing period placed on the columns: [x0, x1) in column units, clipped."""

    x0: float
    x1: float
    label: str


def missing_periods(files: Iterable[FileReport]) -> list[MissingPeriod]:
    """The distinct missing periods of the files whose rows are loaded."""
    seen: dict[MissingPeriod, None] = {}
    for report in files:
        if report.status in _PRESENT:
            seen.update(dict.fromkeys(report.missing))
    return list(seen)


def _ns(text: str) -> int | None:
    try:
        moment = pd.Timestamp(text)
    except (ValueError, TypeError):
        return None
    if pd.isna(moment):
        return None
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    return int(moment.value)


def column_spans(edges_ns: np.ndarray, periods: Iterable[MissingPeriod]) -> list[GapSpan]:
    """Each period's place on the columns whose UTC bin edges are ``edges_ns`` (cols + 1):
    fractional where a period starts or ends inside a bin; periods outside are left out."""
    edges = np.asarray(edges_ns, dtype=np.int64)
    if len(edges) < 2:
        return []
    positions = np.arange(len(edges), dtype=np.float64)
    spans = []
    for period in periods:
        start, end = _ns(period.start), _ns(period.end)
        if start is None or end is None or end <= edges[0] or start >= edges[-1] or end <= start:
            continue
        x0, x1 = np.interp([start, end], edges.astype(np.float64), positions)
        spans.append(GapSpan(float(x0), float(x1), period.label))
    return spans


def labels_at(spans: Iterable[GapSpan], col: int) -> list[str]:
    """The gaps that overlap column ``col`` (for its tooltip)."""
    return list(dict.fromkeys(s.label for s in spans if s.x0 < col + 1 and s.x1 > col))
