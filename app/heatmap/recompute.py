"""Off-thread recompute shared by the heatmap and findings panels: run one computation on a
worker, keep it listed while it runs (for ``busy``/``wait_idle``), and apply its result only
if it is still the newest request for the same table (a superseded result is dropped)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject

from app.workers import Task


def start_latest(parent: QObject, tasks: list[Task], work: Callable[[], Any], is_current: Callable[[], bool],
                 apply: Callable[[Any], None], log: logging.Logger, what: str) -> None:
    """Start ``work`` on a worker; on success call ``apply`` with its result when ``is_current()``;
    on failure log ``"<what> recompute failed"``. Either way the task leaves ``tasks``."""
    task = Task(work, parent)
    tasks.append(task)

    def done(result: Any) -> None:
        tasks.remove(task)
        if is_current():
            apply(result)

    def failed(message: str) -> None:
        tasks.remove(task)
        log.error("%s recompute failed: %s", what, message)

    task.done.connect(done)
    task.error.connect(failed)
    task.start()
