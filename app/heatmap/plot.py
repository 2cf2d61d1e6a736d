"""One heatmap: a pyqtgraph image of a ``Pivot`` with labelled axes, colour bar, hover and click.

Rows are drawn top-down in the pivot's order (largest total first); the view shows a
window of rows and the scroll bar beside it reaches the rest. Empty cells are left blank
(NaN) so a single event stands out from none. Log scale draws log10(count) and labels the
colour bar in counts. Periods whose evidence is missing (``evidence_gaps``) are hatched
grey across every row of a time heatmap, and a cell's tooltip names the gap.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QCursor, QFont, QFontMetrics, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QHBoxLayout, QScrollBar, QToolTip, QWidget

import pyqtgraph as pg
from app.widgets.plain_text import plain_tip
from forensics.reports.sanitize import show_controls
from forensics.aggregate import Pivot, palette
from forensics.aggregate.evidence_gaps import GapSpan, column_spans, labels_at
from forensics.parsers.base import MissingPeriod

#: the shared scale (``forensics.aggregate.palette``): the reports' heatmaps use the same colours
COLORMAP = pg.ColorMap(pos=palette.positions(), color=palette.colors_rgb())
VISIBLE_ROWS = 30
MAX_LABEL_CHARS = 34
#: how a period without evidence is drawn: grey hatching over the cells, above the colours
GAP_BRUSH = QBrush(QColor(90, 90, 90, 150), Qt.BrushStyle.BDiagPattern)
GAP_FILL = QColor(200, 200, 200, 90)


def _elide(text: str, limit: int = MAX_LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class LabelAxis(pg.AxisItem):
    """An axis whose ticks are category labels at cell centres.

    Row labels (left/right) are never skipped: every row in view is labelled, and the plot
    keeps no more rows in view than fit a readable label each (it scrolls for the rest).
    Column labels (bottom) are thinned so they never overlap.
    """

    label_clicked = Signal(int)

    def __init__(self, orientation: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(orientation, **kwargs)
        self.labels: list[str] = []
        # our tickValues already thin the labels so they never overlap: draw every one of them
        self.setStyle(autoExpandTextSpace=False, autoReduceTextSpace=False, textFillLimits=[(0, 1.0)], hideOverlappingLabels=False)

    def set_labels(self, labels: list[str]) -> None:
        self.labels = [show_controls(str(label)) for label in labels]  # mailbox names: bidi controls shown
        self.picture = None
        self.update()

    def _spacing_needed(self) -> float:
        metrics = QFontMetrics(self.font() if hasattr(self, "font") else QFont())
        if self.orientation in ("left", "right"):
            return metrics.height() + 2
        longest = max((len(label) for label in self.labels[:200]), default=4)
        return metrics.averageCharWidth() * min(longest, MAX_LABEL_CHARS) + 16

    def tickValues(self, minVal: float, maxVal: float, size: float):  # type: ignore[no-untyped-def]  # noqa: N802
        n = len(self.labels)
        if minVal > maxVal:  # an inverted axis (rows top-down) passes its range reversed
            minVal, maxVal = maxVal, minVal
        if not n or size <= 0 or maxVal <= minVal:
            return []
        lo = max(0, int(np.floor(minVal)))
        hi = min(n - 1, int(np.ceil(maxVal)))
        if self.orientation in ("left", "right"):
            step = 1  # every mailbox named: the plot scrolls instead of thinning rows
        else:
            per_cell = size / (maxVal - minVal)
            step = max(1, int(np.ceil(self._spacing_needed() / max(per_cell, 1e-6))))
            for nice in (1, 2, 3, 4, 6, 7, 12, 24, 48, 168):
                if nice >= step:
                    step = nice
                    break
        first = (lo // step) * step
        values = [v + 0.5 for v in range(first, hi + 1, step) if lo <= v <= hi]
        return [(float(step), values)]

    def tickStrings(self, values, scale, spacing):  # type: ignore[no-untyped-def]  # noqa: N802
        out = []
        for value in values:
            index = int(np.floor(value))
            out.append(_elide(self.labels[index]) if 0 <= index < len(self.labels) else "")
        return out

    def mouseClickEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton or self.linkedView() is None:
            return super().mouseClickEvent(event)
        view = self.linkedView()
        point = view.mapSceneToView(event.scenePos())
        value = point.y() if self.orientation in ("left", "right") else point.x()
        index = int(np.floor(value))
        if 0 <= index < len(self.labels):
            event.accept()
            self.label_clicked.emit(index)


class CellImage(pg.ImageItem):
    """Reports the cell under the mouse and clicks on cells (row, column)."""

    hovered = Signal(int, int)
    clicked = Signal(int, int)

    def _cell(self, pos: QPointF) -> tuple[int, int]:
        image = self.image
        if image is None:
            return -1, -1
        col, row = int(np.floor(pos.x())), int(np.floor(pos.y()))
        if 0 <= col < image.shape[0] and 0 <= row < image.shape[1]:
            return row, col
        return -1, -1

    def hoverEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        if event.isExit():
            self.hovered.emit(-1, -1)
            return
        self.hovered.emit(*self._cell(event.pos()))

    def mouseClickEvent(self, event) -> None:  # type: ignore[no-untyped-def]  # noqa: N802
        if event.button() != Qt.MouseButton.LeftButton:
            return
        row, col = self._cell(event.pos())
        if row >= 0:
            event.accept()
            self.clicked.emit(row, col)


class HeatmapPlot(QWidget):
    """A heatmap of one pivot. Signals carry pivot coordinates (row, column)."""

    cell_clicked = Signal(int, int)
    row_label_clicked = Signal(int)
    hover_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pivot: Pivot | None = None
        self.log_scale = False
        self.missing: list[MissingPeriod] = []
        self.gap_spans: list[GapSpan] = []
        self._gap_items: list[QGraphicsRectItem] = []
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground("w")
        self.left_axis = LabelAxis("left")
        self.bottom_axis = LabelAxis("bottom")
        for axis in (self.left_axis, self.bottom_axis):
            axis.setPen(pg.mkPen("#555"))
            axis.setTextPen(pg.mkPen("#222"))
        self.plot = self.graphics.addPlot(row=0, col=0, axisItems={"left": self.left_axis, "bottom": self.bottom_axis})
        self.plot.invertY(True)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.getViewBox().setBackgroundColor(QColor(palette.EMPTY_CELL))
        self.image = CellImage(axisOrder="col-major")
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(colorMap=COLORMAP, interactive=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.scroll = QScrollBar(Qt.Orientation.Vertical, self)
        self.scroll.valueChanged.connect(self._scrolled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.scroll)
        self.image.hovered.connect(self._hovered)
        self.image.clicked.connect(self.cell_clicked)
        self.left_axis.label_clicked.connect(self.row_label_clicked)
        viewbox = self.plot.getViewBox()
        viewbox.setMouseEnabled(x=True, y=False)  # rows scroll (bar, wheel on the labels); no row zoom
        viewbox.sigYRangeChanged.connect(self._view_moved)
        viewbox.sigResized.connect(self._fit_rows)
        self.graphics.viewport().installEventFilter(self)
        self._syncing = False

    # -- data --------------------------------------------------------------------------------
    def set_pivot(self, pivot: Pivot | None, keep_view: bool = False, axis_titles: tuple[str, str] | None = None) -> None:
        self.pivot = pivot
        if axis_titles is not None:
            self.plot.setLabel("bottom", axis_titles[1])
            self.plot.setLabel("left", axis_titles[0])
        if pivot is None or pivot.shape[0] == 0 or pivot.shape[1] == 0:
            self.image.clear()
            self.left_axis.set_labels([])
            self.bottom_axis.set_labels([])
            self.scroll.setRange(0, 0)
            return
        rows, cols = pivot.shape
        self.left_axis.set_labels(list(pivot.row_labels))
        self.bottom_axis.set_labels(list(pivot.col_labels))
        # pyqtgraph drops a label that does not fit the axis: size the axis to the widest one
        metrics = QFontMetrics(self.left_axis.font())
        widest = max((metrics.horizontalAdvance(_elide(label)) for label in self.left_axis.labels[:2000]), default=40)
        self.left_axis.setWidth(min(widest + 24, 320))
        self._draw()
        viewbox = self.plot.getViewBox()
        viewbox.setLimits(xMin=0, xMax=cols, yMin=0, yMax=rows, minXRange=min(1, cols), minYRange=min(1, rows))
        if not keep_view:
            # as many rows as can each carry a readable label; the scroll bar reaches the rest
            viewbox.setRange(xRange=(0, cols), yRange=(0, self.rows_that_fit()), padding=0)
        self._fit_rows()

    def row_height_needed(self) -> int:
        """Pixels a row needs for its label to be drawn in full."""
        return QFontMetrics(self.left_axis.font()).height() + 3

    def rows_that_fit(self) -> int:
        """Rows in view: each keeps a readable label (before layout, ``VISIBLE_ROWS``)."""
        rows = self.pivot.shape[0] if self.pivot is not None else 0
        height = self.plot.getViewBox().height()
        fit = int(height // self.row_height_needed()) if height >= 1 else VISIBLE_ROWS  # 0: not laid out yet
        return max(1, min(rows, fit)) if rows else 0

    def _fit_rows(self, *_args) -> None:  # type: ignore[no-untyped-def]
        """Keep the rows in view to what fits (the top row stays) when the plot is resized,
        so a smaller dock scrolls over more rows instead of dropping labels."""
        if self.pivot is None or not self.pivot.shape[0]:
            return
        rows, visible = self.pivot.shape[0], self.rows_that_fit()
        viewbox = self.plot.getViewBox()
        viewbox.setLimits(maxYRange=visible)
        (y0, _y1) = viewbox.viewRange()[1]
        top = int(round(min(max(0.0, y0), rows - visible)))
        self._syncing = True
        viewbox.setYRange(top, top + visible, padding=0)
        self._syncing = False
        self._update_scroll()

    def eventFilter(self, watched, event) -> bool:  # type: ignore[no-untyped-def]  # noqa: N802
        """The wheel over the row labels (or anywhere with Shift) scrolls the rows."""
        if event.type() == QEvent.Type.Wheel and self.scroll.isVisible():
            over_labels = event.position().x() < self.left_axis.width() + 4
            if over_labels or event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                delta = event.angleDelta().y() or event.angleDelta().x()
                self.scroll.setValue(self.scroll.value() - int(np.sign(delta)) * 3)
                return True
        return super().eventFilter(watched, event)

    def set_missing(self, periods: list[MissingPeriod]) -> None:
        """Periods whose evidence is missing; drawn on time pivots from the next ``set_pivot``."""
        self.missing = list(periods)

    def _draw_gaps(self) -> None:
        for item in self._gap_items:
            self.plot.removeItem(item)
        self._gap_items.clear()
        pivot = self.pivot
        edges = pivot.col_edges_utc if pivot is not None else None
        self.gap_spans = column_spans(edges, self.missing) if edges is not None and self.missing else []
        rows = pivot.shape[0] if pivot is not None else 0
        for span in self.gap_spans:
            for brush in (QBrush(GAP_FILL), GAP_BRUSH):
                rect = QGraphicsRectItem(span.x0, 0, max(span.x1 - span.x0, 0.05), rows)
                rect.setBrush(brush)
                rect.setPen(QPen(Qt.PenStyle.NoPen))
                rect.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks reach the cells
                rect.setAcceptHoverEvents(False)
                rect.setZValue(10)
                rect.setToolTip(plain_tip(span.label))
                self.plot.addItem(rect)
                self._gap_items.append(rect)

    def set_log_scale(self, on: bool) -> None:
        self.log_scale = on
        if self.pivot is not None and self.pivot.shape[0] and self.pivot.shape[1]:
            self._draw()

    def display_values(self) -> np.ndarray:
        """What is drawn, (rows, cols): counts or log10(counts); empty cells NaN."""
        assert self.pivot is not None
        counts = self.pivot.counts.astype(np.float64)
        values = np.log10(np.where(counts > 0, counts, np.nan)) if self.log_scale else counts
        return np.where(counts > 0, values, np.nan)

    def _draw(self) -> None:
        values = self.display_values()
        finite = values[np.isfinite(values)]
        top = float(finite.max()) if finite.size else 1.0
        low = 0.0
        if top <= low:
            top = low + 1.0
        self.image.setImage(values.T, autoLevels=False)
        self.image.setRect(0, 0, values.shape[1], values.shape[0])
        self._draw_gaps()
        self.colorbar.setLevels((low, top))
        unit = "accesses" if self.pivot is not None and getattr(self.pivot, "counts_accesses", False) else "events"
        self.colorbar.axis.setLabel(f"{unit} (log scale)" if self.log_scale else unit)  # what the cells count
        axis = self.colorbar.axis
        if self.log_scale:
            decades = range(0, int(np.ceil(top)) + 1)
            axis.setTicks([[(float(d), f"{10 ** d:,}") for d in decades]])
        else:
            axis.setTicks(None)

    # -- scrolling ---------------------------------------------------------------------------
    def _update_scroll(self) -> None:
        if self.pivot is None:
            return
        rows = self.pivot.shape[0]
        (y0, y1) = self.plot.getViewBox().viewRange()[1]
        page = max(1, int(round(y1 - y0)))
        self._syncing = True
        self.scroll.setRange(0, max(0, rows - page))
        self.scroll.setPageStep(page)
        self.scroll.setValue(int(round(max(0.0, y0))))
        self.scroll.setVisible(rows > page)
        self._syncing = False

    def _view_moved(self, *_args) -> None:  # type: ignore[no-untyped-def]
        if not self._syncing:
            self._update_scroll()

    def _scrolled(self, value: int) -> None:
        if self._syncing or self.pivot is None:
            return
        viewbox = self.plot.getViewBox()
        (y0, y1) = viewbox.viewRange()[1]
        height = y1 - y0
        self._syncing = True
        viewbox.setYRange(value, value + height, padding=0)
        self._syncing = False

    def visible_rows(self) -> tuple[int, int]:
        """First and last (exclusive) pivot rows in view."""
        (y0, y1) = self.plot.getViewBox().viewRange()[1]
        rows = self.pivot.shape[0] if self.pivot is not None else 0
        return max(0, int(np.floor(y0))), min(rows, int(np.ceil(y1)))

    # -- hover and click ---------------------------------------------------------------------
    def tooltip_text(self, row: int, col: int) -> str:
        if self.pivot is None:
            return ""
        text = self.pivot.tooltip(row, col)
        gaps = labels_at(self.gap_spans, col)
        if gaps:
            text += "\nEVIDENCE MISSING in this period (a count here is not the whole story):\n" + "\n".join(gaps)
        return text

    def _hovered(self, row: int, col: int) -> None:
        if row < 0 or self.pivot is None:
            QToolTip.hideText()
            self.hover_changed.emit("")
            return
        text = self.tooltip_text(row, col)
        self.hover_changed.emit(text.replace("\n", "   "))
        QToolTip.showText(QCursor.pos(), plain_tip(text), self.graphics)  # mailbox names are evidence text

    def cell_center_in_viewport(self, row: int, col: int):  # type: ignore[no-untyped-def]
        """Where cell (row, col) is drawn, in the graphics view's viewport coordinates."""
        scene = self.image.mapToScene(QPointF(col + 0.5, row + 0.5))
        return self.graphics.mapFromScene(scene)

    def row_label_in_viewport(self, row: int):  # type: ignore[no-untyped-def]
        view_point = self.plot.getViewBox().mapViewToScene(QPointF(0, row + 0.5))
        axis_rect = self.left_axis.sceneBoundingRect()
        return self.graphics.mapFromScene(QPointF(axis_rect.center().x(), view_point.y()))
