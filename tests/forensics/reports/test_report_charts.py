"""Report heatmaps hatch the periods whose evidence is missing and say so in the caption."""

from __future__ import annotations

from datetime import timezone

import pandas as pd

from forensics.parsers.base import MissingPeriod
from forensics.reports import charts
from forensics.schema import conform


def frame() -> pd.DataFrame:
    times = pd.date_range("2024-03-04T00:00Z", periods=96, freq="2h")
    return conform([dict(time=t, mailbox=["ceo@contoso.com", "cfo@contoso.com"][i % 2], actor="eve",
                         logon_type="Delegate", operation="MessageOpen") for i, t in enumerate(times)])


def test_missing_periods_are_hatched_in_the_mailbox_time_heatmap(monkeypatch) -> None:
    drawn: list[list] = []
    real = charts.render_pivot

    def spy(pivot, title, xlabel, ylabel="", gaps=None):  # type: ignore[no-untyped-def]
        drawn.append(list(gaps or []))
        return real(pivot, title, xlabel, ylabel, gaps=gaps)

    monkeypatch.setattr(charts, "render_pivot", spy)
    gap = MissingPeriod("2024-03-06T00:00:00Z", "2024-03-07T00:00:00Z", "DAYS MISSING before u_ex240307.log")
    maps = charts.heatmaps(frame(), timezone.utc, "UTC", [gap])
    first = maps[0]
    assert first.png.startswith(b"\x89PNG")
    assert "Hatched: 1 period(s) whose evidence is missing (DAYS MISSING before u_ex240307.log)" in first.caption
    (span,) = drawn[0]
    assert span.x1 - span.x0 == 1.0 and span.label == gap.label  # one day bin
    plain = charts.heatmaps(frame(), timezone.utc, "UTC")
    assert "Hatched" not in plain[0].caption
    assert plain[0].png != first.png  # the hatching is drawn
