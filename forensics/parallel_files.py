"""Evidence files parsed in worker processes (``--workers N``), handed back in file order.

Why: many small files (a year of IIS day logs) parse one at a time on one core. Each worker
opens, hashes and parses one whole file where it lies, exactly as ``ingest`` does in one
process (the same ``parse_one``), and returns its rows, its report and how it ended; the
loading process alone writes custody entries, in file order, so the custody log and rows are
those of a one-process load. Only on request (``LoadOptions.workers >= 2``): byte-level
progress and a cancel that stops a file mid-way need the file in the loading process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from forensics.evtx.parallel import process_context
from forensics.parsers.base import FileReport, LoadOptions


@dataclass
class FileOutcome:
    """One file's result from a worker: ``kind`` is "ok", "failed" (message in ``error``)."""

    frame: pd.DataFrame | None
    report: FileReport
    kind: str
    error: str = ""


def _parse_file(path: Path, options: LoadOptions) -> FileOutcome:
    from forensics.errors import ForensicsError
    from forensics.ingest import parse_one

    report = FileReport(path=path)
    try:
        frame = parse_one(path, options, report, lambda done, total: None, lambda: False)
    except ForensicsError as exc:
        return FileOutcome(None, report, "failed", exc.user_message)
    except Exception as exc:  # noqa: BLE001 - hostile input must never crash the program
        return FileOutcome(None, report, "failed", f"{path.name}: parser crashed: {type(exc).__name__}: {exc}")
    return FileOutcome(frame, report, "ok")


def parse_files(
    files: Sequence[Path], options: LoadOptions, cancelled: Callable[[], bool]
) -> Iterator[FileOutcome]:
    """Each file's outcome, in the order of ``files``; at most ``2 * workers`` files in flight.
    Inside a worker a file is parsed in that process alone (no pool within the pool)."""
    workers = max(2, options.workers)
    context = process_context()
    if context is None:  # a frozen build without fork: one file after another, here
        for path in files:
            if cancelled():
                return
            yield _parse_file(path, replace(options, workers=1))
        return
    one = replace(options, workers=1)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    try:
        pending: list[Future[FileOutcome]] = []
        queue = iter(files)
        for path in queue:
            pending.append(pool.submit(_parse_file, path, one))
            if len(pending) >= 2 * workers:
                break
        while pending:
            outcome = pending.pop(0).result()
            if cancelled():
                return
            nxt = next(queue, None)
            if nxt is not None:
                pending.append(pool.submit(_parse_file, nxt, one))
            yield outcome
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
