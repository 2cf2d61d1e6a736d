"""What walking damaged ``.evtx`` chunks found, and what the checksums say, as a file's warnings
and notes: where the engine stopped, records present but unreadable (bad, by chunk and record
id), slack fragments that are not records, out-of-range header times set aside, record headers
whose id is not their XML's, CRC32 mismatches. Kept apart from the parser, which maps records
to rows.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from forensics.evtx.engine import BatchRead, record_ids
from forensics.parsers.base import FileReport


def report_walk(report: FileReport, read: BatchRead, first_chunk: int) -> None:
    """Warnings (and bad records) for the chunks of one batch that were walked."""
    for chunk_in_batch, message in read.stopped:
        report.warn(
            f"chunks from {first_chunk + chunk_in_batch}",
            f"the evtx engine stopped or failed here ({message}); these chunks were walked record by record instead",
        )
    for index, walked in read.walked.items():
        remnants = [found for found, _ in walked.records.unreadable if found.slack]
        if remnants:
            report.warn(
                f"chunk {first_chunk + index}",
                f"{len(remnants)} record fragment(s) in the chunk's slack (past its announced end) could not be "
                f"rendered (ids {', '.join(str(f.record_id) for f in remnants[:20])}{', ...' if len(remnants) > 20 else ''}): "
                "remnants of older records whose templates were overwritten; not counted as records of the log",
            )
        for found, message in walked.records.unreadable:
            if found.slack:
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
