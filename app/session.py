"""What the investigator is looking at: the loaded evidence, the full frame, and the view.

The ``Session`` owns the merged ``LoadResult`` (frame, per-file reports, sources), the
current query and quick filters, the sort, the display time zone and any extra display
columns other features add (e.g. a bookmark ``tag``). The *view* is an int64 array of
positions into the full frame: filtering is one boolean mask; sorting is time order by
default (one cached packed sort) and every sort key one stable sort on top of it, so time is
always the last key; no per-row Python runs however many rows there are.

Extension API (used by the heatmap, cases and bookmarks features):
- ``frame``, ``view``, ``files``, ``sources``, ``custody_log()``, ``case_dir``
- signals ``loaded``, ``view_changed``, ``columns_changed``, ``zone_changed``,
  ``query_state_changed``, ``custody_changed``
- ``set_query``, ``set_sort`` (keys, primary first), ``set_extra_column``, ``frame_rows``,
  ``set_case_dir``, ``open_paths``
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QObject, Signal

from app import settings as app_settings
from app.display_tz import DisplayZone
from app.frame_chunks import single_chunk
from app.models.sort_keys import SortKey, describe
# TOGGLE_QUERIES, SORT_CACHE_SIZE and single_chunk are re-exported: callers import them from here
from app.session_query import TOGGLE_QUERIES, apply_query_async, combined_mask, utc_bound
from app.session_sort import SORT_CACHE_SIZE, SessionSort  # noqa: F401
from app.workers import Loader, Task
from forensics import schema
from forensics.correlate import correlate_files
from forensics.custody.log import CustodyLog
from forensics.errors import QueryError
from forensics.ingest import EvidenceSource, LoadResult
from forensics.parsers.base import FileReport, LoadOptions
from forensics.parsers.setchecks import refresh_checks

log = logging.getLogger(__name__)

COMPLETION_SAMPLE = 200_000
#: frames at least this long evaluate typed queries on a worker thread
ASYNC_QUERY_ROWS = 250_000
#: query masks kept for instant re-use (toggles, Back in drill-downs, retyping)
MASK_CACHE_SIZE = 24


@dataclass
class ExtraColumn:
    values: pd.Series  # aligned with the full frame (same length, positional)
    position: int  # index among the display columns


class Session(QObject):
    loaded = Signal()  # the full frame changed (a load finished or the session was cleared)
    view_changed = Signal()  # the filtered / sorted view changed
    columns_changed = Signal()  # extra display columns were added or removed
    zone_changed = Signal()
    query_state_changed = Signal()  # query text or error changed (see ``query_error``)
    custody_changed = Signal()  # entries were appended to the custody log
    query_busy = Signal(bool)  # a query is being evaluated in the background
    case_changed = Signal()

    def __init__(self, examiner: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.examiner = examiner
        self.frame: pd.DataFrame = schema.empty_frame()
        self.files: list[FileReport] = []
        self.sources: dict[str, EvidenceSource] = {}
        self.view: np.ndarray = np.arange(0, dtype=np.int64)
        self.zone = DisplayZone()
        self.query_text = ""
        self.query_error: QueryError | None = None
        self.toggles: set[str] = set()
        self.operations: frozenset[str] | None = None  # None = every operation
        self.time_from: pd.Timestamp | None = None  # UTC, inclusive
        self.time_to: pd.Timestamp | None = None  # UTC, inclusive
        #: the grid's sort keys, primary first; empty = time order (the default). Time is
        #: always the last key and the sort is stable, so ties keep time, then load order.
        self.sort_by: list[SortKey] = []
        self.case_dir: Path | None = None
        self.load_options = LoadOptions()  # used for every load unless one is passed
        #: the options each open file was read with, by (resolved path, SHA-256): a case
        #: records them per file, so a reopen reads every file exactly as it was first read
        self.file_options: dict[tuple[str, str], LoadOptions] = {}
        self._custody: CustodyLog | None = None
        self._extra: dict[str, ExtraColumn] = {}
        self._query_mask: np.ndarray | None = None  # last good query's mask (None = all rows)
        # recent query masks (one bool per row each): bounded, oldest dropped first
        self._mask_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._sorting = SessionSort(self)  # cached sort orders and keys (app.session_sort)
        self._completion: tuple[pd.DataFrame, pd.DataFrame] | None = None
        self._query_seq = 0
        #: how long the last query took to evaluate (the query bar's debounce adapts to it)
        self.last_query_seconds = 0.0
        self._tasks: list[Task] = []
        self._tasks_background: list[Task] = []
        self._closing = False
        self.loader = Loader(self)
        self.loader.finished.connect(self._on_loaded)
        self.loader.cancelled.connect(self.custody_changed)
        self.loader.failed.connect(self.custody_changed)

    @property
    def _sort_cache(self) -> OrderedDict[str, tuple[np.ndarray, np.ndarray]]:
        return self._sorting.sort_cache

    @property
    def _order_cache(self) -> OrderedDict[tuple[SortKey, ...], np.ndarray]:
        return self._sorting.order_cache

    @property
    def _key_cache(self) -> OrderedDict[str, tuple[np.ndarray, np.ndarray]]:
        return self._sorting.key_cache

    # -- case & custody ---------------------------------------------------------------
    def set_case_dir(self, path: str | Path | None) -> None:
        """Use ``path`` as the case folder (custody log, bookmarks); None = a session folder."""
        self.case_dir = Path(path) if path is not None else None
        self._custody = None
        self.case_changed.emit()
        self.custody_changed.emit()

    def custody_log(self) -> CustodyLog:
        """The custody log of the open case, or of a session folder in the user's data dir."""
        if self._custody is None:
            if self.case_dir is None:
                self.case_dir = app_settings.new_session_dir()
            self._custody = CustodyLog(self.case_dir, examiner=self.examiner)
        return self._custody

    def custody_if_open(self) -> CustodyLog | None:
        """The custody log if one is in use, without creating a session folder."""
        return self._custody

    def set_examiner(self, name: str) -> None:
        self.examiner = name
        if self._custody is not None:
            self._custody.examiner = name

    # -- loading ----------------------------------------------------------------------
    def open_paths(self, paths: Sequence[str | Path], options: LoadOptions | None = None,
                   select: Sequence[str] = ()) -> None:
        """Start loading files/folders on the worker thread (results merge into the frame);
        ``select`` narrows what loads from inside images and collections."""
        self.loader.start(
            [Path(p) for p in paths],
            custody=self.custody_log(),
            options=options or self.load_options,
            already_loaded=self.sources.keys(),
            select=select,
        )

    def _on_loaded(self, result: LoadResult) -> None:
        if len(result.frame) and len(self.frame) and len(self.frame) + len(result.frame) >= ASYNC_QUERY_ROWS:
            # rows added to rows already loaded: correlating them together takes seconds on
            # millions of rows, so it runs on a worker; the merge happens when it is done
            frame, files = self.frame, [*self.files, *result.files]
            task = Task(lambda: single_chunk(correlate_files(schema.concat([frame, result.frame]), files)[0]), self)
            self._tasks_background.append(task)

            def finished(merged: object) -> None:
                self._tasks_background.remove(task)
                ready = merged if isinstance(merged, pd.DataFrame) and frame is self.frame else None
                self.add_result(result, merged=ready)  # recorrelated here if the frame changed meanwhile
                self.custody_changed.emit()

            task.done.connect(finished)
            task.error.connect(finished)
            task.start()
            return
        self.add_result(result)
        self.custody_changed.emit()

    def add_result(self, result: LoadResult, merged: pd.DataFrame | None = None) -> None:
        """Merge a load's rows, file reports and sources into the session (``merged``: the
        frame and ``result``'s rows already correlated together, by ``_on_loaded``'s worker)."""
        self.files.extend(result.files)
        if result.options is not None:
            for report in result.files:
                self.remember_options(report, result.options)
        refresh_checks(self.files)  # a day file added now may fill (or open) a gap
        self.sources.update(result.sources)
        if len(result.frame):
            if len(self.frame):
                old = len(self.frame)
                # rows of this load and earlier ones may record one access: correlate them together
                if merged is None:
                    merged, _ = correlate_files(schema.concat([self.frame, result.frame]), self.files)
                self.frame = single_chunk(merged)
                # extra columns keep their values for old rows; new rows get NA
                for extra in self._extra.values():
                    pad = pd.Series([pd.NA] * (len(self.frame) - old), dtype=extra.values.dtype)
                    extra.values = pd.concat([extra.values, pad], ignore_index=True)
            else:
                self.frame = single_chunk(result.frame.reset_index(drop=True))
                for name, extra in self._extra.items():
                    extra.values = pd.Series([pd.NA] * len(self.frame), dtype=extra.values.dtype)
        self._invalidate()
        self.loaded.emit()
        self._refresh()
        self._prepare_text_index()

    def _prepare_text_index(self) -> None:
        """Build the free-text index of the new frame on a worker thread, so the first free
        word typed after a load does not pay for it (a query needing a column not built yet
        builds it itself, once: ``forensics.query.text_index``)."""
        if len(self.frame) < ASYNC_QUERY_ROWS:
            return
        from forensics.query.evaluate import is_text
        from forensics.query.text_index import prepare

        frame = self.frame
        task = Task(lambda: prepare(frame, is_text, cancel=lambda: self._closing or frame is not self.frame), self)
        self._tasks_background.append(task)

        def finished(*_args: object) -> None:
            if task in self._tasks_background:
                self._tasks_background.remove(task)

        task.done.connect(finished)
        task.error.connect(finished)
        task.start()

    def background_busy(self) -> bool:
        """A worker is still preparing something for the loaded frame (text index)."""
        return bool(self._tasks_background)

    @staticmethod
    def _file_key(report: FileReport) -> tuple[str, str] | None:
        return None if report.hashes is None else (str(Path(report.path).resolve()), report.hashes.sha256)

    def remember_options(self, report: FileReport, options: LoadOptions) -> None:
        key = self._file_key(report)
        if key is not None:
            self.file_options[key] = options

    def options_of(self, report: FileReport) -> LoadOptions:
        """The options ``report``'s file was read with (defaults if it was never hashed)."""
        key = self._file_key(report)
        return self.file_options.get(key, LoadOptions()) if key is not None else LoadOptions()

    def remove_files(self, reports: Sequence[FileReport]) -> int:
        """Take files out of the session: their reports go, and their rows go unless another
        open file has the same content (same evidence id). Returns the rows removed."""
        gone = {id(r) for r in reports}
        kept = [f for f in self.files if id(f) not in gone]
        ids = {r.evidence_id for r in reports if r.evidence_id} - {
            f.evidence_id for f in kept if f.evidence_id and f.status in ("loaded", "duplicate")}
        self.files = kept
        for report in reports:
            key = self._file_key(report)
            if key is not None and not any(self._file_key(f) == key for f in kept):
                self.file_options.pop(key, None)
        for evidence_id in ids:
            self.sources.pop(evidence_id, None)
        keep = ~self.frame["evidence"].isin(list(ids)).to_numpy(dtype=bool) if ids and len(self.frame) else None
        removed = 0 if keep is None else int((~keep).sum())
        if removed:
            self.frame = self.frame[keep].reset_index(drop=True)
            for extra in self._extra.values():
                extra.values = extra.values[keep].reset_index(drop=True)
        refresh_checks(self.files)
        self._invalidate()
        self.loaded.emit()
        self._refresh(force=True)
        return removed

    def clear(self) -> None:
        """Forget every loaded file (the custody log keeps its entries)."""
        self.frame = schema.empty_frame()
        self.files = []
        self.sources = {}
        self.file_options = {}
        for extra in self._extra.values():
            extra.values = extra.values.iloc[:0]
        self._invalidate()
        self.loaded.emit()
        self._refresh()

    def set_frame(self, frame: pd.DataFrame) -> None:
        """The same rows with derived columns added or changed (a case's ``tag``/``expected``):
        cached masks and sort orders are dropped, the query re-run, the view kept in order."""
        self.frame = single_chunk(frame)
        self._invalidate()
        self.columns_changed.emit()
        self._refresh(force=True)
        self._prepare_text_index()

    def _invalidate(self) -> None:
        self._mask_cache.clear()
        self._sorting.clear()
        self._query_mask = None
        if self.query_text:
            self._query_mask = self._compile_mask(self.query_text)

    # -- columns ----------------------------------------------------------------------
    def columns(self) -> list[str]:
        """Display columns: the schema's columns with extra columns inserted."""
        cols = list(self.frame.columns)
        for name, extra in sorted(self._extra.items(), key=lambda kv: kv[1].position):
            cols.insert(min(extra.position, len(cols)), name)
        return cols

    def column_values(self, name: str) -> pd.Series:
        extra = self._extra.get(name)
        return extra.values if extra is not None else self.frame[name]

    def set_extra_column(self, name: str, values: Any | None, position: int = 0) -> None:
        """Add/replace (or with ``None`` remove) a display column aligned with the frame."""
        if name in self.frame.columns:
            raise ValueError(f"{name!r} is a schema column")
        if values is None:
            if self._extra.pop(name, None) is not None:
                self._sorting.forget(name)
                self.columns_changed.emit()
                self._refresh()
            return
        series = values if isinstance(values, pd.Series) else pd.Series(values)
        series = series.reset_index(drop=True)
        if len(series) != len(self.frame):
            raise ValueError(f"column {name!r} has {len(series)} values for {len(self.frame)} rows")
        is_new = name not in self._extra
        self._extra[name] = ExtraColumn(series, position)
        self._sorting.forget(name)
        if is_new:
            self.columns_changed.emit()
        else:
            self._refresh(force=True)

    # -- view -------------------------------------------------------------------------
    def frame_rows(self, view_rows: Iterable[int]) -> np.ndarray:
        """Positions in the full frame of the given view rows."""
        return self.view[np.asarray(list(view_rows), dtype=np.int64)]

    def view_frame(self) -> pd.DataFrame:
        """The rows the investigator sees, in display order (for export and reports)."""
        return self.frame.iloc[self.view]

    def order_text(self) -> str:
        """The view's order in words, as a report states it (the truth, not a wish)."""
        return "the grid's order: " + describe(self.active_sort())

    @property
    def sort_column(self) -> str | None:
        """The primary sort column (None = the default time order)."""
        spec = self.active_sort()
        return spec[0][0] if spec else None

    @property
    def sort_descending(self) -> bool:
        spec = self.active_sort()
        return bool(spec and spec[0][1])

    def active_sort(self) -> list[SortKey]:
        """The sort keys whose columns exist (an extra column may have gone)."""
        columns = self.columns()
        return [(name, desc) for name, desc in self.sort_by if name in columns]

    def set_query(self, text: str) -> bool:
        """Apply a query; on a syntax error keep the last good view and expose the error."""
        text = text.strip()
        self._query_seq += 1  # supersedes any query still running in the background
        try:
            mask = self._compile_mask(text) if text else None
        except QueryError as exc:
            self._show_query_error(text, exc)
            return False
        self.query_text = text
        self.query_error = None
        self._query_mask = mask
        self.query_state_changed.emit()
        self._refresh()
        return True

    def apply_query_async(self, text: str) -> None:
        """Like ``set_query`` but, on large frames, evaluates the mask on a worker thread so
        typing never freezes the window; a newer query supersedes an older one."""
        apply_query_async(self, text, ASYNC_QUERY_ROWS)

    def _show_query_error(self, text: str, exc: QueryError) -> None:
        self.query_text = text
        self.query_error = exc
        self.query_state_changed.emit()

    def wait_idle(self, timeout_ms: int = 30000) -> None:
        """Join background query threads (tests, shutdown); their results are dropped."""
        self._query_seq += 1
        for task in list(self._tasks) + list(self._tasks_background):
            task.wait(timeout_ms)

    def shutdown(self) -> None:
        """Cancel loading and join every worker thread (window close, test teardown)."""
        self._closing = True
        self.loader.shutdown()
        self.wait_idle()

    def set_toggle(self, name: str, on: bool) -> None:
        if name not in TOGGLE_QUERIES:
            raise KeyError(name)
        (self.toggles.add if on else self.toggles.discard)(name)
        self._refresh()

    def set_operations(self, operations: Iterable[str] | None) -> None:
        self.operations = None if operations is None else frozenset(operations)
        self._refresh()

    def set_time_range(self, start: pd.Timestamp | None, end: pd.Timestamp | None) -> None:
        self.time_from = utc_bound(start)
        self.time_to = utc_bound(end)
        self._refresh()

    def set_zone(self, zone: DisplayZone) -> None:
        if zone == self.zone:
            return
        self.zone = zone
        # times typed in the query are read in the display zone: recompile
        self._mask_cache.clear()
        if self.query_text and self.query_error is None:
            self._query_mask = self._compile_mask(self.query_text)
        self.zone_changed.emit()
        self._refresh(force=True)

    def sort(self, column: str | None, descending: bool = False) -> None:
        """Sort by one column (None = the default time order)."""
        self.set_sort([] if column is None else [(column, descending)])

    def set_sort(self, keys: Sequence[SortKey]) -> None:
        """Sort by several columns, primary first (Shift+click on headers). On large frames
        the sort key of a column not sorted on before is computed on a worker (ranking
        millions of strings takes seconds): the window stays live, and the view (and
        ``sort_by``, which reports quote) change when the key is ready; a newer sort
        supersedes one still computing."""
        self._sorting.set_sort(keys, ASYNC_QUERY_ROWS)

    def completion_frame(self) -> pd.DataFrame:
        """The frame the query bar suggests values from: an even sample of at most
        ``COMPLETION_SAMPLE`` rows (frequent values survive sampling; typing stays instant
        on millions of rows, where counting every distinct subject takes seconds)."""
        if self._completion is None or self._completion[0] is not self.frame:
            step = max(1, -(-len(self.frame) // COMPLETION_SAMPLE))
            self._completion = (self.frame, self.frame if step == 1 else self.frame.iloc[::step])
        return self._completion[1]

    def operations_present(self) -> list[str]:
        col = self.frame["operation"]
        return sorted(str(c) for c in col.cat.categories[np.unique(col.cat.codes[col.cat.codes >= 0])])

    def _compile_mask(self, text: str) -> np.ndarray:
        key = (text, self.zone.storage())
        cached = self._mask_cache.get(key)
        if cached is None:
            from forensics.query import compile_query

            started = time.perf_counter()
            cached = np.asarray(compile_query(text, tz=self.zone.tzinfo()).mask(self.frame), dtype=bool)
            self.last_query_seconds = time.perf_counter() - started
            self._remember_mask(key, cached)
        else:
            self._mask_cache.move_to_end(key)
        return cached

    def _remember_mask(self, key: tuple[str, str], mask: np.ndarray) -> None:
        self._mask_cache[key] = mask
        self._mask_cache.move_to_end(key)
        while len(self._mask_cache) > MASK_CACHE_SIZE:
            self._mask_cache.popitem(last=False)

    def mask(self) -> np.ndarray | None:
        """The combined filter (None = every row)."""
        return combined_mask(self)

    def _refresh(self, force: bool = False) -> None:
        mask = self.mask()
        n = len(self.frame)
        order = self._sorting.order()
        if order is None:
            view = np.arange(n, dtype=np.int64) if mask is None else np.flatnonzero(mask).astype(np.int64)
        else:
            view = order if mask is None else order[mask[order]]
        if not force and len(view) == len(self.view) and np.array_equal(view, self.view):
            return
        self.view = view
        self.view_changed.emit()
