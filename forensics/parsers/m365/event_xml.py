"""The <Event> records of Exchange's XML audit reports (mailbox audit search results and
New-AdminAuditLogSearch), read with bounded regular expressions rather than an XML parser:
the files are hostile input, so no entity is ever expanded and one damaged record costs that
record only (counted, never silently dropped)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from forensics.errors import ParseError
from forensics.parsers.base import ParseContext
from forensics.parsers.csvtable import BOMS

EVENT_OPEN = re.compile(r"<Event\b", re.IGNORECASE)
EVENT = re.compile(r"<Event\b(?P<attrs>[^<>]*?)(?P<empty>/)?>", re.IGNORECASE)
EVENT_END = re.compile(r"</Event\s*>", re.IGNORECASE)
#: a name starts only where no name character precedes it: without that lookbehind a long run
#: of name characters (damaged quoting) was retried from each of its positions, O(n^2)
_ATTR = re.compile(r"(?<![\w.:-])([A-Za-z_][\w.:-]*)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
#: what may stand between records: whitespace, the XML declaration, a document type and the
#: document's bare element tags (<SearchResults>); anything else is a damaged <Event>
_BETWEEN = re.compile(
    r"\s+|<\?xml[^>]*\?>|<!DOCTYPE[^[>]*(?:\[[^\]]*\])?\s*>|</?[\w:.-]+\s*>|<SearchResults\b[^<>]*>", re.IGNORECASE
)


def event_document(ctx: ParseContext, data: bytes, kind: str) -> tuple[str, list[int]]:
    """The decoded report and the offsets of its ``<Event`` tags; a document type or entity
    declaration is warned about (never expanded); no <Event> at all means the file is not
    ``kind`` (a ParseError naming the file)."""
    text = decode_xml(data)
    if re.search(r"<!DOCTYPE|<!ENTITY", text[:65536], re.IGNORECASE):
        ctx.report.warn("file", "document type declaration / entities ignored (never expanded)")
    starts = [m.start() for m in EVENT_OPEN.finditer(text)]
    if not starts:
        raise ParseError(f"{ctx.path.name}: no <Event> elements; not {kind}")
    return text, starts


def read_events(ctx: ParseContext, text: str, starts: list[int],
                cancel_every: int = 0) -> Iterator[tuple[int, dict[str, str], str]]:
    """(1-based ordinal, start-tag attributes, body text) of each readable <Event> at ``starts``.
    An unreadable start tag is a bad record; an unclosed one is read up to the next <Event> with
    a warning; text between records that is not document markup is warned about. Checks for a
    cancel every ``cancel_every`` records when that is positive."""
    read_to = 0  # end of the last record: text from here to the next <Event> is no record
    for ordinal, at in enumerate(starts, start=1):
        if cancel_every and ordinal % cancel_every == 0:  # a large export: a cancel stops it within a few ms
            ctx.check_cancel()
        stray_text(ctx, text[read_to:at], f"before record {ordinal}")
        following = read_to = starts[ordinal] if ordinal < len(starts) else len(text)
        start = EVENT.match(text, at)
        if start is None or start.end() > following:
            ctx.report.bad_record(f"record {ordinal}", "unreadable <Event> start tag")
            continue
        attrs = attributes(start.group("attrs"))
        body = ""
        if start.group("empty"):
            read_to = start.end()
        else:
            end = EVENT_END.search(text, start.end(), following)
            if end is None:
                ctx.report.warn(f"record {ordinal}", "<Event> not closed; read up to the next <Event>")
            else:
                read_to = end.end()
            body = text[start.end() : end.start() if end is not None else following]
        yield ordinal, attrs, body
    stray_text(ctx, text[read_to:], f"after record {len(starts)}")


def attributes(text: str) -> dict[str, str]:
    return {m.group(1): html.unescape(m.group(2) if m.group(2) is not None else m.group(3)) for m in _ATTR.finditer(text)}


def stray_text(ctx: ParseContext, gap: str, where: str) -> None:
    """Warn about text between records that is not markup of the document itself. Why: an
    <Event> whose tag is damaged (``<Evxnt …>``) is not found as a record and would otherwise
    vanish without a word."""
    if gap.strip() and _BETWEEN.sub("", gap):
        shown = " ".join(gap.split())[:80]
        ctx.report.warn(where, f"unrecognised text between records (a damaged <Event>?): {shown!r}")


def decode_xml(data: bytes) -> str:
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    if data[:200].count(b"\x00") > 20:
        return data.decode("utf-16-le", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
