"""IIS W3C extended logs from Exchange servers (2003 OWA/WebDAV to 2019 OWA/EWS/EAS/MAPI).

Why this shape: IIS logs run to millions of lines a day, so lines are never handled one by
one in Python. The file is read in large blocks; numpy finds line starts, ``#`` directives
and field counts per line; each run of lines under one ``#Fields:`` header goes to
pyarrow's CSV reader (space-separated, no quoting, ``-`` = empty); what a request means is
then decided column-wise in ``iis_requests``, a batch of ``ROWS_PER_BATCH`` lines at a time
on ``INTERPRETERS`` worker threads while the next block is read and hashed (batches are
independent; their results are taken in file order); ``iis_assembly`` settles what
needs the whole log (401 challenges answered later) and builds one frame. Lines whose
field count disagrees with their ``#Fields:`` header, or that come before any header, are
bad records with a warning naming the line. ``raw_ref`` is the byte offset of the line,
``record_id`` its line number.
"""

from __future__ import annotations

import io
import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from forensics.parsers import registry
from forensics.parsers.base import ParseContext, Parser
from forensics.parsers.csvtable import unique_names
from forensics.parsers.arrowbytes import positions_of
from forensics.parsers.arrowtext import as_array
from forensics.parsers.w3c.iis_assembly import IisAssembly, to_frame
from forensics.parsers.w3c.iis_head import decode_line, headerless_default, iis_fields
from forensics.parsers.w3c.iis_layouts import SAMPLE_LINES, guess_layout, layout_note, parse_field_list
from forensics.parsers.setchecks import EvidenceSetCheck
from forensics.parsers.w3c.iis_rollover import ROLLOVER_CHECK
from forensics.parsers.w3c.iis_requests import RequestChunk, classify
from forensics.parsers.prefetch import blocks
from forensics.parsers.w3c.w3ctime import parse_w3c_times

BLOCK = 32 << 20  # bytes per read; the tail of a partial line carries over
#: longest line read (IIS caps a request line far below this); longer ones are bad records
MAX_LINE = 1 << 20
ROWS_PER_BATCH = 100_000  # rows interpreted together, while the next block is read and hashed
#: row batches read ahead of the interpreting threads (bounds the memory of what waits)
BATCHES_AHEAD = 2
#: threads interpreting batches (Arrow and numpy release the GIL; batches are independent)
INTERPRETERS = 2
#: W3C fields the classifier uses (lower-case); others are not materialized
WANTED = {
    "date", "time", "s-sitename", "s-computername", "s-ip", "cs-method", "cs-uri-stem",
    "cs-uri-query", "cs-username", "c-ip", "cs(user-agent)", "sc-status", "sc-substatus",
    "sc-win32-status", "x-forwarded-for", "cs(x-forwarded-for)",
}
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: W3C extended log directives besides #Fields and #Date, which carry nothing read here
_OTHER_DIRECTIVES = {"#software", "#version", "#start-date", "#end-date", "#remark"}


@dataclass
class _State:
    """What persists across blocks: the current header and running positions."""

    fields: list[str] | None = None
    date: str | None = None  # from a "#Date:" directive, for logs without a date field
    line_base: int = 0  # lines before the current block
    byte_base: int = 0  # file offset of the current block
    offsets_valid: bool = True  # false after transcoding a UTF-16 file
    legacy_warned: bool = False
    tables: list[pa.Table] = field(default_factory=list)  # read, not yet interpreted
    rows: int = 0  # rows in ``tables`` (kept, not summed: a log may hold thousands of short runs)
    assembly: IisAssembly | None = None
    worker: ThreadPoolExecutor | None = None  # interprets batches while lines are read
    inflight: deque[Future[RequestChunk]] = field(default_factory=deque)
    eol: int | None = None  # the line-end byte: 10 (LF, CRLF) or 13 (CR-only files)
    skipped_bytes: int = 0  # bytes of an over-long line being dropped
    #: where ``fields`` came from when no #Fields: header named them (given or assumed layout)
    layout_source: str | None = None
    layout_fields: list[str] = field(default_factory=list)
    layout_lines: int = 0  # lines read under that layout
    layout_used: str | None = None  # the source of those lines (a later header clears ``layout_source``)
    layout_tried: bool = False  # a default layout was looked for (once per file)
    headerless_unread: int = 0  # lines before any header that no layout could read


