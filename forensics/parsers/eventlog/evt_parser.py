"""Legacy Windows event logs (``.evt``: Windows NT 4, 2000, XP, Server 2003).

Exchange 2003, and Exchange 2007 on Windows Server 2003, keep their store logons
(``MSExchangeIS Mailbox Store`` 1009/1016/…, Application log) and their mailbox access
auditing (``MSExchangeIS Auditing`` 10100-10106, ``Exchange Auditing`` log) here. An ``.evt``
record has no XML: its insertion strings are positional, exactly the ``<Data>`` strings of
the same event in ``.evtx``, so the same event maps and handlers (``forensics.evtx``) make the
same rows. The stored EventID is the 32-bit message code; the event id shown (and mapped) is
its low 16 bits.

Why our own reader (``forensics.evt``) and not libevt-python on this path: see
``docs/evt-reader.md`` (it is the crosscheck's second reader instead). The whole file is read
through ``ctx.reader`` (the bytes parsed are the bytes hashed): a circular log has to be read
from its oldest record, which may lie anywhere, and .evt logs are small (Windows Server 2003
caps them far below the memory of an examiner's laptop).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from forensics.errors import EvidenceError, ParseError
from forensics.evt.continuity import report_walk
from forensics.evt.records import EVENT_TYPES, EvtRecord, frame_ok, parse
from forensics.evt.structure import HEADER_SIZE, SIGNATURE, FileHeader
from forensics.evt.walk import walk
from forensics.evtx.export_event import export_event_row
from forensics.evtx.exchange import map_group, map_with
from forensics.evtx.maps import EventMap, MapSet, load_maps
from forensics.parsers import registry
from forensics.parsers.base import ParseContext, Parser

#: rows per yielded frame
BATCH = 50_000
#: bytes read from the hashing reader at a time
READ_BLOCK = 8 << 20


class EvtParser(Parser):
    name = "evt"
    description = "Legacy Windows event log (.evt, Windows 2000/XP/Server 2003)"
    source_format = "evt"
    extensions = (".evt",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> int:
        return 95 if FileHeader.parse(head) is not None else 0

    def parse(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        data = _read_all(ctx)
        if FileHeader.parse(data) is None:
            raise ParseError(f"{ctx.path}: not an .evt event log (no 48-byte header with the 'LfLe' signature)")
        found = walk(data)
        del data
        ctx.check_cancel()
        report_walk(found, ctx.report)
        maps = load_maps(ctx.options.maps_dir)
        new, copies, conflicts = found.slack_split()
        if copies:
            ctx.report.skip("slack copy of a record read already", len(copies))
        if conflicts:
            ctx.report.skip("slack record conflicting with a record read already", len(conflicts))
        records = found.records + [record for _, record in new]  # slack records after the live log
        offsets = found.offsets + [offset for offset, _ in new]
        live = len(found.records)
        groups: dict[tuple[str, int], list[int]] = {}
        for index, record in enumerate(records):
            groups.setdefault((record.source, record.event_id), []).append(index)
        pieces: list[pd.DataFrame] = []
        for (source, event_id), indexes in groups.items():
            ctx.check_cancel()
            event_map = maps.get(source, event_id)
            if event_map is not None:
                pieces.append(_mapped(event_map, [records[i] for i in indexes], indexes))
                ctx.report.accept(len(indexes))
            else:
                piece = _one_by_one(records, indexes, maps, ctx)
                if piece is not None:
                    pieces.append(piece)
        if not pieces:
            return
        frame = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
        if not frame["_index"].is_monotonic_increasing:
            frame = frame.sort_values("_index", kind="stable", ignore_index=True)
        order = frame.pop("_index").to_numpy()
        seconds = np.fromiter((records[i].generated for i in order), dtype=np.int64, count=len(order))
        frame["time"] = pd.Series(pd.to_datetime(seconds, unit="s", utc=True), index=frame.index)
        frame["server"] = [records[i].computer or None for i in order]
        frame["record_id"] = [records[i].number for i in order]
        frame["event_id"] = [records[i].event_id for i in order]
        frame["provider"] = [records[i].source for i in order]
        frame["raw_ref"] = [offsets[i] for i in order]
        frame["time_basis"] = "utc"
        from_slack = np.flatnonzero(order >= live)
        if len(from_slack):  # a few rows: said in their details, as the note says
            if "details" not in frame:
                frame["details"] = None
            details = np.array(frame["details"].astype(object).to_numpy(), dtype=object)
            for row in from_slack:
                label = f"read from slack at offset 0x{offsets[order[row]]:x} (outside the live log)"
                details[row] = f"{details[row]}; {label}" if isinstance(details[row], str) and details[row] else label
            frame["details"] = details
        for start in range(0, len(frame), BATCH):
            yield frame.iloc[start : start + BATCH].reset_index(drop=True)

    @classmethod
    def raw_record(cls, path: Path, raw_ref: int | None, record_id: int | None) -> str:
        """The record at file offset ``raw_ref`` (else found by number), as its fields and strings."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise EvidenceError(f"{path}: cannot read ({exc.strerror or exc})") from exc
        record = None
        if raw_ref is not None and HEADER_SIZE <= int(raw_ref) < len(data) and frame_ok(data, int(raw_ref)):
            record = parse(data, int(raw_ref))[0]
        if record is None or (record_id is not None and record.number != int(record_id)):
            try:
                found = walk(data)
            except ValueError as exc:
                raise EvidenceError(f"{path}: {exc}") from exc
            record = next((r for r in found.records if record_id is not None and r.number == int(record_id)), None)
        if record is None:
            raise EvidenceError(f"{path}: record {record_id} not found")
        return describe(record)


