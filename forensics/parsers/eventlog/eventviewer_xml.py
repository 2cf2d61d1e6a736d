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

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
import xml.etree.ElementTree as FastET
from xml.etree.ElementTree import Element, ParseError as XmlSyntaxError

import defusedxml.ElementTree as SafeET
import pandas as pd
from defusedxml import DefusedXmlException

from forensics.errors import ParseError
from forensics.evtx.export_event import event_id_of, export_rows
from forensics.evtx.maps import load_maps
from forensics.evtx.subject import actor_from_named
from forensics.localtime import to_ns
from forensics.parsers import registry
from forensics.parsers.encoding import detect_encoding as detect_text_encoding
from forensics.parsers.base import ParseContext, Parser

BLOCK = 1 << 20
BATCH = 5000
MAX_EVENT_BYTES = 16 << 20  # one <Event> larger than this is not an event record
_EVENT_NS = "schemas.microsoft.com/win/2004/08/events/event"


def detect_encoding(head: bytes) -> tuple[str, int]:
    """``(codec, BOM length)`` from the byte-order mark, NUL pattern, or XML declaration."""
    return detect_text_encoding(head, xml=True)


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

    def find(
        self, pattern: re.Pattern[bytes], buf: bytes, pos: int, base: int = 0, endpos: int | None = None
    ) -> re.Match[bytes] | None:
        """First match in ``buf[pos:endpos]``; in UTF-16 only at character boundaries
        (``base`` = file offset of ``buf[0]``)."""
        endpos = len(buf) if endpos is None else endpos
        while True:
            hit = pattern.search(buf, pos, endpos)
            if hit is None or self.width == 1 or (base + hit.start() - self.bom) % 2 == 0:
                return hit
            pos = hit.start() + 1


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element: Element | None, name: str) -> Element | None:
    """The first child named ``name`` in the element's own namespace (fast, C ``find``),
    else in any namespace."""
    if element is None:
        return None
    tag = element.tag if isinstance(element.tag, str) else ""
    namespace = tag[: tag.index("}") + 1] if tag.startswith("{") else ""
    found = element.find(namespace + name)
    if found is not None:
        return found
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element: Element | None) -> str | None:
    return None if element is None else (element.text or "")


def _leaves(element: Element) -> list[Element]:
    """Every leaf element below ``element``, in document order."""
    return [node for node in element.iter() if len(node) == 0 and node is not element]


def _leaf_texts(element: Element) -> list[str]:
    """``name=value`` of every leaf below ``element`` (UserData of manifest events)."""
    return [f"{_local(node.tag)}={(node.text or '').strip()}" for node in _leaves(element)]


@dataclass
class EventParts:
    """What one ``<Event>`` element says, before any mapping."""

    provider: str
    event_id: int
    record_id: str | None
    system_time: str | None
    computer: str | None
    strings: list[str] | None  # <Data> texts, else UserData leaf texts; None = neither
    named: list[str]  # "Name=value" of named <Data> (manifest events)
    user_data: Element | None
    message: str | None  # RenderingInfo/Message, None when absent


