"""IIS W3C extended logs from Exchange servers (2003 OWA/WebDAV to 2019 OWA/EWS/EAS/MAPI).

Why this shape: IIS logs run to millions of lines a day, so lines are never handled one by
one in Python. The file is read in large blocks; numpy finds line starts, ``#`` directives
and field counts per line; each run of lines under one ``#Fields:`` header goes to
pyarrow's CSV reader (space-separated, no quoting, ``-`` = empty); what a request means is
then decided column-wise in ``iis_requests``. Lines whose field count disagrees with their
``#Fields:`` header, or that come before any header, are bad records with a warning naming
the line. ``raw_ref`` is the byte offset of the line, ``record_id`` its line number.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from forensics.parsers import registry
from forensics.parsers.base import ParseContext, Parser
from forensics.parsers.iis_requests import classify
from forensics.parsers.textcols import STR

BLOCK = 32 << 20  # bytes per read; the tail of a partial line carries over
ROWS_PER_BATCH = 500_000
#: W3C fields the classifier uses (lower-case); others are not materialized
WANTED = {
    "date", "time", "s-sitename", "s-computername", "s-ip", "cs-method", "cs-uri-stem",
    "cs-uri-query", "cs-username", "c-ip", "cs(user-agent)", "sc-status", "sc-substatus",
    "sc-win32-status", "x-forwarded-for", "cs(x-forwarded-for)",
}
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass
class _State:
    """What persists across blocks: the current header and running positions."""

    fields: list[str] | None = None
    date: str | None = None  # from a "#Date:" directive, for logs without a date field
    line_base: int = 0  # lines before the current block
    byte_base: int = 0  # file offset of the current block
    offsets_valid: bool = True  # false after transcoding a UTF-16 file
    legacy_warned: bool = False
    frames: list[pd.DataFrame] = field(default_factory=list)


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        low = name.lower()
        if low in seen:
            seen[low] += 1
            low = f"{low}#{seen[low]}"
        else:
            seen[low] = 0
        out.append(low)
    return out


def _decode_line(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


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
        if b"#Fields:" in head and b"cs-uri-stem" in head:
            return 90
        if b"#Fields:" in head and b"#Version:" in head:
            return 60
        return 0

    # -- reading --------------------------------------------------------------------------
    def parse(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        state = _State()
        head = ctx.reader.peek(4)
        if head[:2] in _UTF16_BOMS:
            self._parse_utf16(ctx, state)
        else:
            if head.startswith(_UTF8_BOM):
                ctx.reader.read(3)
                state.byte_base = 3
            carry = b""
            while True:
                ctx.check_cancel()
                data = ctx.reader.read(BLOCK)
                buf = carry + data if carry else data
                if not data:
                    if buf:
                        self._block(ctx, state, buf)
                    break
                cut = buf.rfind(b"\n")
                if cut < 0:
                    carry = buf
                    continue
                carry = buf[cut + 1 :]
                self._block(ctx, state, buf[: cut + 1])
        yield from self._finish(ctx, state)

    def _parse_utf16(self, ctx: ParseContext, state: _State) -> None:
        raw = ctx.reader.read()
        encoding = "utf-16-le" if raw[:2] == b"\xff\xfe" else "utf-16-be"
        text = raw[2:].decode(encoding, errors="replace")
        ctx.report.warn("file", f"{encoding.upper()} log transcoded to UTF-8; rows locate raw lines by line number")
        state.offsets_valid = False
        self._block(ctx, state, text.encode("utf-8"))

    def _block(self, ctx: ParseContext, state: _State, chunk: bytes) -> None:
        """Split one block of whole lines into header runs and parse each run."""
        buf = np.frombuffer(chunk, dtype=np.uint8)
        ends_all = np.flatnonzero(buf == 10)
        if chunk[-1:] != b"\n":
            ends_all = np.append(ends_all, len(buf))
        count = len(ends_all)
        starts = np.empty(count, dtype=np.int64)
        starts[0] = 0
        starts[1:] = ends_all[:-1] + 1
        last = np.maximum(ends_all - 1, 0)
        has_cr = (ends_all > starts) & (buf[last] == 13)
        ends = ends_all - has_cr
        blank = ends <= starts
        first = buf[np.minimum(starts, len(buf) - 1)]
        directive = ~blank & (first == 35)
        spaces = np.bincount(np.searchsorted(ends_all, np.flatnonzero(buf == 32)), minlength=count)
        crs = np.bincount(np.searchsorted(ends_all, np.flatnonzero(buf == 13)), minlength=count)
        stray_cr = crs > has_cr
        info = _Lines(chunk, starts, ends, ends_all, blank, directive, spaces, stray_cr)

        seg_start = 0
        for d in np.flatnonzero(directive).tolist():
            self._run(ctx, state, info, seg_start, d)
            self._directive(ctx, state, chunk[starts[d] : ends[d]], state.line_base + d + 1)
            seg_start = d + 1
        self._run(ctx, state, info, seg_start, count)
        state.line_base += count
        state.byte_base += len(chunk)

    def _directive(self, ctx: ParseContext, state: _State, line: bytes, number: int) -> None:
        text = _decode_line(line)
        name, _, value = text.partition(":")
        name = name.strip().lower()
        if name == "#fields":
            names = value.split()
            if not names:
                ctx.report.warn(f"line {number}", "empty #Fields: header; following lines cannot be read")
                state.fields = None
            else:
                state.fields = _unique_names(names)
        elif name == "#date":
            state.date = value.strip()[:10] or None

    def _run(self, ctx: ParseContext, state: _State, info: "_Lines", a: int, b: int) -> None:
        """Parse lines [a, b) of the block, all under the current #Fields header."""
        if b <= a:
            return
        report = ctx.report
        sl = slice(a, b)
        data = ~info.blank[sl]
        if not data.any():
            return
        numbers = np.arange(a, b) + state.line_base + 1
        if state.fields is None:
            for i in np.flatnonzero(data).tolist():
                report.bad_record(f"line {numbers[i]}", "data line before any #Fields: header")
            return
        expected = len(state.fields) - 1
        good = data & (info.spaces[sl] == expected) & ~info.stray_cr[sl]
        for i in np.flatnonzero(data & ~good).tolist():
            line = a + i
            if info.stray_cr[line]:
                why = "carriage return inside the line"
            else:
                why = f"{info.spaces[line] + 1} fields where #Fields: names {expected + 1} (truncated or corrupt line)"
            report.bad_record(f"line {numbers[i]}", why)
        idx = np.flatnonzero(good) + a
        if len(idx) == 0:
            return
        payload = info.select(idx)
        table = self._read_table(ctx, state, payload, idx, info, numbers[idx - a])
        if table is None:
            return
        frame = table.to_pandas(types_mapper=lambda t: STR if t == pa.string() else None)
        if state.offsets_valid:
            frame["raw_ref"] = info.starts[idx] + state.byte_base
        frame["record_id"] = numbers[idx - a]
        if "date" not in frame.columns and state.date:
            frame["date"] = state.date
        state.frames.append(frame)

    def _read_table(
        self,
        ctx: ParseContext,
        state: _State,
        payload: bytes,
        idx: np.ndarray,
        info: "_Lines",
        numbers: np.ndarray,
    ) -> pa.Table | None:
        fields = state.fields or []
        include = [f for f in fields if f in WANTED]
        if not include:
            for n in numbers.tolist():
                ctx.report.bad_record(f"line {n}", "#Fields: header names none of the fields an access needs")
            return None
        options = dict(
            read_options=pacsv.ReadOptions(column_names=fields, block_size=8 << 20),
            parse_options=pacsv.ParseOptions(
                delimiter=" ", quote_char=False, escape_char=False, ignore_empty_lines=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={f: pa.string() for f in include},
                include_columns=include,
                null_values=["-", ""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
        try:
            table = pacsv.read_csv(io.BytesIO(payload), **options)
        except pa.ArrowInvalid:
            # not UTF-8 (IIS 6 "ex*.log" files are ANSI): decode line by line, UTF-8 first
            lines = [_decode_line(info.chunk[info.starts[i] : info.ends[i]]) for i in idx.tolist()]
            if not state.legacy_warned:
                ctx.report.warn(
                    f"line {numbers[0]}", "text is not valid UTF-8; such lines were decoded as Windows-1252"
                )
                state.legacy_warned = True
            table = pacsv.read_csv(io.BytesIO("\n".join(lines).encode("utf-8") + b"\n"), **options)
        if table.num_rows != len(idx):  # cannot happen with the checks above; never guess
            for n in numbers.tolist():
                ctx.report.bad_record(f"line {n}", "line could not be split consistently")
            return None
        return table

    # -- meaning ----------------------------------------------------------------------------
    def _finish(self, ctx: ParseContext, state: _State) -> Iterator[pd.DataFrame]:
        if not state.frames:
            return
        fields = pd.concat(state.frames, ignore_index=True) if len(state.frames) > 1 else state.frames[0]
        state.frames.clear()
        date = fields["date"] if "date" in fields.columns else pd.Series(pd.NA, index=fields.index, dtype=STR)
        time = fields["time"] if "time" in fields.columns else pd.Series(pd.NA, index=fields.index, dtype=STR)
        times = pd.to_datetime(date + " " + time, format="ISO8601", errors="coerce", utc=True)
        bad_time = times.isna().to_numpy()
        for n in fields["record_id"].to_numpy()[bad_time].tolist():
            ctx.report.bad_record(f"line {n}", "date/time missing or not a valid UTC date and time")
        if bad_time.any():
            fields = fields.loc[~bad_time].reset_index(drop=True)
            times = times.loc[~bad_time].reset_index(drop=True)
        rows = classify(fields, times, ctx.options.all_events)
        rows["record_id"] = fields["record_id"]
        rows["raw_ref"] = fields["raw_ref"] if "raw_ref" in fields.columns else pd.NA
        skipped = rows["skip"].notna()
        for reason, n in rows.loc[skipped, "skip"].value_counts().items():
            ctx.report.skip(str(reason), int(n))
        kept = rows.loc[~skipped].drop(columns="skip").reset_index(drop=True)
        ctx.report.accept(len(kept))
        for start in range(0, len(kept), ROWS_PER_BATCH):
            yield kept.iloc[start : start + ROWS_PER_BATCH]

    @classmethod
    def raw_record(cls, path: Path, raw_ref: int | None, record_id: int | None) -> str:
        with open(path, "rb") as fh:
            if raw_ref is not None and not pd.isna(raw_ref):
                fh.seek(int(raw_ref))
                return _decode_line(fh.readline()).rstrip("\r\n")
            raw = fh.read()
        if record_id is None or pd.isna(record_id):
            raise ValueError("an IIS row needs a byte offset or a line number")
        for bom, enc in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
            if raw.startswith(bom):
                lines = raw[2:].decode(enc, errors="replace").split("\n")
                return lines[int(record_id) - 1].rstrip("\r")
        return _decode_line(raw.split(b"\n")[int(record_id) - 1]).rstrip("\r")


@dataclass
class _Lines:
    """Line geometry of one block (all arrays are per line)."""

    chunk: bytes
    starts: np.ndarray
    ends: np.ndarray  # content end, without CR/LF
    ends_all: np.ndarray  # position of the LF (or block end)
    blank: np.ndarray
    directive: np.ndarray
    spaces: np.ndarray
    stray_cr: np.ndarray

    def select(self, idx: np.ndarray) -> bytes:
        """The bytes of lines ``idx`` (each with its line end), as one buffer."""
        first, last = int(idx[0]), int(idx[-1])
        if last - first + 1 == len(idx):  # contiguous: a plain slice, no copy work
            return self.chunk[self.starts[first] : self.ends_all[last] + 1]
        buf = np.frombuffer(self.chunk, dtype=np.uint8)
        marks = np.zeros(len(buf) + 2, dtype=np.int8)
        np.add.at(marks, self.starts[idx], 1)
        np.add.at(marks, np.minimum(self.ends_all[idx] + 1, len(buf)), -1)
        keep = np.cumsum(marks[: len(buf)], dtype=np.int8) > 0
        return buf[keep].tobytes()


registry.register(IisParser)
