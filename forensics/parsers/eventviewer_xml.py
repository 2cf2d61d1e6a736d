"""Event Viewer XML export: ``<Events>`` holding ``<Event>`` elements ("Save as XML",
``wevtutil qe /f:xml``), with or without ``RenderingInfo``.

Why not one ``iterparse`` over the file: a damaged export (truncated copy, one malformed
record) would stop a document parser at the first error and lose every later record, and
the detail view needs each record's untouched text. So the stream is cut into ``<Event>``
elements by their byte offsets (the offset is the row's ``raw_ref``) and each element is
parsed on its own with defusedxml (no DTD, no entity expansion, no external entities). A
DTD or entity declaration in the prolog (an "XML bomb") refuses the whole file at once.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError as XmlSyntaxError

import defusedxml.ElementTree as SafeET
import pandas as pd
from defusedxml import DefusedXmlException

from forensics.errors import ParseError
from forensics.evtx.export_event import export_event_row
from forensics.evtx.maps import load_maps
from forensics.parsers import registry
from forensics.parsers.base import ParseContext, Parser

BLOCK = 1 << 20
BATCH = 5000
MAX_EVENT_BYTES = 16 << 20  # one <Event> larger than this is not an event record
_EVENT_NS = "schemas.microsoft.com/win/2004/08/events/event"
_DECL_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def detect_encoding(head: bytes) -> tuple[str, int]:
    """``(codec, BOM length)`` from the byte-order mark, NUL pattern, or XML declaration."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    if len(head) >= 4 and head[0] != 0 and head[1] == 0 and head[3] == 0:
        return "utf-16-le", 0
    if len(head) >= 4 and head[0] == 0 and head[1] != 0 and head[2] == 0:
        return "utf-16-be", 0
    declared = _DECL_ENCODING.match(head)
    if declared:
        name = declared.group(1).decode("ascii").lower()
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            return "utf-8", 0
        if not codec.startswith("utf-16") and not codec.startswith("utf-32"):
            return codec, 0
    return "utf-8", 0


class _Markers:
    """Byte patterns of ``<Event…>`` and ``</Event>`` in the file's encoding."""

    def __init__(self, codec: str, bom: int) -> None:
        self.codec = codec
        self.bom = bom
        self.width = 2 if codec.startswith("utf-16") else 1
        enc = lambda s: re.escape(s.encode(codec))  # noqa: E731
        follow = b"|".join(enc(c) for c in (" ", "\t", "\r", "\n", ">"))
        self.start = re.compile(enc("<Event") + b"(?:" + follow + b")")
        self.end = re.compile(enc("</Event") + b"(?:" + b"|".join(enc(c) for c in (">", " ", "\t", "\r", "\n")) + b")")
        self.close = ">".encode(codec)

    def find(self, pattern: re.Pattern[bytes], buf: bytes, pos: int, base: int = 0) -> re.Match[bytes] | None:
        """First match at or after ``pos``; in UTF-16 only at character boundaries
        (``base`` = file offset of ``buf[0]``)."""
        while True:
            hit = pattern.search(buf, pos)
            if hit is None or self.width == 1 or (base + hit.start() - self.bom) % 2 == 0:
                return hit
            pos = hit.start() + 1


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element: Element | None, name: str) -> Element | None:
    if element is None:
        return None
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element: Element | None) -> str | None:
    return None if element is None else (element.text or "")


def _leaf_texts(element: Element) -> list[str]:
    """``name=value`` of every leaf below ``element`` (UserData of manifest events)."""
    out = []
    for node in element.iter():
        if len(node) == 0 and node is not element:
            out.append(f"{_local(node.tag)}={(node.text or '').strip()}")
    return out


