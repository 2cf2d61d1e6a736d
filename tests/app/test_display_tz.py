"""Display time zones: parsing, storage round trip, labels, DST-aware local time."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.display_tz import DisplayZone


@pytest.mark.parametrize("text", ["", "UTC", "utc", "Z", "local", "+02:00", "-05:30", "UTC+01:00", "+0530", "-3"])
def test_storage_round_trip(text: str) -> None:
    zone = DisplayZone.parse(text)
    assert DisplayZone.parse(zone.storage()) == zone


def test_offsets_and_labels() -> None:
    zone = DisplayZone.parse("-05:30")
    assert zone.offset_minutes == -330
    assert zone.label() == "UTC-05:30"
    assert zone.tzinfo().utcoffset(datetime(2024, 1, 1)) == timedelta(hours=-5, minutes=-30)
    assert DisplayZone().tzinfo() is timezone.utc and DisplayZone().label() == "UTC"


@pytest.mark.parametrize("bad", ["banana", "+25:00", "12:00:00", "UTC+"])
def test_rejects_bad_offsets(bad: str) -> None:
    with pytest.raises(ValueError):
        DisplayZone.parse(bad)


def test_local_follows_dst(monkeypatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        tz = DisplayZone("local").tzinfo()
        assert tz.utcoffset(datetime(2024, 1, 15, 12)) == timedelta(hours=1)
        assert tz.utcoffset(datetime(2024, 7, 15, 12)) == timedelta(hours=2)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_named_zone_round_trips_and_follows_dst_per_time() -> None:
    # IANA tzdata: America/New_York is EST (-05:00) until 2024-03-10 07:00 UTC, EDT (-04:00) after
    zone = DisplayZone.parse("America/New_York")
    assert zone.kind == "named" and DisplayZone.parse(zone.storage()) == zone
    assert zone.query_tz() == "America/New_York" and zone.label() == "America/New_York"
    assert zone.offset_at(datetime(2024, 3, 10, 6, 30, tzinfo=timezone.utc)) == "UTC-05:00"
    assert zone.offset_at(datetime(2024, 3, 10, 7, 30, tzinfo=timezone.utc)) == "UTC-04:00"
    with pytest.raises(ValueError, match="zone name such as America/New_York"):
        DisplayZone.parse("Mars/Olympus")


def test_local_zone_reports_its_name_so_reports_follow_dst(monkeypatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        assert DisplayZone("local").query_tz() == "Europe/Berlin"  # not today's fixed offset
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
