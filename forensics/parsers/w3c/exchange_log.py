"""Exchange's own comma-separated logs (HttpProxy, message tracking, protocol logs): the
directives, and the data lines as Arrow tables with their columns named by ``#Fields:``.

These logs share one shape (``Microsoft.Exchange.Diagnostics`` log writer): directive lines
``#Software: Microsoft Exchange Server``, ``#Version:``, ``#Log-type: <kind>``, ``#Date:``,
``#Fields: a,b,c`` and then CSV lines, values in double quotes when they hold a comma or a
quote (doubled). Columns differ by version and a file may hold several ``#Fields:`` blocks,
so every field is found by its name, never by position.

Why this shape: the logs are large (one line per request, hundreds of bytes each), so the
bytes are read in blocks (the custody reader's bytes: the bytes parsed are the bytes
hashed), lines are found with numpy and each run of lines under one header goes to
pyarrow's CSV reader, which materialises only the wanted columns. When a run has a damaged
line, the run is re-read checking each line (balanced quotes, field count) so that every
line is either a row or a bad record naming its line number: records = rows + skipped + bad.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from forensics.parsers.arrowbytes import positions_of
from forensics.parsers.base import FileReport, ParseContext
from forensics.parsers.csvtable import unique_names
from forensics.parsers.prefetch import blocks

BLOCK = 32 << 20  # bytes per read; the tail of a partial line carries over
_UTF8_BOM = b"\xef\xbb\xbf"
_KNOWN_DIRECTIVES = {"#software", "#version", "#log-type", "#date", "#fields"}
_QUOTE, _LF, _CR = 34, 10, 13


def directives(head: bytes) -> dict[str, str]:
    """The first value of each ``#Name:`` directive in ``head`` (names lower-case, no ``#``).

    For sniffing: the log type and the field list decide what a file is, not its name."""
    text = head[3:] if head.startswith(_UTF8_BOM) else head
    out: dict[str, str] = {}
    for raw in text.split(b"\n", 64)[:64]:
        if not raw.startswith(b"#"):
            continue
        name, sep, value = raw[1:].partition(b":")
        if sep:
            key = name.strip().lower().decode("ascii", "replace")
            out.setdefault(key, value.strip().decode("utf-8", "replace"))
    return out


def field_names(value: str) -> list[str]:
    """``#Fields:`` of these logs: comma-separated names, compared lower-case."""
    return unique_names([name.strip() for name in value.split(",")], sep="#", lower=True)


def decode_line(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def text_column(table: pa.Table, name: str) -> pa.Array:
    """Column ``name`` as one array, or all nulls when the log's #Fields lacked it."""
    if name not in table.column_names:
        return pa.nulls(table.num_rows, pa.string())
    column = table.column(name)
    return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)


def report_chunk(report: FileReport, bad_lines: list[tuple[int, str]], skipped: Mapping[str, int]) -> None:
    """Count one block's unreadable lines (by line number) and its deliberately skipped rows."""
    for number, why in bad_lines:
        report.bad_record(f"line {number}", why)
    for reason, count in skipped.items():
        report.skip(reason, count)


def warn_log_type(report: FileReport, log_types: list[str], expected: str, read_as: str) -> None:
    """A #Log-type directive naming another log is warned about; the file is still read as asked."""
    other = [t for t in log_types if t.strip().lower() != expected]
    if other:
        report.warn("file", f"#Log-type says {other[0]!r}, read as {read_as} as asked")


def raw_line(path: Path, raw_ref: int | None, record_id: int | None, what: str) -> str:
    """One logged line, found by byte offset or else by 1-based line number, for the
    Detail pane's raw view; ``what`` names the row kind in the error."""
    with open(path, "rb") as fh:
        if raw_ref is not None and not pd.isna(raw_ref):
            fh.seek(int(raw_ref))
            return decode_line(fh.readline()).rstrip("\r\n")
        if record_id is None or pd.isna(record_id):
            raise ValueError(f"{what} row needs a byte offset or a line number")
        for number, line in enumerate(fh, start=1):
            if number == int(record_id):
                return decode_line(line).rstrip("\r\n")
    raise ValueError(f"line {record_id} is past the end of {path.name}")


@dataclass
class _Lines:
    """Line geometry of one block (arrays are per line)."""

    chunk: bytes | memoryview
    buf: np.ndarray
    starts: np.ndarray
    ends: np.ndarray  # content end, without CR/LF
    ends_all: np.ndarray  # position of the LF (or block end)

    def select(self, idx: np.ndarray) -> bytes:
        """The bytes of lines ``idx``, each ended by a plain LF."""
        first, last = int(idx[0]), int(idx[-1])
        if last - first + 1 == len(idx):  # contiguous: one slice
            return bytes(self.chunk[self.starts[first] : self.ends_all[last] + 1])
        marks = np.zeros(len(self.buf) + 2, dtype=np.int8)  # +1 where a kept line starts, -1 after it
        np.add.at(marks, self.starts[idx], 1)
        np.add.at(marks, np.minimum(self.ends_all[idx] + 1, len(self.buf)), -1)
        return self.buf[np.cumsum(marks[: len(self.buf)], dtype=np.int8) > 0].tobytes()


