"""Binary XML building blocks for the EVTX writer: name structures, template definitions.

Why a separate module: the record hot path in ``evtx_writer`` only concatenates value bytes; the
XML skeleton (element tokens, sizes, chunk-local name table) is built here once per chunk and
template shape. Layout follows ``shared/EVTX_FORMAT.md`` §3.2, §5 and §6.2.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from functools import lru_cache

# Binary XML tokens (EVTX_FORMAT.md §5).
TOK_EOF = 0x00
TOK_OPEN_START = 0x01
TOK_CLOSE_START = 0x02
TOK_CLOSE_EMPTY = 0x03
TOK_END_ELEMENT = 0x04
TOK_VALUE = 0x05
TOK_ATTRIBUTE = 0x06
TOK_TEMPLATE_INSTANCE = 0x0C
TOK_NORMAL_SUBST = 0x0D
TOK_FRAGMENT_HEADER = 0x0F
FLAG_MORE = 0x40  # "has attribute list" on 0x01, "another attribute follows" on 0x06

FRAGMENT_HEADER = bytes((TOK_FRAGMENT_HEADER, 0x01, 0x01, 0x00))
NO_DEPENDENCY = 0xFFFF

# Value types (EVTX_FORMAT.md §7).
T_NULL = 0x00
T_STRING = 0x01
T_UINT8 = 0x04
T_UINT16 = 0x06
T_UINT32 = 0x08
T_UINT64 = 0x0A
T_FILETIME = 0x11
T_SID = 0x13
T_HEXINT64 = 0x15

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_SUBST = struct.Struct("<BHB")
_ELEMENT_HEAD = struct.Struct("<BHI")  # token, dependency id, data size (patched)
_TEMPLATE_HEAD = struct.Struct("<I16sI")  # next definition, GUID, body size


@lru_cache(maxsize=1024)
def name_hash(name: str) -> int:
    """MS-EVEN6 NameHash: h = h*65599 + code unit over UTF-16 units (32-bit), low 16 bits kept."""
    h = 0
    units = name.encode("utf-16-le")
    for i in range(0, len(units), 2):
        h = (h * 65599 + (units[i] | units[i + 1] << 8)) & 0xFFFFFFFF
    return h & 0xFFFF


@lru_cache(maxsize=4096)
def name_structure(name: str, next_offset: int) -> bytes:
    """A chunk-local name record: next-in-bucket, hash, char count, UTF-16LE chars, NUL."""
    encoded = name.encode("utf-16-le")
    if not encoded:
        raise ValueError("an element or attribute name cannot be empty")
    return struct.pack("<IHH", next_offset, name_hash(name), len(encoded) // 2) + encoded + b"\x00\x00"


# ---- XML skeleton description -------------------------------------------------------------
@dataclass(frozen=True)
class Text:
    """A literal text value inside a template (e.g. the Event xmlns)."""

    value: str


@dataclass(frozen=True)
class Subst:
    """A substitution slot: value ``index`` of the instance, of value ``vtype``."""

    index: int
    vtype: int


@dataclass(frozen=True)
class Element:
    """An XML element of a template: attributes hold one value each, children mix freely."""

    name: str
    attrs: tuple[tuple[str, Text | Subst], ...] = ()
    children: tuple["Element | Text | Subst", ...] = ()


@dataclass
class NameTable:
    """Chunk-local names: name -> chunk offset, plus the 64 bucket heads (newest first)."""

    offsets: dict[str, int] = field(default_factory=dict)
    buckets: list[int] = field(default_factory=lambda: [0] * 64)

    def copy(self) -> "NameTable":
        return NameTable(dict(self.offsets), list(self.buckets))


class _Emitter:
    """Serialises an Element tree at a known chunk offset, inlining each name on first use."""

    def __init__(self, base: int, names: NameTable) -> None:
        self.base = base
        self.names = names
        self.buf = bytearray()

    def name_ref(self, name: str) -> None:
        known = self.names.offsets.get(name)
        if known is not None:
            self.buf += _U32.pack(known)
            return
        here = self.base + len(self.buf) + 4  # the name structure starts right after this field
        bucket = name_hash(name) % 64
        self.buf += _U32.pack(here) + name_structure(name, self.names.buckets[bucket])
        self.names.buckets[bucket] = here
        self.names.offsets[name] = here

    def value(self, item: Text | Subst) -> None:
        if isinstance(item, Subst):
            self.buf += _SUBST.pack(TOK_NORMAL_SUBST, item.index, item.vtype)
        else:
            encoded = item.value.encode("utf-16-le")
            self.buf += bytes((TOK_VALUE, T_STRING)) + _U16.pack(len(encoded) // 2) + encoded

    def element(self, el: Element) -> None:
        buf = self.buf
        start = len(buf)
        token = TOK_OPEN_START | (FLAG_MORE if el.attrs else 0)
        buf += _ELEMENT_HEAD.pack(token, NO_DEPENDENCY, 0)
        after_size = len(buf)
        self.name_ref(el.name)
        if el.attrs:
            list_size_at = len(buf)
            buf += b"\x00\x00\x00\x00"
            for i, (attr_name, attr_value) in enumerate(el.attrs):
                more = FLAG_MORE if i + 1 < len(el.attrs) else 0
                buf.append(TOK_ATTRIBUTE | more)
                self.name_ref(attr_name)
                self.value(attr_value)
            _U32.pack_into(buf, list_size_at, len(buf) - list_size_at - 4)
        if el.children:
            buf.append(TOK_CLOSE_START)
            for child in el.children:
                if isinstance(child, Element):
                    self.element(child)
                else:
                    self.value(child)
            buf.append(TOK_END_ELEMENT)
        else:
            buf.append(TOK_CLOSE_EMPTY)
        _U32.pack_into(buf, start + 3, len(buf) - after_size)


def template_definition(root: Element, guid: bytes, offset: int, names: NameTable, next_def: int) -> bytes:
    """The bytes of a template definition placed at chunk ``offset``.

    ``names`` is updated in place with the names this definition inlines; pass a copy when the
    caller may still abandon the definition (e.g. the record turns out not to fit the chunk).
    """
    if len(guid) != 16:
        raise ValueError("template GUID must be 16 bytes")
    emitter = _Emitter(offset + _TEMPLATE_HEAD.size + len(FRAGMENT_HEADER), names)
    emitter.element(root)
    body = FRAGMENT_HEADER + bytes(emitter.buf) + bytes((TOK_EOF,))
    return _TEMPLATE_HEAD.pack(next_def, guid, len(body)) + body
