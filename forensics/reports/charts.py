"""Heatmap images for reports, rendered headless with matplotlib's Agg canvas from the same
pivots the GUI's heatmap dock shows (``forensics.aggregate``), so both count alike.

Uses ``Figure`` + ``FigureCanvasAgg`` directly (no pyplot): no display is needed and no
global backend is switched under a running GUI. Periods whose evidence is missing are
hatched over the mailbox × time heatmaps, as in the GUI (``aggregate.evidence_gaps``).
"""

from __future__ import annotations

import io
from datetime import tzinfo

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from forensics.aggregate import AggregateError, Pivot, hour_by_weekday, mailbox_by_time, palette
from forensics.aggregate.evidence_gaps import GapSpan, column_spans
from forensics.parsers.base import MissingPeriod
from forensics.reports.content import Heatmap

TOP_MAILBOXES = 30
#: the GUI heatmap's colour scale (``aggregate.palette``), so a printed heatmap reads like the screen
CMAP = LinearSegmentedColormap.from_list(
    palette.NAME, [(pos, tuple(c / 255 for c in rgb)) for pos, rgb in palette.HEATMAP_STOPS])


_CONTROL = dict.fromkeys(range(32), "\ufffd")


def _short(text: str, n: int = 40) -> str:
    """Shorten in the middle: both a DN's prefix and its distinguishing tail stay readable.
    Control characters (hostile evidence) become U+FFFD so the label still renders."""
    text = text.translate(_CONTROL)
    if len(text) <= n:
        return text
    tail = n * 2 // 3
    return text[: n - tail - 1] + "…" + text[-tail:]


def render_pivot(pivot: Pivot, title: str, xlabel: str, ylabel: str = "", gaps: list[GapSpan] | None = None) -> bytes:
    """PNG bytes of one pivot as a heatmap (log colour scale: counts span decades); ``gaps``
    (column spans without evidence) are hatched over every row."""
    rows, cols = pivot.counts.shape
    fig = Figure(figsize=(max(8.0, min(11.0, 4.0 + 0.15 * cols)), max(2.8, min(11.0, 1.5 + 0.17 * rows))), dpi=140)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    values = pivot.counts.astype(float)
    vmax = max(1.5, float(values.max()) if values.size else 1.5)
    image = ax.imshow(np.ma.masked_equal(values, 0), aspect="auto", interpolation="nearest", cmap=CMAP,
                      norm=LogNorm(vmin=1, vmax=vmax))
    ax.set_facecolor(palette.EMPTY_CELL)
    for gap in gaps or []:  # cell c spans [c - 0.5, c + 0.5] in imshow's coordinates
        ax.axvspan(gap.x0 - 0.5, max(gap.x1, gap.x0 + 0.05) - 0.5, facecolor=(0.8, 0.8, 0.8, 0.35),
                   edgecolor=(0.3, 0.3, 0.3, 0.8), hatch="////", linewidth=0)
    ax.set_yticks(range(rows))
    ax.set_yticklabels([_short(str(label)) for label in pivot.row_labels], fontsize=8)
    step = max(1, cols // 14)
    ticks = list(range(0, cols, step))
    ax.set_xticks(ticks)
    labels = [str(pivot.col_labels[i]) for i in ticks]
    crowded = sum(len(label) for label in labels) > 70  # would overlap when set level
    ax.set_xticklabels(labels, fontsize=8, rotation=35 if crowded else 0, ha="right" if crowded else "center")
    ax.set_xlabel(xlabel, fontsize=8)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=8)
    ax.set_title(title, fontsize=10)
    bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    bar.ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value:g}"))
    bar.ax.yaxis.set_minor_formatter(NullFormatter())
    bar.set_label("events (log scale)", fontsize=7)
    bar.ax.tick_params(labelsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _mailbox_time(view: pd.DataFrame, tz: tzinfo, display_tz: str, nonowner: bool,
                  missing: list[MissingPeriod]) -> Heatmap | None:
    title = "Non-owner access per mailbox" if nonowner else "All access per mailbox"
    try:
        full = mailbox_by_time(view, tz, nonowner_only=nonowner)
    except AggregateError as exc:
        return Heatmap(title, b"", f"{title}: not drawn ({exc.user_message}).")
    if full.empty:
        return None
    shown = full.top(TOP_MAILBOXES)
    cut = (f"the {shown.shape[0]} busiest of {full.shape[0]} mailboxes are shown ({shown.rest_total} events in "
           "the other mailboxes are in the events and findings tables)") if shown.rest_rows else f"all {full.shape[0]} mailboxes"
    unplaced = f" {full.unplaced} rows without a time are not placed." if full.unplaced else ""
    gaps = column_spans(shown.col_edges_utc, missing) if shown.col_edges_utc is not None else []
    hatched = ""
    if gaps:
        named = "; ".join(dict.fromkeys(g.label for g in gaps))
        hatched = (f" Hatched: {len(gaps)} period(s) whose evidence is missing ({named}); a count there is not the "
                   "whole story (see Completeness of the evidence).")
    caption = (f"{title}: {full.full_total} events, {full.bin} bins in {display_tz}; {cut}. "
               f"Empty cells: no events.{unplaced}{hatched}")
    png = render_pivot(shown, title, f"time ({full.bin} bins, {display_tz})", gaps=gaps)
    return Heatmap(title, png, caption)


def _weekly_rhythm(view: pd.DataFrame, tz: tzinfo, display_tz: str) -> Heatmap | None:
    pivot = hour_by_weekday(view, tz, nonowner_only=True)
    if pivot.empty:
        return None
    title = "Non-owner access by hour of day and weekday"
    caption = (f"{title}: {pivot.full_total} events, hours in {display_tz}. Access outside working hours "
               "stands out as cells away from the daytime weekday block.")
    return Heatmap(title, render_pivot(pivot, title, f"hour of day ({display_tz})"), caption)


def heatmaps(view: pd.DataFrame, tz: tzinfo, display_tz: str, missing: list[MissingPeriod] | None = None) -> list[Heatmap]:
    """All-access and non-owner heatmaps per mailbox, and the non-owner weekly rhythm."""
    missing = list(missing or [])
    all_access = _mailbox_time(view, tz, display_tz, nonowner=False, missing=missing)
    non_owner_rows = int((view["logon_type"].astype("string") != "Owner").fillna(True).sum())
    # when every row in view is non-owner access (e.g. the query is:nonowner) both would be equal
    non_owner = _mailbox_time(view, tz, display_tz, nonowner=True, missing=missing) if non_owner_rows < len(view) else None
    candidates = [all_access, non_owner, _weekly_rhythm(view, tz, display_tz)]
    return [h for h in candidates if h is not None]
