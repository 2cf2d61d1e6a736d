"""Read a whole CSV export (PowerShell ``Export-Csv``, Purview downloads) as text columns.

Why shared: the UAL and mailbox-audit parsers meet the same exports: a BOM or none, UTF-16
from ``-Encoding Unicode``, ANSI from Windows PowerShell 5.1, a ``#TYPE`` first line,
quoted values with newlines, and truncated or damaged rows. pyarrow reads the CSV (multi-
threaded); a malformed row is skipped, counted and named by its record number (a serial
re-read numbers them, only when there is one).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from forensics.errors import ParseError
from forensics.parsers.base import ParseContext
from forensics.parsers.prefetch import blocks

BLOCK = 32 << 20  # bytes per streamed block
#: Limits that keep memory bounded on degenerate input (a 706 KB header of 100,000 names took
#: 2.9 GB in pyarrow; 2 GB without a line break was held whole). Real exports: UAL 4-10
#: columns, Search-MailboxAuditLog some 40; an AuditData value some kilobytes.
MAX_COLUMNS = 1024
MAX_HEADER = 1 << 16  # bytes of the header row
MAX_RECORD = 1 << 24  # bytes without any line break (pyarrow's own block size for one row)
BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


@dataclass
class CsvText:
    table: pa.Table  # every column as text ("" for empty)
    names: list[str]  # header names as written
    numbers: np.ndarray  # data-record number (1-based, header excluded) of each table row
    bad: list[tuple[int | None, str]] = field(default_factory=list)  # (record number, text)
    type_line: str = ""  # the "#TYPE …" line, when present


def decode_head(head: bytes) -> str:
    """Best-effort text of a file's first bytes (for sniffing)."""
    for bom, encoding in BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(encoding, errors="ignore")
    if head[:200].count(b"\x00") > 20:  # UTF-16 without a BOM
        return head.decode("utf-16-le", errors="ignore")
    return head.decode("utf-8", errors="replace")


def header_names(text: str) -> tuple[list[str], str]:
    """Lower-case header names (after an optional ``#TYPE`` line) and that line."""
    lines = text.splitlines()
    type_line = ""
    if lines and lines[0].startswith("#TYPE"):
        type_line, lines = lines[0], lines[1:]
    if not lines:
        return [], type_line
    try:
        return [name.strip().lower() for name in next(csv.reader([lines[0]]))], type_line
    except (csv.Error, StopIteration):
        return [], type_line


def read_all(ctx: ParseContext, max_line: int | None = None) -> bytes:
    """The whole file; with ``max_line``, refused (``ParseError``) as soon as more than that
    many bytes pass without a line break across blocks, before the rest is read (a stretch
    inside one 16 MiB block is bounded by the block)."""
    def stream() -> Iterator[bytes]:
        while block := ctx.reader.read(16 << 20):
            ctx.check_cancel()
            yield block

    if max_line is None:
        return b"".join(stream())
    return _join_bounded(ctx, stream(), 0, max_line)


def _join_bounded(ctx: ParseContext, stream: Iterator[bytes], run: int, limit: int | None = None) -> bytes:
    """The remaining blocks joined, refused like ``read_all`` when over ``MAX_RECORD`` bytes
    pass without a line break (``run``: bytes without one before the first block)."""
    limit = MAX_RECORD if limit is None else limit
    out = []
    for block in stream:
        ctx.check_cancel()
        out.append(block)
        first = block.find(b"\n")
        if (run + len(block) if first < 0 else run + first) > limit:
            _refuse_line(ctx, limit)
        run = run + len(block) if first < 0 else len(block) - block.rfind(b"\n") - 1
    return b"".join(out)


def _refuse_header(ctx: ParseContext) -> None:
    raise ParseError(f"{ctx.path.name}: the header row has no line end in its first {MAX_HEADER:,} bytes: "
                     "damaged, or not a CSV export; not read")


def _refuse_line(ctx: ParseContext, limit: int) -> None:
    raise ParseError(f"{ctx.path.name}: more than {limit:,} bytes without a line break: damaged, or not a "
                     "CSV export (one record of an export is far shorter); not read")


