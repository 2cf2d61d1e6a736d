"""Reading a *rendered* event message back into its fields, with the event map's template.

Event Viewer exports (XML ``RenderingInfo/Message``, CSV/TXT description) carry the message
Windows rendered from the provider's template. Each event map (``resources/maps/*.json``)
holds that template with ``%1``..``%n`` placeholders, ``%n`` being ``<Data>`` string n. The
regexes that read a message back are *derived from those templates* (never hard-coded), so
a corrected or learned map (``--maps DIR``) changes parsing without touching code, and the
same template serves to parse, to learn a layout (``forensics.evtx.learn``) and to generate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from forensics.evtx.maps import EventMap

_PLACEHOLDER = re.compile(r"%(\d+)")
_WS = re.compile(r"\s+")

MAX_NO_DESCRIPTION = 1 << 16  # longest message searched for the "description cannot be found" text
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
        elif part in seen:  # the same string again (RE2 has no backreferences)
            regex.append("(?:.*?)")
        else:
            seen.add(part)
            regex.append(f"(?P<p{part}>.*?)")
    return "".join(regex)


def slot_name(emap: EventMap, slot: int) -> str:
    """Field name of ``%slot`` (1-based); strings beyond the map are ``ignored``."""
    return emap.fields[slot - 1].name if 0 < slot <= len(emap.fields) else "ignored"


def _body(template: str) -> str:
    body = _slot_pattern(template.strip())
    return body[:-2] if body.endswith(r"\.") else body  # a final period may be dropped


@lru_cache(maxsize=256)
def template_pattern(template: str) -> str:
    """RE2 pattern matching a whole rendered message of ``template``; group ``pN`` = ``%N``."""
    return r"(?i)^\s*" + _body(template) + r"\.?\s*$"


@lru_cache(maxsize=256)
def line_patterns(template: str) -> tuple[str, ...]:
    """One RE2 pattern per template line holding placeholders (the labelled lines and the
    sentences), line-anchored: the fallback when a message has extra or missing lines, so
    each label and sentence is still read where present."""
    return tuple(
        r"(?im)^[ \t]*" + _body(line) + r"\.?[ \t]*$"
        for line in (raw.strip() for raw in re.split(r"\r?\n", template))
        if _PLACEHOLDER.search(line)
    )


def _extract(texts: pa.Array, pattern: str) -> tuple[np.ndarray, dict[int, list[str | None]]]:
    """``(matched mask, {slot: values})`` of one pattern over many texts (RE2: linear time)."""
    found = pc.extract_regex(texts, pattern)
    matched = found.is_valid().to_numpy(zero_copy_only=False)
    groups = {int(f.name[1:]): found.field(i).to_pylist() for i, f in enumerate(found.type)}
    return matched, groups


def match_many(emap: EventMap, messages: Sequence[str | None]) -> list[tuple[dict[int, str], str]]:
    """Read many messages of one event map: ``({slot: value}, "full"|"partial"|"none")`` each.

    Why RE2 (``pyarrow.compute``) and not Python's ``re``: the templates become patterns of
    many lazy groups, and a hostile message makes a backtracking engine take minutes; RE2
    runs in linear time, over the whole batch in C++. ``partial`` means some lines matched
    (e.g. the first sentence but not every label); values are stripped.
    """
    out: list[tuple[dict[int, str], str]] = [({}, "none")] * len(messages)
    if not emap.message or not messages:
        return out
    texts = pa.array([m if m else None for m in messages], pa.string())
    texts = pc.utf8_trim_whitespace(pc.replace_substring(pc.replace_substring(texts, "\r\n", "\n"), "\r", "\n"))
    matched, groups = _extract(texts, template_pattern(emap.message))
    for i in np.flatnonzero(matched):
        out[i] = ({slot: (values[i] or "").strip() for slot, values in groups.items()}, "full")
    rest = np.flatnonzero(~matched & texts.is_valid().to_numpy(zero_copy_only=False))
    if len(rest):
        subset = texts.take(pa.array(rest))
        partial: list[dict[int, str]] = [{} for _ in rest]
        for pattern in line_patterns(emap.message):
            hit, line_groups = _extract(subset, pattern)
            for j in np.flatnonzero(hit):
                for slot, values in line_groups.items():
                    partial[j].setdefault(slot, (values[j] or "").strip())
        for j, i in enumerate(rest):
            if partial[j]:
                out[i] = (partial[j], "partial")
    return out


def match_slots(emap: EventMap, message: str | None) -> tuple[dict[int, str], str]:
    """``match_many`` for one message."""
    return match_many(emap, [message])[0]


def named(emap: EventMap, slots: dict[int, str]) -> dict[str, str]:
    """Slot values keyed by the map's field names (``ignored`` ones dropped)."""
    values: dict[str, str] = {}
    for slot in sorted(slots):
        name = slot_name(emap, slot)
        if name != "ignored":
            values.setdefault(name, slots[slot])
    return values


def parse_rendered(emap: EventMap, message: str | None) -> tuple[dict[str, str], str]:
    """Named field values read from a rendered message: ``({name: value}, status)``."""
    slots, status = match_slots(emap, message)
    return named(emap, slots), status


def strings_without_description(message: str) -> list[str] | None:
    """The insertion strings Event Viewer prints when the message DLL was missing
    ("The description for Event ID … cannot be found … included with the event:"), else None."""
    if not message:
        return None
    # Event Viewer starts the description with it: one anchored match, linear time
    hit = _NO_DESCRIPTION.match(message[:MAX_NO_DESCRIPTION].lstrip().replace("\r\n", "\n").replace("\r", "\n"))
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
