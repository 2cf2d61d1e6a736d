"""Completion for the query bar: field names, ``is:`` shorthands and frequent values.

Completions replace ``text[start:cursor]`` where ``(start, cursor) = token_span(text, cursor)``.
Frequent values come from category codes counted with ``numpy.bincount`` (no per-row Python).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forensics.query.build import quote
from forensics.query.fields import ALIASES, SHORTHANDS, SPECIAL_KEYS, resolve_field

_BREAK = set(" \t\r\n()")
#: text (non-categorical) columns are counted on an even sample of at most this many rows
SAMPLE_ROWS = 200_000


def token_span(text: str, cursor: int) -> tuple[int, int]:
    """The span of the token being typed at ``cursor`` (start of the word up to the cursor)."""
    cursor = max(0, min(cursor, len(text)))
    start = cursor
    in_quote = text[:cursor].count('"') % 2 == 1
    while start > 0:
        ch = text[start - 1]
        if ch == '"' and in_quote:
            # keep scanning: the opening quote belongs to the token
            in_quote = False
            start -= 1
            continue
        if ch in _BREAK and not in_quote:
            break
        start -= 1
    if start < cursor and text[start] == "-":
        start += 1  # completing "-field:" keeps the minus sign
    return start, cursor


def frequent_values(series: pd.Series, prefix: str = "", limit: int = 10) -> list[str]:
    """The most frequent recorded values of ``series`` containing ``prefix`` (case-insensitive)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = series.cat.categories.astype(str)
        codes = series.cat.codes.to_numpy()
        counts = np.bincount(codes[codes >= 0], minlength=len(cats))
    else:
        if len(series) > SAMPLE_ROWS:  # an even sample keeps completion interactive on millions
            step = len(series) // SAMPLE_ROWS
            series = series.iloc[::step]
        vc = series.dropna().astype(str).value_counts()
        cats, counts = vc.index, vc.to_numpy()
    cats = pd.Index(cats)
    keep = counts > 0
    if prefix:
        keep &= np.asarray(cats.str.contains(prefix, case=False, regex=False), dtype=bool)
    idx = np.flatnonzero(keep)
    order = idx[np.argsort(-counts[idx], kind="stable")][:limit]
    return [str(cats[i]) for i in order]


def complete(text: str, cursor: int, frame: pd.DataFrame, limit: int = 12) -> list[str]:
    """Suggestions for the token at ``cursor``: whole replacement tokens, best first."""
    start, end = token_span(text, cursor)
    token = text[start:end]
    columns = [str(c) for c in frame.columns]
    if ":" not in token:
        lowered = token.lower()
        names = list(columns) + sorted(a for a, c in ALIASES.items() if c in columns) + list(SPECIAL_KEYS)
        out = [f"{n}:" for n in dict.fromkeys(names) if n.lower().startswith(lowered)]
        return out[:limit]
    key, _, value = token.partition(":")
    op = ""
    for candidate in (">=", "<=", "=", ">", "<"):
        if value.startswith(candidate):
            op, value = candidate, value[len(candidate):]
            break
    value = value.strip('"')
    lowered_key = key.lower()
    if lowered_key == "is":
        return [f"is:{k}" for k in SHORTHANDS if k.startswith(value.lower())][:limit]
    if lowered_key in ("has", "missing"):
        return [f"{key}:{c}" for c in columns if c.lower().startswith(value.lower())][:limit]
    if lowered_key in ("after", "before", "on"):
        return []
    column = resolve_field(key, columns)
    if column is None:
        return []
    series = frame[column]
    if not (isinstance(series.dtype, (pd.CategoricalDtype, pd.StringDtype)) or series.dtype == object):
        return []
    return [f"{key}:{op}{quote(v)}" for v in frequent_values(series, value, limit)]
