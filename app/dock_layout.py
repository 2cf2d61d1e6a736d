"""Where every dock lives by default, and View > Reset layout putting them back there.

One table says it (``DEFAULT_LAYOUT``) so the first start and Reset layout agree: the
bottom area holds Evidence, Custody log and Heatmap as tabs with the Findings dock beside
them (visible from the first start, not hidden behind a tab); the right area holds Detail,
Bookmarks and Case notes as tabs. Reset also re-docks floating docks, shows closed ones
and gives the areas their default sizes. Docks added by future extensions and absent from
the table are tabbed into the right area.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

if TYPE_CHECKING:
    from app.main_window import MainWindow

BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea

#: (area, dock object names tabbed together, the one raised); the second bottom group sits
#: beside the first (split horizontally), so Findings shows next to the Heatmap
DEFAULT_LAYOUT: tuple[tuple[Qt.DockWidgetArea, tuple[str, ...], str], ...] = (
    (BOTTOM, ("dock_heatmap", "dock_evidence", "dock_custody_log"), "dock_heatmap"),
    (BOTTOM, ("dock_findings",), "dock_findings"),
    (RIGHT, ("dock_detail", "dock_bookmarks", "dock_case_notes"), "dock_detail"),
)
RIGHT_WIDTH = 460
FINDINGS_SHARE = 0.42  # of the bottom area's width
DOCK_FEATURES = (QDockWidget.DockWidgetFeature.DockWidgetClosable
                 | QDockWidget.DockWidgetFeature.DockWidgetMovable
                 | QDockWidget.DockWidgetFeature.DockWidgetFloatable)


def bottom_height(window: QMainWindow) -> int:
    """Room for a screenful of heatmap rows, leaving the grid most of the window."""
    return max(330, window.height() * 2 // 5)


def apply_default_layout(window: "MainWindow") -> None:
    """Put every dock in its default place, docked and shown, with default sizes."""
    window.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks
                          | QMainWindow.DockOption.AllowNestedDocks)
    docks: dict[str, QDockWidget] = dict(window._docks)
    placed: set[str] = set()
    groups: list[tuple[Qt.DockWidgetArea, list[QDockWidget], QDockWidget | None]] = []
    for area, names, raised in DEFAULT_LAYOUT:
        present = [docks[n] for n in names if n in docks]
        placed.update(n for n in names if n in docks)
        if raised in docks:  # the lead of a tab group is its current tab, even before show()
            present.remove(docks[raised])
            present.insert(0, docks[raised])
        groups.append((area, present, docks.get(raised)))
    extra = [dock for name, dock in docks.items() if name not in placed]
    if extra:
        groups.append((RIGHT, extra, None))
    for dock in docks.values():
        dock.setFeatures(DOCK_FEATURES)
        dock.setAllowedAreas(Qt.DockWidgetArea.AllDockWidgetAreas)
        dock.setFloating(False)
        window.removeDockWidget(dock)
    # leads first (a split next to a tabbed dock would join its tabs), then the tabs
    first_bottom: QDockWidget | None = None
    for area, present, _raised in groups:
        if not present:
            continue
        if area == BOTTOM and first_bottom is not None:
            window.splitDockWidget(first_bottom, present[0], Qt.Orientation.Horizontal)
        else:
            window.addDockWidget(area, present[0])
            if area == BOTTOM:
                first_bottom = present[0]
        present[0].show()
    for _area, present, raised in groups:
        for previous, dock in zip(present, present[1:]):
            window.tabifyDockWidget(previous, dock)
            dock.show()
        if present:
            (raised or present[0]).raise_()
    _default_sizes(window, docks)


def _default_sizes(window: "MainWindow", docks: dict[str, QDockWidget]) -> None:
    heatmap, findings, detail = (docks.get(n) for n in ("dock_heatmap", "dock_findings", "dock_detail"))
    bottom = heatmap or docks.get("dock_evidence")
    if bottom is not None:
        window.resizeDocks([bottom], [bottom_height(window)], Qt.Orientation.Vertical)
    if detail is not None:
        window.resizeDocks([detail], [RIGHT_WIDTH], Qt.Orientation.Horizontal)
    if heatmap is not None and findings is not None:
        width = max(600, window.width())
        share = int(width * FINDINGS_SHARE)
        window.resizeDocks([heatmap, findings], [width - share, share], Qt.Orientation.Horizontal)


def fitted_size(size: QSize, available: QSize, minimum: QSize) -> QSize:
    """The default window size within the screen's available area; a screen smaller than the
    window's minimum (a test's virtual screen) leaves it as it is, since it cannot fit anyway."""
    if available.width() < minimum.width() or available.height() < minimum.height():
        return size
    return QSize(min(size.width(), available.width()), min(size.height(), available.height()))
