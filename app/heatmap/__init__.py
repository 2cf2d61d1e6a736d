"""Heatmap and findings docks. ``install(window)`` adds them to the main window.

Imports PySide6 before pyqtgraph so pyqtgraph binds to the same Qt.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import PySide6  # noqa: E402,F401  - before pyqtgraph, on purpose
from PySide6.QtCore import Qt  # noqa: E402

from app.heatmap.findings_panel import FindingsPanel  # noqa: E402
from app.heatmap.panel import HeatmapPanel  # noqa: E402

__all__ = ["FindingsPanel", "HeatmapPanel", "install"]


def install(window) -> None:  # type: ignore[no-untyped-def]
    """Add the Heatmap and Findings docks; drill-downs and clicks go through the query bar."""
    window.heatmap_panel = HeatmapPanel(window.session, window, apply_query=window.set_query)
    window.findings_panel = FindingsPanel(window.session, window, apply_query=window.set_query,
                                          query_bar=window.query_bar)
    area = Qt.DockWidgetArea.BottomDockWidgetArea
    window.heatmap_dock = window.add_dock(window.heatmap_panel, area, "Heatmap")
    window.findings_dock = window.add_dock(window.findings_panel, area, "Findings")
    # where they sit (Heatmap tabbed with Evidence and Custody log, Findings beside it) and
    # their sizes: app/dock_layout.py, applied by the window after every extension is installed