def read_csv_text(ctx: ParseContext, data: bytes, type_line: str = "") -> CsvText:
    """Parse ``data`` (the whole file) into text columns; warn about encodings used."""
    encoding = "utf-8"
    for bom, name in BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom) :], name
            break
    if encoding != "utf-8":
        data = data.decode(encoding, errors="replace").encode("utf-8")
        ctx.report.warn("file", f"{encoding.upper()} export transcoded to UTF-8")
    if data.startswith(b"#TYPE"):
        cut = data.find(b"\n")
        type_line = data[: cut if cut >= 0 else len(data)].decode("utf-8", "replace").strip()
        data = data[cut + 1 :] if cut >= 0 else b""
    cut = data.find(b"\n", 0, MAX_HEADER + 1)
    if cut < 0 and len(data) > MAX_HEADER:
        _refuse_header(ctx)
    first = data[: cut if cut >= 0 else len(data)].decode("utf-8", "replace")
    names = _header_row(first, ctx)
    if not names:
        raise ParseError(f"{ctx.path.name}: no header row")
    unique = unique_names(names)
    bad: list[tuple[int | None, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append((row.number, row.text or ""))
        return "skip"

    def read(payload: bytes, threads: bool, newlines: bool) -> pa.Table:
        bad.clear()
        return pacsv.read_csv(
            io.BytesIO(payload),
            read_options=pacsv.ReadOptions(use_threads=threads, block_size=16 << 20, skip_rows=1,
                                           column_names=unique),
            parse_options=pacsv.ParseOptions(newlines_in_values=newlines, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in unique},
                                                 strings_can_be_null=False),
        )

    def read_numbered(payload: bytes) -> pa.Table:
        # Fast path: no value holds a line break, so every line is one record (about 3x faster
        # than quote-aware line splitting). Proven by counting lines against records read.
        lines = payload.count(b"\n") + (0 if payload.endswith(b"\n") else 1)
        table = read(payload, threads=True, newlines=False)
        if bad or table.num_rows + 1 != lines:
            table = read(payload, threads=True, newlines=True)
        if bad:  # only a serial read numbers the malformed rows
            table = read(payload, threads=False, newlines=True)
        return table

    if not _is_utf8(data):  # checked first: pyarrow cannot show a malformed non-UTF-8 row to us
        data = data.decode("cp1252", errors="replace").encode("utf-8")
        ctx.report.warn("file", "text is not valid UTF-8; decoded as Windows-1252")
    if not data.endswith(b"\n"):  # pyarrow cannot skip a header without a line end (a header-only file)
        data += b"\n"
    try:
        table = read_numbered(data)
    except pa.ArrowInvalid as exc:
        raise ParseError(f"{ctx.path.name}: CSV cannot be read: {exc}") from exc
    # pyarrow numbers rows from the file's first row (the header is 1): data record = n - 1
    numbered = [((n - 1) if n else None, t) for n, t in bad]
    numbers = _kept_numbers(table.num_rows, [n for n, _ in numbered])
    return CsvText(table, names, numbers, numbered, type_line)


def iter_csv_text(ctx: ParseContext, block_size: int | None = None) -> Iterator[CsvText]:
    """Stream a CSV export as ``CsvText`` pieces of whole records, numbered across the file.

    Why: a large export need not sit in memory, and reading (hashing) the next block runs
    on the other core while this one is parsed (``prefetch.blocks``). Each block is cut at
    its last line break and read line-per-record; that reading is proven by its row count.
    A block that is not (a value with a line break, a malformed row) and everything after
    it are read as one whole with the careful quote-aware reader instead. UTF-16 and
    non-UTF-8 exports are read whole as well.
    """
    head = ctx.reader.peek(2 * MAX_HEADER + 8)  # a "#TYPE" line, then the header
    if not head.startswith(b"\xef\xbb\xbf") and any(head.startswith(bom) for bom, _ in BOMS):
        yield read_csv_text(ctx, read_all(ctx, MAX_RECORD))
        return
    if head.startswith(b"\xef\xbb\xbf"):
        ctx.reader.read(3)
        head = head[3:]
    type_line = ""
    if head.startswith(b"#TYPE"):
        cut = head.find(b"\n")
        line = ctx.reader.read(cut + 1 if cut >= 0 else len(head))
        type_line = line.decode("utf-8", "replace").strip()
        head = head[len(line) :]
    cut = head.find(b"\n", 0, MAX_HEADER + 1)
    if cut < 0 and len(head) > MAX_HEADER:
        _refuse_header(ctx)
    header = ctx.reader.read(cut + 1 if cut >= 0 else len(head))
    names = _header_row(header.decode("utf-8", "replace").rstrip("\r\n"), ctx)
    if not names:
        raise ParseError(f"{ctx.path.name}: no header row")
    unique = unique_names(names)
    done = 0  # data records so far
    carry = b""
    with closing(blocks(ctx.reader, block_size or BLOCK)) as stream:  # read-ahead joined on error too
        for data in stream:
            ctx.check_cancel()
            buf = carry + data if carry else data
            cut = buf.rfind(b"\n")
            if cut < 0:
                if len(buf) > MAX_RECORD:  # never held whole: the file is refused instead
                    _refuse_line(ctx, MAX_RECORD)
                carry = buf
                continue
            part, carry = buf[: cut + 1], buf[cut + 1 :]
            table = _lines_as_records(part, unique)
            if table is None:  # the careful reader takes it from here, to the end of the file
                rest = read_csv_text(ctx, header + part + carry + _join_bounded(ctx, stream, len(carry)), type_line)
                rest.numbers += done
                rest.bad = [((n + done) if n else None, t) for n, t in rest.bad]
                yield rest
                return
            yield CsvText(table, names, np.arange(done + 1, done + table.num_rows + 1, dtype=np.int64), [], type_line)
            done += table.num_rows
    if carry.strip():
        table = _lines_as_records(carry + b"\n", unique)
        if table is None:
            rest = read_csv_text(ctx, header + carry, type_line)
            rest.numbers += done
            rest.bad = [((n + done) if n else None, t) for n, t in rest.bad]
            yield rest
        else:
            yield CsvText(table, names, np.array([done + 1], dtype=np.int64)[: table.num_rows], [], type_line)


def _header_row(line: str, ctx: ParseContext) -> list[str]:
    """The header's names. Why: the csv module rejects a header holding a bare carriage return
    (damaged or CR-only line endings) or a name over its size limit; that refuses the file
    with a message saying so, instead of escaping as a crash."""
    if not line.strip():
        return []
    if line.count(",") >= MAX_COLUMNS:  # counted before splitting: the split itself costs memory
        names = next(csv.reader([line]), []) if len(line) <= MAX_HEADER else []
        if len(names) > MAX_COLUMNS or not names:
            raise ParseError(f"{ctx.path.name}: the header row names {max(len(names), line.count(',') + 1):,} "
                             f"columns, more than the {MAX_COLUMNS:,} an export has: damaged, or not a CSV "
                             "export; not read")
        return names
    try:
        return next(csv.reader([line]), [])
    except csv.Error as exc:
        reason = str(exc)
        if "new-line" in reason:
            reason = "a carriage return inside the line (damaged or CR-only line endings)"
        elif "field limit" in reason:
            reason = f"a name longer than {csv.field_size_limit():,} characters"
        raise ParseError(f"{ctx.path.name}: header row cannot be read: {reason}") from exc


def _lines_as_records(part: bytes, unique: list[str]) -> pa.Table | None:
    """Read whole lines as one record each; ``None`` unless that is provably right
    (pyarrow raises on a row with the wrong field count or on text that is not UTF-8)."""
    try:
        table = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(part)),
            read_options=pacsv.ReadOptions(block_size=16 << 20, column_names=unique),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in unique},
                                                 strings_can_be_null=False),
        )
    except pa.ArrowInvalid:
        return None
    if table.num_rows != part.count(b"\n"):
        return None
    return table


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def unique_names(names: list[str], sep: str = ".", blank: str = "column", lower: bool = False) -> list[str]:
    """Column names made distinct: a repeat gets ``<sep><n>`` (``n`` = its repeat count)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        key = (name.lower() if lower else name.strip()) or blank
        if key in seen:
            seen[key] += 1
            key = f"{key}{sep}{seen[key]}"
        else:
            seen[key] = 0
        out.append(key)
    return out


def _kept_numbers(rows: int, bad: list[int | None]) -> np.ndarray:
    """Data-record numbers (1-based) of the rows pyarrow kept, given the skipped ones."""
    total = rows + len(bad)
    valid = np.ones(total + 1, dtype=bool)
    valid[0] = False
    for number in bad:
        if number and number <= total:
            valid[number] = False
    return np.flatnonzero(valid)[:rows].astype(np.int64)


def raw_csv_record(raw: bytes, number: int) -> str:
    """Data record ``number`` (1-based) of a CSV export, re-joined as one CSV line."""
    for bom, encoding in BOMS:
        if raw.startswith(bom):
            text = raw[len(bom) :].decode(encoding, errors="replace")
            break
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    if text.startswith("#TYPE"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
    previous = csv.field_size_limit(1 << 30)  # process-wide: restored for the other readers
    try:
        rows = (row for row in csv.reader(io.StringIO(text, newline="")) if row)
        next(rows, None)  # header
        for index, row in enumerate(rows, start=1):
            if index == number:
                out = io.StringIO()
                csv.writer(out, lineterminator="").writerow(row)
                return out.getvalue()
    finally:
        csv.field_size_limit(previous)
    raise ValueError(f"record {number} not found")
