"""Vectorized helpers for text columns of log files (URL decoding, query parameters).

Why a helper module: IIS and other web logs need the same few operations on millions of
strings. Each runs once per *distinct* value (``pd.factorize``) or as one Arrow kernel,
never as a Python loop over rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import unquote, unquote_plus

import numpy as np
import pandas as pd

STR = pd.StringDtype("pyarrow", na_value=np.nan)  # NaN semantics: comparisons give plain bools


def map_unique(series: pd.Series, func: Callable[[str], object]) -> pd.Series:
    """Apply ``func`` once per distinct non-null value of ``series`` (NA stays NA)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if len(uniques) == 0:
        return pd.Series(pd.array([None] * len(series), dtype=STR), index=series.index)
    mapped = np.array([func(u) for u in uniques.tolist()] + [None], dtype=object)
    out = mapped[codes]  # code -1 picks the trailing None
    return pd.Series(pd.array(out, dtype=STR), index=series.index)


def _decode_plus(text: str) -> str:
    return unquote_plus(text, errors="replace") if ("%" in text or "+" in text) else text


def _decode(text: str) -> str:
    return unquote(text, errors="replace") if "%" in text else text


def url_decode(series: pd.Series, plus_is_space: bool = True) -> pd.Series:
    """Percent-decode (and ``+`` → space, as IIS logs spaces) each distinct value."""
    return map_unique(series, _decode_plus if plus_is_space else _decode)


def query_param(query: pd.Series, name: str, decode: bool = True) -> pd.Series:
    """The value of ``name=`` in URL query strings (case-insensitive name), decoded."""
    pattern = rf"(?i)(?:^|[&?;]){re.escape(name)}=(?P<v>[^&]*)"
    values = query.str.extract(pattern, expand=False)
    values = values.astype(STR).replace("", np.nan)
    return url_decode(values) if decode else values


def joined(parts: list[pd.Series], sep: str = " ") -> pd.Series:
    """Concatenate string columns, leaving out NA/empty parts (result NA when all are)."""
    if not parts:
        raise ValueError("joined() needs at least one column")
    out: pd.Series | None = None
    for part in parts:
        part = part.astype(STR)
        if out is None:
            out = part
            continue
        both = out.notna() & part.notna()
        out = out.where(~both, out + sep + part).fillna(part)
    assert out is not None
    return out.replace("", np.nan)