registry.register(EvtParser)


def _read_all(ctx: ParseContext) -> bytes:
    parts = []
    while True:
        block = ctx.reader.read(READ_BLOCK)
        if not block:
            break
        parts.append(block)
        ctx.check_cancel()
    return b"".join(parts)


def _mapped(event_map: EventMap, records: list[EvtRecord], indexes: list[int]) -> pd.DataFrame:
    """Rows of one mapped source/event id: vectorized (``map_group``, as the .evtx path) where
    the strings fit the map, one by one (``map_with``: by content, ``inferred``) where not."""
    width = len(event_map.fields)
    fits_width = np.fromiter((len(r.strings) == width for r in records), dtype=bool, count=len(records))
    exact = np.flatnonzero(fits_width).tolist()
    slow = np.flatnonzero(~fits_width).tolist()
    pieces: list[pd.DataFrame] = []
    if exact:
        columns = [pa.array(column, pa.string()) for column in zip(*(records[k].strings for k in exact))]
        ok, fields = map_group(event_map, columns)
        fit = np.flatnonzero(ok)
        if len(fit):
            picked = pa.array(fit)
            piece = pd.DataFrame({name: array.take(picked).to_pandas() for name, array in fields.items()})
            piece["operation"] = event_map.operation
            piece["outcome"] = event_map.outcome
            piece["mapping"] = event_map.mapping
            piece["_index"] = [indexes[exact[k]] for k in fit]
            pieces.append(piece)
        slow += [exact[k] for k in np.flatnonzero(~ok)]
    if slow:
        piece = pd.DataFrame.from_records([map_with(event_map, records[k].strings) for k in slow])
        piece["_index"] = [indexes[k] for k in slow]
        pieces.append(piece)
    return pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]


def _one_by_one(records: list[EvtRecord], indexes: list[int], maps: MapSet, ctx: ParseContext) -> pd.DataFrame | None:
    """Events no map covers: their provider's handler (cleared logs, cmdlets, group changes),
    generic rows with ``--all-events``, else counted as skipped, exactly as for exports."""
    rows: list[dict[str, Any]] = []
    for index in indexes:
        record = records[index]
        outcome = export_event_row(record.source, record.event_id, record.strings, None, maps, ctx.options.all_events)
        for warning in outcome.warnings:
            ctx.report.warn(f"record {record.number}", warning)
        if outcome.row is None:
            ctx.report.skip(f"{record.source or '?'}/{record.event_id}")
            continue
        ctx.report.accept()
        row = dict(outcome.row)
        if row.get("operation") == "Event" and not row.get("actor") and record.sid:
            row["actor"] = record.sid  # as .evtx generic rows fall back to the System UserID
        row["_index"] = index
        rows.append(row)
    return pd.DataFrame.from_records(rows) if rows else None


def describe(record: EvtRecord) -> str:
    """A readable rendering of one record for the detail view (an .evt record has no XML)."""
    def stamp(seconds: int) -> str:
        return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")

    lines = [
        f"RecordNumber: {record.number}",
        f"TimeGenerated: {stamp(record.generated)}",
        f"TimeWritten: {stamp(record.written)}",
        f"EventID: {record.event_id} (stored code 0x{record.code:08x}, qualifiers {record.qualifiers})",
        f"EventType: {EVENT_TYPES.get(record.event_type, record.event_type)}",
        f"EventCategory: {record.category}",
        f"SourceName: {record.source}",
        f"Computername: {record.computer}",
        f"UserSid: {record.sid or '-'}",
        f"DataLength: {record.data_length}",
    ]
    lines += [f"String {n}: {text}" for n, text in enumerate(record.strings, 1)]
    return "\n".join(lines)


__all__ = ["EvtParser", "SIGNATURE", "describe"]
