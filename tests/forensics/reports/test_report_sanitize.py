"""Spreadsheet neutralization is reversible and leaves no dangerous first character;
an empty view still gives a complete report in every format."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from forensics import schema
from forensics.reports import build_report, export_report
from forensics.reports.sanitize import is_formula_risk, neutralize, neutralize_value, unneutralize


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=12), st.from_regex(r"[-+=@][0-9:.,]{0,6}", fullmatch=True)),
                max_size=20))
def test_neutralize_round_trips_and_disarms(values: list[str | None]) -> None:
    series = pd.Series(values, dtype="string")
    safe = neutralize(series)
    assert not any(is_formula_risk(v) for v in safe.dropna())
    pd.testing.assert_series_equal(unneutralize(safe), series)
    assert [neutralize_value(v) for v in series.dropna()] == safe.dropna().tolist()


def test_empty_view_reports_in_every_format(tmp_path: Path) -> None:
    data = build_report(frame=schema.empty_frame(), case_name="empty", query="mailbox:nobody")
    for fmt in ("html", "pdf", "xlsx", "csv"):
        result = export_report(data, tmp_path / f"r.{fmt}")
        assert result.path.stat().st_size > 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "0 rows in view" in html and "nothing to plot" in html
