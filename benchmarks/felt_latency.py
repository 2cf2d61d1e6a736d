"""Felt latency: what the investigator waits for in the real window, from input to repaint.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/felt_latency.py --frame table.parquet \
        [--cancel-evidence FILE_OR_DIR ...] [--repeats 5]

``--frame`` is a table loaded from evidence (``mailbox-audit load --out table.parquet EVIDENCE``;
1M or 5M rows of ``benchmarks/make_corpus.py``'s synthetic Exchange Auditing log). Measured
through the real MainWindow (session, grid, query bar, heatmap, findings, Detail docks):

- start -> first rows: process start (from /proc) to the first grid paint with rows in it
  (reading the table file included: the figure a reopened case from its cache gives);
- keystroke -> repaint: the query typed into the query bar with key events (QTest), from the
  last key to the last paint of anything that follows (grid, heatmap, Detail, status);
  field queries and two-word free text, the mask cache emptied before each repeat;
- heatmap cell click -> drill-down shown; header click -> sorted page (the sort cache emptied);
- Cancel -> load stopped (``--cancel-evidence``): a load running 1.5 s, then the Cancel button,
  to the loader's ``idle`` signal;
- worst stall: a 5 ms heartbeat timer on the UI thread; the longest gap between two of its
  ticks (minus the interval) is the longest time the UI thread did not return to its event
  loop, per interaction and overall.

"Settled" = no query task, debounce or recompute timer pending and no paint for 150 ms; the
felt figure is the time of the last paint before that. The app is instrumented from outside
(an application event filter on paint events, Qt signals): nothing runs when not measuring.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

QUIET_S = 0.15
HEARTBEAT_MS = 5


def process_age_s() -> float:
    """Seconds since this process started (Linux /proc; elsewhere: since this module ran)."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        start = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19]) / ticks
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - start
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - _IMPORTED


_IMPORTED = time.perf_counter()


