"""Issue 22: heatmap row labels are never skipped. With more mailboxes than fit, the plot
scrolls (bar, wheel over the names) and every row in view keeps its label, however small
the dock is made; resizing keeps the top row and changes how many rows are in view."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from forensics.ingest import LoadResult
from forensics.schema import conform

pytest.importorskip("pyqtgraph")

MAILBOXES = 120


@pytest.fixture
def panel(qtbot):  # type: ignore[no-untyped-def]
    """120 mailboxes (a mid-size tenant), each opened by a delegate a different number of
    times so the pivot's row order (largest first) is known: mbx000 has the most."""
    from app.heatmap import HeatmapPanel
    from app.session import Session

    rows = []
    for i in range(MAILBOXES):
        for k in range(MAILBOXES - i):
            rows.append(dict(time=pd.Timestamp("2024-03-04T08:00Z") + pd.Timedelta(minutes=7 * k + i),
                             mailbox=f"mbx{i:03d}@contoso.com", actor="pat", logon_type="Delegate",
                             operation="MessageOpen", outcome="Success"))
    session = Session(examiner="Test")
    session.add_result(LoadResult(conform(rows)))
    p = HeatmapPanel(session, debounce_ms=10)
    qtbot.addWidget(p)
    p.resize(1000, 420)
    p.show()
    qtbot.waitExposed(p)
    p.recompute()
    return p


def _labelled_rows(plot) -> list[int]:  # type: ignore[no-untyped-def]
    axis = plot.left_axis
    (y0, y1) = plot.plot.getViewBox().viewRange()[1]
    height = axis.geometry().height()
    ticks = axis.tickValues(y0, y1, height)
    return [int(np.floor(v)) for _spacing, values in ticks for v in values if y0 <= v <= y1]  # drawn ones


def _check_every_row_labelled(plot, prefix: str = "mbx") -> tuple[int, int]:  # type: ignore[no-untyped-def]
    first, last = plot.visible_rows()
    labelled = _labelled_rows(plot)
    assert labelled == list(range(first, last)), "a row in view has no label"
    # each row in view has the pixels its label needs, so nothing overlaps
    per_row = plot.plot.getViewBox().height() / max(1, last - first)
    assert per_row >= plot.row_height_needed() - 0.5
    strings = plot.left_axis.tickStrings([v + 0.5 for v in labelled], 1, 1)
    assert all(s.startswith(prefix) for s in strings)
    return first, last


def test_rows_scroll_instead_of_thinning_labels(qtbot, panel) -> None:
    plot = panel.plots[0]
    assert plot.pivot.shape[0] == MAILBOXES
    first, last = _check_every_row_labelled(plot)
    assert first == 0 and 5 < last < MAILBOXES
    assert plot.scroll.isVisible() and plot.scroll.maximum() == MAILBOXES - (last - first)
    assert "scroll for the rest" in panel.info.text()
    # the scroll bar reaches the last mailbox, still labelled
    plot.scroll.setValue(plot.scroll.maximum())
    first, last = _check_every_row_labelled(plot)
    assert last == MAILBOXES
    assert plot.left_axis.tickStrings([MAILBOXES - 0.5], 1, 1) == [f"mbx{MAILBOXES - 1:03d}@contoso.com"]


def test_smaller_dock_shows_fewer_rows_all_labelled(qtbot, panel) -> None:
    plot = panel.plots[0]
    plot.scroll.setValue(10)
    before = plot.visible_rows()
    panel.resize(1000, 260)  # the examiner drags the bottom dock smaller
    qtbot.waitUntil(lambda: plot.visible_rows() != before, timeout=3000)
    first, last = _check_every_row_labelled(plot)
    assert first == 10 and last - first < before[1] - before[0]
    panel.resize(1000, 700)
    qtbot.waitUntil(lambda: plot.visible_rows()[1] - plot.visible_rows()[0] > before[1] - before[0], timeout=3000)
    assert _check_every_row_labelled(plot)[0] == 10


def test_wheel_over_names_scrolls_rows(qtbot, panel) -> None:
    plot = panel.plots[0]
    viewport = plot.graphics.viewport()
    pos = QPointF(10, viewport.height() / 2)
    event = QWheelEvent(pos, viewport.mapToGlobal(pos), QPoint(), QPoint(0, -120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(viewport, event)
    assert plot.visible_rows()[0] == 3
    _check_every_row_labelled(plot)


def test_hidden_plot_fits_rows_when_shown(qtbot) -> None:
    """A pivot set while the dock is hidden (a tab behind) is fitted when it shows."""
    from app.heatmap.plot import HeatmapPlot
    from forensics.aggregate import mailbox_by_actor

    rows = [dict(time="2024-03-04T08:00:00Z", mailbox=f"m{i:03d}@x.com", actor=f"a{i % 7}", logon_type="Delegate",
                 operation="MessageOpen") for i in range(200)]
    pivot = mailbox_by_actor(conform(rows))
    plot = HeatmapPlot()
    qtbot.addWidget(plot)
    plot.set_pivot(pivot)  # never shown yet: no height to fit to
    plot.resize(600, 240)
    plot.show()
    qtbot.waitExposed(plot)
    qtbot.waitUntil(lambda: plot.visible_rows()[1] < 30, timeout=3000)
    _check_every_row_labelled(plot, prefix="m")