class EventViewerXmlParser(Parser):
    name = "evtx-xml"
    description = "Event Viewer XML export (<Events> of <Event>, with or without rendered messages)"
    source_format = "evtx-xml"
    extensions = (".xml",)

    @classmethod
    def sniff(cls, head: bytes, path: Path) -> int:
        codec, bom = detect_encoding(head)
        text = head[bom:].decode(codec, errors="ignore")[:16384]
        if re.search(r"<Event[\s>]", text) is None:
            return 0
        if _EVENT_NS in text and "<Events" in text:
            return 90
        if _EVENT_NS in text:
            return 80
        if "<Events" in text and "<System" in text:
            return 60
        return 0

    # -- parsing --------------------------------------------------------------------------

    def parse(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        report = ctx.report
        maps = load_maps(ctx.options.maps_dir)
        head = ctx.reader.peek(4096)
        codec, bom = detect_encoding(head)
        marks = _Markers(codec, bom)
        rows: list[dict] = []
        buf = b""
        base = 0  # file offset of buf[0]
        pos = 0
        eof = False
        prolog_checked = False
        root_tag: str | None = None

        def more() -> bool:
            nonlocal buf, base, pos, eof
            if pos:
                base += pos
                buf = buf[pos:]
                pos = 0
            block = ctx.reader.read(BLOCK)
            if not block:
                eof = True
                return False
            buf += block
            ctx.check_cancel()
            return True

        more()
        while True:
            start = marks.find(marks.start, buf, pos, base)
            if not prolog_checked:
                self._refuse_dtd(buf[:start.start()] if start else buf, codec, ctx)
                if start is not None or eof:
                    prolog = buf[bom if base == 0 else 0:start.start() if start else len(buf)]
                    root_tag = self._root_tag(prolog, codec)
                    prolog_checked = True
            if start is None:
                if eof:
                    self._check_trailer(buf[pos:], codec, base + pos, ctx)
                    break
                pos = max(pos, len(buf) - 64)  # a marker may straddle the block boundary
                more()
                continue
            end = marks.find(marks.end, buf, start.end(), base)
            following = marks.find(marks.start, buf, start.end(), base)
            if following is not None and (end is None or following.start() < end.start()):
                # this <Event> never closes before the next one opens: a damaged record
                report.bad_record(f"offset {base + start.start()}", "<Event> element is not closed (damaged record)")
                pos = following.start()
                continue
            close = -1 if end is None else buf.find(marks.close, end.end() - marks.width)
            if close < 0:
                if eof:
                    report.bad_record(
                        f"offset {base + start.start()}", "<Event> element is not closed: the file is truncated"
                    )
                    break
                if len(buf) - start.start() > MAX_EVENT_BYTES:
                    report.bad_record(f"offset {base + start.start()}", "<Event> element larger than 16 MiB; skipped")
                    pos = start.end()
                    continue
                pos = start.start()
                more()
                continue
            stop = close + marks.width
            chunk = buf[start.start():stop]
            offset = base + start.start()
            pos = stop
            row = self._event(chunk, offset, codec, root_tag, maps, ctx)
            if row is not None:
                rows.append(row)
            if len(rows) >= BATCH:
                yield _frame(rows)
                rows = []
        if rows:
            yield _frame(rows)

    def _refuse_dtd(self, prolog: bytes, codec: str, ctx: ParseContext) -> None:
        """Refuse DTDs and entity declarations (XML bombs, external entities) for the whole
        file, before any record is read."""
        text = prolog.decode(codec, errors="replace")
        upper = text.upper()
        if "<!DOCTYPE" not in upper and "<!ENTITY" not in upper:
            return
        try:
            SafeET.fromstring(re.sub(r"<\?xml[^>]*\?>", "", text).strip() + "<x/>", forbid_dtd=True)
        except (DefusedXmlException, XmlSyntaxError) as exc:
            raise ParseError(
                f"{ctx.path.name}: refused: the XML declares a DTD or entities "
                f"(possible XML bomb or external-entity attack; {type(exc).__name__})"
            ) from None
        raise ParseError(f"{ctx.path.name}: refused: the XML declares a DTD")

    def _root_tag(self, prolog: bytes, codec: str) -> str | None:
        """The root element's start tag (its namespace declarations serve the records)."""
        text = prolog.decode(codec, errors="replace")
        root = re.search(r"<([A-Za-z_][\w.:-]*)\b[^>]*>", re.sub(r"<\?.*?\?>|<!--.*?-->", "", text, flags=re.S))
        return root.group(0) if root else None

    def _check_trailer(self, tail: bytes, codec: str, offset: int, ctx: ParseContext) -> None:
        text = tail.decode(codec, errors="replace")
        rest = re.sub(r"</?Events[^>]*>|<\?.*?\?>|<!--.*?-->|\s+", "", text, flags=re.S)
        if rest.strip("\x00"):
            ctx.report.warn(f"offset {offset}", f"unrecognised text after the last <Event>: {rest[:80]!r}")

    def _event(self, chunk: bytes, offset: int, codec: str, root_tag: str | None, maps, ctx: ParseContext) -> dict | None:
        report = ctx.report
        where = f"offset {offset}"
        try:
            text = chunk.decode(codec)
        except UnicodeDecodeError:
            text = chunk.decode(codec, errors="replace")
            report.warn(where, f"invalid {codec} bytes replaced by U+FFFD")
        try:
            event = _parse_element(text, root_tag)
        except (DefusedXmlException, XmlSyntaxError) as exc:
            report.bad_record(where, f"malformed <Event>: {type(exc).__name__}: {exc}")
            return None
        system = _child(event, "System")
        provider_el = _child(system, "Provider")
        provider = ""
        if provider_el is not None:
            provider = provider_el.get("Name") or provider_el.get("EventSourceName") or ""
        event_id_text = (_text(_child(system, "EventID")) or "").strip()
        try:
            event_id = int(event_id_text)
        except ValueError:
            report.bad_record(where, f"<Event> without a valid EventID ({event_id_text[:40]!r})")
            return None
        record_id = (_text(_child(system, "EventRecordID")) or "").strip()
        time_el = _child(system, "TimeCreated")
        systime = time_el.get("SystemTime") if time_el is not None else None
        computer = _text(_child(system, "Computer"))
        event_data = _child(event, "EventData")
        strings: list[str] | None = None
        named: list[str] = []
        if event_data is not None:
            strings = []
            for data in event_data:
                if _local(data.tag) != "Data":
                    continue
                if data.get("Name"):
                    named.append(f"{data.get('Name')}={data.text or ''}")
                strings.append(data.text or "")
        user_data = _child(event, "UserData")
        message = _text(_child(_child(event, "RenderingInfo"), "Message"))
        outcome = export_event_row(provider, event_id, strings, message, maps, ctx.options.all_events)
        for warning in outcome.warnings:
            report.warn(where, warning)
        if outcome.row is None:
            report.skip(f"{provider or '?'}/{event_id}")
            return None
        row = outcome.row
        if row.get("operation") == "Event" and (named or user_data is not None):
            parts = named or _leaf_texts(user_data)
            row["details"] = " | ".join(parts) or row.get("details")
        if not systime:
            report.warn(where, "<Event> has no TimeCreated/@SystemTime; row kept without a time")
        report.accept()
        row.update(
            time=systime,
            server=computer,
            record_id=record_id or None,
            raw_ref=offset,
            time_basis="utc",
        )
        return row

    @classmethod
    def raw_record(cls, path: Path, raw_ref: int | None, record_id: int | None) -> str:
        """The ``<Event>`` element at byte offset ``raw_ref``, as written in the export."""
        if raw_ref is None:
            raise ParseError(f"{path.name}: this row has no raw record locator")
        with open(path, "rb") as fh:
            codec, bom = detect_encoding(fh.read(4096))
            marks = _Markers(codec, bom)
            fh.seek(int(raw_ref))
            buf = b""
            while len(buf) <= MAX_EVENT_BYTES:
                block = fh.read(BLOCK)
                buf += block
                end = marks.find(marks.end, buf, 0, int(raw_ref))
                close = -1 if end is None else buf.find(marks.close, end.end() - marks.width)
                if close >= 0:
                    return buf[: close + marks.width].decode(codec, errors="replace")
                if not block:
                    break
        raise ParseError(f"{path.name}: no complete <Event> at offset {raw_ref}")


def _parse_element(text: str, root_tag: str | None) -> Element:
    """Parse one ``<Event>``; if it uses a prefix declared on the root element, parse it
    inside a copy of the root start tag."""
    try:
        return SafeET.fromstring(text, forbid_dtd=True)
    except XmlSyntaxError as exc:
        if "unbound prefix" not in str(exc) or not root_tag:
            raise
    name = re.match(r"<([^\s>/]+)", root_tag)
    wrapped = SafeET.fromstring(f"{root_tag}{text}</{name.group(1)}>", forbid_dtd=True)
    return wrapped[0]


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows)
    frame["time"] = pd.to_datetime(frame["time"], utc=True, errors="coerce", format="ISO8601")
    return frame


registry.register(EventViewerXmlParser)