class Clock:
    """Paint timestamps (an application event filter) and a heartbeat measuring stalls."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        from PySide6.QtCore import QEvent, QObject, Qt, QTimer

        clock = self
        self.last_paint = 0.0
        self.rows_painted: Callable[[], bool] | None = None
        self.first_rows_at: float | None = None

        class Filter(QObject):
            def eventFilter(self, obj, event) -> bool:  # noqa: N802  # type: ignore[no-untyped-def]
                if event.type() == QEvent.Type.Paint:
                    clock.last_paint = time.perf_counter()
                    if clock.first_rows_at is None and clock.rows_painted is not None and clock.rows_painted():
                        clock.first_rows_at = clock.last_paint
                return False

        self._filter = Filter()
        app.installEventFilter(self._filter)
        self.worst = 0.0
        self._last_tick = time.perf_counter()
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self._last_tick - HEARTBEAT_MS / 1000)
        self._last_tick = now

    def reset_stall(self) -> None:
        self._last_tick = time.perf_counter()
        self.worst = 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frame", type=Path, required=True, help="parquet of a table loaded from evidence")
    parser.add_argument("--cancel-evidence", type=Path, nargs="*", default=[], help="evidence to start loading and cancel")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--field-queries", nargs="*", default=["actor:svc-bes", "mailbox:jlee is:nonowner",
                                                                "operation:MessageOpen -logon_type:Owner"])
    parser.add_argument("--free-queries", nargs="*", default=["vendor onboarding", "quarterly 12345", "minutes 148"])
    args = parser.parse_args()
    process_start = time.perf_counter() - process_age_s()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    tmp = tempfile.mkdtemp(prefix="felt-latency-")
    os.environ["MAILBOX_AUDIT_SETTINGS"] = str(Path(tmp) / "settings.ini")
    os.environ["MAILBOX_AUDIT_DATA_DIR"] = str(Path(tmp) / "data")

    from PySide6.QtCore import QPoint, Qt, qInstallMessageHandler
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    qInstallMessageHandler(lambda mode, ctx, msg: None if "propagateSizeHints" in msg else print(msg, file=sys.stderr))

    from app.application import create_application
    from app.main_window import MainWindow

    app = create_application(["felt_latency"])
    clock = Clock(app)
    window = MainWindow(quiet=True)
    window.session.set_examiner("benchmark")
    window.resize(1600, 1000)
    window.show()
    session, table = window.session, window.table
    heatmap, findings = window.heatmap_panel, window.findings_panel
    clock.rows_painted = lambda: len(session.view) > 0

    def view_changed() -> None:  # a view change is followed by a paint; counted even if none is seen
        clock.last_paint = max(clock.last_paint, time.perf_counter())

    session.view_changed.connect(view_changed)

    def busy() -> bool:
        return bool(session._tasks or window.query_bar._debounce.isActive() or heatmap.busy()
                    or findings.busy() or session.loader.is_running() or getattr(session, "background_busy", lambda: False)())

    def settle(started: float, limit_s: float = 120.0) -> float:
        """Run the event loop until nothing is pending and nothing painted for QUIET_S;
        return seconds from ``started`` to the last paint (or to now if nothing painted)."""
        while time.perf_counter() - started < limit_s:
            app.processEvents()
            now = time.perf_counter()
            if not busy() and now - max(clock.last_paint, started) > QUIET_S:
                break
            time.sleep(0.001)
        return max(clock.last_paint, started) - started

    # -- start -> first rows ---------------------------------------------------------------
    import pandas as pd

    from forensics import schema
    from forensics.ingest import LoadResult

    frame = pd.read_parquet(args.frame)
    frame = schema.conform(frame) if schema.validate(frame) else frame
    session.add_result(LoadResult(frame=frame))
    started = time.perf_counter()
    while clock.first_rows_at is None and time.perf_counter() - started < 60:
        app.processEvents()
    first_rows = (clock.first_rows_at or time.perf_counter()) - process_start
    clock.reset_stall()
    settle(time.perf_counter())
    after_load_stall = clock.worst
    print(f"frame: {len(frame):,} rows from {args.frame}")
    print(f"start -> first rows: {first_rows * 1000:,.0f} ms (process start to first grid paint, table read included); "
          f"worst stall while settling after it: {after_load_stall * 1000:,.0f} ms")

    results: dict[str, list[float]] = {}
    stalls: dict[str, list[float]] = {}

    def measure(label: str, action: Callable[[], float | None], reset: Callable[[], None]) -> None:
        for _ in range(args.repeats):
            reset()
            settle(time.perf_counter())
            clock.reset_stall()
            started = action() or time.perf_counter()
            felt = settle(started)
            results.setdefault(label, []).append(felt)
            stalls.setdefault(label, []).append(clock.worst)

    edit = window.query_bar.edit

    def type_query(text: str) -> Callable[[], float]:
        def run() -> float:
            edit.setFocus()
            QTest.keyClicks(edit, text[:-1])
            QTest.keyClick(edit, text[-1])
            return time.perf_counter()
        return run

    def clear_query() -> None:
        window.query_bar.set_text("")
        session._mask_cache.clear()

    for kind, queries in (("field", args.field_queries), ("free text", args.free_queries)):
        for q in queries:
            measure(f"keystroke -> repaint, {kind}: {q!r}", type_query(q), clear_query)
            measure(f"Enter -> repaint, {kind}: {q!r}",
                    lambda q=q: (edit.setText(q), QTest.keyClick(edit, Qt.Key.Key_Return), time.perf_counter())[-1],
                    clear_query)

    def click_cell() -> float:
        plot = heatmap.plots[heatmap.tabs.currentIndex()]
        pivot = plot.pivot
        row, col = 0, 0
        if pivot is not None and pivot.counts.size:  # the busiest visible cell
            row, col = divmod(int(pivot.counts.argmax()), pivot.counts.shape[1])
        t = time.perf_counter()
        plot.cell_clicked.emit(row, col)  # what a click on the image emits
        return t

    def back_to_all() -> None:
        while heatmap.crumbs:
            heatmap.back()
        clear_query()

    measure("heatmap cell click -> drill-down shown", click_cell, back_to_all)

    header = table.horizontalHeader()
    for name in ("time", "actor", "item"):
        col = window.model.column_index(name)

        def click_header(col: int = col) -> float:
            x = header.sectionViewportPosition(col) + header.sectionSize(col) // 2
            t = time.perf_counter()
            QTest.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                             QPoint(x, header.height() // 2))
            return t

        def unsort() -> None:
            session.sort(None)
            table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
            session._sort_cache.clear()

        measure(f"header click -> sorted page: {name}", click_header, unsort)
        if session.sort_column != name:  # the click must have sorted what it names
            print(f"warning: the header click left the grid sorted by {session.sort_column!r}, not {name!r}")

    if args.cancel_evidence:
        window.session.clear()
        settle(time.perf_counter())

        def start_and_cancel() -> float:
            session.open_paths(args.cancel_evidence)
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < 1.5:
                app.processEvents()
                time.sleep(0.005)
            t = time.perf_counter()
            window.cancel_button.click()
            while session.loader.is_running() and time.perf_counter() - t < 60:
                app.processEvents()
                time.sleep(0.001)
            return t

        def noop() -> None:
            pass

        measure("Cancel -> load stopped", start_and_cancel, noop)

    print(f"\nfelt latency, median of {args.repeats} (worst UI-thread stall of those repeats):")
    worst_overall = after_load_stall
    for label, samples in results.items():
        worst = max(stalls[label])
        worst_overall = max(worst_overall, worst)
        print(f"  {statistics.median(samples) * 1000:8,.0f} ms  {label}   (stall {worst * 1000:,.0f} ms)")
    print(f"\nSUMMARY rows={len(frame):,} first_rows_ms={first_rows * 1000:.0f} worst_stall_ms={worst_overall * 1000:.0f}")
    window.close()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
