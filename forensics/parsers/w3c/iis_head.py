"""Telling IIS W3C text from a file's head, and decoding its lines.

Split from ``iis``: ``IisParser.sniff`` asks these whether a head holds IIS lines
(with a ``#Fields:`` header or one default layout) rather than Exchange's own look-alikes.
"""

from __future__ import annotations

from forensics.parsers.w3c.iis_layouts import SAMPLE_LINES, guess_layout


def decode_line(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def iis_fields(head: bytes) -> bool:
    """False for the look-alikes Exchange writes itself: IIS never writes ``#Log-type:``, and
    its ``#Fields:`` names are space-separated, never ``DateTime,RequestId,...``."""
    if b"\n#Log-type:" in head or head.startswith(b"#Log-type:"):
        return False
    at = head.find(b"#Fields:")
    if at < 0:
        return True
    line = head[at + 8 : head.find(b"\n", at) if head.find(b"\n", at) > 0 else len(head)].strip()
    return not (b"," in line and b" " not in line)


def headerless_default(head: bytes) -> bool:
    """Whether the head's lines (the last one only if complete) are IIS lines of exactly one
    default layout."""
    lines = head.split(b"\n")
    if not head.endswith(b"\n"):
        lines = lines[:-1]
    text = [decode_line(line) for line in lines[:SAMPLE_LINES + 1] if line.strip()]
    if not text or any(t.startswith("#") for t in text):
        return False
    return guess_layout(text) is not None
