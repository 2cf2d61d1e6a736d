"""Are all of an ``.evtx`` file's records still there, and if not, why not?

Windows numbers event records consecutively (``EventRecordID``); every 64 KiB chunk header
states the first and last record id it holds (offsets 24 and 32) and the file header the
chunk count (offset 42), the next record id (offset 24) and its flags (offset 120, bit 0x1 =
dirty: the file was not closed cleanly, e.g. copied from a running system). See
``shared/EVTX_FORMAT.md`` §2-§4 and libyal's "Windows XML Event Log (EVTX)" *File header*,
*Chunk header*, *Recovery*. Every record id those headers announce is accounted for exactly
once: read (by the engine or by walking the chunk), unreadable (counted bad, with its id), or
missing, and each missing run is named with the bytes its explanation rests on:

* **zero-filled** where the records would be: in a dirty file these are pages Windows had
  not yet flushed when the log was copied (a live copy), not records removed;
* **past the end of a truncated copy**: the header's chunk count and next record id, against
  the chunks present and the last chunk's last record id;
* **unreadable bytes** inside a chunk (overwritten or damaged);
* **between chunks**: sorted by id, one chunk's range does not continue where the previous
  one ended (removed chunks, a file stitched together, or a damaged chunk that held them).

Records found by walking that the headers hide are named too: records carved past a chunk's
announced end (slack) and records lying inside the bytes of the record before them (what
DanderSpritz ``eventlogedit`` leaves: it grows a record to swallow the next one and fixes the
checksums). A circular log that overwrote its oldest chunks starts at a later id but has no
hole, so it is not flagged.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from forensics.evtx.chunks import CHUNK_SIZE, HEADER_SIZE
from forensics.evtx.recovery import WalkedChunk, header_fields
from forensics.parsers.base import FileReport

#: a chunk holds at most this many records (64 KiB less its header, ~28 bytes per record):
#: a header claiming more is damaged, and its range is not trusted
MAX_RECORDS_PER_CHUNK = 2400
#: holes described one by one in the warnings; the rest are summed up
MAX_HOLES_LISTED = 50
FILE_FLAG_DIRTY = 0x1


@dataclass(frozen=True)
class FileHeader:
    """The file header fields completeness rests on (``EVTX_FORMAT.md`` §2)."""

    chunks: int  # offset 42
    next_record: int  # offset 24
    flags: int  # offset 120

    @classmethod
    def parse(cls, header: bytes) -> "FileHeader":
        if len(header) < 124:
            return cls(0, 0, 0)
        return cls(struct.unpack_from("<H", header, 42)[0], struct.unpack_from("<q", header, 24)[0],
                   struct.unpack_from("<I", header, 120)[0])

    @property
    def dirty(self) -> bool:
        return bool(self.flags & FILE_FLAG_DIRTY)

    def describe(self) -> str:
        state = "dirty, not closed cleanly" if self.dirty else "not marked dirty"
        return f"file header flags 0x{self.flags:x} ({state}), next record number {self.next_record}"


@dataclass(frozen=True)
class Missing:
    """A run of announced record ids that no reading found, and why."""

    chunk: int  # file-wide chunk index
    lo: int
    hi: int
    why: str  # "zero" | "cut" | "damaged"
    basis: str  # the bytes and fields it rests on


@dataclass
class RecordContinuity:
    """Collects chunk headers and walked chunks batch by batch; reports the holes at the end."""

    header: FileHeader = field(default_factory=lambda: FileHeader(0, 0, 0))
    _first: list[np.ndarray] = field(default_factory=list)
    _last: list[np.ndarray] = field(default_factory=list)
    _chunk: list[np.ndarray] = field(default_factory=list)
    _missing: list[Missing] = field(default_factory=list)
    _slack: list[tuple[int, list[int], str]] = field(default_factory=list)  # (chunk, ids, basis)
    _hidden: list[tuple[int, int, int, int]] = field(default_factory=list)  # (chunk, id, inside id, offset)
    _damaged: int = 0
    _max_id: int = 0
    _chunks_present: int = 0

    def add_batch(
        self,
        first_chunk: int,
        batch: bytes,
        valid: np.ndarray,
        first: np.ndarray,
        last: np.ndarray,
        walked: dict[int, WalkedChunk] | None = None,
    ) -> None:
        """One batch of chunks: ``valid``/``first``/``last`` from their headers, ``walked`` the
        chunks read record by record (where the engine may have stopped early)."""
        walked = walked or {}
        empty = valid & (first == 0) & (last == 0)
        sane = valid & ~empty & (first > 0) & (last >= first) & (last - first < MAX_RECORDS_PER_CHUNK)
        self._chunks_present += int(valid.sum())
        self._damaged += sum(
            1 for i in np.flatnonzero(~valid).tolist()
            if batch.count(0, i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE) < min(CHUNK_SIZE, len(batch) - i * CHUNK_SIZE)
        )
        rows = np.flatnonzero(sane)
        self._first.append(first[rows])
        self._last.append(last[rows])
        self._chunk.append(rows + first_chunk)
        if len(rows):
            self._max_id = max(self._max_id, int(last[rows].max()))
        for index, chunk in walked.items():
            self._add_walked(first_chunk + index, batch[index * CHUNK_SIZE : (index + 1) * CHUNK_SIZE], chunk,
                             bool(sane[index]), int(first[index]), int(last[index]))

    def _add_walked(self, number: int, data: bytes, chunk: WalkedChunk, sane: bool, lo: int, hi: int) -> None:
        records = chunk.records
        unreadable = {f.record_id for f, _ in records.unreadable}
        held = np.array(sorted(i for i in chunk.ids | unreadable if 0 < i < 2**62), dtype=np.int64)
        if not sane:  # the header's range is not trusted: the ids read stand for the chunk
            if len(held):
                self._max_id = max(self._max_id, int(held.max()))
            runs = _runs(held)
            for a, b in runs:
                self._first.append(np.array([a]))
                self._last.append(np.array([b]))
                self._chunk.append(np.array([number]))
        else:
            announced = np.arange(lo, hi + 1, dtype=np.int64)
            gone = announced[~np.isin(announced, held)]
            for a, b in _runs(gone):
                self._missing.append(self._why(number, data, chunk, a, b, hi))
        _, last_id, _, free = header_fields(data)
        slack = sorted(f.record_id for f in records.found if f.slack)
        if slack:
            self._slack.append((number, slack, f"free-space offset {free}, last record id {last_id}"))
        for f in records.found:
            # hidden the eventlogedit way: inside the record before it in the announced range, with a
            # later id; a record of another generation overlapping an old one (shadow-copy
            # remnants, an id past the chunk's last) is slack, not hidden
            if f.inside is not None and not f.slack and f.inside < f.record_id < f.inside + MAX_RECORDS_PER_CHUNK:
                self._hidden.append((number, f.record_id, f.inside, f.offset))

    def _why(self, number: int, data: bytes, chunk: WalkedChunk, lo: int, hi: int, last_id: int) -> Missing:
        """Why announced records ``lo``-``hi`` of a walked chunk were not found."""
        records = chunk.records
        located = sorted([*records.found, *(f for f, _ in records.unreadable)], key=lambda f: f.offset)
        before = [f for f in located if f.record_id < lo and not f.slack]
        after = [f for f in located if f.record_id > hi and not f.slack]
        if before and after:  # inside the chunk: what lies between the records on either side?
            prev = max(before, key=lambda f: f.record_id)
            succ = min(after, key=lambda f: f.record_id)
            if prev.offset + prev.size == succ.offset:
                return Missing(number, lo, hi, "removed",
                               f"record {prev.record_id} (chunk offset {prev.offset}, {prev.size} bytes) runs straight "
                               f"into record {succ.record_id}: no bytes are left for them")
            return Missing(number, lo, hi, "damaged",
                           f"the bytes between record {prev.record_id} and record {succ.record_id} (chunk offsets "
                           f"{prev.offset + prev.size}-{succ.offset - 1}) hold no readable record (overwritten or damaged)")
        end = records.chain_end
        _, _, _, free = header_fields(data)
        if chunk.partial and not after:
            return Missing(number, lo, hi, "cut",
                           f"the file ends {len(data)} bytes into this chunk, whose header announces records up to {last_id}")
        stop = free if end < free <= CHUNK_SIZE else CHUNK_SIZE
        if not after and not data[end:stop].strip(b"\x00"):
            return Missing(number, lo, hi, "zero",
                           f"the chunk header announces records up to {last_id}, but from offset {end} of the chunk "
                           f"to {stop} the bytes are all zero")
        return Missing(number, lo, hi, "damaged",
                       f"the chain of records ends at offset {end} of the chunk on bytes that are not a readable record "
                       "(overwritten or damaged)")

    def report_to(self, report: FileReport, file_size: int | None = None) -> int:
        """Warn about every hole and hidden record, add one note per kind; return the ids missing."""
        header = self.header
        counts = {"zero": 0, "cut": 0, "damaged": 0, "removed": 0}
        for n, gap in enumerate(self._missing):
            counts[gap.why] += gap.hi - gap.lo + 1
            if n >= MAX_HOLES_LISTED:
                continue
            ids = f"record {gap.lo} is" if gap.lo == gap.hi else f"records {gap.lo}-{gap.hi} ({gap.hi - gap.lo + 1:,}) are"
            if gap.why == "zero":
                cause = (
                    f"{gap.basis}, and the {header.describe()}: pages not yet written to disk when the log was "
                    "copied from a running system (a live copy), not records removed" if header.dirty else
                    f"{gap.basis} ({header.describe()}): never written, or wiped"
                )
            elif gap.why == "cut":
                cause = f"{gap.basis}: they lie past the end of this truncated copy"
            elif gap.why == "removed":
                cause = (f"{gap.basis}: removed or hidden after being written (record-editing tools such as "
                         "eventlogedit leave exactly this)")
            else:
                cause = f"{gap.basis}; records announced but not readable"
            report.warn(f"chunk {gap.chunk}", f"{ids} missing although the chunk header announces "
                                              f"{'it' if gap.lo == gap.hi else 'them'}: {cause}")
        holes = self._holes()
        between = 0
        for n, (after, before, chunk_a, chunk_b) in enumerate(holes):
            between += before - after - 1
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
        unlisted = max(len(self._missing) - MAX_HOLES_LISTED, 0) + max(len(holes) - MAX_HOLES_LISTED, 0)
        if unlisted:
            report.warn("file", f"{unlisted:,} more gaps in the record ids are not listed")
        tail = self._tail(file_size)
        if between or counts["damaged"] or counts["removed"]:
            missing = between + counts["damaged"] + counts["removed"]
            ids = "1 record id" if missing == 1 else f"{missing:,} record ids"
            report.notes.append(
                f"RECORDS MISSING: {ids} between the file's first and last record {'is' if missing == 1 else 'are'} "
                "not in the file (see the warnings: removed, or lost to damage)"
            )
        if counts["zero"]:
            report.notes.append(
                f"RECORDS MISSING (unflushed live copy): {counts['zero']:,} record id(s) announced by chunk headers are "
                f"zero-filled bytes; {header.describe()}: pages not yet written to disk when a running system's log "
                "was copied, not records removed (see the warnings)" if header.dirty else
                f"RECORDS MISSING (zero-filled): {counts['zero']:,} record id(s) announced by chunk headers are "
                f"zero-filled bytes ({header.describe()}): never written, or wiped (see the warnings)"
            )
        if tail or counts["cut"]:
            report.notes.append(self._tail_note(tail, counts["cut"], file_size))
        self._report_found(report)
        return between + sum(counts.values()) + (tail[1] - tail[0] + 1 if tail else 0)

    def _tail(self, file_size: int | None) -> tuple[int, int] | None:
        """(first, last) id the file header's next record number announces past every chunk."""
        header = self.header
        if header.next_record <= 1 or not self._max_id or header.next_record - 1 <= self._max_id:
            return None
        if header.next_record - 1 - self._max_id > MAX_RECORDS_PER_CHUNK * max(header.chunks, 1):
            return None  # a header claiming more than its chunks could hold is not trusted
        return self._max_id + 1, header.next_record - 1

    def _tail_note(self, tail: tuple[int, int] | None, cut: int, file_size: int | None) -> str:
        header = self.header
        expected = HEADER_SIZE + header.chunks * CHUNK_SIZE
        short = file_size is not None and file_size < expected
        parts = []
        if tail:
            lo, hi = tail
            parts.append(
                f"records {lo}-{hi} ({hi - lo + 1:,}) are in no chunk of this file: the file header states "
                f"{header.chunks} chunks and next record number {header.next_record}, the file holds "
                f"{self._chunks_present} chunk(s) whose last record id is {self._max_id}"
            )
        if cut:
            parts.append(f"{cut:,} record id(s) announced by the last chunk's header lie past the end of the file")
        if short:
            cause = f"the file is {file_size:,} bytes where the header's chunk count needs {expected:,}: a truncated copy"
        elif header.dirty:
            cause = f"{header.describe()}: records not yet flushed to disk, or a copy that lost its end"
        else:
            cause = "removed from the end of the file, or lost with damaged chunks"
        return f"RECORDS MISSING (truncated copy): {'; '.join(parts)} ({cause})" if short else \
            f"RECORDS MISSING (end of log): {'; '.join(parts)} ({cause})"

    def _report_found(self, report: FileReport) -> None:
        """Records the headers hide but walking found: slack and hidden records, named by id."""
        for chunk, ids, basis in self._slack[:MAX_HOLES_LISTED]:
            why = ("records written after the chunk header was last updated (the file is dirty), older records "
                   "left in unused space, or records hidden by editing the header" if self.header.dirty else
                   "older records left in unused space, or records hidden by editing the header")
            report.warn(f"chunk {chunk}", f"{_ids(ids)} read from slack, past the chunk's announced end ({basis}): "
                                          f"not part of the log as its header describes it ({why})")
        if self._slack:
            total = sum(len(ids) for _, ids, _ in self._slack)
            report.notes.append(f"RECORDS FROM SLACK: {total:,} record(s) were carved from space past their chunk's "
                                "announced end and are labelled as such in the warnings")
        for chunk, record, inside, offset in self._hidden[:MAX_HOLES_LISTED]:
            report.warn(f"chunk {chunk}", f"record {record} lies inside the bytes of record {inside} (at chunk offset "
                                          f"{offset}), whose size field covers it: read from there. Record-editing "
                                          "tools such as eventlogedit hide records exactly this way")
        if self._hidden:
            ids = sorted(record for _, record, _, _ in self._hidden)
            report.notes.append(f"RECORDS HIDDEN: {_ids(ids)} lay inside the record before them (its size enlarged "
                                "to cover them, as record-editing tools do); read from their bytes (see the warnings)")

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


def _runs(ids: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) of each run of consecutive ids in sorted ``ids``."""
    if not len(ids):
        return []
    breaks = np.flatnonzero(np.diff(ids) != 1)
    starts = np.concatenate(([0], breaks + 1))
    ends = np.concatenate((breaks, [len(ids) - 1]))
    return [(int(ids[a]), int(ids[b])) for a, b in zip(starts.tolist(), ends.tolist())]


def _ids(ids: list[int]) -> str:
    """'record 5' / 'records 5-9 (5)' / 'records 5-9, 12 (6)'."""
    runs: list[tuple[int, int]] = []
    for value in sorted(set(ids)):  # plain ints: a damaged header id may exceed int64
        if runs and value == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], value)
        else:
            runs.append((value, value))
    if len(runs) == 1 and runs[0][0] == runs[0][1]:
        return f"record {runs[0][0]}"
    text = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in runs[:10]) + (", ..." if len(runs) > 10 else "")
    return f"records {text} ({len(set(ids)):,})"
