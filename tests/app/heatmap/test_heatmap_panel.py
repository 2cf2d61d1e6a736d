"""Heatmap dock standalone (a Session with a frame, no main window): drill-down query and
count, tooltip, log scale, empty state, breadcrumb and Back, findings click-to-filter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forensics.ingest import LoadResult
from forensics.query import compile_query
from forensics.schema import conform

pytest.importorskip("pyqtgraph")


def synthetic_rows() -> list[dict]:
    rng = np.random.default_rng(3)
    people = ["ceo@contoso.com", "cfo@contoso.com", "hr@contoso.com", "it@contoso.com"]
    rows = []
    for i in range(400):
        mailbox = people[int(rng.integers(0, 4))]
        owner = rng.random() < 0.7
        actor = mailbox.split("@")[0] if owner else ["pat", "admin", "eve"][int(rng.integers(0, 3))]
        rows.append(
            dict(
                time=pd.Timestamp("2024-03-04T00:00Z") + pd.Timedelta(minutes=int(rng.integers(0, 60 * 24 * 3))),
                mailbox=mailbox, actor=actor, logon_type="Owner" if owner else "Delegate",
                operation="MessageOpen" if i % 3 else "FolderOpen", outcome="Success",
            )
        )
    rows.append(dict(time="2024-03-05T10:00:00Z", mailbox="ceo@contoso.com", actor="admin", logon_type="Admin",
                     operation="PermissionChange", details="FullAccess to pat"))
    return rows


@pytest.fixture
def session(qtbot):  # type: ignore[no-untyped-def]
    from app.session import Session

    s = Session(examiner="Test")
    s.add_result(LoadResult(conform(synthetic_rows())))
    return s


@pytest.fixture
def panel(qtbot, session):  # type: ignore[no-untyped-def]
    from app.heatmap import HeatmapPanel

    p = HeatmapPanel(session, debounce_ms=10)
    qtbot.addWidget(p)
    p.resize(1000, 600)
    p.show()
    p.recompute()
    return p


def test_drill_down_gives_exactly_the_cell_rows(qtbot, panel, session) -> None:
    pivot = panel.pivot(0)
    assert pivot is not None and pivot.kind == "mailbox_time" and pivot.bin == "hour"
    r, c = np.unravel_index(int(np.argmax(pivot.counts)), pivot.shape)
    expected = int(pivot.counts[r, c])
    with qtbot.waitSignal(panel.drilled):
        panel.plots[0].cell_clicked.emit(int(r), int(c))
    assert len(session.view) == expected
    assert session.query_text == pivot.cell_query(int(r), int(c))
    assert "›" in panel.breadcrumb.text() and panel.back_button.isEnabled()
    panel.back()
    assert session.query_text == "" and len(session.view) == len(session.frame)
    assert not panel.back_button.isEnabled()


def test_drill_composes_with_query_and_nonowner_count(qtbot, panel, session) -> None:
    session.set_query("actor:pat OR actor:eve")
    panel.count_combo.setCurrentIndex(1)  # non-owner only
    panel.recompute()
    pivot = panel.pivot(0)
    assert pivot.base_query == "is:nonowner -is:probe"  # Exchange's own probes are nobody's access
    r, c = np.unravel_index(int(np.argmax(pivot.counts)), pivot.shape)
    panel.drill_cell(0, int(r), int(c))
    assert len(session.view) == pivot.counts[r, c]
    # the same definition in the core: bucket -> query -> row count
    assert compile_query(session.query_text).count(session.frame) == pivot.counts[r, c]


def test_real_mouse_click_on_a_cell(qtbot, panel, session) -> None:
    from PySide6.QtCore import Qt

    pivot = panel.pivot(0)
    rows, cols = np.nonzero(pivot.counts)
    r, c = int(rows[0]), int(cols[0])
    expected = int(pivot.counts[r, c])
    point = panel.plots[0].cell_center_in_viewport(r, c)
    with qtbot.waitSignal(panel.drilled, timeout=2000):
        qtbot.mouseClick(panel.plots[0].graphics.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert len(session.view) == expected


def test_mailbox_label_click_filters_to_the_mailbox(qtbot, panel, session) -> None:
    pivot = panel.pivot(0)
    panel.plots[0].row_label_clicked.emit(0)
    top = pivot.row_labels[0]
    assert session.query_text == f"mailbox:={top}"
    assert len(session.view) == int((session.frame["mailbox"] == top).sum())


def test_tooltip_text(panel) -> None:
    pivot = panel.pivot(0)
    r, c = np.unravel_index(int(np.argmax(pivot.counts)), pivot.shape)
    text = panel.plots[0].tooltip_text(int(r), int(c))
    stats = pivot.cell_stats(int(r), int(c))
    assert f"mailbox: {pivot.row_labels[r]}" in text
    assert f"time: {pivot.col_labels[c]}" in text
    # by access (the default): distinct accesses with the raw rows beside
    assert f"accesses: {stats.count} (rows: {stats.rows}" in text
    assert f"distinct actors: {stats.distinct_actors}" in text and f"non-owner: {stats.nonowner}" in text
    panel.unit_combo.setCurrentIndex(1)  # raw rows
    panel.recompute()
    assert f"count: {panel.pivot(0).counts[r, c]}" in panel.plots[0].tooltip_text(int(r), int(c))


def test_heatmap_counts_an_access_recorded_by_two_sources_once(qtbot) -> None:
    """The same folder open in the event log and as an IIS request (a second later): one
    access in the cell, two rows in its tooltip; raw rows count both."""
    from app.heatmap import HeatmapPanel
    from app.session import Session
    from forensics.correlate import correlate

    t0 = pd.Timestamp("2024-03-04T16:05:00Z")
    base = {"actor_key": "Dana White", "mailbox_key": "Jordan Lee", "actor": "dwhite", "mailbox": "jlee",
            "logon_type": "Delegate", "operation": "FolderOpen", "folder": "/Inbox"}
    frame = correlate(conform([{**base, "time": t0, "source_format": "evtx", "evidence": "a"},
                               {**base, "time": t0 + pd.Timedelta(seconds=1), "source_format": "iis",
                                "evidence": "b"}]))[0]
    session = Session(examiner="T")
    session.add_result(LoadResult(frame))
    p = HeatmapPanel(session, debounce_ms=10)
    qtbot.addWidget(p)
    p.show()
    p.recompute()
    pivot = p.pivot(0)
    assert pivot.full_total == 1 and pivot.cell_stats(0, 0).rows == 2
    p.unit_combo.setCurrentIndex(1)
    p.recompute()
    assert p.pivot(0).full_total == 2


def test_log_scale(panel) -> None:
    plot = panel.plots[0]
    counts = plot.pivot.counts
    panel.scale_combo.setCurrentIndex(1)
    values = plot.display_values()
    nz = counts > 0
    np.testing.assert_allclose(values[nz], np.log10(counts[nz]))
    assert np.isnan(values[~nz]).all()
    assert "log" in plot.colorbar.axis.labelText
    panel.scale_combo.setCurrentIndex(0)
    np.testing.assert_allclose(plot.display_values()[nz], counts[nz])


def test_empty_frame_shows_message(qtbot, panel, session) -> None:
    session.set_query("mailbox:nobody-at-all")
    panel.recompute()
    assert panel.stack.currentWidget() is panel.empty_label
    assert "No events" in panel.empty_label.text()
    session.set_query("")
    panel.recompute()
    assert panel.stack.currentWidget() is panel.tabs


def test_empty_session_shows_message(qtbot) -> None:
    from app.heatmap import HeatmapPanel
    from app.session import Session

    p = HeatmapPanel(Session(examiner="T"), debounce_ms=10)
    qtbot.addWidget(p)
    p.show()
    p.recompute()
    assert p.stack.currentWidget() is p.empty_label


def test_hidden_panel_waits_until_shown(qtbot, session) -> None:
    from app.heatmap import HeatmapPanel

    p = HeatmapPanel(session, debounce_ms=10)
    qtbot.addWidget(p)
    p.recompute()
    assert p.pivot(0) is None  # hidden: nothing computed
    p.show()
    qtbot.waitUntil(lambda: p.pivot(0) is not None, timeout=2000)
    assert p.pivot(0).full_total == len(session.frame)


def test_other_tabs(qtbot, panel, session) -> None:
    panel.tabs.setCurrentIndex(1)
    pivot = panel.pivot(1)
    assert pivot.kind == "mailbox_actor" and pivot.full_total == len(session.frame)
    panel.drill_cell(1, 0, 0)
    assert len(session.view) == pivot.counts[0, 0]
    panel.back()
    panel.tabs.setCurrentIndex(2)
    panel.mailbox_combo.setCurrentText("cfo@contoso.com")
    panel.recompute()
    pivot = panel.pivot(2)
    assert pivot.kind == "hour_weekday" and pivot.full_total == int((session.frame["mailbox"] == "cfo@contoso.com").sum())
    r, c = np.unravel_index(int(np.argmax(pivot.counts)), pivot.shape)
    panel.drill_cell(2, int(r), int(c))
    assert len(session.view) == pivot.counts[r, c]


def test_heatmap_follows_the_query_debounced(qtbot, panel, session) -> None:
    before = panel.pivot(0).full_total
    session.set_query("mailbox:ceo")
    qtbot.waitUntil(lambda: panel.pivot(0).full_total != before, timeout=2000)
    assert panel.pivot(0).full_total == len(session.view)
    assert panel.crumbs == []


def test_findings_panel_click_filters(qtbot, session) -> None:
    from app.heatmap import FindingsPanel

    p = FindingsPanel(session)
    qtbot.addWidget(p)
    pairs = p.result.pairs
    assert len(pairs) and (pairs["events"] > 0).all()
    view = p.pairs_view
    index = view.model().index(0, 0)
    p._clicked(view, p.pairs_model, index)
    source_row = view.model().mapToSource(index).row()
    assert len(session.view) == int(p.pairs_model.row_value(source_row, "events"))
    assert p.changes_model.rowCount() == 1
    assert "none" not in p.changes_title.text()
    # sortable: by events ascending
    view.sortByColumn(2, view.horizontalHeader().sortIndicatorOrder().__class__.AscendingOrder)
    first = view.model().index(0, 2).data()
    assert int(first.replace(",", "")) == pairs["events"].min()


def test_work_hours_setting_round_trip(qtbot, session) -> None:
    from datetime import time

    from app.heatmap import FindingsPanel
    from app.heatmap.work_hours import load_work_hours
    from forensics.aggregate import WorkHours

    p = FindingsPanel(session)
    qtbot.addWidget(p)
    everything = WorkHours(start=time(0, 0), end=time(23, 59), days=tuple(range(7)), tz="Europe/Berlin")
    p.set_work_hours(everything)
    assert load_work_hours() == everything
    assert "Europe/Berlin" in p.summary.text()


def test_real_mouse_click_on_a_mailbox_label(qtbot, panel, session) -> None:
    from PySide6.QtCore import Qt

    pivot = panel.pivot(0)
    qtbot.wait(50)
    point = panel.plots[0].row_label_in_viewport(1)
    with qtbot.waitSignal(panel.drilled, timeout=2000):
        qtbot.mouseClick(panel.plots[0].graphics.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert session.query_text == pivot.row_queries[1]
    assert len(session.view) == int(pivot.row_totals[1])


def test_periods_without_evidence_are_hatched_and_named_in_the_tooltip(qtbot) -> None:
    from pathlib import Path

    from PySide6.QtCore import Qt

    from app.heatmap import HeatmapPanel
    from app.session import Session
    from forensics.parsers.base import FileReport, MissingPeriod

    s = Session(examiner="Test")
    gap = MissingPeriod("2024-03-05T06:00:00Z", "2024-03-05T09:30:00Z", "LOGGING GAP: health probes silent for 3 h 30 min")
    outside = MissingPeriod("2023-01-01T00:00:00Z", "2023-01-02T00:00:00Z", "DAYS MISSING before u_ex230102.log")
    files = [FileReport(path=Path("u_ex240305.log"), parser="iis", status="loaded", missing=[gap, outside]),
             FileReport(path=Path("gone.log"), parser="iis", status="failed", missing=[outside])]
    s.add_result(LoadResult(conform(synthetic_rows()), files=files))
    panel = HeatmapPanel(s, debounce_ms=10)
    qtbot.addWidget(panel)
    panel.resize(1000, 600)
    panel.show()
    panel.recompute()
    plot, pivot = panel.plots[0], panel.pivot(0)
    assert len(plot.gap_spans) == 1  # the 2023 period is outside the evidence's time range
    span = plot.gap_spans[0]
    first = pd.Timestamp(pivot.col_edges_utc[0], tz="UTC")
    assert span.x0 == pytest.approx((pd.Timestamp("2024-03-05T06:00Z") - first) / pd.Timedelta(hours=1))
    assert span.x1 - span.x0 == pytest.approx(3.5)
    inside, before = int(span.x0) + 1, int(span.x0) - 1
    assert "EVIDENCE MISSING in this period" in plot.tooltip_text(0, inside) and gap.label in plot.tooltip_text(0, inside)
    assert "EVIDENCE MISSING" not in plot.tooltip_text(0, before)
    assert "hatched: 1 period with evidence missing" in panel.info.text()
    assert len(plot._gap_items) == 2  # fill + hatching, above the cells
    qtbot.wait(50)  # let the plot lay itself out
    point = plot.cell_center_in_viewport(0, inside)  # a hatched cell still drills down
    assert plot.graphics.viewport().rect().contains(point)
    with qtbot.waitSignal(panel.drilled, timeout=2000):
        qtbot.mouseClick(plot.graphics.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert s.query_text == pivot.cell_query(0, inside)
