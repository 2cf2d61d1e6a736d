"""Batches of ``.evtx`` chunks mapped in worker processes, results back in file order.

Why: on a log whose every record is a row (Exchange Auditing), mapping the engine's XML to
rows costs several times the engine's own parse, and it is single-threaded Python/Arrow work
bound by the GIL. The engine parses chunks independently, so each batch of chunks is a
self-contained job: the parent reads and hashes the evidence exactly as before (one forward
read through the hashing reader: the bytes parsed are the bytes hashed), hands each batch's
bytes to a worker, and takes back an Arrow table, the report calls the batch made (warnings,
bad records, skipped/accepted counts) and the chunks it walked, all replayed in file order.
So the rows, counts, notes and custody digests are those of a single-process load.
"""

from __future__ import annotations

import multiprocessing
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from forensics.evtx.recovery import WalkedChunk



@dataclass
class RecordedReport:
    """Stands in for ``FileReport`` inside a worker: records each call, replayed in the parent."""

    calls: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def warn(self, location: str, message: str) -> None:
        self.calls.append(("warn", (location, message)))

    def bad_record(self, location: str, message: str) -> None:
        self.calls.append(("bad_record", (location, message)))

    def skip(self, reason: str, n: int = 1) -> None:
        self.calls.append(("skip", (reason, n)))

    def accept(self, n: int = 1) -> None:
        self.calls.append(("accept", (n,)))

    def replay(self, report: Any) -> None:
        for name, args in self.calls:
            getattr(report, name)(*args)


@dataclass
class BatchJob:
    """One batch's input: everything ``map_batch`` needs, nothing of the parent's state."""

    maps_dir: Path | None
    all_events: bool
    header: bytes
    batch: bytes
    first_chunk: int
    valid: np.ndarray
    first: np.ndarray
    last: np.ndarray


@dataclass
class BatchResult:
    table: pa.Table | None
    report: RecordedReport
    walked: dict[int, WalkedChunk]


def worker_count(requested: int, size: int, batch_bytes: int) -> int:
    """Processes to parse a file of ``size`` bytes in: ``requested`` when it is 2 or more and
    the file holds more than two batches of ``batch_bytes``; otherwise, and by default (0),
    this process alone.

    Why not by default: measured on the shared 2-core machine (1M Exchange Auditing records,
    load average 4-5), two workers beside the loading process took more CPU (shipping batches
    and tables between processes, three processes on two cores) and more wall time than one
    process; the option is for machines with cores to spare.
    """
    if requested < 2 or size <= 2 * batch_bytes or process_context() is None:
        return 1
    return requested


def process_context() -> multiprocessing.context.BaseContext | None:
    """How to start workers: fork on Linux (they inherit the imported modules: no start-up
    import), spawn elsewhere (fork is unsafe on macOS once its frameworks are loaded, absent on
    Windows); None in a frozen build there (spawn would need the executable's own support)."""
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    if getattr(sys, "frozen", False):
        return None
    return multiprocessing.get_context("spawn")


def run_ordered(
    jobs: Iterator[tuple[Any, BatchJob]],
    work: Callable[[BatchJob], BatchResult],
    workers: int,
) -> Iterator[tuple[Any, BatchResult]]:
    """``work`` over ``jobs`` in ``workers`` processes, yielded in submission order with each
    job's tag. At most ``2 * workers`` jobs are in flight (bounded memory); the pool is
    started before the first job is read (so no reader thread exists when it forks) and
    always shut down, pending jobs cancelled, when the caller stops early."""
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=process_context())
    try:
        pool.submit(int).result()  # start the workers now, before the read-ahead thread starts
        inflight: deque[tuple[Any, Future[BatchResult]]] = deque()
        for tag, job in jobs:
            inflight.append((tag, pool.submit(work, job)))
            if len(inflight) >= 2 * workers:
                done_tag, future = inflight.popleft()
                yield done_tag, future.result()
        while inflight:
            done_tag, future = inflight.popleft()
            yield done_tag, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
