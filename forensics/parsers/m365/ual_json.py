"""Microsoft 365 unified audit log as JSON: the Office 365 Management Activity API's records
(JSON lines from SIEM collectors, the API's content blobs as JSON arrays) and the search
exports that wrap each record with its ``AuditData`` as text or as a nested object
(``Search-UnifiedAuditLog | ConvertTo-Json``, Purview exports, Microsoft Graph
``security/auditLog/queries/{id}/records`` pages with ``auditData``).

Why a parser of its own but no mapping of its own: these hold the very records of the CSV's
``AuditData`` column (management activity API schema, reference/evidence-formats.md §5.2), so
they become the same Arrow record table (``ual_mapping.AUDIT_SCHEMA``) and go through the CSV
parser's mapping, identity links, completeness (``ResultIndex``/``ResultCount`` where a
wrapper carries them) and throttling checks (``UalParser._map``). A record delivered twice is
counted once (``ual_duplicates``).

Reading: JSON lines are cut at line breaks; anything else (arrays, pretty-printed objects,
Graph pages) is split into records by ``jsonsplit`` in bounded blocks. A block of records is
parsed at once by pyarrow's JSON reader against the fixed schema; a block holding a record
that does not fit is parsed record by record, so the bad one is named and the rest load.
Records are numbered by line (JSON lines) or by their order in the file (other shapes).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from forensics.parsers import registry
from forensics.parsers.arrowtext import S
from forensics.parsers.base import ParseContext
from forensics.parsers.encoding import detect_encoding
from forensics.parsers.jsonsplit import MAX_RECORD, blocks_of_records, line_spans
from forensics.parsers.prefetch import blocks
from forensics.parsers.m365.ual import UalParser, _fit
from forensics.parsers.m365.ual_completeness import ExportCompleteness
from forensics.parsers.m365.ual_duplicates import DuplicateWatch
from forensics.parsers.m365.ual_mapping import AUDIT_SCHEMA
from forensics.parsers.m365.ual_throttling import ThrottleWatch

NEWLINE = b"\n"
BLOCK = 32 << 20  # bytes read (and split into records) at a time (as csvtable.BLOCK)
#: wrapper properties (lower-case) → the CSV column name the mapping falls back on
WRAPPER = {
    "creationdate": "creationdate", "userids": "userids", "operations": "operations", "userid": "userid",
    "operation": "operation", "resultindex": "resultindex", "resultcount": "resultcount", "recordid": "recordid",
    # Microsoft Graph auditLogRecord
    "createddatetime": "creationdate", "userprincipalname": "userid", "id": "recordid",
}
#: a record's own AuditData keys that a bare Management Activity API record always has
_BARE_KEYS = re.compile(rb'"CreationTime"\s*:')
_UAL_KEYS = re.compile(rb'"(?:Operation|RecordType|Workload|OrganizationId)"\s*:')
_WRAPPED = re.compile(rb'"AuditData"\s*:\s*["{]')
_GRAPH = re.compile(rb'"auditData"\s*:\s*\{')
_GRAPH_TYPE = re.compile(rb'"(?:auditLogRecordType|createdDateTime)"\s*:')
_GRAPH_PAGE = re.compile(rb'^\{\s*"(?:@odata\.[A-Za-z]+|value)"\s*:')
_MS_DATE = re.compile(r"^\\?/Date\((-?\d+)\)\\?/$")  # ConvertTo-Json of a DateTime (Windows PowerShell)


def _text_head(head: bytes) -> bytes:
    """The head as UTF-8 without a BOM or leading white space (UTF-16 exports transcoded)."""
    codec, bom = detect_encoding(head)
    body = head[bom:]
    if codec != "utf-8":
        body = body[: len(body) // 2 * 2].decode(codec, errors="replace").encode("utf-8")
    return body.lstrip()


def _mode(text: bytes) -> tuple[str, int]:
    """How records sit in the file: ("lines", 0) or ("values", nesting depth of the records)."""
    if text.startswith(b"["):
        return "values", 1
    if _GRAPH_PAGE.match(text):
        return "values", 2
    first = text.split(b"\n", 1)[0].strip()
    try:
        if isinstance(json.loads(first), dict):
            return "lines", 0
    except (ValueError, RecursionError):
        pass
    return "values", 0


class UalJsonParser(UalParser):
    name = "ual-json"
    description = ("Microsoft 365 unified audit log JSON (Management Activity API records, JSON lines or arrays; "
                   "Search-UnifiedAuditLog / Purview / Graph audit search exports)")
    source_format = "ual"  # the same records as the CSV (correlation and findings treat them alike)
    extensions = (".json", ".jsonl", ".ndjson", ".txt", ".log")

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> int:
        text = _text_head(head[:65536])
        if not text.startswith((b"{", b"[")):
            return 0
        if _WRAPPED.search(text) or (_GRAPH.search(text) and _GRAPH_TYPE.search(text)):
            return 90
        if _BARE_KEYS.search(text) and len(_UAL_KEYS.findall(text[:8192])) >= 2:
            return 85
        return 0

    # -- reading -----------------------------------------------------------------------------
    def _stream(self, ctx: ParseContext) -> Iterator[bytes]:
        """The file's bytes as UTF-8 without a BOM, block by block (read ahead, hashed as read)."""
        codec, bom = detect_encoding(ctx.reader.peek(4096))
        if codec != "utf-8":
            ctx.report.warn("file", f"{codec.upper()} export transcoded to UTF-8")
        decoder = codecs.getincrementaldecoder(codec)(errors="replace") if codec != "utf-8" else None
        skip = bom
        with closing(blocks(ctx.reader, BLOCK)) as stream:
            for data in stream:
                ctx.check_cancel()
                if skip:
                    data, skip = data[skip:], 0
                yield decoder.decode(data).encode("utf-8") if decoder else data
        if decoder is not None:
            tail = decoder.decode(b"", final=True).encode("utf-8")
            if tail:
                yield tail

    def _frames(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        completeness = ExportCompleteness(None)
        throttling = ThrottleWatch()
        mode, depth = _mode(_text_head(ctx.reader.peek(1 << 16)))
        self._shape: str | None = None
        self._duplicates = DuplicateWatch()
        pieces = self._lines(ctx) if mode == "lines" else self._values(ctx, depth)
        for payload, numbers, kind in pieces:
            ctx.check_cancel()
            frame = self._block(ctx, payload, numbers, kind, completeness)
            if frame is not None and len(frame):
                throttling.add(frame)
                yield frame
        completeness.report_to(ctx.report)
        throttling.report_to(ctx.report)

    def _lines(self, ctx: ParseContext) -> Iterator[tuple[bytes, np.ndarray, str]]:
        """JSON lines: whole lines of each block, numbered by line."""
        carry = b""
        lines_before = 0
        for data in self._stream(ctx):
            buf = carry + data if carry else data
            cut = buf.rfind(b"\n")
            if cut < 0:
                if len(buf) > MAX_RECORD:
                    self._overflow(ctx, f"line {lines_before + 1}")
                    return
                carry = buf
                continue
            part, carry = buf[: cut + 1], buf[cut + 1 :]
            if len(carry) > MAX_RECORD:
                self._overflow(ctx, f"line {lines_before + part.count(NEWLINE) + 1}")
                return
            yield self._line_piece(part, lines_before)
            lines_before += part.count(b"\n")
        if carry.strip():
            yield self._line_piece(carry + b"\n", lines_before)

    @staticmethod
    def _line_piece(part: bytes, lines_before: int) -> tuple[bytes, np.ndarray, str]:
        count = part.count(NEWLINE)
        if b"\r" not in part and b"\n\n" not in part and not part.startswith(NEWLINE):  # memchr-fast checks
            return part, np.arange(lines_before + 1, lines_before + count + 1, dtype=np.int64), "line"
        begin, end, index = line_spans(part)
        numbers = (index + lines_before + 1).astype(np.int64)
        payload = b"\n".join(part[b:e] for b, e in zip(begin.tolist(), end.tolist())) + b"\n"
        return payload, numbers, "line"

    def _values(self, ctx: ParseContext, depth: int) -> Iterator[tuple[bytes, np.ndarray, str]]:
        """Arrays, concatenated objects, Graph pages: records found by ``jsonsplit``."""
        done = 0
        for piece, offset, trouble in blocks_of_records(self._stream(ctx), depth, check_gaps=depth < 2):
            if trouble == "overflow":
                self._overflow(ctx, f"record {done + 1} (byte {offset:,} of the JSON text)")
                return
            if trouble == "truncated":
                ctx.report.bad_record(f"record {done + 1}", f"the file ends inside this record (byte {offset:,} of the "
                                      "JSON text on): truncated copy or export")
                return
            for token in piece.junk:
                ctx.report.bad_record(f"after record {done}", f"a value that is not a JSON object: {token!r}")
            if not piece.spans:
                continue
            numbers = np.arange(done + 1, done + len(piece.spans) + 1, dtype=np.int64)
            done += len(piece.spans)
            yield piece.payload, numbers, "record"

    @staticmethod
    def _overflow(ctx: ParseContext, where: str) -> None:
        ctx.report.bad_record(where, f"more than {MAX_RECORD:,} bytes without the record ending (a real record is "
                              "some kilobytes): damaged, or not an audit log export; the rest of the file is not read")
        ctx.report.notes.append(f"RECORDS MISSING: the rest of {ctx.path.name} from {where} was not read (damaged: "
                                "see the warnings)")

    # -- one block of records ----------------------------------------------------------------
    def _block(self, ctx: ParseContext, payload: bytes, numbers: np.ndarray, kind: str,
               completeness: ExportCompleteness) -> pd.DataFrame | None:
        """Rows of one block's records (one per line of ``payload``); ``kind`` names them in warnings."""
        if not len(numbers):
            return None
        if self._shape is None:
            self._shape = _shape_of(payload.split(b"\n", 1)[0])
        fast = self._fast(payload, len(numbers))
        if fast is not None:
            records, cols = fast
            if isinstance(records, pa.Array):  # AuditData as text: the CSV parser's own JSON step
                parsed = self._parse_json(ctx, records, numbers, cols.get("recordid"))
                if parsed is None:
                    return None
                records, ok = parsed
                if not ok.all():
                    keep = pa.array(ok)
                    cols = {k: v.filter(keep) for k, v in cols.items()}
                    numbers = numbers[ok]
        else:
            records, cols, numbers = self._slowly(ctx, payload, numbers, kind)
        completeness.add(cols, len(numbers))
        if not len(numbers):
            return None
        keep = self._duplicates.keep(records, numbers, ctx.report)
        if not keep.all():
            mask = pa.array(keep)
            records, numbers = records.filter(mask), numbers[keep]
            cols = {k: v.filter(mask) for k, v in cols.items()}
        return self._map(ctx, records, cols, numbers)

    def _fast(self, payload: bytes, n: int) -> tuple[pa.Table | pa.Array, dict[str, pa.Array]] | None:
        """The whole block by pyarrow, or None if any record does not fit the shape's schema."""
        shape = self._shape
        if shape is None:
            return None
        if shape == "bare":
            schema = AUDIT_SCHEMA
        else:
            key, wrappers = _SHAPES[shape]
            audit_type = S if shape == "wrapped-text" else pa.struct(list(AUDIT_SCHEMA))
            schema = pa.schema([(key, audit_type)] + [(name, kind) for name, kind in wrappers])
        try:
            table = pajson.read_json(
                pa.BufferReader(payload), read_options=pajson.ReadOptions(block_size=1 << 20),
                parse_options=pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            return None
        if table.num_rows != n:
            return None
        if shape == "bare":
            return (table, {}) if table.column("CreationTime").null_count < n else None
        key, wrappers = _SHAPES[shape]
        audit = table.column(key).combine_chunks()
        if audit.null_count:
            return None
        cols = {WRAPPER[name.lower()]: _as_text(table.column(name).combine_chunks()) for name, _ in wrappers}
        if shape == "wrapped-text":
            return audit, cols
        return pa.Table.from_struct_array(audit), cols

    def _slowly(self, ctx: ParseContext, payload: bytes, numbers: np.ndarray, kind: str
                ) -> tuple[pa.Table, dict[str, pa.Array], np.ndarray]:
        """Record by record (only for a block holding a record that does not fit)."""
        audits: list[dict[str, Any]] = []
        wraps: dict[str, list[str | None]] = {name: [] for name in set(WRAPPER.values())}
        kept: list[int] = []
        for number, text in zip(numbers.tolist(), payload.split(b"\n")):
            audit, wrap, problem = _unwrap(text)
            if problem:
                ctx.report.bad_record(f"{kind} {number}", problem)
                continue
            audits.append(_fit(audit, AUDIT_SCHEMA))
            for name, values in wraps.items():
                values.append(wrap.get(name))
            kept.append(number)
        cols = {name: _as_text(pa.array(values, S)) for name, values in wraps.items() if any(v is not None for v in values)}
        return pa.Table.from_pylist(audits, schema=AUDIT_SCHEMA), cols, np.array(kept, dtype=np.int64)

    # -- the detail view -----------------------------------------------------------------------
    @classmethod
    def raw_record(cls, path: Path, raw_ref: int | None, record_id: int | None) -> str:
        """The record's JSON text, found again by its line (JSON lines) or order in the file."""
        if record_id is None or pd.isna(record_id):
            raise ValueError("a UAL JSON row needs its record number")
        number = int(record_id)
        raw = path.read_bytes()
        codec, bom = detect_encoding(raw[:4096])
        data = raw[bom:].decode(codec, errors="replace").encode("utf-8") if codec != "utf-8" else raw[bom:]
        mode, depth = _mode(data.lstrip()[: 1 << 16])
        if mode == "lines":
            lines = data.split(b"\n")
            if 1 <= number <= len(lines):
                return lines[number - 1].decode("utf-8", "replace").rstrip("\r")
            raise ValueError(f"line {number} not found")
        seen = 0
        for piece, _, _ in blocks_of_records(iter([data]), depth, check_gaps=False):
            if seen + len(piece.spans) >= number:
                return piece.payload.split(b"\n")[number - seen - 1].decode("utf-8", "replace")
            seen += len(piece.spans)
        raise ValueError(f"record {number} not found")


#: shape → (AuditData key, wrapper properties read with the type pyarrow must find)
_SHAPES: dict[str, tuple[str, list[tuple[str, pa.DataType]]]] = {
    "wrapped-text": ("AuditData", [("CreationDate", S), ("UserIds", S), ("Operations", S), ("ResultIndex", pa.int64()),
                                   ("ResultCount", pa.int64())]),
    "wrapped-object": ("AuditData", [("CreationDate", S), ("UserIds", S), ("Operations", S), ("UserId", S),
                                     ("Operation", S), ("RecordId", S)]),
    "graph": ("auditData", [("createdDateTime", S), ("operation", S), ("userPrincipalName", S), ("id", S)]),
}


def _shape_of(first: bytes) -> str | None:
    """Which of the known shapes the first record has (None: parse every block record by record)."""
    try:
        value = json.loads(first, strict=False)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    if "AuditData" in value:
        return "wrapped-text" if isinstance(value["AuditData"], str) else "wrapped-object"
    if "auditData" in value:
        return "graph"
    return "bare" if "CreationTime" in value else None


def _unwrap(text: bytes) -> tuple[dict[str, Any], dict[str, str], str]:
    """(AuditData record, wrapper values by fallback column, problem) of one record's JSON."""
    if not text.strip():
        return {}, {}, "empty record"
    try:
        value = json.loads(text, strict=False)
    except (ValueError, RecursionError) as exc:
        return {}, {}, f"not valid JSON: {exc}"
    if not isinstance(value, dict):
        return {}, {}, f"not a JSON object ({type(value).__name__})"
    keys = {str(k).lower(): k for k in value}
    if "auditdata" in keys:
        audit = value[keys["auditdata"]]
        if isinstance(audit, str):
            try:
                audit = json.loads(audit, strict=False)
            except (ValueError, RecursionError) as exc:
                return {}, {}, f"AuditData is not valid JSON: {exc}"
        if not isinstance(audit, dict):
            return {}, {}, "AuditData is not a JSON object"
        wrap = {WRAPPER[k]: _scalar(value[key]) for k, key in keys.items() if k in WRAPPER and value[key] is not None}
        return audit, wrap, ""
    if "CreationTime" in value or "Operation" in value:
        return value, {}, ""
    return {}, {}, "not a unified audit log record (no AuditData, CreationTime or Operation)"


def _scalar(value: Any) -> str:
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def _as_text(values: pa.Array) -> pa.Array:
    """A wrapper column as text; ``/Date(ms)/`` (Windows PowerShell's ConvertTo-Json) as ISO UTC."""
    text = values if pa.types.is_string(values.type) else pc.cast(values, S)
    if not len(text) or not pc.any(pc.fill_null(pc.starts_with(text, "/Date("), False)).as_py():
        return text
    millis = pc.struct_field(pc.extract_regex(text, _MS_DATE.pattern.replace("(-?", "(?P<ms>-?")), [0])
    iso = pc.strftime(pc.cast(pc.cast(millis, pa.int64()), pa.timestamp("ms", tz="UTC")), format="%Y-%m-%dT%H:%M:%SZ")
    return pc.coalesce(iso, text)


registry.register(UalJsonParser)
