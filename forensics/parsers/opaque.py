"""Rows whose only name for a party is a SID or a GUID that no directory export resolves.

Why: identity resolution compares the actor's and the mailbox's forms by the alias
heuristic when no directory links them; a SID (``Sid~S-1-5-21-…``) or mailbox GUID
(``MailboxGuid~…``, ``<guid>@domain``) shares no key with ``DOMAIN\\user``, so a user opening
their own mailbox would be called "Delegate". Exchange's front-end and transport logs name
mailboxes that way all the time. Such rows are settled here as ``Unknown`` with a rule that
says why; rows a directory export can resolve are left to identity resolution.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from forensics.identity.directory import Directory, load_directory
from forensics.errors import ForensicsError
from forensics.parsers.base import LoadOptions
from forensics.schema import STRING_DTYPE

_OPAQUE = re.compile(
    r"^(?:S-1-\d+(?:-\d+)+|\{?[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\}?(?:@[^@\s]+)?)$", re.IGNORECASE
)


def is_opaque(form: str) -> bool:
    """A SID, a GUID, or ``<guid>@<domain>``: forms only a directory export ties to a person."""
    return bool(_OPAQUE.match(form.strip()))


def directory_of(options: LoadOptions) -> Directory | None:
    """The load's directory export, if any (a broken one is reported by identity resolution)."""
    if options.identities is None:
        return None
    try:
        return load_directory(options.identities)
    except ForensicsError:
        return None


def unresolved(values: pd.Categorical, ids: pd.Series | None, directory: Directory | None) -> np.ndarray:
    """Row mask: every form of the party (value and ``ids`` parts) is opaque and unknown to ``directory``."""
    ids_codes, ids_values = pd.factorize(ids.astype(object) if ids is not None else pd.Series([None] * len(values)),
                                         use_na_sentinel=True)
    categories = [str(v) for v in values.categories]
    key = (np.asarray(values.codes, dtype=np.int64) + 1) * (len(ids_values) + 1) + (ids_codes + 1)
    uniques, inverse = np.unique(key, return_inverse=True)
    verdict = np.zeros(len(uniques), dtype=bool)
    for i, k in enumerate(uniques.tolist()):
        value_code, ids_code = divmod(k, len(ids_values) + 1)
        forms = [categories[value_code - 1]] if value_code else []
        if ids_code:
            forms += [p for p in str(ids_values[ids_code - 1]).split("|") if p]
        if not forms or not all(is_opaque(f) for f in forms):
            continue
        verdict[i] = directory is None or directory.person(*forms) is None
    return verdict[inverse.ravel()]


def preset(mask: np.ndarray, rule: str) -> tuple[pd.Categorical, pd.Categorical]:
    """``logon_type``/``logon_rule`` columns: ``Unknown``/``rule`` where ``mask``, else left to resolution."""
    codes = np.where(mask, 0, -1).astype(np.int8)
    return (pd.Categorical.from_codes(codes, categories=pd.Index(["Unknown"], dtype=STRING_DTYPE)),
            pd.Categorical.from_codes(codes, categories=pd.Index([rule], dtype=STRING_DTYPE)))
