"""The CSV report: the normalized table of the rows in view (contract column names, UTC
times in ISO 8601), with spreadsheet formula injection neutralized in every text cell."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forensics import schema
from forensics.reports.sanitize import neutralize, unneutralize

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
TEXT_DTYPES = ("category", "string")


def _is_text(dtype: object) -> bool:
    return isinstance(dtype, (pd.CategoricalDtype, pd.StringDtype)) or dtype == object


def csv_frame(events: pd.DataFrame) -> pd.DataFrame:
    """The table as it is written: times as UTC text, text cells neutralized."""
    out = pd.DataFrame(index=events.index)
    for column in events.columns:
        series = events[column]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            out[column] = series.dt.tz_convert("UTC").dt.strftime(TIME_FORMAT)
        elif _is_text(series.dtype):
            out[column] = neutralize(series)
        else:
            out[column] = series
    return out


def write_csv(events: pd.DataFrame, path: Path) -> None:
    # UTF-8 with BOM so spreadsheet programs pick the right encoding for non-ASCII subjects
    csv_frame(events).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")


def read_csv(path: Path) -> pd.DataFrame:
    """Read a report CSV back into the normalized table (undoing the neutralization)."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    for column in raw.columns:
        dtype = schema.COLUMNS.get(column)
        if dtype == "category" or dtype is schema.STRING_DTYPE:
            raw[column] = unneutralize(raw[column])
    return schema.conform(raw)