class EventScanner:
    """Cut an XML export into ``<Event>`` elements, streaming, with their byte offsets.

    ``scan`` yields ``("event", offset, bytes)`` for each complete element and
    ``("bad", offset, reason)`` for damaged ones; a DTD or entity declaration before the
    first record raises ``ParseError`` (the whole file is refused).
    """

    def __init__(self, head: bytes, name: str) -> None:
        self.codec, self.bom = detect_encoding(head)
        self.marks = _Markers(self.codec, self.bom)
        self.name = name
        self.root_tag: str | None = None
        self.trailer = ""

    def scan(self, read: Callable[[int], bytes]) -> Iterator[tuple[str, int, bytes | str]]:
        marks, bom = self.marks, self.bom
        buf = b""
        base = pos = 0
        eof = False
        prolog_checked = False
        seen_event = False

        def more() -> None:
            nonlocal buf, base, pos, eof
            if pos:
                base += pos
                buf = buf[pos:]
                pos = 0
            block = read(BLOCK)
            if block:
                buf += block
            else:
                eof = True

        more()
        while True:
            start = marks.find(marks.start, buf, pos, base)
            if not prolog_checked:
                self._refuse_dtd(buf[: start.start()] if start else buf)
                if start is not None or eof:
                    prolog = buf[bom if base == 0 else 0 : start.start() if start else len(buf)]
                    self.root_tag = self._root_tag(prolog)
                    prolog_checked = True
            if start is None:
                if eof:
                    self.trailer = self._trailer(buf[pos:])
                    if self.trailer:
                        yield "warn", base + pos, f"unrecognised text after the last <Event>: {self.trailer[:80]!r}"
                    return
                keep = max(pos, len(buf) - 64)  # a marker may straddle the block boundary
                if seen_event and keep > pos and (junk := self._trailer(buf[pos:keep])):
                    yield "warn", base + pos, f"unrecognised text between records: {junk[:80]!r}"
                pos = keep
                more()
                continue
            if seen_event and start.start() > pos and (junk := self._trailer(buf[pos:start.start()])):
                yield "warn", base + pos, f"unrecognised text between records: {junk[:80]!r}"
            seen_event = True
            where = base + start.start()
            # the next <Event> bounds the search for this one's end: linear even when
            # hostile input opens many elements and closes none
            following = marks.find(marks.start, buf, start.end(), base)
            end = marks.find(marks.end, buf, start.end(), base, following.start() if following else None)
            if following is not None and end is None:
                yield "bad", where, "<Event> element is not closed (damaged record)"
                pos = following.start()
                continue
            close = -1 if end is None else buf.find(marks.close, end.end() - marks.width)
            if close < 0:
                if eof:
                    yield "bad", where, "<Event> element is not closed: the file is truncated"
                    return
                if len(buf) - start.start() > MAX_EVENT_BYTES:
                    yield "bad", where, "<Event> element larger than 16 MiB; skipped"
                    pos = start.end()
                    continue
                pos = start.start()
                more()
                continue
            stop = close + marks.width
            yield "event", where, buf[start.start() : stop]
            pos = stop

    def _refuse_dtd(self, prolog: bytes) -> None:
        """Refuse DTDs and entity declarations (XML bombs, external entities) for the whole
        file, before any record is read; defusedxml names what it found."""
        text = prolog.decode(self.codec, errors="replace")
        upper = text.upper()
        if "<!DOCTYPE" not in upper and "<!ENTITY" not in upper:
            return
        try:
            SafeET.fromstring(re.sub(r"<\?xml[^>]*\?>", "", text).strip() + "<x/>", forbid_dtd=True)
        except (DefusedXmlException, XmlSyntaxError) as exc:
            raise ParseError(
                f"{self.name}: refused: the XML declares a DTD or entities "
                f"(possible XML bomb or external-entity attack; {type(exc).__name__})"
            ) from None
        raise ParseError(f"{self.name}: refused: the XML declares a DTD")

    def _root_tag(self, prolog: bytes) -> str | None:
        """The root element's start tag (its namespace declarations serve the records).
        A plain scan, linear in the prolog (no regex that could backtrack on hostile text)."""
        text = prolog.decode(self.codec, errors="replace")
        i = 0
        while True:
            i = text.find("<", i)
            if i < 0:
                return None
            closer = "?>" if text.startswith("<?", i) else "-->" if text.startswith("<!--", i) else ">"
            j = text.find(closer, i + 1)
            if j < 0:
                return None
            if closer == ">" and i + 1 < len(text) and (text[i + 1].isalpha() or text[i + 1] == "_"):
                return text[i : j + 1]
            i = j + len(closer)

    def _trailer(self, tail: bytes) -> str:
        """Text between or after records other than whitespace, ``</Events>``, and (in
        concatenated exports) a new XML declaration and ``<Events>`` start tag."""
        text = tail.decode(self.codec, errors="replace").replace("\x00", "").replace("</Events>", "")
        text = "".join(text.split())
        if text.startswith("<?xml") and "?>" in text:
            text = text[text.index("?>") + 2 :]
        if text.startswith("<Events") and text.endswith(">") and text.count(">") == 1:
            text = ""
        return text

    def decode(self, chunk: bytes) -> tuple[EventParts | None, list[str]]:
        """``(parts, warnings)``; parts is None when the element is malformed (the reason
        is the last warning)."""
        warnings: list[str] = []
        try:
            text = chunk.decode(self.codec)
        except UnicodeDecodeError:
            text = chunk.decode(self.codec, errors="replace")
            warnings.append(f"invalid {self.codec} bytes replaced by U+FFFD")
        try:
            event = _parse_element(text, self.root_tag)
        except (DefusedXmlException, XmlSyntaxError) as exc:
            warnings.append(f"malformed <Event>: {type(exc).__name__}: {exc}")
            return None, warnings
        system = _child(event, "System")
        provider_el = _child(system, "Provider")
        provider = ""
        if provider_el is not None:
            provider = provider_el.get("Name") or provider_el.get("EventSourceName") or ""
        event_id_text = (_text(_child(system, "EventID")) or "").strip()
        event_id = event_id_of(event_id_text)
        if event_id is None:
            warnings.append(f"<Event> without a valid EventID ({event_id_text[:40]!r})")
            return None, warnings
        time_el = _child(system, "TimeCreated")
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
        if strings is None and user_data is not None:
            # manifest events without <EventData> (e.g. a cleared log, 104/1102): the
            # UserData leaves in order are their strings, as for .evtx (xml_fields.data_items)
            strings = [(node.text or "").strip() for node in _leaves(user_data)]
        parts = EventParts(
            provider=provider,
            event_id=event_id,
            record_id=(_text(_child(system, "EventRecordID")) or "").strip() or None,
            system_time=time_el.get("SystemTime") if time_el is not None else None,
            computer=_text(_child(system, "Computer")),
            strings=strings,
            named=named,
            user_data=user_data,
            message=_text(_child(_child(event, "RenderingInfo"), "Message")),
        )
        return parts, warnings


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

    def parse(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        report = ctx.report
        maps = load_maps(ctx.options.maps_dir)
        scanner = EventScanner(ctx.reader.peek(4096), ctx.path.name)
        pending: list[tuple[EventParts, int]] = []
        for kind, offset, payload in scanner.scan(ctx.reader.read):
            where = f"offset {offset}"
            if kind == "warn":
                report.warn(where, str(payload))
                continue
            if kind == "bad":
                report.bad_record(where, str(payload))
                continue
            parts, warnings = scanner.decode(payload)  # type: ignore[arg-type]
            if parts is None:
                for warning in warnings[:-1]:
                    report.warn(where, warning)
                report.bad_record(where, warnings[-1])
                continue
            for warning in warnings:
                report.warn(where, warning)
            pending.append((parts, offset))
            if len(pending) >= BATCH:
                rows = self._rows(pending, maps, ctx)
                pending = []
                if rows:
                    yield _frame(rows, report)
                ctx.check_cancel()
        rows = self._rows(pending, maps, ctx)
        if rows:
            yield _frame(rows, report)

    def _rows(self, pending: list[tuple[EventParts, int]], maps, ctx: ParseContext) -> list[dict]:
        """Rows of a batch of events; every event is accepted or skipped here."""
        report = ctx.report
        events = [(p.provider, p.event_id, p.strings, p.message) for p, _ in pending]
        rows = []
        for (parts, offset), outcome in zip(pending, export_rows(events, maps, ctx.options.all_events)):
            where = f"offset {offset}"
            for warning in outcome.warnings:
                report.warn(where, warning)
            if outcome.row is None:
                report.skip(f"{parts.provider or '?'}/{parts.event_id}")
                continue
            row = outcome.row
            if row.get("operation") == "Event" and (parts.named or parts.user_data is not None):
                details = parts.named or _leaf_texts(parts.user_data)
                row["details"] = " | ".join(details) or row.get("details")
                row["actor"] = row.get("actor") or actor_from_named(parts.named)
            if not parts.system_time:
                report.warn(where, "<Event> has no TimeCreated/@SystemTime; row kept without a time")
            report.accept()
            row.update(
                time=parts.system_time,
                server=parts.computer,
                record_id=parts.record_id,
                raw_ref=offset,
                time_basis="utc",
            )
            rows.append(row)
        return rows

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




def _fromstring(text: str) -> Element:
    """Parse one element safely. Entities (the XML bomb) and external entities can only be
    declared in a DTD, and any DTD construct starts with ``<!``: an element without ``<!``
    goes to the C-accelerated stdlib parser (about 2.5x faster than defusedxml's pure-Python
    one), anything holding ``<!`` (comments, CDATA, DTDs) to defusedxml, which refuses DTDs."""
    if "<!" not in text:
        return FastET.fromstring(text)
    return SafeET.fromstring(text, forbid_dtd=True)


def _parse_element(text: str, root_tag: str | None) -> Element:
    """Parse one ``<Event>``; if it uses a prefix declared on the root element, parse it
    inside a copy of the root start tag."""
    try:
        return _fromstring(text)
    except XmlSyntaxError as exc:
        if "unbound prefix" not in str(exc) or not root_tag:
            raise
    name = re.match(r"<([^\s>/]+)", root_tag)
    wrapped = _fromstring(f"{root_tag}{text}</{name.group(1)}>")
    return wrapped[0]


def _frame(rows: list[dict], report) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows)
    raw = frame["time"]
    frame["time"] = to_ns(pd.to_datetime(raw, utc=True, errors="coerce", format="ISO8601"))
    unreadable = frame["time"].isna() & raw.notna()
    for offset, text in zip(frame.loc[unreadable, "raw_ref"], raw[unreadable]):
        report.warn(f"offset {offset}", f"unreadable TimeCreated/@SystemTime {str(text)[:40]!r}; row kept without a time")
    return frame


registry.register(EventViewerXmlParser)
