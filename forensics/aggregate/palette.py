"""The heatmap colour scale, defined once for the GUI's heatmap dock and the reports' images.

Light yellow -> orange -> dark red: reads well on white paper and in grey print, and a
report's picture means what the examiner saw on screen. Plain data (positions 0..1 and
8-bit RGB), so ``forensics`` stays Qt-free: the GUI builds a pyqtgraph ``ColorMap`` and the
reports a matplotlib colormap from the same stops.
"""

from __future__ import annotations

#: (position 0..1, (red, green, blue)) stops, lowest count first
HEATMAP_STOPS: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (0.0, (255, 240, 170)),
    (0.35, (254, 178, 76)),
    (0.7, (240, 59, 32)),
    (1.0, (128, 0, 38)),
)
#: background behind empty cells (no events): set apart from the lowest colour
EMPTY_CELL = "#f7f7f7"
#: name under which the reports register the matplotlib colormap
NAME = "mailbox-audit-heat"


def positions() -> list[float]:
    return [pos for pos, _ in HEATMAP_STOPS]


def colors_rgb() -> list[tuple[int, int, int]]:
    return [rgb for _, rgb in HEATMAP_STOPS]


def color_at(fraction: float) -> tuple[int, int, int]:
    """The colour at ``fraction`` (0..1) of the scale, linearly between stops (both the GUI's
    ColorMap and matplotlib's LinearSegmentedColormap interpolate this way)."""
    f = min(1.0, max(0.0, float(fraction)))
    for (p0, c0), (p1, c1) in zip(HEATMAP_STOPS, HEATMAP_STOPS[1:]):
        if f <= p1:
            t = 0.0 if p1 == p0 else (f - p0) / (p1 - p0)
            return tuple(round(a + (b - a) * t) for a, b in zip(c0, c1))  # type: ignore[return-value]
    return HEATMAP_STOPS[-1][1]
