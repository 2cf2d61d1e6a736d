"""Event maps as data, and reading a *rendered* event message back into its fields.

Event Viewer exports (XML ``RenderingInfo/Message``, CSV/TXT description) carry the message
Windows rendered from the provider's template. Each event map (``resources/maps/*.json``)
holds that template with ``%1``..``%n`` placeholders, ``%n`` being ``<Data>`` string n. The
regexes that read a message back are *derived from those templates* (never hard-coded), so
a corrected or learned map (``--maps DIR``) changes parsing without touching code, and the
same template serves to parse, to learn a layout (``forensics.evtx.learn``) and to generate.
"""

from __future__ import annotations

import re
from functools import lru_cache

from forensics.evtx.maps import EventMap

_PLACEHOLDER = re.compile(r"%(\d+)")
_WS = re.compile(r"\s+")

#: Event Viewer's text when the message DLL is missing; the insertion strings follow it.
_NO_DESCRIPTION = re.compile(
    r"The description for Event ID .{0,80}? cannot be found.*?"
    r"The following information (?:was included with the event|is part of the event)\s*:\s*\n?(?P<strings>.*)",
    re.IGNORECASE | re.DOTALL,
)


# --- template -> regex --------------------------------------------------------------------


def _literal(text: str, before_slot: bool, after_slot: bool) -> str:
    """Regex for template text between placeholders: whitespace runs match any whitespace
    (exports flatten or re-wrap lines, XML turns CRLF into LF); next to a placeholder the run
    may be empty, because an empty value leaves only one of the two spaces around it."""
    out: list[str] = []
    pieces = _WS.split(text)
    gaps = _WS.findall(text)
    for i, piece in enumerate(pieces):
        escaped = re.escape(piece)
        if piece.endswith(".") and i < len(gaps) and "\n" in gaps[i]:
            escaped = escaped[:-2] + r"\.?"  # a sentence that ends a line may lose its period
        out.append(escaped)
        if i < len(gaps):
            at_edge = (i == 0 and not pieces[0] and after_slot) or (
                i == len(gaps) - 1 and not pieces[-1] and before_slot
            )
            out.append(r"\s*" if at_edge else r"\s+")
    return "".join(out)


def _slot_pattern(template: str) -> str:
    parts = _PLACEHOLDER.split(template)  # literal, slot, literal, slot, ..., literal
    regex: list[str] = []
    seen: set[str] = set()
    for i, part in enumerate(parts):
        if i % 2 == 0:
            regex.append(_literal(part, before_slot=i + 1 < len(parts), after_slot=i > 0))
        elif part in seen:  # the same string twice: must be equal
            regex.append(f"(?P=p{part})")
        else:
            seen.add(part)
            regex.append(f"(?P<p{part}>.*?)")
    return "".join(regex)


def slot_name(emap: EventMap, slot: int) -> str:
    """Field name of ``%slot`` (1-based); strings beyond the map are ``ignored``."""
    return emap.fields[slot - 1].name if 0 < slot <= len(emap.fields) else "ignored"


@lru_cache(maxsize=256)
def template_regex(template: str) -> re.Pattern[str]:
    """Regex matching a whole rendered message of ``template``; group ``pN`` = ``%N``."""
    body = _slot_pattern(template.strip())
    body = body[:-2] if body.endswith(r"\.") else body  # a final period may be dropped
    return re.compile(r"\s*" + body + r"\.?\s*", re.IGNORECASE)


@lru_cache(maxsize=256)
def line_regexes(template: str) -> tuple[re.Pattern[str], ...]:
    """One regex per template line holding placeholders (the labelled lines and the
    sentences), searched line-anchored: the fallback when a message has extra or missing
    lines, so each label and sentence is still read where present."""
    out = []
    for line in re.split(r"\r?\n", template):
        line = line.strip()
        if not _PLACEHOLDER.search(line):
            continue
        body = _slot_pattern(line)
        body = body[:-2] if body.endswith(r"\.") else body
        out.append(re.compile(r"^[ \t]*" + body + r"\.?[ \t]*$", re.IGNORECASE | re.MULTILINE))
    return tuple(out)


def match_slots(emap: EventMap, message: str) -> tuple[dict[int, str], str]:
    """Read ``message`` with ``emap``'s template: ``({slot: value}, "full"|"partial"|"none")``.

    ``partial`` means some lines matched (e.g. the first sentence but not every label);
    values are stripped; an empty label value stays ``""`` (recorded as empty).
    """
    if not emap.message or not message:
        return {}, "none"
    text = message.replace("\r\n", "\n").replace("\r", "\n").strip()
    found = template_regex(emap.message).fullmatch(text)
    if found:
        return {int(k[1:]): (v or "").strip() for k, v in found.groupdict().items()}, "full"
    slots: dict[int, str] = {}
    for regex in line_regexes(emap.message):
        hit = regex.search(text)
        if hit:
            for k, v in hit.groupdict().items():
                slots.setdefault(int(k[1:]), (v or "").strip())
    return slots, ("partial" if slots else "none")


def parse_rendered(emap: EventMap, message: str) -> tuple[dict[str, str], str]:
    """Named field values read from a rendered message: ``({name: value}, status)``."""
    slots, status = match_slots(emap, message)
    values: dict[str, str] = {}
    for slot in sorted(slots):
        name = slot_name(emap, slot)
        if name != "ignored":
            values.setdefault(name, slots[slot])
    return values, status


def strings_without_description(message: str) -> list[str] | None:
    """The insertion strings Event Viewer prints when the message DLL was missing
    ("The description for Event ID … cannot be found … included with the event:"), else None."""
    if not message:
        return None
    hit = _NO_DESCRIPTION.search(message.replace("\r\n", "\n").replace("\r", "\n"))
    if not hit:
        return None
    lines = hit.group("strings").strip("\n").split("\n")
    # Event Viewer ends the list with a line about the message resource when it knows one
    if lines and lines[-1].lower().startswith("the message resource is present"):
        lines = lines[:-1]
    while lines and not lines[-1].strip():
        lines.pop()
    return [line.strip() for line in lines]


def render(emap: EventMap, strings: list[str], newline: str = "\r\n") -> str:
    """Fill ``emap``'s template with ``strings`` (used by tests and generators)."""
    def sub(m: re.Match[str]) -> str:
        i = int(m.group(1))
        return strings[i - 1] if 0 < i <= len(strings) else ""

    return _PLACEHOLDER.sub(sub, emap.message).replace("\r\n", newline)