@dataclass
class ExchangeLogReader:
    """Reads one file's data lines into Arrow tables of the ``wanted`` fields (lower-case).

    Each table also has ``record_id`` (line number) and ``raw_ref`` (byte offset of the line).
    Lines before any ``#Fields:``, damaged lines and unknown directives are bad records in
    ``ctx.report``; every other data line is a table row (the caller accounts for it).
    """

    ctx: ParseContext
    wanted: frozenset[str]
    batch_rows: int = 200_000
    log_types: list[str] = field(default_factory=list)
    fields: list[str] | None = None
    _line_base: int = 0
    _byte_base: int = 0
    _pending: list[pa.Table] = field(default_factory=list)
    _pending_rows: int = 0
    _legacy_warned: bool = False

    def tables(self) -> Iterator[pa.Table]:
        reader = self.ctx.reader
        if reader.peek(3).startswith(_UTF8_BOM):
            reader.read(3)
            self._byte_base = 3
        carry = b""
        with closing(blocks(reader, BLOCK)) as stream:  # closed (read-ahead joined) on error too
            for data in stream:
                self.ctx.check_cancel()
                first, last = data.find(b"\n"), data.rfind(b"\n")
                if last < 0:  # no line end in this block: the line goes on
                    carry += data
                    continue
                view = memoryview(data)  # whole lines parsed in place; only the carried line is copied
                if carry:
                    yield from self._block(carry + data[: first + 1])
                    view, last = view[first + 1 :], last - first - 1
                if last >= 0:
                    yield from self._block(view[: last + 1])
                carry = bytes(view[last + 1 :])
        if carry:
            yield from self._block(carry)
        yield from self._flush(final=True)

    # -- lines ------------------------------------------------------------------------------
    def _block(self, chunk: bytes | memoryview) -> Iterator[pa.Table]:
        buf = np.frombuffer(chunk, dtype=np.uint8)
        ends_all = positions_of(buf, _LF)
        if bytes(chunk[-1:]) != b"\n":
            ends_all = np.append(ends_all, len(buf))
        count = len(ends_all)
        starts = np.empty(count, dtype=np.int64)
        starts[0] = 0
        starts[1:] = ends_all[:-1] + 1
        has_cr = (ends_all > starts) & (buf[np.maximum(ends_all - 1, 0)] == _CR)
        ends = ends_all - has_cr
        blank = ends <= starts
        directive = ~blank & (buf[np.minimum(starts, len(buf) - 1)] == ord("#"))
        lines = _Lines(chunk, buf, starts, ends, ends_all)
        begin = 0
        for d in np.flatnonzero(directive).tolist():
            self._run(lines, np.flatnonzero(~blank[begin:d]) + begin)
            self._directive(bytes(chunk[starts[d] : ends[d]]), self._line_base + d + 1)
            begin = d + 1
        self._run(lines, np.flatnonzero(~blank[begin:]) + begin)
        self._line_base += count
        self._byte_base += len(chunk)
        yield from self._flush(final=False)

    def _directive(self, raw: bytes, number: int) -> None:
        text = decode_line(raw)
        name, _, value = text.partition(":")
        name = name.strip().lower()
        if name == "#fields":
            names = field_names(value) if value.strip() else []
            self.fields = names or None
            if not names:
                self.ctx.report.warn(f"line {number}", "empty #Fields: header; following lines cannot be read")
        elif name == "#log-type":
            self.log_types.append(value.strip())
        elif name not in _KNOWN_DIRECTIVES:
            # a data line whose first byte is damaged into "#" would otherwise vanish unnoticed
            self.ctx.report.bad_record(f"line {number}", f"not a log directive (a damaged log line?): {text[:120]!r}")

    def _run(self, lines: _Lines, idx: np.ndarray) -> None:
        """Lines ``idx`` of the block, all under the current ``#Fields:`` header."""
        if not len(idx):
            return
        numbers = idx + self._line_base + 1
        report = self.ctx.report
        if self.fields is None:
            for number in numbers.tolist():
                report.bad_record(f"line {number}", "data line before any #Fields: header")
            return
        include = [f for f in self.fields if f in self.wanted]
        if not include:
            for number in numbers.tolist():
                report.bad_record(f"line {number}", "#Fields: header names none of the fields a row needs")
            return
        table = self._read(lines.select(idx), include, None)
        if table is None or table.num_rows != len(idx):
            table, keep = self._careful(lines, idx, numbers, include)
            idx, numbers = idx[keep], numbers[keep]
            if table is None:
                return
        table = table.append_column("record_id", pa.array(numbers, pa.int64()))
        table = table.append_column("raw_ref", pa.array(lines.starts[idx] + self._byte_base, pa.int64()))
        self._pending.append(table)
        self._pending_rows += table.num_rows

    def _read(self, payload: bytes, include: list[str], bad: list[int] | None) -> pa.Table | None:
        """pyarrow CSV of ``payload``. Fast pass (``bad`` None): None on any damage. Careful
        pass: rows of the wrong width are skipped and their 1-based numbers put in ``bad``."""
        fields = self.fields or []

        def invalid(row: pacsv.InvalidRow) -> str:
            assert bad is not None
            bad.append(row.number if row.number is not None else -1)
            return "skip"

        try:
            return pacsv.read_csv(
                pa.BufferReader(payload),
                # one thread: the custody hashing reads ahead on the other core, and bad rows need numbers
                read_options=pacsv.ReadOptions(column_names=fields, block_size=16 << 20, use_threads=False),
                parse_options=pacsv.ParseOptions(
                    delimiter=",", quote_char='"', double_quote=True, escape_char=False,
                    newlines_in_values=False, ignore_empty_lines=False,
                    invalid_row_handler=invalid if bad is not None else None,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={f: pa.string() for f in include}, include_columns=include,
                    null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True,
                ),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError):
            return None

    def _careful(
        self, lines: _Lines, idx: np.ndarray, numbers: np.ndarray, include: list[str]
    ) -> tuple[pa.Table | None, np.ndarray]:
        """A run with damage: report the bad lines, read the others. Returns (table, kept mask)."""
        report = self.ctx.report
        keep = np.ones(len(idx), dtype=bool)
        # unbalanced quotes (the writer doubles inner quotes) would swallow the next lines
        quotes = self._per_line(lines, idx, _QUOTE)
        stray_cr = self._per_line(lines, idx, _CR) > (lines.ends_all[idx] > lines.ends[idx])
        for i in np.flatnonzero((quotes % 2 == 1) | stray_cr).tolist():
            why = "carriage return inside the line" if stray_cr[i] else "unbalanced quotes (truncated or corrupt line)"
            report.bad_record(f"line {numbers[i]}", why)
            keep[i] = False
        rows = idx[keep]
        if not len(rows):
            return None, keep
        payload = lines.select(rows)
        try:
            payload.decode("utf-8")
        except UnicodeDecodeError:  # old or damaged text: each line UTF-8 if it is, else Windows-1252
            if not self._legacy_warned:
                report.warn(f"line {numbers[keep][0]}",
                            "text is not valid UTF-8; such lines were decoded as Windows-1252")
                self._legacy_warned = True
            payload = b"".join(
                decode_line(bytes(lines.chunk[lines.starts[i] : lines.ends[i]])).encode("utf-8") + b"\n"
                for i in rows.tolist()
            )
        bad: list[int] = []
        table = self._read(payload, include, bad)
        kept_numbers = numbers[keep]
        if table is None or table.num_rows + len(bad) != len(rows) or -1 in bad:
            for number in kept_numbers.tolist():  # never guess which line a row came from
                report.bad_record(f"line {number}", "line could not be split consistently")
            keep[:] = False
            return None, keep
        width = len(self.fields or [])
        positions = np.flatnonzero(keep)
        for b in bad:
            report.bad_record(f"line {kept_numbers[b - 1]}",
                              f"field count differs from the {width} fields #Fields: names (truncated or corrupt line)")
            keep[positions[b - 1]] = False
        return table, keep

    @staticmethod
    def _per_line(lines: _Lines, idx: np.ndarray, byte: int) -> np.ndarray:
        """How many ``byte`` each line of ``idx`` holds (one pass over the run's bytes)."""
        lo, hi = int(lines.starts[idx[0]]), int(lines.ends_all[idx[-1]]) + 1
        local_ends = lines.ends_all[idx[0] : idx[-1] + 1] - lo
        hits = positions_of(lines.buf[lo:hi], byte)
        counts = np.bincount(np.searchsorted(local_ends, hits), minlength=len(local_ends))
        return counts[idx - idx[0]]

    def _flush(self, final: bool) -> Iterator[pa.Table]:
        if self._pending and (final or self._pending_rows >= self.batch_rows):
            pending = self._pending
            table = pa.concat_tables(pending, promote_options="default") if len(pending) > 1 else pending[0]
            self._pending, self._pending_rows = [], 0
            yield table
