"""Make evidence text inert in spreadsheets (CSV/XLSX formula injection) and on screen
(bidirectional controls shown, not applied).

A cell that begins with ``=``, ``+``, ``-``, ``@``, tab or carriage return can be run as a
formula by spreadsheet programs (OWASP "CSV injection"). Such cells get a leading
apostrophe. Cells that already begin with an apostrophe get one too, so ``unneutralize``
restores every original value exactly (the CSV round-trips).
"""

from __future__ import annotations

import pandas as pd

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
_PATTERN = r"^[=+\-@\t\r']"


def neutralize_value(value: str) -> str:
    return "'" + value if value[:1] in (*DANGEROUS_FIRST, "'") else value


def neutralize(series: pd.Series) -> pd.Series:
    """Vectorized ``neutralize_value`` over a text column (NA stays NA)."""
    text = series.astype("string")
    risky = text.str.contains(_PATTERN, regex=True, na=False)
    return text.mask(risky, "'" + text)


def unneutralize(series: pd.Series) -> pd.Series:
    """Undo ``neutralize`` (for reading a report CSV back)."""
    text = series.astype("string")
    return text.str.replace(r"^'", "", n=1, regex=True)


#: Unicode bidirectional controls (embeddings, overrides, isolates, marks). Applied, U+202E
#: turns ``invoice_txt.exe`` into what reads as ``invoice_exe.txt``: in evidence text they
#: are shown as ``<U+202E>``, never applied (HTML, PDF, XLSX, GUI cells, detail, tooltips).
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"
_BIDI_TABLE = {ord(c): f"<U+{ord(c):04X}>" for c in BIDI_CONTROLS}
_BIDI_PATTERN = f"[{BIDI_CONTROLS}]"


def show_controls(value: str) -> str:
    """``value`` with every bidirectional control written out visibly (``<U+202E>``)."""
    return value.translate(_BIDI_TABLE)


def show_controls_series(series: pd.Series) -> pd.Series:
    """Vectorized ``show_controls`` over a text column: only the values holding one are touched."""
    text = series.astype("string")
    hit = text.str.contains(_BIDI_PATTERN, regex=True, na=False)
    if not hit.any():
        return text
    return text.mask(hit, text[hit].map(show_controls))
