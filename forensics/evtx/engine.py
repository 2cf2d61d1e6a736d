"""Records out of a batch of ``.evtx`` chunks with the ``evtx`` engine (Rust): their XML,
the engine's errors placed at a chunk and record, and, where the engine may have stopped
early, the chunks walked record by record instead (``recovery``).

Why a module of its own: the engine raises one ``RuntimeError`` per bad record or chunk and
then goes on, numbering chunks within the slice it was given, and silently stops a chunk at
its header's last record id or free-space offset; turning that into complete, located,
countable output is its own job, apart from mapping the records to rows.
"""

from __future__ import annotations

import io
import operator
import re
import struct
from dataclasses import dataclass, field

import evtx
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from forensics.evtx import xml_fields
from forensics.evtx.chunks import CHUNK_SIZE, locate
from forensics.evtx.recovery import CHUNK_HEADER_SIZE, RECORD_MAGIC, WalkedChunk, read_chunk

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


@dataclass
class BatchRead:
    """What the engine, and the walker where it stopped, read from one batch of chunks."""

    parts: list[pa.Array]  # record XML, in chunk order
    errors: list[tuple[int, str]]  # engine errors of slices not walked: (records before it, text)
    #: chunk (index in the batch) of each record, -1 where it is to be found from its record id
    chunk_of: np.ndarray
    #: each record's header record id where the walk knows it (-1: read by the engine alone)
    header_ids: np.ndarray
    walked: dict[int, WalkedChunk] = field(default_factory=dict)
    #: (first chunk of the slice, engine error) of slices that were walked instead
    stopped: list[tuple[int, str]] = field(default_factory=list)
    #: EventRecordID of each record's XML (-1 where absent), as ``record_ids``: read once here
    #: (the continuity check needs it) and reused for the rows
    xml_ids: np.ndarray | None = None