class IisParser(Parser):
    name = "iis"
    description = "IIS W3C extended log (Exchange OWA, WebDAV, EWS, ActiveSync, RPC/MAPI over HTTP)"
    source_format = "iis"
    extensions = (".log",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> int:
        if head[:2] in _UTF16_BOMS:
            head = head[2:].decode("utf-16-le" if head[:2] == b"\xff\xfe" else "utf-16-be", "ignore").encode()
        if b"#Software: Microsoft Internet Information Services" in head:
            return 95
        if not iis_fields(head):  # Exchange's own logs (HttpProxy, tracking, SMTP): "#Log-type:", commas
            return 0
        if b"#Fields:" in head and b"cs-uri-stem" in head:
            return 90
        if b"#Fields:" in head and b"#Version:" in head:
            return 60
        if b"#Fields:" not in head and headerless_default(head):
            return 40  # IIS lines without their header, in one default layout (``iis_layouts``)
        return 0

    # -- reading --------------------------------------------------------------------------
    @classmethod
    def evidence_set_checks(cls) -> tuple[EvidenceSetCheck, ...]:
        return (ROLLOVER_CHECK,)  # days (hours) missing between the day (hour) files

    def parse(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        worker = ThreadPoolExecutor(max_workers=INTERPRETERS, thread_name_prefix="iis-interpret")
        state = _State(assembly=IisAssembly(ctx.options.all_events), worker=worker)
        if ctx.options.w3c_fields:  # header-less lines: the examiner names the fields
            given = parse_field_list(ctx.options.w3c_fields)
            state.fields = unique_names(given, sep="#", lower=True)
            state.layout_source, state.layout_fields = "the fields given (--w3c-fields)", given
        try:
            yield from self._parse(ctx, state)
        finally:
            worker.shutdown(wait=True, cancel_futures=True)

    def _parse(self, ctx: ParseContext, state: _State) -> Iterator[pd.DataFrame]:
        head = ctx.reader.peek(4)
        if head[:2] in _UTF16_BOMS:
            self._parse_utf16(ctx, state)
        else:
            if head.startswith(_UTF8_BOM):
                ctx.reader.read(3)
                state.byte_base = 3
            carry = b""
            with closing(blocks(ctx.reader, BLOCK)) as stream:  # closed (read-ahead joined) on error too
                for data in stream:
                    ctx.check_cancel()
                    if state.eol is None:
                        self._line_ends(ctx, state, data)
                    eol = b"\r" if state.eol == 13 else b"\n"
                    first, last = data.find(eol), data.rfind(eol)
                    if first < 0:  # no line end in this block: the line goes on
                        carry = self._carry(ctx, state, carry, data)
                        continue
                    view = memoryview(data)  # whole lines of the block parsed in place, no copy
                    if state.skipped_bytes:  # the end of an over-long line: dropped, counted
                        self._skip_line(ctx, state, first + 1)
                        view = view[first + 1 :]
                        last -= first + 1
                    elif carry:
                        self._block(ctx, state, carry + data[: first + 1])
                        view = view[first + 1 :]
                        last -= first + 1
                    if last >= 0:
                        self._block(ctx, state, view[: last + 1])
                    carry = bytes(view[last + 1 :])
            if state.skipped_bytes:
                self._skip_line(ctx, state, 0)
            elif carry:
                self._block(ctx, state, carry)
        yield from self._finish(ctx, state)

    def _line_ends(self, ctx: ParseContext, state: _State, data: bytes) -> None:
        """LF (and CRLF) unless the first block holds carriage returns and no LF at all: a
        CR-only log (classic Mac line ends, or a converted copy) is split at CR."""
        if b"\n" not in data and b"\r" in data:
            state.eol = 13
            ctx.report.warn("file", "lines end in a carriage return alone (no line feed): lines were split at CR")
        else:
            state.eol = 10

    def _carry(self, ctx: ParseContext, state: _State, carry: bytes, data: bytes) -> bytes:
        """A block without a line end: keep it for the next block, up to ``MAX_LINE`` bytes;
        a longer "line" (a zero-filled region, not a log) is dropped and counted instead, so
        memory stays bounded on any input."""
        if state.skipped_bytes or len(carry) + len(data) > MAX_LINE:
            state.skipped_bytes += len(carry) + len(data)
            return b""
        return carry + data

    def _skip_line(self, ctx: ParseContext, state: _State, tail: int) -> None:
        size = state.skipped_bytes + tail
        ctx.report.bad_record(
            f"line {state.line_base + 1}",
            f"line of {size:,} bytes without a line end, over the {MAX_LINE:,}-byte limit of a log line "
            "(damaged or zero-filled region, or not a log): not read",
        )
        state.line_base += 1
        state.byte_base += size
        state.skipped_bytes = 0

    def _parse_utf16(self, ctx: ParseContext, state: _State) -> None:
        raw = ctx.reader.read()
        encoding = "utf-16-le" if raw[:2] == b"\xff\xfe" else "utf-16-be"
        text = raw[2:].decode(encoding, errors="replace")
        ctx.report.warn("file", f"{encoding.upper()} log transcoded to UTF-8; rows locate raw lines by line number")
        state.offsets_valid = False
        if text:  # a BOM alone: no line to split (``_block`` needs at least one byte)
            self._block(ctx, state, text.encode("utf-8"))

    def _block(self, ctx: ParseContext, state: _State, chunk: bytes | memoryview) -> None:
        """Split one block of whole lines into header runs and parse each run."""
        buf = np.frombuffer(chunk, dtype=np.uint8)
        eol = state.eol or 10
        ends_all = positions_of(buf, eol)
        if not len(buf) or buf[-1] != eol:
            ends_all = np.append(ends_all, len(buf))
        count = len(ends_all)
        starts = np.empty(count, dtype=np.int64)
        starts[0] = 0
        starts[1:] = ends_all[:-1] + 1
        has_cr = (ends_all > starts) & (buf[np.maximum(ends_all - 1, 0)] == 13) & (eol == 10)
        ends = ends_all - has_cr
        blank = ends <= starts
        directive = ~blank & (buf[np.minimum(starts, len(buf) - 1)] == 35)
        info = _Lines(chunk, buf, starts, ends, ends_all, has_cr, blank)
        seg_start = 0
        for d in np.flatnonzero(directive).tolist():
            self._run(ctx, state, info, seg_start, d)
            self._directive(ctx, state, bytes(chunk[starts[d] : ends[d]]), state.line_base + d + 1)
            seg_start = d + 1
        self._run(ctx, state, info, seg_start, count)
        state.line_base += count
        state.byte_base += len(chunk)

    def _directive(self, ctx: ParseContext, state: _State, line: bytes, number: int) -> None:
        text = decode_line(line)
        name, _, value = text.partition(":")
        name = name.strip().lower()
        if name == "#fields":
            state.layout_source = None  # the file names its own fields from here on
            names = value.split()
            if not names:
                ctx.report.warn(f"line {number}", "empty #Fields: header; following lines cannot be read")
                state.fields = None
            else:
                state.fields = unique_names(names, sep="#", lower=True)
        elif name == "#date":
            state.date = value.strip()[:10] or None
        elif name not in _OTHER_DIRECTIVES:
            # a data line whose first byte is damaged into "#" would otherwise vanish unnoticed
            ctx.report.bad_record(f"line {number}", f"not a W3C directive (a damaged log line?): {text[:120]!r}")

    def _run(self, ctx: ParseContext, state: _State, info: "_Lines", a: int, b: int) -> None:
        """Parse lines [a, b) of the block, all under the current #Fields header.

        Fast path: hand the run to pyarrow as is; if pyarrow met no malformed row and
        returned one row per data line, every line was good. Otherwise count fields per
        line with numpy, report the bad lines, and parse only the good ones.
        """
        idx = np.flatnonzero(~info.blank[a:b]) + a
        if not len(idx):
            return
        numbers = idx + state.line_base + 1
        if state.fields is None and not state.layout_tried:
            state.layout_tried = True
            sample = [decode_line(bytes(info.chunk[info.starts[i] : info.ends[i]])) for i in idx[:SAMPLE_LINES].tolist()]
            layout = guess_layout(sample)
            if layout is not None:
                state.fields = unique_names(list(layout.fields), sep="#", lower=True)
                state.layout_source, state.layout_fields = layout.name, list(layout.fields)
        if state.fields is None:
            state.headerless_unread += len(numbers)
            for number in numbers.tolist():
                ctx.report.bad_record(f"line {number}", "data line before any #Fields: header")
            return
        table = self._read_table(ctx, state, info, idx, numbers, strict=False)
        if table is None or table.num_rows != len(idx):
            good = self._check_lines(ctx, state, info, idx, numbers)
            idx, numbers = idx[good], numbers[good]
            if not len(idx):
                return
            table = self._read_table(ctx, state, info, idx, numbers, strict=True)
            if table is None:
                return
        if state.layout_source is not None:
            state.layout_lines += table.num_rows
            state.layout_used = state.layout_source
        extra = {"record_id": pa.array(numbers, pa.int64())}
        if state.offsets_valid:
            extra["raw_ref"] = pa.array(info.starts[idx] + state.byte_base, pa.int64())
        if "date" not in table.column_names and state.date:
            extra["date"] = pa.array(np.full(len(idx), state.date, dtype=object), pa.string())
        for name, values in extra.items():
            table = table.append_column(name, values)
        state.tables.append(table)
        state.rows += table.num_rows
        if state.rows >= ROWS_PER_BATCH:
            self._interpret(ctx, state, final=False)

    def _check_lines(
        self, ctx: ParseContext, state: _State, info: "_Lines", idx: np.ndarray, numbers: np.ndarray
    ) -> np.ndarray:
        """Per-line field counts and stray carriage returns; report bad lines, return the good mask."""
        lo, hi = int(info.starts[idx[0]]), int(info.ends_all[idx[-1]])
        part = info.buf[lo:hi]
        local_ends = info.ends_all[idx[0] : idx[-1] + 1] - lo
        spaces = np.bincount(np.searchsorted(local_ends, positions_of(part, 32)), minlength=len(local_ends))
        stray_byte = 10 if state.eol == 13 else 13  # a CR inside an LF line, an LF inside a CR line
        crs = np.bincount(np.searchsorted(local_ends, positions_of(part, stray_byte)), minlength=len(local_ends))
        rel = idx - idx[0]
        spaces, stray = spaces[rel], crs[rel] > info.has_cr[idx]
        expected = len(state.fields or []) - 1
        good = (spaces == expected) & ~stray
        for i in np.flatnonzero(~good).tolist():
            if stray[i]:
                why = "line feed inside the line" if state.eol == 13 else "carriage return inside the line"
            else:
                why = f"{spaces[i] + 1} fields where #Fields: names {expected + 1} (truncated or corrupt line)"
            ctx.report.bad_record(f"line {numbers[i]}", why)
        return good

    def _read_table(
        self,
        ctx: ParseContext,
        state: _State,
        info: "_Lines",
        idx: np.ndarray,
        numbers: np.ndarray,
        strict: bool,
    ) -> pa.Table | None:
        """pyarrow CSV over the given lines; ``None`` (fast path) when a row is malformed
        (pyarrow raises on a wrong field count; the strict pass only sees checked lines)."""
        fields = state.fields or []
        include = [f for f in fields if f in WANTED]
        if not include:
            for number in numbers.tolist():
                ctx.report.bad_record(f"line {number}", "#Fields: header names none of the fields an access needs")
            return None
        options = dict(
            read_options=pacsv.ReadOptions(column_names=fields, block_size=8 << 20, use_threads=False),
            parse_options=pacsv.ParseOptions(
                delimiter=" ", quote_char=False, escape_char=False, ignore_empty_lines=True,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f: pa.string() for f in include},
                include_columns=include,
                null_values=["-", ""],
                strings_can_be_null=True,
            ),
        )
        payload = info.select(idx)
        try:
            table = pacsv.read_csv(pa.BufferReader(pa.py_buffer(payload)), **options)
        except pa.ArrowInvalid as exc:
            if not strict or "UTF8" not in str(exc).upper().replace("-", ""):
                if strict:
                    for number in numbers.tolist():
                        ctx.report.bad_record(f"line {number}", f"line could not be split: {exc}")
                return None
            # not UTF-8 (IIS 6 "ex*.log" files are ANSI): decode line by line, UTF-8 first
            lines = [decode_line(bytes(info.chunk[info.starts[i] : info.ends[i]])) for i in idx.tolist()]
            if not state.legacy_warned:
                ctx.report.warn(
                    f"line {numbers[0]}", "text is not valid UTF-8; such lines were decoded as Windows-1252"
                )
                state.legacy_warned = True
            table = pacsv.read_csv(io.BytesIO("\n".join(lines).encode("utf-8") + b"\n"), **options)
        if strict and table.num_rows != len(idx):  # cannot happen after _check_lines; never guess
            for number in numbers.tolist():
                ctx.report.bad_record(f"line {number}", "line could not be split consistently")
            return None
        return table

    # -- meaning ----------------------------------------------------------------------------
    def _interpret(self, ctx: ParseContext, state: _State, final: bool) -> None:
        """Hand the lines read so far to the interpreting thread, ``ROWS_PER_BATCH`` at a
        time (a last, shorter batch only when ``final``)."""
        if not state.tables:
            return
        table = pa.concat_tables(state.tables, promote_options="default") if len(state.tables) > 1 else state.tables[0]
        state.tables.clear()
        start = 0
        while table.num_rows - start >= ROWS_PER_BATCH or (final and start < table.num_rows):
            size = min(ROWS_PER_BATCH, table.num_rows - start)
            self._submit(ctx, state, table.slice(start, size))
            start += size
        rest = table.slice(start)
        state.rows = rest.num_rows
        if rest.num_rows:
            state.tables.append(rest)

    def _submit(self, ctx: ParseContext, state: _State, table: pa.Table) -> None:
        """Times are read here (bad ones reported in line order); the rest is interpreted on
        the worker thread while the next lines are read."""
        ctx.check_cancel()
        names = table.column_names
        date = as_array(table.column("date")) if "date" in names else pa.nulls(table.num_rows, pa.string())
        clock = as_array(table.column("time")) if "time" in names else pa.nulls(table.num_rows, pa.string())
        times = parse_w3c_times(date, clock)
        bad = pc.is_null(times).to_numpy(zero_copy_only=False)
        if bad.any():
            for number in as_array(table.column("record_id")).to_numpy()[bad].tolist():
                ctx.report.bad_record(f"line {number}", "date/time missing or not a valid date and time")
            keep = pa.array(~bad)
            table, times = table.filter(keep), times.filter(keep)
        if not table.num_rows:
            return
        assert state.assembly is not None and state.worker is not None
        # numpy and Arrow release the GIL, so this overlaps with reading the next lines; results
        # are collected in file order (the 401 pairing's keys are added then)
        state.inflight.append(state.worker.submit(classify, table, times, ctx.options.all_events))
        while len(state.inflight) > BATCHES_AHEAD:
            self._collect(ctx, state)

    def _collect(self, ctx: ParseContext, state: _State) -> None:
        """Take the oldest interpreted batch (waiting for it if need be)."""
        chunk = state.inflight.popleft().result()
        for reason, count in chunk.skipped.items():
            ctx.report.skip(reason, count)
        assert state.assembly is not None and chunk.key_parts is not None
        chunk.first_row = state.assembly.keys.add(*chunk.key_parts)  # in file order, whatever thread classified it
        chunk.key_parts = None
        state.assembly.add(chunk)

    def _finish(self, ctx: ParseContext, state: _State) -> Iterator[pd.DataFrame]:
        self._note_layout(ctx, state)
        self._interpret(ctx, state, final=True)
        while state.inflight:
            self._collect(ctx, state)
        assert state.assembly is not None
        table, counts = state.assembly.settle()
        state.assembly.report_silences(ctx.report)
        for reason, count in counts.items():
            ctx.report.skip(reason, count)
        if table is None:
            return
        ctx.report.accept(table.num_rows)
        yield to_frame(table)  # one frame per file: nothing left for ingest to merge

    def _note_layout(self, ctx: ParseContext, state: _State) -> None:
        """Say which layout header-less lines were read with, or that none could be assumed."""
        if state.layout_lines and state.layout_used:
            note = layout_note(state.layout_used, state.layout_fields, state.layout_lines)
            ctx.report.notes.append(note)
            ctx.report.warn("file", note)
        if state.headerless_unread:
            ctx.report.notes.append(
                f"NO FIELD LAYOUT: {state.headerless_unread:,} line(s) come before any #Fields: header and fit no IIS "
                "default layout (IIS 6.0, 7.0-7.5, 8.5-10) by field count and value shapes; they were not read. "
                "If they are IIS lines, give their fields with --w3c-fields (Load options in the workbench)"
            )

    @classmethod
    def raw_record(cls, path: Path, raw_ref: int | None, record_id: int | None) -> str:
        with open(path, "rb") as fh:
            if raw_ref is not None and not pd.isna(raw_ref):
                fh.seek(int(raw_ref))
                line = fh.read(MAX_LINE + 2)  # bounded: a CR-only file has no LF to stop readline
                return decode_line(re.split(rb"\r|\n", line, maxsplit=1)[0])
            raw = fh.read()
        if record_id is None or pd.isna(record_id):
            raise ValueError("an IIS row needs a byte offset or a line number")
        for bom, enc in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
            if raw.startswith(bom):
                lines = raw[2:].decode(enc, errors="replace").split("\n")
                return lines[int(record_id) - 1].rstrip("\r")
        eol = b"\r" if b"\n" not in raw and b"\r" in raw else b"\n"  # CR-only files: see _line_ends
        return decode_line(raw.split(eol)[int(record_id) - 1]).rstrip("\r")


@dataclass
class _Lines:
    """Line geometry of one block (arrays are per line)."""

    chunk: bytes | memoryview
    buf: np.ndarray  # the block as uint8
    starts: np.ndarray
    ends: np.ndarray  # content end, without CR/LF
    ends_all: np.ndarray  # position of the LF (or block end)
    has_cr: np.ndarray
    blank: np.ndarray

    def select(self, idx: np.ndarray) -> bytes | memoryview:
        """The bytes of lines ``idx`` (each with its line end), as one buffer."""
        first, last = int(idx[0]), int(idx[-1])
        if last - first + 1 == len(idx):  # contiguous: a plain slice
            return self.chunk[self.starts[first] : self.ends_all[last] + 1]
        marks = np.zeros(len(self.buf) + 2, dtype=np.int8)
        np.add.at(marks, self.starts[idx], 1)
        np.add.at(marks, np.minimum(self.ends_all[idx] + 1, len(self.buf)), -1)
        keep = np.cumsum(marks[: len(self.buf)], dtype=np.int8) > 0
        return self.buf[keep].tobytes()


registry.register(IisParser)
