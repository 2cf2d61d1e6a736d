"""Issue 22 regressions: named zones with daylight saving per time in reports and queries,
work hours counted in the organisation's stated zone (and saying why), after-hours as a
count beside a share that never rounds a real event away, and expected-access marks whose
pairs the view hides said to be hidden, not missing."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from forensics import schema
from forensics.aggregate.expected import ExpectedAccess
from forensics.aggregate.views import hour_by_weekday
from forensics.aggregate.work_hours import WorkHours, after_hours_text, work_zone
from forensics.query import compile_query
from forensics.reports import build_report, export_report

# US Eastern changed to daylight time at 2024-03-10 02:00 local (07:00 UTC): 01:30 EST is
# 06:30Z and 03:30 EDT is 07:30Z (IANA tzdata America/New_York; 2:00-3:00 local does not exist)
BEFORE, AFTER = "2024-03-10T06:30:00Z", "2024-03-10T07:30:00Z"


def _rows(times: list[str], actor: str = "CONTOSO\\pat", logon: str = "Delegate") -> list[dict]:
    return [{"time": t, "operation": "MessageOpen", "mailbox": "ceo@contoso.com", "actor": actor,
             "logon_type": logon, "evidence": "aaaa", "record_id": i, "source_format": "evtx"}
            for i, t in enumerate(times)]


def test_named_zone_prints_each_time_with_its_own_offset_across_dst(tmp_path: Path) -> None:
    frame = schema.conform(_rows([BEFORE, AFTER]))
    data = build_report(frame=frame, display_tz="America/New_York", heatmaps=False)
    html = unescape(export_report(data, tmp_path / "r.html").path.read_text(encoding="utf-8"))
    assert "2024-03-10 01:30:00 -05:00" in html and "2024-03-10 03:30:00 -04:00" in html
    assert "each time carries its own UTC offset" in html
    # a typed time is read in the zone at that date's offset; bins use the wall clock
    kept = frame[compile_query("after:2024-03-10T03:00", tz="America/New_York").mask(frame)]
    assert kept["time"].tolist() == [pd.Timestamp(AFTER)]
    pivot = hour_by_weekday(frame, "America/New_York")
    used = [label for label, total in zip(pivot.col_labels, pivot.counts.sum(axis=0).tolist()) if total]
    assert used == [pivot.col_labels[1], pivot.col_labels[3]]


def test_utc_report_times_carry_no_offset_suffix(tmp_path: Path) -> None:
    data = build_report(frame=schema.conform(_rows([BEFORE])), display_tz="UTC", heatmaps=False)
    html = export_report(data, tmp_path / "r.html").path.read_text(encoding="utf-8")
    assert "2024-03-10 06:30:00<" in html and "06:30:00 +00:00" not in html


def test_work_hours_zone_follows_the_stated_organisation_zone_and_says_why() -> None:
    hours = WorkHours()
    choice = work_zone(hours, [None, "America/New_York", "America/New_York"], "UTC")
    assert choice.zone == "America/New_York" and "loaded with" in choice.why
    assert work_zone(hours, [None], "UTC").zone == "UTC"
    assert "neither the case nor the evidence" in work_zone(hours, [], "UTC").why
    several = work_zone(hours, ["Europe/Berlin", "+02:00"], "UTC")
    assert several.zone == "UTC" and "several zones" in several.why
    own = work_zone(WorkHours(tz="Asia/Tokyo"), ["America/New_York"], "UTC")
    assert own.zone == "Asia/Tokyo"
    # Tuesday 12:30 UTC is 08:30 EDT (in hours) after the change, 07:30 EST (after hours) a week before
    times = pd.Series(pd.to_datetime(["2024-03-12T12:30:00Z", "2024-03-05T12:30:00Z"], utc=True))
    ny = WorkHours(tz="America/New_York").after_hours(times)
    assert ny.tolist() == [False, True]


@pytest.mark.parametrize(("count", "share", "text"), [
    (0, 0.0, "0"), (1, 1 / 1_000_000, "1 (<1%)"), (3, 0.125, "3 (12%)"), (999, 0.999, "999 (>99%)"),
    (5, 1.0, "5 (100%)"), (1234, 0.5, "1,234 (50%)"),
])
def test_after_hours_text_never_hides_a_real_event(count: int, share: float, text: str) -> None:
    assert after_hours_text(count, share) == text


def test_report_pairs_show_after_hours_count_and_share(tmp_path: Path) -> None:
    # one 22:47 access among many office-hours ones: the rounded share alone read "0%"
    times = [f"2024-03-05T{9 + i % 8:02d}:{i % 60:02d}:00Z" for i in range(300)] + ["2024-03-05T22:47:00Z"]
    data = build_report(frame=schema.conform(_rows(times)), display_tz="UTC", heatmaps=False)
    html = export_report(data, tmp_path / "r.html").path.read_text(encoding="utf-8")
    assert "1 (&lt;1%)" in html


def test_expected_mark_hidden_by_the_view_is_said_to_be_hidden(tmp_path: Path) -> None:
    frame = schema.conform(_rows(["2024-03-05T10:00:00Z"], actor="CONTOSO\\backup")
                           + _rows(["2024-03-05T11:00:00Z"], actor="CONTOSO\\pat"))
    marks = [ExpectedAccess("CONTOSO\\backup", "", "backup job"), ExpectedAccess("ghost", "ceo", "left")]
    view = frame[frame["actor"].astype("string") != "CONTOSO\\backup"]  # e.g. Hide expected
    data = build_report(frame=frame, view=view, expected=marks, heatmaps=False)
    assert "1 expected-access mark(s) match pairs hidden by the view" in data.findings_basis
    assert "CONTOSO\\backup → every mailbox" in data.findings_basis
    assert "1 expected-access mark(s) match no pair in the loaded evidence: ghost → ceo." in data.findings_basis
