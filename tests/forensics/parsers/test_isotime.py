"""ISO-8601 UTC times of Exchange's logs: the writer's shape is read, anything else is null."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from forensics.parsers.isotime import parse_iso_utc


def test_shapes_read_and_refused() -> None:
    values = pa.array([
        "2023-01-06T01:00:04.124Z",  # HttpProxy / message tracking
        "2023-01-06T01:00:04Z",
        "2023-01-06T01:00:04.1234567Z",  # seven digits, as .NET may print
        "2024-02-30T01:00:00.000Z",  # impossible date
        "2023-01-06 01:00:04",  # IIS shape: not this log's
        "9999-12-31T23:59:59.000Z",  # outside what a nanosecond table holds
        "DateTime",
        None,
        "",
    ])
    times = parse_iso_utc(values).to_pandas()
    assert times[0] == pd.Timestamp("2023-01-06T01:00:04.124Z")
    assert times[1] == pd.Timestamp("2023-01-06T01:00:04Z")
    assert times[2] == pd.Timestamp("2023-01-06T01:00:04.1234567Z")
    assert times[3:].isna().all()


def test_all_good_column_takes_the_fast_cast() -> None:
    values = pa.array(["2023-01-06T01:00:04.124Z"] * 3)
    assert parse_iso_utc(values).null_count == 0
