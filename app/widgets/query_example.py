"""The query bar's placeholder: an example that matches something in the open case.

A fixed example ("mailbox:ceo -actor:svc-backup …") matched nothing in most cases, so a
first query taught that the bar "does not work". Built from the loaded rows instead: the
most frequent non-owner actor reading mail (else any non-owner actor), the mailbox it
opened most and its commonest operation there, checked against a row they came from (so
the example always matches). Nothing loaded: an example for the demo case
(``resources/demo``), whose assistant reads the CEO's mailbox. Vectorised masks and value
counts only.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forensics.query import all_of, compile_query, contains

#: the demo case (resources/demo): Pat Quinn (pquinn) opening Alex Morgan's (amorgan) mail
DEMO_EXAMPLE = "actor:pquinn mailbox:amorgan operation:MessageOpen is:nonowner"
READ_OPERATIONS = ("MessageOpen", "FolderOpen", "MailItemsAccessed", "SendAs", "SendOnBehalf")
PLACEHOLDER = "Query (Ctrl+L) — e.g.  {example}   (Help > Query syntax)"


def _token(value: str) -> str:
    """The memorable part of an account or address: ``CONTOSO\\pat`` and ``pat@x.com`` -> pat."""
    token = value.rsplit("\\", 1)[-1].split("@", 1)[0].strip()
    return token if re.fullmatch(r"[\w.\-]{2,40}", token) else value


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 = missing) and the labels they index: the table's categoricals as
    they are, anything else factorized once."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), values.cat.categories
    codes, labels = pd.factorize(values, use_na_sentinel=True)
    return np.asarray(codes), pd.Index(labels)


def _among(values: pd.Series, wanted: tuple[str, ...]) -> np.ndarray:
    """Rows whose value is one of ``wanted`` (a lookup table over the codes, no strings)."""
    codes, labels = _codes(values)
    table = np.zeros(len(labels) + 1, dtype=bool)  # the last slot answers code -1 (missing)
    table[np.flatnonzero(labels.isin(wanted))] = True
    return table[codes]


def _mode(values: pd.Series, rows: np.ndarray) -> tuple[object, np.ndarray]:
    """The commonest value at positions ``rows`` and the positions holding it (``None`` and
    ``rows`` unchanged when all are missing)."""
    codes, labels = _codes(values)
    picked = codes[rows]
    present = picked >= 0
    if not present.any():
        return None, rows
    best = int(np.bincount(picked[present], minlength=len(labels)).argmax())
    return labels[best], rows[picked == best]


def example_query(frame: pd.DataFrame | None) -> str:
    """A query over ``frame`` that matches at least one of its rows (demo example if empty)."""
    needed = {"actor", "mailbox", "operation", "logon_type"}
    if frame is None or not len(frame) or not needed <= set(frame.columns):
        return DEMO_EXAMPLE
    nonowner = _among(frame["logon_type"], ("Delegate", "Admin"))
    # prefer reading mail over logons and admin commands: the example then looks like a question
    reads = _among(frame["operation"], READ_OPERATIONS)
    chosen = nonowner.copy() if nonowner.any() else np.ones(len(frame), dtype=bool)
    if (chosen & reads).any():
        chosen &= reads
    chosen = np.flatnonzero(chosen)  # positions from here on: each step narrows them
    actor, chosen = _mode(frame["actor"], chosen)
    if actor is None:
        return DEMO_EXAMPLE
    mailbox, chosen = _mode(frame["mailbox"], chosen)
    operation, chosen = _mode(frame["operation"], chosen)
    parts = [contains("actor", _token(str(actor)))]
    if mailbox is not None and str(mailbox) != str(actor):
        parts.append(contains("mailbox", _token(str(mailbox))))
    if operation is not None:
        parts.append(contains("operation", str(operation)))
    if nonowner.any():
        parts.append("is:nonowner")
    row = frame.iloc[chosen[:1]]  # the row the example comes from
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
