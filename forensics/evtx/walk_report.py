"""What walking damaged ``.evtx`` chunks found, and what the checksums say, as a file's warnings
and notes: where the engine stopped, records present but unreadable (bad, by chunk and record
id), slack fragments that are not records, out-of-range header times set aside, record headers
whose id is not their XML's, CRC32 mismatches. Kept apart from the parser, which maps records
to rows.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from forensics.evtx.chunks import CHUNK_SIZE, assign
from forensics.evtx.engine import BatchRead, record_ids
from forensics.evtx.recovery import locate
from forensics.parsers.base import FileReport


def id_runs(ids: list[int], limit: int = 200) -> str:
    """'ids 5-9, 12' (every id, as runs of consecutive ones, up to ``limit`` runs)."""
    runs: list[list[int]] = []
    for value in sorted(set(ids)):
        if runs and value == runs[-1][1] + 1:
            runs[-1][1] = value
        else:
            runs.append([value, value])
    text = ", ".join(f"{a}-{b}" if a != b else str(a) for a, b in runs[:limit])
    return "ids " + text + (f", ... ({len(runs) - limit} more runs)" if len(runs) > limit else "")


def report_walk(report: FileReport, read: BatchRead, first_chunk: int) -> None:
    """Warnings (and bad records) for the chunks of one batch that were walked."""
    for chunk_in_batch, message in read.stopped:
        report.warn(
            f"chunks from {first_chunk + chunk_in_batch}",
            f"the evtx engine stopped or failed here ({message}); these chunks were walked record by record instead",
        )
    for index, walked in read.walked.items():
        # unreadable in slack and not announced by the chunk header: remnants of older records;
        # an announced one (a header edited to end early) is a record of the log, counted bad
        remnants = [found for found, _ in walked.records.unreadable if found.slack and not found.announced]
        if remnants:
            report.warn(
                f"chunk {first_chunk + index}",
                f"{len(remnants)} record fragment(s) in the chunk's slack (past its announced end) could not be "
                f"rendered ({id_runs([f.record_id for f in remnants])}): "
                "remnants of older records whose templates were overwritten; not counted as records of the log",
            )
        for found, message in walked.records.unreadable:
            if found.slack and not found.announced:
                continue
            report.bad_record(
                f"chunk {first_chunk + index}, record {found.record_id}",
                f"record at chunk offset {found.offset} ({found.size} bytes) could not be rendered: {message}",
            )
        for record in walked.records.times_fixed:
            report.warn(
                f"chunk {first_chunk + index}, record {record}",
                "the record header's written time is out of range: the record was read with it set aside "
                "(rows take their time from the record's XML)",
            )


def report_damaged(
    report: FileReport, read: BatchRead, xml: pa.ChunkedArray, damaged: np.ndarray, batch: bytes,
    first_chunk: int, valid: np.ndarray, first: np.ndarray, last: np.ndarray,
) -> None:
    """A bad record for each record whose XML has no provider or event id, named by chunk and
    record header id. Records the engine read alone get theirs from their place: the engine
    reads a chunk's chain in order, so the k-th record it gave from a chunk is the chain's k-th.
    Only done when such records exist (damaged templates), never on a clean log."""
    positions = np.flatnonzero(damaged)
    if not len(positions):
        return
    chunk = read.chunk_of.copy()
    header = read.header_ids.copy()
    unknown = np.flatnonzero(chunk < 0)
    if len(unknown):
        ids = record_ids(xml.take(pa.array(unknown)).combine_chunks())
        placed = assign(ids, valid, first, last)
        for i in range(1, len(placed)):  # records no header claims stay with the run before them
            if placed[i] < 0:
                placed[i] = placed[i - 1]
        claimed = np.flatnonzero(valid)  # and those before any claimed one, with the first chunk
        placed[placed < 0] = int(claimed[0]) if len(claimed) else 0
        chunk[unknown] = placed
        chains: dict[int, list[int]] = {}
        for position in positions[chunk[positions] >= 0].tolist():
            if header[position] >= 0:
                continue
            c = int(chunk[position])
            if c not in chains:
                found, _ = locate(batch[c * CHUNK_SIZE : (c + 1) * CHUNK_SIZE])
                chains[c] = [f.record_id if f.record_id < 2**63 else -1 for f in found if not f.carved]
            rank = int(np.count_nonzero(chunk[unknown][unknown < position] == c))
            if rank < len(chains[c]):
                header[position] = chains[c][rank]
    for position in positions.tolist():
        c, header_id = int(chunk[position]), int(header[position])
        report.bad_record(
            f"chunk {first_chunk + c}, record {header_id}" if c >= 0 and header_id >= 0
            else f"chunks {first_chunk}-{first_chunk + len(valid) - 1}",
            "damaged record: its XML has no provider name or event id",
        )


def report_id_mismatches(
    report: FileReport, read: BatchRead, xml: pa.ChunkedArray, first_chunk: int, damaged: np.ndarray
) -> None:
    """Walked records whose XML EventRecordID differs from their record header's id: rows carry
    the XML's, so the header's (what the chunk header's range counts) is named here."""
    known = np.flatnonzero((read.header_ids >= 0) & ~damaged)  # damaged ones are named as bad already
    if not len(known):
        return
    xml_ids = record_ids(xml.take(pa.array(known)).combine_chunks())
    for position in known[xml_ids != read.header_ids[known]].tolist():
        header_id, xml_id = int(read.header_ids[position]), int(xml_ids[np.searchsorted(known, position)])
        report.warn(
            f"chunk {first_chunk + int(read.chunk_of[position])}, record {header_id}",
            f"the record header's id is {header_id} but its XML "
            + (f"says EventRecordID {xml_id}" if xml_id >= 0 else "carries no EventRecordID")
            + " (damaged or edited): the row carries the XML's",
        )


def report_checksums(report: FileReport, problems: list[tuple[str, str]]) -> None:
    """One warning per CRC32 mismatch (location, description) and one note for the file."""
    for location, text in problems:
        report.warn(location, f"checksum mismatch: {text}")
    if problems:
        where = ", ".join(location for location, _ in problems[:10]) + (", ..." if len(problems) > 10 else "")
        report.notes.append(
            f"CHECKSUMS DO NOT MATCH: {len(problems)} CRC32(s) differ from the bytes they cover ({where}): the "
            "bytes changed after Windows wrote them (damage, a live copy still being written, or an edit that "
            "left the sums; see the warnings)"
        )
