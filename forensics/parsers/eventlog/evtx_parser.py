"""Windows ``.evtx`` event logs, parsed by the ``evtx`` engine (Rust), in batches of chunks.

The evidence is read only through ``ctx.reader`` (the hashing stream): the 4096-byte file
header, then batches of 64 KiB chunks. Each batch is parsed as a small stand-alone file
(header + those chunks), which keeps memory bounded, gives every row its chunk index as
``raw_ref`` (so ``raw_record`` re-reads just that chunk), lets a cancel stop between batches,
and reads every chunk present even when the header states fewer (dirty files). The next
batch is read and hashed in a helper thread while the engine parses the current one.

Exchange events become access rows through event maps (``forensics.evtx``); other events
are counted per provider/event id, or become generic ``Event`` rows with ``--all-events``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import evtx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from forensics.errors import EvidenceError, ParseError
from forensics.evtx import xml_fields
from forensics.evtx.chunks import (
    CHUNK_SIZE, FILE_MAGIC, HEADER_SIZE, assign, chunk_ranges, cut_link_loops, header_chunk_count,
)
from forensics.evtx.checksums import chunk_mismatches, file_header_mismatch
from forensics.evtx.walk_report import report_checksums, report_damaged, report_id_mismatches, report_walk
from forensics.evtx.continuity import FileHeader, RecordContinuity
from forensics.evtx import engine
from forensics.evtx import parallel
from forensics.evtx.recovery import WalkedChunk, read_chunk
from forensics.evtx.exchange import map_group, map_with
from forensics.evtx.handlers import handler_for
from forensics.evtx.subject import subject_actor
from forensics.evtx.maps import EventMap, MapSet, load_maps
from forensics.parsers import registry
from forensics.parsers.prefetch import blocks
from forensics.parsers.eventlog.evtx_table import batch_table, string_category
from forensics.parsers.base import LoadOptions, ParseContext, Parser
from forensics.schema import COLUMNS, STRING_DTYPE, constant_category

#: chunks read (and hashed) together and mapped as one vectorized batch: 4 MiB of evidence
BATCH_CHUNKS = 128
#: batches' rows become one frame once they hold this many: a log with a few rows per batch
#: (a Security log's log clears and dropped-audit events) would otherwise pay the pandas work
#: of one frame per 4 MiB batch, several times the cost of reading it
MERGE_ROWS = 20_000


class EvtxParser(Parser):
    name = "evtx"
    description = "Windows event log (.evtx), parsed with the evtx engine"
    source_format = "evtx"
    extensions = (".evtx",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> int:
        return 95 if head.startswith(FILE_MAGIC) else 0

    # -- parse ----------------------------------------------------------------------------
    def parse(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        maps = load_maps(ctx.options.maps_dir)
        header = ctx.reader.read(HEADER_SIZE)
        if len(header) < HEADER_SIZE or not header.startswith(FILE_MAGIC):
            raise ParseError(f"{ctx.path}: not an EVTX file (no 'ElfFile' header)")
        stated = header_chunk_count(header) or 0
        continuity = RecordContinuity(header=FileHeader.parse(header))
        crc_problems: list[tuple[str, str]] = []
        mismatch = file_header_mismatch(header)
        if mismatch:
            crc_problems.append(("file header", mismatch))
        state = {"chunks_with_magic": 0, "first_chunk": 0, "total": 0}

        def jobs() -> Iterator[tuple[tuple[Any, ...], parallel.BatchJob]]:
            """Each batch as read and hashed, its chunk headers checked here (cheap, in order)."""
            for batch in _read_batches(ctx):
                state["total"] += len(batch)
                ctx.check_cancel()
                valid, first, last = chunk_ranges(batch)
                state["chunks_with_magic"] += int(valid.sum())
                first_chunk = state["first_chunk"]
                crc_problems.extend((f"chunk {c}", text) for c, text in chunk_mismatches(batch, first_chunk, continuity.header.flags))
                batch, loops = cut_link_loops(batch)
                state["first_chunk"] += len(valid)
                job = parallel.BatchJob(ctx.options.maps_dir, ctx.options.all_events, header, batch, first_chunk,
                                        valid, first, last)
                yield (first_chunk, batch, loops, valid, first, last), job

        size = _file_size(ctx)
        workers = parallel.worker_count(ctx.options.workers, size, BATCH_CHUNKS * CHUNK_SIZE)
        if workers > 1:
            results = parallel.run_ordered(jobs(), map_batch, workers)
        else:
            results = ((tag, map_batch(job, maps)) for tag, job in jobs())
        held: list[pa.Table] = []  # batches' rows, made one frame together (see MERGE_ROWS)
        held_rows = 0
        for (first_chunk, batch, loops, valid, first, last), result in results:
            for chunk_in_batch, what in loops:
                ctx.report.warn(
                    f"chunk {first_chunk + chunk_in_batch}",
                    f"the chunk header's {what} table links round in a loop (damaged header): the table was "
                    "ignored (the evtx engine would never return) and the records were read without it",
                )
            continuity.add_batch(first_chunk, batch, valid, first, last, result.walked)
            result.report.replay(ctx.report)
            table = result.table
            if table is not None and table.num_rows:
                held.append(table)
                held_rows += table.num_rows
                if held_rows >= MERGE_ROWS:
                    yield _to_frame(held)
                    held, held_rows = [], 0
        if held:
            yield _to_frame(held)
        total, first_chunk = state["total"], state["first_chunk"]
        if total % CHUNK_SIZE:
            ctx.report.warn(
                f"chunk {first_chunk - 1}",
                f"the file ends {total % CHUNK_SIZE} bytes into this 65536-byte chunk (truncated copy?): "
                "its complete records before the cut are read, those in the missing part cannot be",
            )
        if state["chunks_with_magic"] > stated:
            ctx.report.warn(
                "file header",
                f"header states {stated} chunks but {state['chunks_with_magic']} chunks are present "
                "(dirty file: tools that trust the header, such as python-evtx, miss records)",
            )
        report_checksums(ctx.report, crc_problems)
        continuity.report_to(ctx.report, file_size=HEADER_SIZE + total)

    def _parse_batch(
        self,
        ctx: _BatchContext,
        maps: MapSet,
        header: bytes,
        batch: bytes,
        first_chunk: int,
        valid: np.ndarray,
        first: np.ndarray,
        last: np.ndarray,
    ) -> tuple[pa.Table | None, dict[int, WalkedChunk]]:
        """One batch of (loop-cut) chunks -> its rows and the chunks walked record by record.
        Touches nothing but ``ctx.report`` (recorded, replayed in file order by ``parse``), so
        it runs as well in a worker process (``parallel``) as in the caller's."""
        read = engine.read_records(header, batch, valid, first, last)
        return self._map_read(ctx, maps, batch, first_chunk, valid, first, last, read), read.walked

    def _map_read(
        self,
        ctx: _BatchContext,
        maps: MapSet,
        batch: bytes,
        first_chunk: int,
        valid: np.ndarray,
        first: np.ndarray,
        last: np.ndarray,
        read: engine.BatchRead,
    ) -> pa.Table | None:
        xml = pa.chunked_array(read.parts, pa.string())
        for position, message in read.errors:
            location, text = engine.error_location(message, position, xml, first_chunk, valid, first, last)
            ctx.report.bad_record(location, text)
        report_walk(ctx.report, read, first_chunk)
        if len(xml) == 0:
            return None
        providers, codes, events = xml_fields.provider_event(xml)
        report_damaged(ctx.report, read, xml, codes < 0, batch, first_chunk, valid, first, last)
        report_id_mismatches(ctx.report, read, xml, first_chunk, codes < 0)
        keep = np.zeros(len(codes), dtype=bool)
        plans: list[tuple[str, int, str, Any, np.ndarray]] = []  # provider, event id, how, map/handler, rows
        generic: list[np.ndarray] = []
        readable = np.flatnonzero(codes >= 0)
        if len(readable):
            key = codes[readable] * 70000 + events[readable]
            uniq, inverse = np.unique(key, return_inverse=True)
            order = np.argsort(inverse, kind="stable")
            bounds = np.searchsorted(inverse[order], np.arange(len(uniq) + 1))
            for group, value in enumerate(uniq):
                provider, event_id = providers[int(value // 70000)], int(value % 70000)
                rows = readable[order[bounds[group] : bounds[group + 1]]]
                event_map = maps.get(provider, event_id)
                handler = None if event_map is not None else handler_for(provider, event_id)
                if event_map is not None:
                    plans.append((provider, event_id, "map", event_map, rows))
                elif handler is not None:
                    plans.append((provider, event_id, "handler", handler, rows))
                elif ctx.options.all_events:
                    generic.append(rows)
                else:
                    ctx.report.skip(f"{provider}/{event_id}", len(rows))
                    continue
                keep[rows] = True
        if not keep.any():
            return None
        kept_rows = np.flatnonzero(keep)
        position = np.full(len(codes), -1, dtype=np.int64)
        position[kept_rows] = np.arange(len(kept_rows))
        kept_xml = xml.combine_chunks() if len(kept_rows) == len(codes) else xml.take(pa.array(kept_rows)).combine_chunks()
        known_ids = read.xml_ids[kept_rows] if read.xml_ids is not None and len(read.xml_ids) == len(codes) else None
        system = xml_fields.system_fields(kept_xml, known_ids)
        record_ids = system["record_id"].fill_null(-1).to_numpy(zero_copy_only=False)
        if system["time"].null_count:  # e.g. a FILETIME past year 2262: the row stays, without a time
            for record in record_ids[pc.is_null(system["time"]).to_numpy(zero_copy_only=False)].tolist():
                ctx.report.warn(f"record {record}", "SystemTime is not a time the table can hold: the row is kept without a time")
        known = read.chunk_of[kept_rows]
        chunk = np.where(known >= 0, known, 0)
        unknown = known < 0
        if unknown.any():
            chunk[unknown] = _fill_forward(assign(record_ids[unknown], valid, first, last))
        chunk = chunk + first_chunk
        # data strings as lists only for records a map or handler reads (generic rows get text)
        listed = np.sort(np.concatenate([position[rows] for *_, rows in plans])) if plans else np.zeros(0, np.int64)
        values = pa.array([], pa.list_(pa.string()))
        if len(listed):
            values, _, _ = xml_fields.data_items(kept_xml.take(pa.array(listed)))
        slot = np.full(len(kept_rows), -1, dtype=np.int64)  # kept position -> index in values
        slot[listed] = np.arange(len(listed))
        counts = pc.list_value_length(values).to_numpy(zero_copy_only=False)

        pieces: list[tuple[np.ndarray, dict[str, Any]]] = []
        generic_local = [position[rows] for rows in generic]  # + events a handler declines (--all-events)
        ctx.report.accept(sum(len(g) for g in generic_local))
        for provider, event_id, how, target, rows in plans:
            local = position[rows]
            if how == "map":
                n_accepted = self._map_rows(ctx, target, local, slot, values, counts, pieces)
            else:
                used = self._handler_rows(ctx, provider, event_id, target, local, slot, values, pieces)
                n_accepted = len(used)
                if ctx.options.all_events and n_accepted < len(local):
                    # events the handler declines are generic rows, as for providers without one
                    generic_local.append(np.setdiff1d(local, used))
                    n_accepted = len(local)
            ctx.report.accept(n_accepted)
            if n_accepted < len(local):
                ctx.report.skip(f"{provider}/{event_id}", len(local) - n_accepted)
        if generic_local:
            local = np.sort(np.concatenate(generic_local))
            pieces.append((local, _generic_fields(kept_xml.take(pa.array(local)))))
        if not pieces:
            return None
        return batch_table(pieces, system, chunk, providers, codes[kept_rows], events[kept_rows])

    def _map_rows(
        self,
        ctx: _BatchContext,
        event_map: EventMap,
        local: np.ndarray,
        slot: np.ndarray,
        values: pa.ListArray,
        counts: np.ndarray,
        pieces: list[tuple[np.ndarray, dict[str, Any]]],
    ) -> int:
        """Rows of one mapped provider/event id: vectorized where strings fit the map."""
        width = len(event_map.fields)
        exact = local[counts[slot[local]] == width]
        slow = local[counts[slot[local]] != width]
        if len(exact):
            group = values.take(pa.array(slot[exact]))
            columns = [pc.list_element(group, i) for i in range(width)]
            ok, fields = map_group(event_map, columns)
            fit_rows = exact[ok]
            if len(fit_rows):
                picked = pa.array(np.flatnonzero(ok))
                arrays = {name: array.take(picked) for name, array in fields.items()}
                arrays["operation"] = _repeat(event_map.operation, len(fit_rows))
                arrays["outcome"] = _repeat(event_map.outcome, len(fit_rows))
                arrays["mapping"] = _repeat(event_map.mapping, len(fit_rows))
                pieces.append((fit_rows, arrays))
            slow = np.concatenate([slow, exact[~ok]])
        if len(slow):  # records that do not fit: classify their strings one by one (rare)
            strings = values.take(pa.array(slot[slow])).to_pylist()
            rows = [map_with(event_map, s) for s in strings]
            pieces.append((slow, _columns(rows)))
        return len(local)

    def _handler_rows(
        self,
        ctx: _BatchContext,
        provider: str,
        event_id: int,
        handler: Any,
        local: np.ndarray,
        slot: np.ndarray,
        values: pa.ListArray,
        pieces: list[tuple[np.ndarray, dict[str, Any]]],
    ) -> np.ndarray:
        """Rows of a provider handled in code (e.g. MSExchange CmdletLogs): per record.
        Returns the kept positions the handler made rows of."""
        strings = values.take(pa.array(slot[local])).to_pylist()
        rows: list[dict[str, Any]] = []
        used: list[int] = []
        for index, data in zip(local, strings):
            try:
                row = handler(event_id, list(data))
            except Exception as exc:  # noqa: BLE001 - a handler bug must not lose the file
                ctx.report.warn(f"{provider}/{event_id}", f"handler failed: {type(exc).__name__}: {exc}")
                row = None
            if row is not None:
                rows.append(dict(row))
                used.append(index)
        if rows:
            pieces.append((np.array(used, dtype=np.int64), _columns(rows)))
        return np.array(used, dtype=np.int64)

    # -- raw record ------------------------------------------------------------------------
    @classmethod
    def raw_record(cls, path: Path, raw_ref: int | None, record_id: int | None) -> str:
        """Re-read the record's chunk from the evidence (read-only) and return its XML."""
        if record_id is None:
            raise EvidenceError(f"{path}: no record id to look up")
        try:
            with open(path, "rb") as handle:
                header = handle.read(HEADER_SIZE)
                if raw_ref is not None and raw_ref >= 0:
                    handle.seek(HEADER_SIZE + int(raw_ref) * CHUNK_SIZE)
                    found = _find_record(header + handle.read(CHUNK_SIZE), int(record_id))
                    if found is not None:
                        return found
                handle.seek(0)
                found = _find_record(handle.read(), int(record_id))  # locator missing or stale
        except OSError as exc:
            raise EvidenceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
        if found is None:
            raise EvidenceError(f"{path}: record {record_id} not found")
        return found


registry.register(EvtxParser)


@dataclass
class _BatchContext:
    """What mapping a batch uses of a ``ParseContext``: the options and a (recorded) report."""

    report: Any
    options: LoadOptions


#: event maps loaded in this process, by maps folder (a worker loads them once)
_MAPS: dict[Path | None, MapSet] = {}


def map_batch(job: parallel.BatchJob, maps: MapSet | None = None) -> parallel.BatchResult:
    """One batch's rows, report calls and walked chunks: the unit of work of ``parse``, run in
    a worker process or, for a small file or ``workers=1``, in the caller's."""
    if maps is None:
        maps = _MAPS.get(job.maps_dir)
        if maps is None:
            maps = _MAPS.setdefault(job.maps_dir, load_maps(job.maps_dir))
    report = parallel.RecordedReport()
    ctx = _BatchContext(report, LoadOptions(all_events=job.all_events, maps_dir=job.maps_dir))
    table, walked = EvtxParser()._parse_batch(ctx, maps, job.header, job.batch, job.first_chunk, job.valid, job.first, job.last)
    return parallel.BatchResult(table, report, walked)


def _file_size(ctx: ParseContext) -> int:
    """The evidence file's size (0 when it cannot be told: then one process is used)."""
    try:
        return ctx.path.stat().st_size
    except (OSError, ValueError):
        return 0


# -- helpers ----------------------------------------------------------------------------------


def _read_batches(ctx: ParseContext) -> Iterator[bytes]:
    """Batches of chunks from the hashing reader, the next one read (and hashed, which
    releases the GIL) on a helper thread while the caller parses the current one."""
    return blocks(ctx.reader, BATCH_CHUNKS * CHUNK_SIZE)


def _fill_forward(chunk: np.ndarray) -> np.ndarray:
    """Give records no chunk header claims the chunk of the record before them."""
    if len(chunk) == 0 or (chunk >= 0).all():
        return np.where(chunk < 0, 0, chunk)
    index = np.where(chunk >= 0, np.arange(len(chunk)), 0)
    np.maximum.accumulate(index, out=index)
    filled = chunk[index]
    return np.where(filled < 0, 0, filled)


def _repeat(value: str | None, n: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), n)


def _columns(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Row dicts (from map_with or a handler) -> column lists."""
    names = set().union(*(row.keys() for row in rows))
    return {name: [row.get(name) for row in rows] for name in names}


def _generic_fields(xml: pa.Array) -> dict[str, Any]:
    """Generic ``Event`` rows: details = the data strings ("Name=value" where named)."""
    n = len(xml)
    return {
        "details": xml_fields.data_text(xml),
        "actor": subject_actor(xml),
        "operation": _repeat("Event", n),
        "outcome": pa.nulls(n, pa.string()),
        "mapping": pa.nulls(n, pa.string()),
    }



def _to_frame(tables: list[pa.Table]) -> pd.DataFrame:
    """Batch tables -> one frame of every schema column, fully typed."""
    table = pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]
    n = table.num_rows
    out: dict[str, Any] = {}
    for name, dtype in COLUMNS.items():
        if name in ("time_basis", "source_format"):
            continue
        column = table.column(name).combine_chunks()
        if dtype == "category":
            out[name] = string_category(column.cast(pa.string()))
        elif dtype == "boolean":
            out[name] = pd.array(column.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get), dtype="boolean")
        elif dtype is STRING_DTYPE:
            out[name] = pd.array(column.cast(pa.string()).to_pandas(types_mapper={pa.string(): STRING_DTYPE}.get), dtype=STRING_DTYPE)
        elif name == "time":
            out[name] = column.to_pandas()
        else:
            out[name] = pd.array(column.to_pandas(), dtype=dtype)
    out["time_basis"] = constant_category("utc", n)
    out["source_format"] = constant_category(EvtxParser.source_format, n)
    return pd.DataFrame({name: out[name] for name in COLUMNS})


def _find_record(data: bytes, record_id: int) -> str | None:
    """The XML of the record whose <EventRecordID> is ``record_id``. Why the XML's and not the
    record header's id: rows carry the XML's, and a damaged or edited file may differ."""
    chunks, _ = cut_link_loops(data[HEADER_SIZE:])  # a looping table would hang the engine here too
    parser = evtx.PyEvtxParser(io.BytesIO(data[:HEADER_SIZE] + chunks), number_of_threads=1)
    records = parser.records()
    wanted = f"<EventRecordID>{record_id}</EventRecordID>"
    while True:
        try:
            for record in records:
                if wanted in record["data"]:
                    return record["data"]
            break
        except RuntimeError:
            continue
    for start in range(0, len(chunks), CHUNK_SIZE):  # records only a walk of their chunk reads
        piece = chunks[start : start + CHUNK_SIZE]
        if piece.strip(b"\x00"):
            walked = read_chunk(piece)
            found = next((xml for xml in walked.xml + walked.extra_xml if wanted in xml), None)
            if found is not None:
                return found
    return None
