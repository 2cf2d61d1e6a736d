"""Event Viewer CSV and tab-separated TXT exports.

Two layouts:

* Vista and later ("Save All Events As…" CSV/TXT): 5 named columns
  ``Level,Date and Time,Source,Event ID,Task Category`` and a 6th, unnamed one holding the
  rendered description, quoted, with embedded line breaks.
* Windows Server 2003 Event Viewer: ``Date, Time, Source, Type, Category, Event, User,
  Computer, Description``, with or without a header row.

Times are the exporting machine's local time: converted with ``--source-tz``
(``forensics.localtime``), else kept as if UTC with a loud file note and a row
``time_basis`` that says so. Source + Event ID dispatch into the same event maps and
handlers as ``.evtx`` (``forensics.evtx.export_event``), reading the rendered description.
Encoding: BOM (UTF-8, UTF-16LE/BE), UTF-16 without BOM by its NUL bytes, else UTF-8 with a
switch to cp1252 at the first byte that is not UTF-8.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from forensics.errors import ParseError
from forensics.evtx.export_event import event_id_of, export_rows
from forensics.evtx.maps import load_maps
from forensics.localtime import choose_format, describe_format, parse_local, parse_source_tz, to_utc
from forensics.parsers import registry
from forensics.parsers.encoding import detect_encoding
from forensics.parsers.base import ParseContext, Parser

BLOCK = 1 << 20
BATCH = 20000
#: longest line / value read as one (descriptions carry stack traces, far below this); a longer
#: stretch (damage: 2 GB without a line break) is handed on in pieces, so memory stays bounded
MAX_LINE = 1 << 24
csv.field_size_limit(MAX_LINE)

VISTA_HEADER = ("level", "date and time", "source", "event id", "task category")
W2003_HEADER = ("date", "time", "source", "type", "category", "event", "user", "computer", "description")
_LEVELS = r"(?:Information|Warning|Error|Critical|Verbose|Audit Success|Audit Failure)"
_DATE = r"\d{1,4}[/.\-]\d{1,2}[/.\-]\d{1,4}"
_VISTA_ROW = re.compile(rf'^"?{_LEVELS}"?[,\t]"?{_DATE}[ T][^,\t]*[,\t][^,\t]*[,\t]"?\d+"?[,\t]', re.IGNORECASE)
_STARTS_WITH_DATE = re.compile(rf"^\s*{_DATE}\s*$")
_ANY_LEVEL_ROW = re.compile(rf'^"?[^,\t"]+"?[,\t]"?{_DATE}[ T][^,\t]*[,\t][^,\t]*[,\t]"?\d+"?[,\t]')
_W2003_ROW = re.compile(
    rf'^"?{_DATE}"?[,\t]"?\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:\s?[AP]M)?"?[,\t][^,\t]*[,\t]'
    r'"?(?:Information|Warning|Error|Success Audit|Failure Audit)"?[,\t][^,\t]*[,\t]"?\d+"?[,\t]',
    re.IGNORECASE,
)


# --- decoding --------------------------------------------------------------------------------


@dataclass
class Decoding:
    codec: str
    bom: int
    switched_at: int | None = None  # byte offset where UTF-8 failed and cp1252 took over


def detect_codec(head: bytes) -> tuple[str, int]:
    return detect_encoding(head)


def text_blocks(stream: BinaryIO, decoding: Decoding) -> Iterator[str]:
    """Decode ``stream`` block by block; UTF-8 falls back to cp1252 from the first
    undecodable byte on (records before it are unaffected: ASCII reads the same in both)."""
    if decoding.bom:
        stream.read(decoding.bom)
    offset = decoding.bom
    decoder = codecs.getincrementaldecoder(decoding.codec)(errors="strict" if decoding.codec == "utf-8" else "replace")
    while True:
        block = stream.read(BLOCK)
        final = not block
        try:
            text = decoder.decode(block, final=final)
        except UnicodeDecodeError as exc:
            pending = decoder.getstate()[0]  # bytes held over from the previous block
            good = (pending + block)[: exc.start]
            text = good.decode("utf-8", errors="replace")
            decoding.codec = "cp1252"
            decoding.switched_at = offset - len(pending) + exc.start
            decoder = codecs.getincrementaldecoder("cp1252")(errors="replace")
            text += decoder.decode((pending + block)[exc.start:], final=final)
        offset += len(block)
        if text:
            yield text
        if final:
            return


def lines(blocks: Iterable[str]) -> Iterator[str]:
    """Lines split at ``\\n`` only (keeping it), so csv sees every other character as data."""
    rest: list[str] = []  # pieces of the unfinished line (no quadratic concatenation)
    size = 0
    for block in blocks:
        parts = block.split("\n")
        tail = parts.pop()
        for k, part in enumerate(parts):
            yield ("".join(rest) + part if k == 0 and rest else part) + "\n"
            if k == 0:
                rest, size = [], 0
        if tail:
            rest.append(tail)
            size += len(tail)
            if size > MAX_LINE:  # a "line" this long is damage: hand it on, bounded memory
                yield "".join(rest)
                rest, size = [], 0
    if rest:
        yield "".join(rest)


# --- layout ------------------------------------------------------------------------------------


@dataclass
class Layout:
    name: str  # "vista" | "w2003"
    delimiter: str
    min_fields: int
    id_field: int


VISTA = "vista"
W2003 = "w2003"


def _layout_of(first: list[str], delimiter: str) -> tuple[Layout, bool] | None:
    """``(layout, first row is a header)`` or None when the row fits neither layout."""
    cells = [c.strip().strip('"').lower() for c in first]
    n = len(cells)
    if n in (5, 6) and (tuple(cells[:5]) == VISTA_HEADER or (n == 5 and not cells[3].isdigit())):
        return Layout(VISTA, delimiter, 5, 3), True
    if n >= 9 and (tuple(cells[:9]) == W2003_HEADER or not cells[5].isdigit()) and not cells[3].isdigit():
        return Layout(W2003, delimiter, 8, 5), True
    if n >= 6 and cells[3].isdigit():
        return Layout(VISTA, delimiter, 5, 3), False
    if n >= 8 and cells[5].isdigit():
        return Layout(W2003, delimiter, 8, 5), False
    return None


class EventViewerCsvParser(Parser):
    name = "evtx-csv"
    description = "Event Viewer CSV / tab-separated TXT export (Vista+ 5+1 columns, Windows 2003 9 columns)"
    source_format = "evtx-csv"
    extensions = (".csv", ".txt")

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> int:
        codec, bom = detect_codec(head)
        text = head[bom:].decode(codec, errors="ignore")
        first = text.lstrip("\ufeff").split("\n", 1)[0].strip().lower()
        cells = tuple(c.strip().strip('"') for c in re.split(r"[,\t]", first))
        if cells[:5] == VISTA_HEADER or cells[:9] == W2003_HEADER:
            return 90
        if _VISTA_ROW.match(first) or _W2003_ROW.match(first):
            return 70
        # a localized Vista+ header (5 names) followed by a row of level, date, source, id
        lines_ = [line.strip() for line in text.lstrip("\ufeff").split("\n")[:3]]
        if len(cells) == 5 and len(lines_) > 1 and _ANY_LEVEL_ROW.match(lines_[1]):
            return 60
        return 0

    def parse(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        report = ctx.report
        zone = parse_source_tz(ctx.options.source_tz)
        maps = load_maps(ctx.options.maps_dir)
        codec, bom = detect_codec(ctx.reader.peek(4096))
        decoding = Decoding(codec, bom)
        line_iter = lines(text_blocks(ctx.reader, decoding))
        first_line = next(line_iter, "")
        delimiter = "\t" if first_line.count("\t") >= max(4, first_line.count(",")) else ","
        rows: list[dict] = []
        stamps: list[str] = []
        layout: Layout | None = None
        fmt_state: dict = {}
        continuation = 0
        for fields, start in csv_records(_chain(first_line, line_iter), delimiter, report.bad_record):
            if not fields or all(not f.strip() for f in fields):
                if len(fields) > 1 and not (rows and layout is not None and layout.delimiter == "\t"):
                    # Event Viewer never writes a row of empty fields: damage, counted, not skipped
                    report.bad_record(f"line {start}", f"a row of {len(fields)} empty fields")
                continue  # a blank line (or a TXT description's blank line) carries nothing
            if layout is None:
                found = _layout_of(fields, delimiter)
                if found is None:
                    raise ParseError(
                        f"{ctx.path.name}: not an Event Viewer CSV/TXT export "
                        f"(first row has {len(fields)} fields: {delimiter.join(fields)[:80]!r})"
                    )
                layout, is_header = found
                if is_header:
                    continue
            if len(fields) < layout.min_fields or event_id_of(fields[layout.id_field]) is None:
                if rows and len(fields) < layout.min_fields and (
                    layout.delimiter == "\t" or (layout.name == W2003 and not _STARTS_WITH_DATE.match(fields[0]))
                ):
                    # TXT exports, and Windows 2003 CSV, may leave multi-line descriptions unquoted
                    rows[-1]["_message"] = (rows[-1].get("_message") or "") + "\n" + delimiter.join(fields)
                    continuation += 1
                    continue
                problem = (f"{len(fields)} fields (expected {layout.min_fields + 1})" if len(fields) < layout.min_fields
                           else f"event id {fields[layout.id_field].strip()[:20]!r} is not a number 0-65535")
                report.bad_record(f"line {start}", f"{problem}: {delimiter.join(fields)[:120]!r}")
                continue
            rows.append(_record(fields, layout, start))
            stamps.append(rows[-1].pop("_stamp"))
            if len(rows) > BATCH:  # the last record stays: continuation lines may follow
                yield self._finish(rows[:-1], stamps[:-1], maps, zone, fmt_state, ctx)
                rows, stamps = rows[-1:], stamps[-1:]
                ctx.check_cancel()
        if rows:
            yield self._finish(rows, stamps, maps, zone, fmt_state, ctx)
        if layout is None and report.records == 0:
            raise ParseError(f"{ctx.path.name}: no event rows (empty or header only)")
        if fmt_state.get("ambiguous"):
            report.warn("file", f"date order is ambiguous (no day above 12 in the whole file, so day and month "
                                f"could be swapped); read as {describe_format(fmt_state['format'])}")
        if continuation:
            report.warn("file", f"{continuation} unquoted continuation line(s) joined to the description above")
        if decoding.switched_at is not None:
            report.warn(f"offset {decoding.switched_at}", "not valid UTF-8 from here: decoded as Windows-1252")
        if not zone.known and report.accepted:
            report.notes.append(
                "LOCAL TIMES, ZONE UNKNOWN: Event Viewer CSV/TXT times are in the exporting machine's "
                "local zone, which the file does not record; they were taken as UTC. Reload with "
                "--source-tz (e.g. +02:00 or Europe/Berlin) for correct times."
            )

    def _finish(self, records: list[dict], stamps: list[str], maps, zone, fmt_state: dict, ctx: ParseContext) -> pd.DataFrame:
        report = ctx.report
        out: list[dict] = []
        keep: list[int] = []
        events = [(rec["provider"], rec["event_id"], None, rec.pop("_message")) for rec in records]
        for i, (rec, result) in enumerate(zip(records, export_rows(events, maps, ctx.options.all_events))):
            where = f"line {rec['record_id']}"
            for warning in result.warnings:
                report.warn(where, warning)
            if result.row is None:
                report.skip(f"{rec['provider'] or '?'}/{rec['event_id']}")
                continue
            row = result.row
            user = rec.pop("_user", None)
            if not row.get("actor") and user and user.upper() != "N/A":
                row["actor"] = user
            row.update(server=rec.get("server"), record_id=rec["record_id"], raw_ref=rec["record_id"],
                       time_basis=zone.basis)
            report.accept()
            out.append(row)
            keep.append(i)
        frame = pd.DataFrame.from_records(out) if out else pd.DataFrame()
        if not out:
            return frame
        text = pd.Series([stamps[i] for i in keep])
        if "format" not in fmt_state:
            fmt, ambiguous = choose_format(text.head(5000))
            fmt_state["format"] = fmt
            fmt_state["ambiguous"] = ambiguous
        if fmt_state["ambiguous"]:
            # a later day > 12 settles it: the chosen reading parses, the swapped one does not
            fmt = fmt_state["format"]
            swapped = fmt.replace("%m", "\0").replace("%d", "%m").replace("\0", "%d")
            sample = text.dropna()
            if pd.to_datetime(sample, format=swapped, errors="coerce").isna().any() and pd.to_datetime(
                sample, format=fmt, errors="coerce"
            ).notna().all():
                fmt_state["ambiguous"] = False
        naive = parse_local(text, fmt_state["format"])
        bad = naive.isna() & text.str.strip().ne("")
        if bad.any():
            report.warn("file", f"{int(bad.sum())} row(s) with an unreadable date/time kept without a time "
                                f"(e.g. {text[bad].iloc[0]!r})")
        converted = to_utc(naive, zone)
        if converted.ambiguous:
            report.warn("file", f"{converted.ambiguous} row(s) in a DST fall-back hour: taken as daylight time")
        if converted.nonexistent:
            report.warn("file", f"{converted.nonexistent} row(s) in a DST spring-forward gap: shifted forward")
        frame["time"] = converted.times.reset_index(drop=True)
        return frame

    @classmethod
    def raw_record(cls, path: Path, raw_ref: int | None, record_id: int | None) -> str:
        """The physical lines of the record starting at line ``raw_ref``."""
        target = raw_ref if raw_ref is not None else record_id
        if target is None:
            raise ParseError(f"{path.name}: this row has no raw record locator")
        target = int(target)
        with open(path, "rb") as fh:
            codec, bom = detect_codec(fh.read(4096))
            fh.seek(0)
            physical: list[str] = []
            source = lines(text_blocks(fh, Decoding(codec, bom)))

            def tap() -> Iterator[str]:
                for line in source:
                    physical.append(line)
                    yield line

            first = None
            for line in tap():
                first = line
                break
            if first is None:
                raise ParseError(f"{path.name}: empty file")
            delimiter = "\t" if first.count("\t") >= max(4, first.count(",")) else ","
            for _, start in csv_records(_chain(first, tap()), delimiter, lambda where, why: None):
                if start == target:
                    return "".join(physical[start - 1:]).lstrip("\r\n").rstrip("\r\n")
        raise ParseError(f"{path.name}: no record at line {target}")


def csv_records(
    source: Iterator[str], delimiter: str, on_bad: Callable[[str, str], None]
) -> Iterator[tuple[list[str], int]]:
    """``(fields, first physical line)`` of every CSV record; a line the csv module cannot
    read is reported through ``on_bad`` and reading goes on with the next line."""
    base = 0
    csv.field_size_limit(MAX_LINE)  # process-wide: another reader may have raised it
    while True:
        reader = csv.reader(source, delimiter=delimiter, quotechar='"', strict=False)
        prev = 0
        try:
            for fields in reader:
                yield fields, base + prev + 1
                prev = reader.line_num
            return
        except csv.Error as exc:
            on_bad(f"line {base + reader.line_num}", f"unreadable CSV line: {_csv_problem(exc)}")
            base += reader.line_num


def _csv_problem(exc: csv.Error) -> str:
    """The csv module's complaint in the user's terms (it suggests "universal-newline mode")."""
    text = str(exc)
    if "new-line" in text:
        return "a carriage return inside an unquoted value (damaged line endings?)"
    if "field limit" in text:
        return f"a value longer than {csv.field_size_limit():,} characters"
    return text


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    if first:
        yield first
    yield from rest


def _record(fields: list[str], layout: Layout, line: int) -> dict:
    """The raw columns of one export row (the description may hold the delimiter)."""
    if layout.name == VISTA:
        message = layout.delimiter.join(fields[5:]) if len(fields) > 5 else ""
        return {"_stamp": fields[1], "provider": fields[2].strip(), "event_id": event_id_of(fields[3]),
                "_message": message, "record_id": line, "server": None}
    message = layout.delimiter.join(fields[8:]) if len(fields) > 8 else ""
    return {"_stamp": f"{fields[0].strip()} {fields[1].strip()}", "provider": fields[2].strip(),
            "event_id": event_id_of(fields[5]), "_message": message, "_user": fields[6].strip() or None,
            "record_id": line, "server": fields[7].strip() or None}


registry.register(EventViewerCsvParser)
