"""Local export times -> UTC with the stated zone (--source-tz)."""

from __future__ import annotations

import pandas as pd
import pytest

from forensics.errors import ParseError
from forensics.localtime import UNKNOWN_BASIS, choose_format, parse_local, parse_source_tz, to_utc


@pytest.mark.parametrize(
    ("text", "basis", "utc"),
    [
        ("+02:00", "converted from UTC+02:00", "2024-03-04T10:00:00Z"),
        ("-0500", "converted from UTC-05:00", "2024-03-04T17:00:00Z"),
        ("UTC+5:30", "converted from UTC+05:30", "2024-03-04T06:30:00Z"),
        ("GMT-3", "converted from UTC-03:00", "2024-03-04T15:00:00Z"),
        ("UTC", "converted from UTC", "2024-03-04T12:00:00Z"),
        ("Europe/Berlin", "converted from Europe/Berlin", "2024-03-04T11:00:00Z"),
        ("America/New_York", "converted from America/New_York", "2024-03-04T17:00:00Z"),
        (None, UNKNOWN_BASIS, "2024-03-04T12:00:00Z"),
    ],
)
def test_zones(text: str | None, basis: str, utc: str) -> None:
    zone = parse_source_tz(text)
    assert zone.basis == basis
    result = to_utc(pd.Series(pd.to_datetime(["2024-03-04 12:00:00"])), zone)
    assert result.times.iloc[0] == pd.Timestamp(utc)


@pytest.mark.parametrize("text", ["+25:00", "Mars/Olympus", "two hours", "+02:75"])
def test_bad_zones(text: str) -> None:
    with pytest.raises(ParseError, match="--source-tz"):
        parse_source_tz(text)


def test_dst_overlap_and_gap() -> None:
    zone = parse_source_tz("America/New_York")
    naive = pd.Series(pd.to_datetime(["2024-11-03 01:30:00", "2024-03-10 02:30:00", "2024-07-01 12:00:00", None]))
    result = to_utc(naive, zone)
    assert result.ambiguous == 1 and result.nonexistent == 1
    assert result.times.iloc[0] == pd.Timestamp("2024-11-03T05:30:00Z")  # EDT, the first pass
    assert result.times.iloc[1] == pd.Timestamp("2024-03-10T07:00:00Z")  # shifted to 03:00 EDT
    assert result.times.iloc[2] == pd.Timestamp("2024-07-01T16:00:00Z")
    assert pd.isna(result.times.iloc[3])


def test_choose_format_by_file() -> None:
    assert choose_format(pd.Series(["3/14/2010 3:22:41 PM", "12/1/2010 1:00:00 AM"])) == ("%m/%d/%Y %I:%M:%S %p", False)
    assert choose_format(pd.Series(["14/3/2010 15:22:41", "1/12/2010 01:00:00"])) == ("%d/%m/%Y %H:%M:%S", False)
    fmt, ambiguous = choose_format(pd.Series(["3/4/2010 15:22:41"]))
    assert ambiguous
    assert choose_format(pd.Series(["2010-03-14 15:22:41"]))[0] == "%Y-%m-%d %H:%M:%S"
    assert choose_format(pd.Series(["nonsense"])) == (None, False)
    parsed = parse_local(pd.Series(["14.03.2010 15:22:41", "bad", ""]), "%d.%m.%Y %H:%M:%S")
    assert parsed.iloc[0] == pd.Timestamp("2010-03-14 15:22:41") and parsed.iloc[1:].isna().all()


def test_local_text_carrying_its_own_offset_is_unreadable_not_a_crash() -> None:
    # fuzz: "3:0-4" (a time with an offset) once failed the file with OutOfBoundsDatetime, and
    # a column mixing such a value with naive ones made pandas refuse the whole column
    for values in (["3:0-4"], ["3:0-4", "3/5/2024 9:14:22 PM", "2024-03-05 10:00:00 +01:00"]):
        for fmt in (None, "%m/%d/%Y %I:%M:%S %p"):
            parsed = parse_local(pd.Series(values, dtype="string"), fmt)
            assert parsed.dtype == "datetime64[ns]" and pd.isna(parsed.iloc[0])
            assert parsed.iloc[1:].isna().tolist() == [False, True][: len(values) - 1]
