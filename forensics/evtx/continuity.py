"""Are all of an ``.evtx`` file's records still there?

Windows numbers event records consecutively (``EventRecordID``) and every 64 KiB chunk header
states the first and last record id it holds. So, with no record parsing at all, two kinds of
hole show:

* **inside chunks**: the headers announce more records than the chunks hold. Tools that hide
  records by editing the file (DanderSpritz ``eventlogedit`` merges a record into the one
  before it and fixes the checksums) leave exactly this, and a clean log never does.
* **between chunks**: sorted by id, one chunk's range does not continue where the previous
  one ended: the records in between are in no chunk of the file (removed chunks, a file
  stitched together, or a damaged chunk that held them).

A circular log that overwrote its oldest chunks starts at a later id but has no hole, so it
is not flagged. Chunks whose records could not all be read are already reported record by
record; their shortfall is not counted again here. The findings go into the file's report,
and from there into the custody entry, the Evidence dock and the case reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from forensics.evtx.chunks import CHUNK_SIZE
from forensics.parsers.base import FileReport

#: a chunk holds at most this many records (64 KiB less its header, ~28 bytes per record):
#: a header claiming more is damaged, and its range is not trusted
MAX_RECORDS_PER_CHUNK = 2400
#: holes described one by one in the warnings; the rest are summed up
MAX_HOLES_LISTED = 50


@dataclass(frozen=True)
class SliceRead:
    """What the engine read from ``chunks`` consecutive chunks starting at ``offset`` (within a batch)."""

    offset: int
    chunks: int
    records: int
    errors: int


@dataclass
class RecordContinuity:
    """Collects chunk headers and read counts batch by batch; reports the holes at the end."""

    _first: list[np.ndarray] = field(default_factory=list)
    _last: list[np.ndarray] = field(default_factory=list)
    _chunk: list[np.ndarray] = field(default_factory=list)
    _hidden: list[tuple[int, int, int]] = field(default_factory=list)  # (chunk, first id, last id)
    _damaged: int = 0

    def add_batch(
        self,
        first_chunk: int,
        batch: bytes,
        valid: np.ndarray,
        first: np.ndarray,
        last: np.ndarray,
        reads: list[SliceRead],
        ids_read: Callable[[int], np.ndarray],
    ) -> None:
        """One batch of chunks: ``valid``/``first``/``last`` from their headers, ``reads``
        what the engine found in each slice of it; ``ids_read(i)`` gives the record ids read
        in slice ``i`` (asked only where records are missing, which a clean log never has)."""
        empty = valid & (first == 0) & (last == 0)
        sane = valid & ~empty & (first > 0) & (last >= first) & (last - first < MAX_RECORDS_PER_CHUNK)
        self._damaged += sum(
            1 for i in np.flatnonzero(~valid).tolist()
            if batch.count(0, i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE) < min(CHUNK_SIZE, len(batch) - i * CHUNK_SIZE)
        )
        rows = np.flatnonzero(sane)
        self._first.append(first[rows])
        self._last.append(last[rows])
        self._chunk.append(rows + first_chunk)
        cut_short = len(batch) % CHUNK_SIZE != 0  # a truncated copy: its last chunk is partial
        for i, read in enumerate(reads):
            part = slice(read.offset, read.offset + read.chunks)
            if read.errors or (valid[part] & ~sane[part] & ~empty[part]).any():
                continue  # unreadable records are reported one by one already
            if cut_short and read.offset + read.chunks >= len(valid):
                continue  # records past the end of a truncated file are reported as such
            announced = int((last[part][sane[part]] - first[part][sane[part]] + 1).sum())
            if announced > read.records:
                self._hidden += _missing_runs(ids_read(i), np.flatnonzero(sane[part]) + read.offset, first, last, first_chunk)

    def report_to(self, report: FileReport) -> int:
        """Warn about every hole (and add one loud note); return the record ids missing."""
        missing = 0
        for n, (chunk, lo, hi) in enumerate(self._hidden):
            missing += hi - lo + 1
            if n < MAX_HOLES_LISTED:
                ids = f"record {lo} is" if lo == hi else f"records {lo}-{hi} ({hi - lo + 1:,}) are"
                report.warn(
                    f"chunk {chunk}",
                    f"{ids} missing although the chunk header announces {'it' if lo == hi else 'them'}: removed "
                    "or hidden after being written (record-editing tools such as eventlogedit leave exactly this)",
                )
        holes = self._holes()
        for n, (after, before, chunk_a, chunk_b) in enumerate(holes):
            missing += before - after - 1
            if n < MAX_HOLES_LISTED:
                cause = (
                    f"removed, or lost with one of the file's {self._damaged} damaged chunks"
                    if self._damaged else "removed from the file, or the file was assembled from parts "
                    "(e.g. recovered from a shadow copy)"
                )
                report.warn(
                    f"chunks {chunk_a}, {chunk_b}",
                    f"record ids {after + 1}-{before - 1} ({before - after - 1:,}) are in no chunk of the file: {cause}",
                )
        unlisted = max(len(self._hidden) - MAX_HOLES_LISTED, 0) + max(len(holes) - MAX_HOLES_LISTED, 0)
        if unlisted:
            report.warn("file", f"{unlisted:,} more gaps in the record ids are not listed")
        if missing:
            ids = "1 record id" if missing == 1 else f"{missing:,} record ids"
            report.notes.append(
                f"RECORDS MISSING: {ids} between the file's first and last record {'is' if missing == 1 else 'are'} "
                "not in the file (see the warnings: removed, hidden or lost to damage)"
            )
        return missing

    def _holes(self) -> list[tuple[int, int, int, int]]:
        """(last id before, first id after, chunk before, chunk after) of each gap between chunks."""
        if not self._first:
            return []
        first, last, chunk = (np.concatenate(parts) for parts in (self._first, self._last, self._chunk))
        if len(first) < 2:
            return []
        order = np.lexsort((last, first))
        first, last, chunk = first[order], last[order], chunk[order]
        reach = np.maximum.accumulate(last)  # overlapping (copied) chunks leave no gap
        gap = np.flatnonzero(first[1:] > reach[:-1] + 1)
        holes = []
        for i in gap.tolist():  # gaps are few
            before = int(np.argmax(last[: i + 1]))  # the chunk that reaches furthest
            holes.append((int(reach[i]), int(first[i + 1]), int(chunk[before]), int(chunk[i + 1])))
        return holes


def _missing_runs(
    ids: np.ndarray, chunks: np.ndarray, first: np.ndarray, last: np.ndarray, first_chunk: int
) -> list[tuple[int, int, int]]:
    """(file-wide chunk, first id, last id) of each run of ids a chunk announces but does not hold."""
    runs = []
    for c in chunks.tolist():
        announced = np.arange(first[c], last[c] + 1)
        gone = announced[~np.isin(announced, ids)]
        if not len(gone):
            continue
        breaks = np.flatnonzero(np.diff(gone) != 1)
        starts = np.concatenate(([0], breaks + 1))
        ends = np.concatenate((breaks, [len(gone) - 1]))
        runs += [(first_chunk + c, int(gone[a]), int(gone[b])) for a, b in zip(starts.tolist(), ends.tolist())]
    return runs
