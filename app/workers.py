"""Long work off the GUI thread: evidence loading (with progress and cancel) and small tasks.

The core's ``load_evidence`` takes plain callables, so the worker only bridges them to Qt
signals: progress is throttled (the GUI thread must not drown in events) and cancel is a
``threading.Event`` the core polls. A cancelled load keeps no rows; the core has already
written the "load-cancelled" custody entry.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from forensics.custody.log import CustodyLog
from forensics.errors import ForensicsError, LoadCancelled
from forensics.ingest import LoadResult, Progress, load_evidence
from forensics.parsers.base import LoadOptions

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 0.05


@dataclass(frozen=True)
class LoadProgress:
    """A progress snapshot that crosses threads (plain values only)."""

    file_index: int
    file_count: int
    name: str
    file_fraction: float
    overall_fraction: float


class _LoadJob(QObject):
    progress = Signal(object)
    finished = Signal(object)  # LoadResult
    cancelled = Signal()
    failed = Signal(str)

    def __init__(
        self,
        paths: Sequence[Path],
        options: LoadOptions,
        custody: CustodyLog,
        already_loaded: Iterable[str],
        cancel_event: threading.Event,
        select: Sequence[str] = (),
    ) -> None:
        super().__init__()
        self._paths = list(paths)
        self._select = list(select)  # what loads from inside images and collections
        self._options = options
        self._custody = custody
        self._already = list(already_loaded)
        self._cancel = cancel_event
        self._last_emit = 0.0
        self._last_file = -1

    def _on_progress(self, p: Progress) -> None:
        now = time.monotonic()
        # always report a new file and completion; throttle the rest
        if p.file_index == self._last_file and now - self._last_emit < PROGRESS_INTERVAL_S and p.file_done < p.file_total:
            return
        self._last_emit = now
        self._last_file = p.file_index
        self.progress.emit(LoadProgress(p.file_index, p.file_count, p.path.name, p.file_fraction, p.overall_fraction))

    @Slot()
    def run(self) -> None:
        try:
            result = load_evidence(
                self._paths,
                options=self._options,
                custody=self._custody,
                progress=self._on_progress,
                cancel=self._cancel.is_set,
                already_loaded=self._already,
                select=self._select,
            )
        except LoadCancelled:
            self.cancelled.emit()
        except ForensicsError as exc:
            self.failed.emit(exc.user_message)
        except Exception as exc:  # noqa: BLE001 - report, never kill the worker thread silently
            log.exception("load failed")
            self.failed.emit(f"loading failed: {type(exc).__name__}: {exc}")
        else:
            from app.session import single_chunk  # one chunk per Arrow column: here, not on the UI thread

            result.frame = single_chunk(result.frame)
            self.finished.emit(result)
        finally:
            # end the thread's event loop from inside, so joining it never needs the GUI thread
            thread = self.thread()
            if thread is not None:
                thread.quit()


class Loader(QObject):
    """Runs one load at a time on a worker thread; signals arrive on the GUI thread."""

    started = Signal(int)  # number of paths requested
    progress = Signal(object)  # LoadProgress
    finished = Signal(object)  # LoadResult
    cancelled = Signal()
    failed = Signal(str)
    idle = Signal()  # after any of finished / cancelled / failed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: QThread | None = None
        self._job: _LoadJob | None = None
        self._cancel = threading.Event()

    def is_running(self) -> bool:
        return self._thread is not None

    def start(
        self,
        paths: Sequence[Path],
        *,
        custody: CustodyLog,
        options: LoadOptions | None = None,
        already_loaded: Iterable[str] = (),
        select: Sequence[str] = (),
    ) -> None:
        if self.is_running():
            raise RuntimeError("a load is already running")
        self._cancel = threading.Event()
        thread = QThread()
        thread.setObjectName("evidence-loader")
        job = _LoadJob(paths, options or LoadOptions(), custody, already_loaded, self._cancel, select)
        job.moveToThread(thread)
        thread.started.connect(job.run)
        job.progress.connect(self.progress)
        job.finished.connect(self._on_finished)
        job.cancelled.connect(self._on_cancelled)
        job.failed.connect(self._on_failed)
        self._thread, self._job = thread, job
        self.started.emit(len(paths))
        thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Cancel nothing; block until the worker thread has ended (tests, shutdown)."""
        thread = self._thread
        return True if thread is None else thread.wait(timeout_ms)

    def shutdown(self, timeout_ms: int = 30000) -> None:
        """Cancel any load and join its thread (window close, test teardown)."""
        if self._thread is not None:
            self.cancel()
            self._thread.quit()
            self._thread.wait(timeout_ms)
            self._thread = None
            self._job = None

    def _end(self) -> None:
        thread = self._thread
        self._thread = None
        self._job = None
        if thread is not None:
            thread.quit()
            thread.wait()
            thread.deleteLater()

    @Slot(object)
    def _on_finished(self, result: LoadResult) -> None:
        self._end()
        self.finished.emit(result)
        self.idle.emit()

    @Slot()
    def _on_cancelled(self) -> None:
        self._end()
        self.cancelled.emit()
        self.idle.emit()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._end()
        self.failed.emit(message)
        self.idle.emit()


class _TaskJob(QObject):
    done = Signal(object)
    error = Signal(str)

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self._fn = fn

    @Slot()
    def run(self) -> None:
        try:
            value = self._fn()
        except ForensicsError as exc:
            self.error.emit(exc.user_message)
        except Exception as exc:  # noqa: BLE001
            log.exception("background task failed")
            self.error.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.done.emit(value)
        finally:
            thread = self.thread()
            if thread is not None:
                thread.quit()


class Task(QObject):
    """Run one callable on a worker thread (e.g. custody verification re-hashing files)."""

    done = Signal(object)
    error = Signal(str)

    def __init__(self, fn: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._job = _TaskJob(fn)
        self._job.moveToThread(self._thread)
        self._thread.started.connect(self._job.run)
        self._job.done.connect(self._on_done)
        self._job.error.connect(self._on_error)

    def start(self) -> None:
        self._thread.start()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, timeout_ms: int = 30000) -> bool:
        return self._thread.wait(timeout_ms)

    def _finish(self) -> None:
        self._thread.quit()
        self._thread.wait()

    @Slot(object)
    def _on_done(self, value: Any) -> None:
        self._finish()
        self.done.emit(value)

    @Slot(str)
    def _on_error(self, message: str) -> None:
        self._finish()
        self.error.emit(message)
