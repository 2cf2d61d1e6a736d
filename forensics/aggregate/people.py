"""Which column names a person, and how a person is labelled in findings and review marks.

Frames from ``forensics.ingest`` carry ``mailbox_key``/``actor_key`` (one label for every
form of a person: ``amorgan`` = ``amorgan@contoso.com`` = ``/o=…/cn=amorgan``), so the
heatmap and findings count one mailbox once. Hand-built frames without them still work.
The findings pairs and the expected-access marks label people alike (a missing person is
``NOT_RECORDED``; ``person_labels``), so a mark made on a pair finds that pair's rows again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: the label of a person the evidence did not record
NOT_RECORDED = "(not recorded)"
#: non-owner rows of people: Exchange's health and test traffic (``is:probe``) is nobody's access
NONOWNER_QUERY = "is:nonowner -is:probe"
#: the rows that make up the findings' actor–mailbox pairs: non-owner mailbox access (generic
#: ``--all-events`` rows, operation Event, are kept so nothing is hidden, but are no access:
#: a Security 4625 whose subject is now the actor must not read as someone opening a mailbox)
PAIR_QUERY = "is:nonowner -is:change -is:probe -operation:=Event"


#: what the examiner reads for a pivot field: a person key is the mailbox (or actor) resolved
#: across its identities, so it reads as the plain role; the column id stays in the query
FIELD_WORDS = {"mailbox_key": "mailbox", "actor_key": "actor"}


def field_word(field: str) -> str:
    """Plain word for a pivot field (``mailbox_key`` reads "mailbox")."""
    return FIELD_WORDS.get(field, field)


def person_field(frame: pd.DataFrame, role: str) -> str:
    """``"mailbox_key"``/``"actor_key"`` when filled in ``frame``, else ``role`` itself."""
    key = f"{role}_key"
    if key in frame.columns and bool(frame[key].notna().any()):
        return key
    return role


def person_labels(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(code per row, label per code): a missing person is the last label, ``NOT_RECORDED``.

    Works on category codes, so millions of rows cost one integer array.
    """
    if not isinstance(series.dtype, pd.CategoricalDtype):
        series = series.astype("category")
    codes = series.cat.codes.to_numpy().astype(np.int64)
    labels = [str(v) for v in series.cat.categories] + [NOT_RECORDED]
    return np.where(codes < 0, len(labels) - 1, codes), labels
