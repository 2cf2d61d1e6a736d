"""Make evidence text inert in spreadsheets (CSV/XLSX formula injection) and on screen
(bidirectional controls shown, not applied).

OWASP "CSV Injection" (https://owasp.org/www-community/attacks/CSV_Injection) lists the
first characters that make a spreadsheet program read a cell as a formula: ``=``, ``+``,
``-``, ``@``, tab, carriage return (and, since 2025, line feed), and recommends a leading
apostrophe; Symfony's CVE-2021-41270 advisory follows the same list. Such cells get one
here, with one exception: a value that is only a sign and a plain number, time or UTC
offset (``-1``, ``-3.5``, ``-04:00``, ``+05:30``, a lone ``-``) holds no function, reference
or operator after the sign, so a spreadsheet can at most read it as a number: it keeps its
text without a visible apostrophe. Cells that already begin with an apostrophe get one too,
so ``unneutralize`` restores every original value exactly (the CSV round-trips).
"""

from __future__ import annotations

import re

import pandas as pd

#: first characters that start a formula (OWASP's list, line feed included)
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r", "\n")
#: a sign and a plain number / time / offset, and nothing else: no formula risk
PLAIN_SIGNED = r"[+-](?:\d+(?:[.,:]\d+)*(?:[eE][+-]?\d+)?%?)?"
_PLAIN = re.compile(PLAIN_SIGNED)
_PATTERN = r"^[=+\-@\t\r\n']"


def is_formula_risk(value: str) -> bool:
    """True when a spreadsheet could run ``value`` as a formula (see the module doc)."""
    return value[:1] in DANGEROUS_FIRST and not _PLAIN.fullmatch(value)


def neutralize_value(value: str) -> str:
    return "'" + value if value[:1] == "'" or is_formula_risk(value) else value


def neutralize(series: pd.Series) -> pd.Series:
    """Vectorized ``neutralize_value`` over a text column (NA stays NA)."""
    text = series.astype("string")
    risky = text.str.contains(_PATTERN, regex=True, na=False) & ~text.str.fullmatch(PLAIN_SIGNED).fillna(False)
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
