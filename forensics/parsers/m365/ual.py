"""Microsoft 365 Unified Audit Log CSV exports (classic 4-column, ``Search-UnifiedAuditLog |
Export-Csv`` 10-column, Purview 8-column).

Why this shape: a UAL export is a CSV whose ``AuditData`` column holds one JSON record per
row, up to millions of rows. pyarrow reads the CSV (RFC 4180, ``""`` escapes, values with
newlines); the JSON of a whole slice of rows is then parsed at once by pyarrow's JSON
reader against a fixed schema of the fields we use (other fields ignored). Only when a
slice holds a record that does not fit (bad JSON, a field of an unexpected type) is that
slice parsed record by record with the standard library, so the bad record is named in a
warning and the others still load. Mapping to the table: ``ual_mapping``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from forensics.errors import ParseError
from forensics.parsers import registry
from forensics.parsers.arrowtext import concat_frames
from forensics.parsers.base import ParseContext, Parser
from forensics.parsers.csvtable import decode_head, header_names, iter_csv_text, raw_csv_record
from forensics.parsers.m365.ual_completeness import ExportCompleteness
from forensics.parsers.m365.ual_links import IdentityLinks
from forensics.parsers.m365.ual_throttling import ThrottleWatch
from forensics.parsers.m365.ual_mapping import AUDIT_SCHEMA, map_records

#: a UTF-16 surrogate escaped alone in JSON (``"\\ud800"``): no UTF-8 form, so Arrow refuses it
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
SLICE_ROWS = 20_000  # CSV rows whose JSON is parsed (and yielded) together (also the cancel step)
LAYOUTS = {
    "classic-4": ("creationdate", "userids", "operations", "auditdata"),
    "export-csv-10": ("recordtype", "creationdate", "userids", "operations", "auditdata", "resultindex"),
    "purview-8": ("recordid", "creationdate", "recordtype", "operation", "userid", "auditdata"),
}


def layout_of(names: list[str]) -> str | None:
    for layout, required in LAYOUTS.items():
        if all(name in names for name in required):
            return layout
    return None


class UalParser(Parser):
    name = "ual"
    description = "Microsoft 365 Unified Audit Log CSV (Purview, Search-UnifiedAuditLog, classic export)"
    source_format = "ual"
    extensions = (".csv",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> int:
        names, _ = header_names(decode_head(head[:16384]))
        if "auditdata" not in names:
            return 0
        return 95 if layout_of(names) else 70

    def parse(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        self._links = IdentityLinks()  # ids linked to people over the whole export (ual_links)
        frames = [frame for frame in self._frames(ctx) if len(frame)]
        frame = concat_frames(frames)  # one frame per file: nothing left for ingest to merge
        frame = self._links.apply(frame, ctx.report)
        if len(frame):
            yield frame

    def _frames(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        completeness: ExportCompleteness | None = None
        throttling = ThrottleWatch()
        for piece in iter_csv_text(ctx):
            if completeness is None:
                names = [n.strip().lower() for n in piece.names]
                if "auditdata" not in names:
                    raise ParseError(f"{ctx.path.name}: no AuditData column; not a unified audit log export")
                if layout_of(names) is None:
                    ctx.report.warn("file", f"unknown column layout {piece.names}; reading AuditData, CreationDate, UserId")
                completeness = ExportCompleteness(layout_of(names))
            for number, text in piece.bad:
                where = f"record {number}" if number else "record ?"
                ctx.report.bad_record(where, f"wrong number of CSV fields (truncated or corrupt row): {text[:120]!r}")
            table, numbers = piece.table, piece.numbers
            columns = {name.strip().lower(): table.column(name) for name in table.column_names}
            completeness.add(columns, table.num_rows)
            del piece
            for start in range(0, table.num_rows, SLICE_ROWS):
                ctx.check_cancel()
                stop = min(start + SLICE_ROWS, table.num_rows)
                part = {name: col.slice(start, stop - start) for name, col in columns.items()}
                frame = self._slice(ctx, part, numbers[start:stop])
                if frame is not None and len(frame):
                    throttling.add(frame)
                    yield frame
        if completeness is not None:
            completeness.report_to(ctx.report)
        throttling.report_to(ctx.report)

    def _slice(self, ctx: ParseContext, cols: dict[str, pa.ChunkedArray], numbers: np.ndarray) -> pd.DataFrame | None:
        audit = cols["auditdata"]
        ids = cols.get("recordid")
        records = self._parse_json(ctx, audit, numbers, ids)
        if records is None:
            return None
        parsed, ok = records
        if not ok.all():
            keep = pa.array(ok)
            cols = {name: col.filter(keep) for name, col in cols.items() if name != "auditdata"}
            numbers = numbers[ok]
        return self._map(ctx, parsed, cols, numbers)

    def _map(self, ctx: ParseContext, parsed: pa.Table, cols: dict[str, pa.ChunkedArray], numbers: np.ndarray) -> pd.DataFrame:
        """Rows of parsed AuditData records (``AUDIT_SCHEMA``), accounted in the report; shared
        with the JSON parser (``ual_json``), which feeds the same record table."""
        if getattr(self, "_links", None) is not None:
            self._links.add(parsed, numbers)
        frame, skipped, accepted = map_records(parsed, cols, numbers, ctx.options.all_events)
        if len(frame) and frame["time"].isna().any():
            timeless = frame["time"].isna().to_numpy()
            for number in pd.unique(frame["record_id"].to_numpy()[timeless]).tolist():
                ctx.report.warn(f"record {number}", "neither AuditData.CreationTime nor CreationDate is a readable "
                                "time: the row is kept without a time")
        for reason, count in skipped.items():
            ctx.report.skip(reason, count)
        ctx.report.accept(accepted)
        return frame

    def _parse_json(
        self, ctx: ParseContext, audit: pa.ChunkedArray, numbers: np.ndarray, ids: pa.Array | None
    ) -> tuple[pa.Table, np.ndarray] | None:
        """Parse AuditData of a slice; returns (records, mask of rows that parsed).

        Fast path: when every value is one ``{…}`` object, the values joined by newlines go to
        pyarrow's (multi-threaded) JSON reader at once; the record count and, where the CSV
        has one, the record id prove the alignment. Anything else: record by record.
        """
        audit = audit.combine_chunks() if isinstance(audit, pa.ChunkedArray) else audit
        n = len(audit)
        if n == 0:
            return pa.Table.from_pylist([], schema=AUDIT_SCHEMA), np.zeros(0, dtype=bool)
        shaped = pc.and_(pc.starts_with(audit, "{"), pc.ends_with(audit, "}"))
        if pc.all(pc.fill_null(shaped, False)).as_py():
            lines = pc.binary_join_element_wise(audit, "", "\n")  # each value + "\n"
            offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset : lines.offset + n + 1]
            payload = lines.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0]))
            try:
                table = pajson.read_json(
                    pa.BufferReader(payload),
                    read_options=pajson.ReadOptions(block_size=1 << 20),
                    parse_options=pajson.ParseOptions(explicit_schema=AUDIT_SCHEMA, unexpected_field_behavior="ignore"),
                )
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                table = None
            if table is not None and table.num_rows == n and _ids_agree(table, ids):
                return table, np.ones(n, dtype=bool)
        return self._parse_json_slowly(ctx, audit, numbers)

    def _parse_json_slowly(
        self, ctx: ParseContext, audit: pa.Array, numbers: np.ndarray
    ) -> tuple[pa.Table, np.ndarray]:
        """Record by record (only for a slice holding a record that does not fit)."""
        good: list[dict[str, Any]] = []
        ok = np.zeros(len(audit), dtype=bool)
        for i, text in enumerate(audit.to_pylist()):
            number = int(numbers[i])
            if not text or not text.strip():
                ctx.report.bad_record(f"record {number}", "AuditData is empty")
                continue
            try:
                value = json.loads(text, strict=False)
            except (ValueError, RecursionError) as exc:
                ctx.report.bad_record(f"record {number}", f"AuditData is not valid JSON: {exc}")
                continue
            if not isinstance(value, dict):
                ctx.report.bad_record(f"record {number}", "AuditData is not a JSON object")
                continue
            good.append(_fit(value, AUDIT_SCHEMA))
            ok[i] = True
        return pa.Table.from_pylist(good, schema=AUDIT_SCHEMA), ok

    @classmethod
    def raw_record(cls, path: Path, raw_ref: int | None, record_id: int | None) -> str:
        """The CSV record (re-joined as one line), found by its data-record number."""
        if record_id is None or pd.isna(record_id):
            raise ValueError("a UAL row needs its record number")
        return raw_csv_record(path.read_bytes(), int(record_id))


def _ids_agree(table: pa.Table, ids: pa.ChunkedArray | None) -> bool:
    """The CSV's record id column (Purview RecordId) matches AuditData.Id, where both are set."""
    if ids is None:
        return True
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    ids = pc.if_else(pc.equal(ids, ""), pa.scalar(None, pa.string()), ids)
    same = pc.equal(pc.utf8_lower(table.column("Id")), pc.utf8_lower(ids))
    return bool(pc.all(pc.fill_null(same, True)).as_py() is not False)


def _fit(value: Any, kind: pa.DataType | pa.Schema) -> Any:
    """Coerce one decoded JSON value to the Arrow type we read it as (wrong type → null)."""
    if isinstance(kind, pa.Schema) or pa.types.is_struct(kind):
        if not isinstance(value, dict):
            return None
        fields = kind if isinstance(kind, pa.Schema) else [kind.field(i) for i in range(kind.num_fields)]
        return {f.name: _fit(value.get(f.name), f.type) for f in fields}
    if value is None:
        return None
    if pa.types.is_list(kind):
        if not isinstance(value, list):
            return None
        return [_fit(v, kind.value_type) for v in value]
    if pa.types.is_string(kind):
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        if isinstance(value, bool):
            return "True" if value else "False"
        return _LONE_SURROGATE.sub("\ufffd", str(value))
    if pa.types.is_integer(kind):
        if isinstance(value, bool):
            return int(value)
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: 1e999 is read as infinity
            return None
        limit = 1 << (kind.bit_width - 1)  # a number Arrow cannot hold would fail the whole slice
        return number if -limit <= number < limit else None
    if pa.types.is_boolean(kind):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        return None
    return None


registry.register(UalParser)
