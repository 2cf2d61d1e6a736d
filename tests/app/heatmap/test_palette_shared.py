"""Issue 22: the report's heatmap colours match the GUI's. Both build their colour scale from
``forensics.aggregate.palette``; the GUI's pyqtgraph ColorMap and the reports' matplotlib
colormap give the same colour along the whole scale, and a rendered report image uses it."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.image import imread

from app.heatmap.plot import COLORMAP
from forensics.aggregate import palette
from forensics.aggregate.pivot import Pivot
from forensics.reports.charts import CMAP, render_pivot


def test_gui_and_report_colour_scales_are_the_same() -> None:
    for fraction in np.linspace(0.0, 1.0, 41):
        gui = np.asarray(COLORMAP.map(np.array([fraction]), mode="byte"))[0][:3].astype(int)
        report = np.round(np.asarray(CMAP(float(fraction))[:3]) * 255).astype(int)
        expected = np.asarray(palette.color_at(float(fraction)))
        assert np.abs(gui - report).max() <= 2, (fraction, gui, report)
        assert np.abs(report - expected).max() <= 2, (fraction, report, expected)


def test_a_report_heatmap_is_drawn_in_the_shared_colours() -> None:
    # one cell at the scale's low end (1 event) and one at its top (1,000 events, log scale)
    pivot = Pivot(kind="mailbox_actor", row_field="mailbox", col_field="actor", row_labels=["ceo", "cfo"],
                  col_labels=["pat"], row_queries=["", ""], col_queries=[""],
                  counts=np.array([[1], [1000]], dtype=np.int64))
    pixels = (imread(io.BytesIO(render_pivot(pivot, "t", "x")), format="png")[..., :3] * 255).round().astype(int)
    colours = {tuple(p) for p in pixels.reshape(-1, 3)}
    for end in (palette.HEATMAP_STOPS[0][1], palette.HEATMAP_STOPS[-1][1]):
        assert any(max(abs(a - b) for a, b in zip(end, c)) <= 2 for c in colours), end
    viridis_low = (68, 1, 84)  # the colour reports used before the palette was shared
    assert not any(max(abs(a - b) for a, b in zip(viridis_low, c)) <= 2 for c in colours)
