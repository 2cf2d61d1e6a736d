"""Make evidence text inert in spreadsheets (CSV/XLSX formula injection).

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
