"""One label per person, whatever form the evidence named them in.

The same mailbox is ``amorgan`` in the Exchange Auditing log, ``amorgan@contoso.com`` in the
Microsoft 365 audit log and ``/o=Contoso/.../cn=amorgan`` in a logon event. The heatmap and
the findings must count those as one mailbox, so every row gets ``mailbox_key`` and
``actor_key``: the directory's display name when a directory export is loaded, else the
alias every form reduces to (DN's last ``cn`` = SMTP local part = sAMAccountName).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from forensics.identity.directory import Directory
from forensics.identity.keys import split_ids

#: Account domains that name built-in principals, not people: keep them whole.
_BUILTIN_DOMAINS = {"nt authority", "nt service", "builtin", "window manager", "font driver host"}
_GUID_PREFIXED_CN = re.compile(r"^[0-9a-f]{32}-(.+)$", re.IGNORECASE)
_SID_OR_GUID = re.compile(r"^(S-1-\d+(-\d+)+|\{?[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\}?)$", re.IGNORECASE)


@lru_cache(maxsize=1 << 16)
def alias_of(form: str) -> str | None:
    """The alias a form reduces to, or None when it has none (display names, SIDs)."""
    text = form.strip().strip("'\"").strip()
    low = text.lower()
    if not low or low == "-" or _SID_OR_GUID.match(text):
        return None
    if low.startswith("/o="):
        last = low.rsplit("/cn=", 1)[-1] if "/cn=" in low else ""
        match = _GUID_PREFIXED_CN.match(last)
        return (match.group(1) if match else last) or None
    if "\\" in low:
        domain, _, user = low.partition("\\")
        if domain in _BUILTIN_DOMAINS:
            return text.upper()
        return user or None
    if "@" in low and " " not in low:
        return low.split("@", 1)[0] or None
    return None


def person_label(value: str | None, ids: str | None, directory: Directory | None = None) -> str | None:
    """The label of the person ``value`` (with its other ``ids`` forms) names."""
    forms = [f for f in [value, *split_ids(ids)] if f and str(f).strip()]
    if not forms:
        return None
    if directory is not None:
        person = directory.person(*forms)
        if person is not None and directory.names[person]:
            return directory.names[person]
    for form in forms:
        alias = alias_of(str(form))
        if alias:
            return alias
    return str(forms[0]).strip().lower()


def _labels(frame: pd.DataFrame, column: str, ids_column: str, directory: Directory | None) -> pd.Categorical:
    """Label every row, deciding once per distinct (value, ids) pair."""
    codes_v, values = pd.factorize(frame[column], use_na_sentinel=True)
    codes_i, ids = pd.factorize(frame[ids_column], use_na_sentinel=True)
    combo = (codes_v.astype(np.int64) + 1) * (len(ids) + 1) + (codes_i + 1)
    uniq, first, inverse = np.unique(combo, return_index=True, return_inverse=True)
    labels = [
        person_label(
            None if codes_v[i] < 0 else str(values[codes_v[i]]),
            None if codes_i[i] < 0 else str(ids[codes_i[i]]),
            directory,
        )
        for i in first
    ]
    return pd.Categorical(np.asarray(labels, dtype=object)[inverse])


def add_person_keys(frame: pd.DataFrame, directory: Directory | None = None) -> pd.DataFrame:
    """Fill ``actor_key`` and ``mailbox_key`` (see the module docstring)."""
    if frame.empty:
        return frame
    frame = frame.copy()
    frame["actor_key"] = _labels(frame, "actor", "actor_ids", directory)
    frame["mailbox_key"] = _labels(frame, "mailbox", "mailbox_ids", directory)
    return frame