def read_records(header: bytes, batch: bytes, valid: np.ndarray, first: np.ndarray, last: np.ndarray) -> BatchRead:
    """XML of every record in ``batch``: the engine reads each slice of ``ENGINE_CHUNKS`` chunks,
    and where it may have stopped early (``suspect_chunks``) the slice's chunks are walked
    record by record (``recovery.read_chunk``), which also carves slack and hidden records.

    The engine raises one ``RuntimeError`` per bad record or chunk and then goes on. Each
    slice's strings go to Arrow at once: the Python strings are freed while still in cache,
    which is measurably faster.
    """
    parts: list[pa.Array] = []
    errors: list[tuple[int, str]] = []
    chunk_of: list[np.ndarray] = []
    header_ids: list[np.ndarray] = []
    xml_ids: list[np.ndarray] = []
    walked: dict[int, WalkedChunk] = {}
    stopped: list[tuple[int, str]] = []
    suspect = suspect_chunks(batch, valid, first, last)
    done = 0
    step = ENGINE_CHUNKS * CHUNK_SIZE
    for offset in range(0, len(batch), step):
        xmls, slice_errors = _engine_slice(header, batch[offset : offset + step], offset // CHUNK_SIZE)
        chunks = -(-min(step, len(batch) - offset) // CHUNK_SIZE)
        part = slice(offset // CHUNK_SIZE, offset // CHUNK_SIZE + chunks)
        sane = valid[part] & (first[part] > 0) & (last[part] >= first[part])
        announced = int((last[part][sane] - first[part][sane] + 1).sum())
        array = None
        ids = None
        walk = bool(slice_errors or suspect[part].any() or announced != len(xmls))
        if not walk:
            # counts can match while an id does not: a record whose XML EventRecordID was altered
            # (damage or editing) stands for an announced id it does not carry; walking the slice
            # names the record header's id beside the XML's (walk_report.report_id_mismatches)
            array = pa.array(xmls, pa.string())
            ids = record_ids(array)
            walk = not _ids_as_announced(ids, first[part][sane], last[part][sane])
        if walk:
            array = pa.array(xmls, pa.string()) if array is None else array
            xmls, where, walk_ids = _walk_slice(batch, part, record_ids(array), array, walked)
            header_ids.append(walk_ids)
            stopped += [(part.start, message) for _, message in slice_errors]
            chunk_of.append(where)
        else:
            errors += [(done + position, message) for position, message in slice_errors]
            chunk_of.append(np.full(len(xmls), -1, dtype=np.int64))
            header_ids.append(np.full(len(xmls), -1, dtype=np.int64))
        done += len(xmls)
        if walk or array is None:
            array = pa.array(xmls, pa.string())
            ids = record_ids(array)
        parts.append(array)
        xml_ids.append(ids)
    empty = np.zeros(0, np.int64)
    return BatchRead(parts, errors, np.concatenate(chunk_of) if chunk_of else empty,
                     np.concatenate(header_ids) if header_ids else empty, walked, stopped,
                     np.concatenate(xml_ids) if xml_ids else empty)


def _ids_as_announced(ids: np.ndarray, first: np.ndarray, last: np.ndarray) -> bool:
    """Whether the engine's record ids are exactly the ids the chunk headers announce."""
    if len(ids) != int((last - first + 1).sum()):
        return False
    if not len(ids):
        return True
    expected = np.concatenate([np.arange(a, b + 1, dtype=np.int64) for a, b in zip(first.tolist(), last.tolist())])
    return bool(np.array_equal(np.sort(ids.astype(np.int64, copy=False)), np.sort(expected)))


def _engine_slice(header: bytes, data: bytes, first_chunk: int) -> tuple[list[str], list[tuple[int, str]]]:
    """The engine's XML of one slice of chunks and its errors (records before each, text)."""
    xmls: list[str] = []
    errors: list[tuple[int, str]] = []
    try:
        records = evtx.PyEvtxParser(io.BytesIO(header + data), number_of_threads=ENGINE_THREADS, indent=False).records()
    except RuntimeError as exc:  # refused outright, e.g. a damaged header block size and a short tail
        return xmls, [(0, " ".join(str(exc).split()))]
    consecutive = 0
    while True:
        try:
            xmls.extend(map(_XML, records))  # C-level loop; items before an error are kept
            break
        except RuntimeError as exc:
            position = len(xmls)
            consecutive = consecutive + 1 if errors and errors[-1][0] == position else 1
            message = " ".join(str(exc).split())
            chunk_in_slice = _CHUNK_ERROR.search(message)
            if chunk_in_slice:  # the engine numbers chunks within the slice it was given
                number = first_chunk + int(chunk_in_slice.group(1))
                message = _CHUNK_ERROR.sub(f"chunk number {number}", message, count=1)
            errors.append((position, message))
            if consecutive >= MAX_CONSECUTIVE_ERRORS:
                errors.append((position, "too many consecutive errors; rest of this slice abandoned"))
                break
    return xmls, errors


def _walk_slice(
    batch: bytes, part: slice, engine_ids: np.ndarray, engine_xml: pa.Array, walked: dict[int, WalkedChunk]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every record of the slice's chunks, walked one chunk at a time; records the engine gave
    that the walk did not are kept too (with their chunk to be found from their ids)."""
    xmls: list[str] = []
    where: list[int] = []
    header: list[int] = []
    seen: set[int] = set()
    no_id = 0
    for index in range(part.start, part.stop):
        data = batch[index * CHUNK_SIZE : (index + 1) * CHUNK_SIZE]
        if not data.strip(b"\x00"):
            continue  # a pre-allocated, never used chunk slot
        records = read_chunk(data)
        ids = records.ids | set(record_ids(pa.array(records.extra_xml, pa.string())).tolist())
        walked[index] = WalkedChunk(records, ids, len(data) < CHUNK_SIZE)
        got = records.xml + records.extra_xml
        xmls += got
        where += [index] * len(got)
        header += [f.record_id if f.record_id < 2**63 else -1 for f in records.found] + [-1] * len(records.extra_xml)
        got_ids = record_ids(pa.array(got, pa.string()))
        seen |= ids | set(got_ids.tolist()) | {f.record_id for f in records.cut}  # never half a record
        no_id += int((got_ids < 0).sum())
    keep = [i for i, rid in enumerate(engine_ids.tolist()) if rid >= 0 and rid not in seen]
    nameless = np.flatnonzero(engine_ids < 0)  # records without an id: keep only those the walk lacks
    keep = sorted(keep + nameless[: max(len(nameless) - no_id, 0)].tolist())
    if keep:
        xmls += [engine_xml[i].as_py() for i in keep]
        where += [-1] * len(keep)
        header += [-1] * len(keep)
    return xmls, np.array(where, dtype=np.int64), np.array(header, dtype=np.int64)


def suspect_chunks(batch: bytes, valid: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Chunks the engine may not read completely: no signature but not empty, a header whose
    last record (offset 44) is not the record it names or does not end at the free-space
    offset (48), record signatures past that offset (slack), or the partial end of a truncated
    copy. Per chunk header, not per record: a clean log costs a few lookups per 64 KiB."""
    out = np.zeros(len(valid), dtype=bool)
    for i in range(len(valid)):
        at = i * CHUNK_SIZE
        chunk = batch[at : at + CHUNK_SIZE]
        if not valid[i]:
            out[i] = bool(chunk.strip(b"\x00"))
            continue
        if len(chunk) < CHUNK_SIZE:
            out[i] = True
            continue
        last_offset, free = struct.unpack_from("<II", chunk, 44)
        if not (CHUNK_HEADER_SIZE <= free <= CHUNK_SIZE) or chunk.find(RECORD_MAGIC, free) >= 0:
            out[i] = True
            continue
        if first[i] == 0 and last[i] == 0 and free == CHUNK_HEADER_SIZE:
            continue  # an initialised chunk with no record yet
        if not (CHUNK_HEADER_SIZE <= last_offset <= free - 28) or chunk[last_offset : last_offset + 4] != RECORD_MAGIC:
            out[i] = True
            continue
        size, record_id = struct.unpack_from("<IQ", chunk, last_offset + 4)
        out[i] = record_id != last[i] or last_offset + size != free or first[i] <= 0 or last[i] < first[i]
    return out


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
