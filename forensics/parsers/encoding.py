"""Which text encoding an exported evidence file uses: one answer for every text parser.

Windows exports come as UTF-16LE with a BOM (Event Viewer, PowerShell), UTF-8 with or
without a BOM, and sometimes UTF-16 without a BOM; XML may also declare its encoding.
"""

from __future__ import annotations

import codecs
import re

_XML_DECLARATION = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def detect_encoding(head: bytes, *, xml: bool = False) -> tuple[str, int]:
    """``(codec, BOM length)`` from the byte-order mark, the NUL-byte pattern of UTF-16
    text, or (``xml=True``) the XML declaration; UTF-8 otherwise."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    sample = head[:4096]
    if len(sample) >= 4:
        odd_nuls, even_nuls = sample[1::2].count(0), sample[0::2].count(0)
        if odd_nuls > len(sample) // 4 and even_nuls < max(1, len(sample) // 50):
            return "utf-16-le", 0
        if even_nuls > len(sample) // 4 and odd_nuls < max(1, len(sample) // 50):
            return "utf-16-be", 0
    if xml:
        declared = _XML_DECLARATION.match(head)
        if declared:
            try:
                codec = codecs.lookup(declared.group(1).decode("ascii").lower()).name
            except LookupError:
                return "utf-8", 0
            if not codec.startswith(("utf-16", "utf-32")):
                return codec, 0
    return "utf-8", 0
