"""The query bar's placeholder: an example that matches something in the open case.

A fixed example ("mailbox:ceo -actor:svc-backup …") matched nothing in most cases, so a
first query taught that the bar "does not work". Built from the loaded rows instead: the
most frequent non-owner actor, the mailbox it opened most and its commonest operation
there, checked against a row they came from (so the example always matches). Nothing
loaded: an example for the demo case (``resources/demo``), whose assistant reads the CEO's
mailbox. Vectorised value counts only (a few ms at 2M rows).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forensics.query import all_of, compile_query, contains

#: the demo case (resources/demo): Pat Quinn (pquinn) opening Alex Morgan's (amorgan) mail
DEMO_EXAMPLE = "actor:pquinn mailbox:amorgan operation:MessageOpen is:nonowner"
PLACEHOLDER = "Query (Ctrl+F) — e.g.  {example}   (Help > Query syntax)"


def _token(value: str) -> str:
    """The memorable part of an account or address: ``CONTOSO\\pat`` and ``pat@x.com`` -> pat."""
    token = value.rsplit("\\", 1)[-1].split("@", 1)[0].strip()
    return token if re.fullmatch(r"[\w.\-]{2,40}", token) else value


def _mode(values: pd.Series) -> object:
    counts = values.value_counts(dropna=True)
    counts = counts[counts > 0]
    return counts.index[0] if len(counts) else None


def example_query(frame: pd.DataFrame | None) -> str:
    """A query over ``frame`` that matches at least one of its rows (demo example if empty)."""
    needed = {"actor", "mailbox", "operation", "logon_type"}
    if frame is None or not len(frame) or not needed <= set(frame.columns):
        return DEMO_EXAMPLE
    logon = frame["logon_type"].astype("string")
    nonowner = (logon.isin(["Delegate", "Admin"])).fillna(False).to_numpy(dtype=bool)
    chosen = nonowner.copy() if nonowner.any() else np.ones(len(frame), dtype=bool)
    actor = _mode(frame["actor"][chosen])
    if actor is None:
        return DEMO_EXAMPLE
    chosen &= (frame["actor"] == actor).fillna(False).to_numpy(dtype=bool)
    mailbox = _mode(frame["mailbox"][chosen])
    if mailbox is not None:
        chosen &= (frame["mailbox"] == mailbox).fillna(False).to_numpy(dtype=bool)
    operation = _mode(frame["operation"][chosen])
    parts = [contains("actor", _token(str(actor)))]
    if mailbox is not None and str(mailbox) != str(actor):
        parts.append(contains("mailbox", _token(str(mailbox))))
    if operation is not None:
        parts.append(contains("operation", str(operation)))
    if nonowner.any():
        parts.append("is:nonowner")
    row = frame.iloc[np.flatnonzero(chosen)[:1]]  # the row the example comes from
    for cut in range(len(parts), 0, -1):  # the longest form that matches the row it came from
        text = all_of(*parts[:cut])
        try:
            if bool(np.any(compile_query(text).mask(row))):
                return text
        except Exception:  # noqa: BLE001 - an odd value must not break the query bar
            continue
    return DEMO_EXAMPLE


def placeholder(frame: pd.DataFrame | None) -> str:
    return PLACEHOLDER.format(example=example_query(frame))
