"""Records out of a batch of ``.evtx`` chunks with the ``evtx`` engine (Rust): their XML,
the engine's errors placed at a chunk and record, and what each slice of chunks gave.

Why a module of its own: the engine raises one ``RuntimeError`` per bad record or chunk and
then goes on, numbering chunks within the slice it was given; turning that into complete,
located, countable output is its own job, apart from mapping the records to rows.
"""

from __future__ import annotations

import io
import operator
import re

import evtx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from forensics.evtx import xml_fields
from forensics.evtx.chunks import CHUNK_SIZE, locate
from forensics.evtx.continuity import SliceRead

#: chunks handed to the engine at once inside a batch (keeps its strings cache-warm)
ENGINE_CHUNKS = 16
#: the engine's worker threads (one is as fast here, and leaves a core for hashing)
ENGINE_THREADS = 1
#: stop a batch after this many errors in a row without a record (a runaway corrupt region)
MAX_CONSECUTIVE_ERRORS = 10_000

_CHUNK_ERROR = re.compile(r"chunk number (\d+)")
_RECORD_ERROR = re.compile(r"record number (\d{1,18})\b")
_RECORD_RANGE_ERROR = re.compile(r"record IDs (\d+)\.\.")
_RECORD_ID = re.compile(r"<EventRecordID>(\d+)</EventRecordID>")
_XML = operator.itemgetter("data")


def read_records(header: bytes, batch: bytes) -> tuple[list[pa.Array], list[tuple[int, str]], list[SliceRead]]:
    """XML of every record the engine reads from ``batch``, its errors (position, text), and
    how many records and errors each slice gave (for the record-continuity check).

    The engine raises one ``RuntimeError`` per bad record or chunk and then goes on. It is
    fed ``ENGINE_CHUNKS`` chunks at a time and each slice's strings go to Arrow at once: the
    Python strings are freed while still in cache, which is measurably faster.
    """
    parts: list[pa.Array] = []
    errors: list[tuple[int, str]] = []
    reads: list[SliceRead] = []
    done = 0
    step = ENGINE_CHUNKS * CHUNK_SIZE
    for offset in range(0, len(batch), step):
        errors_before = len(errors)
        xmls: list[str] = []
        data = io.BytesIO(header + batch[offset : offset + step])
        try:
            records = evtx.PyEvtxParser(data, number_of_threads=ENGINE_THREADS, indent=False).records()
        except RuntimeError as exc:  # refused outright, e.g. a damaged header block size and a short tail
            errors.append((done, " ".join(str(exc).split())))
            records = iter(())
        consecutive = 0
        while True:
            try:
                xmls.extend(map(_XML, records))  # C-level loop; items before an error are kept
                break
            except RuntimeError as exc:
                position = done + len(xmls)
                consecutive = consecutive + 1 if errors and errors[-1][0] == position else 1
                message = " ".join(str(exc).split())
                chunk_in_slice = _CHUNK_ERROR.search(message)
                if chunk_in_slice:  # the engine numbers chunks within the slice it was given
                    number = offset // CHUNK_SIZE + int(chunk_in_slice.group(1))
                    message = _CHUNK_ERROR.sub(f"chunk number {number}", message, count=1)
                errors.append((position, message))
                if consecutive >= MAX_CONSECUTIVE_ERRORS:
                    errors.append((position, "too many consecutive errors; rest of this slice abandoned"))
                    break
        done += len(xmls)
        parts.append(pa.array(xmls, pa.string()))
        chunks = -(-min(step, len(batch) - offset) // CHUNK_SIZE)
        reads.append(SliceRead(offset // CHUNK_SIZE, chunks, len(xmls), len(errors) - errors_before))
    return parts, errors, reads


def record_ids(xml: pa.Array) -> np.ndarray:
    """EventRecordID of each record's XML (-1 where absent), for the continuity check."""
    return pc.fill_null(xml_fields.record_ids(xml), -1).to_numpy(zero_copy_only=False)


def error_location(
    message: str,
    position: int,
    xmls: pa.ChunkedArray,
    first_chunk: int,
    valid: np.ndarray,
    first: np.ndarray,
    last: np.ndarray,
) -> tuple[str, str]:
    """Where an engine error happened: its chunk (file-wide index) and record."""
    match = _CHUNK_ERROR.search(message)
    if match:
        return f"chunk {first_chunk + int(match.group(1))}", message
    match = _RECORD_RANGE_ERROR.search(message)
    if match:
        chunk = locate(np.array([int(match.group(1)[:18])]), valid, first, last)[0]
        if chunk >= 0:
            return f"chunk {first_chunk + chunk}", message
    match = _RECORD_ERROR.search(message)
    if match:
        record = int(match.group(1))
        chunk = locate(np.array([record]), valid, first, last)[0]
        where = f"chunk {first_chunk + chunk}, record {record}" if chunk >= 0 else f"record {record}"
        return where, message
    if position > 0:
        previous = _RECORD_ID.search(xmls[position - 1].as_py())
        if previous:
            record = int(previous.group(1))
            chunk = locate(np.array([record]), valid, first, last)[0]
            where = f"chunk {first_chunk + chunk}" if chunk >= 0 else f"chunks from {first_chunk}"
            return where, f"{message} (after record {record})"
    return f"chunks from {first_chunk}", message
