"""Missing periods placed on a time heatmap's columns (hatched, named in tooltips)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forensics.aggregate.evidence_gaps import GapSpan, column_spans, labels_at, missing_periods
from forensics.parsers.base import FileReport, MissingPeriod


def edges(start: str, bins: int, step: str = "1h") -> np.ndarray:
    return np.array([(pd.Timestamp(start) + i * pd.Timedelta(step)).value for i in range(bins + 1)], dtype=np.int64)


def test_periods_land_on_fractional_columns_and_are_clipped() -> None:
    cols = edges("2024-03-05T00:00Z", 24)
    periods = [
        MissingPeriod("2024-03-05T06:30:00Z", "2024-03-05T09:00:00Z", "a"),
        MissingPeriod("2024-03-04T20:00:00Z", "2024-03-05T02:00:00Z", "b"),  # starts before the first bin
        MissingPeriod("2024-03-06T00:00:00Z", "2024-03-07T00:00:00Z", "c"),  # after the last bin
        MissingPeriod("not a time", "2024-03-05T02:00:00Z", "d"),
        MissingPeriod("2024-03-05T05:00:00Z", "2024-03-05T04:00:00Z", "e"),  # reversed
    ]
    assert column_spans(cols, periods) == [GapSpan(6.5, 9.0, "a"), GapSpan(0.0, 2.0, "b")]
    assert column_spans(cols[:1], periods) == []


def test_tooltip_labels_of_a_column_and_the_files_that_count() -> None:
    spans = [GapSpan(6.5, 9.0, "a"), GapSpan(8.2, 8.4, "b"), GapSpan(6.5, 9.0, "a")]
    assert labels_at(spans, 6) == ["a"] and labels_at(spans, 8) == ["a", "b"] and labels_at(spans, 9) == []
    gap = MissingPeriod("2024-03-05T06:30:00Z", "2024-03-05T09:00:00Z", "a")
    other = MissingPeriod("2024-03-01T00:00:00Z", "2024-03-02T00:00:00Z", "x")
    files = [FileReport(path=Path("1"), status="loaded", missing=[gap]),
             FileReport(path=Path("2"), status="duplicate", missing=[gap]),
             FileReport(path=Path("3"), status="failed", missing=[other])]
    assert missing_periods(files) == [gap]
