"""One label per person, whatever form the evidence named them in.

The same mailbox is ``amorgan`` in the Exchange Auditing log, ``amorgan@contoso.com`` in the
Microsoft 365 audit log and ``/o=Contoso/.../cn=amorgan`` in a logon event. The heatmap and
the findings must count those as one mailbox, so every row gets ``mailbox_key`` and
``actor_key``: the directory's display name when a directory export is loaded, else the
alias every form reduces to (DN's last ``cn`` = SMTP local part = sAMAccountName). An alias
whose forms carry two or more distinct SIDs names several accounts: those get distinct labels
(``assistant [S-1-5-21-…-4001]``, ``assistant (SID unknown)``; rule in ``sid_split``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forensics.identity.directory import Directory
from forensics.identity.keys import alias_of, opaque_kind, split_ids
from forensics.identity.sid_split import ACCOUNT_SID_PREFIXES, UNKNOWN
from forensics.identity.sides import Side, sides

__all__ = ["add_person_keys", "alias_of", "person_label", "person_labels", "row_labels", "with_person_keys"]


def person_label(value: str | None, ids: str | None, directory: Directory | None = None) -> str | None:
    """The label of the person ``value`` (with its other ``ids`` forms) names. This states the
    rule for one pair; ``person_labels`` adds the split of labels whose accounts' SIDs
    contradict, and ``add_person_keys`` applies both to whole columns (see ``sides``)."""
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


def person_labels(
    pairs: list[tuple[str | None, str | None]], directory: Directory | None = None
) -> list[str | None]:
    """``person_label`` of every (value, ids) pair of a frame (both sides), then split as
    ``sid_split`` says. The scalar statement of the rule ``add_person_keys`` applies in bulk."""
    labels = [person_label(value, ids, directory) for value, ids in pairs]
    sids: list[set[str]] = []
    fixed: list[bool] = []
    for value, ids in pairs:
        forms = [f for f in [value, *split_ids(ids)] if f]
        found = {str(f).strip().strip("'\"").strip().upper() for f in forms if opaque_kind(str(f)) == "sid"}
        sids.append({sid for sid in found if sid.lower().startswith(ACCOUNT_SID_PREFIXES)})
        person = directory.person(*forms) if directory is not None and forms else None
        fixed.append(person is not None and bool(directory.names[person]) if directory is not None else False)
    by_label: dict[str, set[str]] = {}
    for label, own, keep in zip(labels, sids, fixed):
        if label is not None and not keep:
            by_label.setdefault(label, set()).update(own)
    out: list[str | None] = []
    for label, own, keep in zip(labels, sids, fixed):
        if label is None or keep or len(by_label[label]) < 2:
            out.append(label)
        elif own:
            out.append(f"{label} [{', '.join(sorted(own))}]")
        else:
            out.append(label + UNKNOWN)
    return out


def row_labels(side: Side) -> pd.Categorical:
    """Every row's label, from its pair's; categories as ``pd.Categorical`` of the row labels."""
    used = np.bincount(side.rows, minlength=len(side.label)) > 0
    present = pd.Categorical(side.label[used])  # same values, so same (sorted) categories
    codes = np.full(len(side.label), -1, dtype=present.codes.dtype)
    codes[used] = present.codes
    return pd.Categorical.from_codes(codes[side.rows], dtype=present.dtype)


def add_person_keys(frame: pd.DataFrame, directory: Directory | None = None) -> pd.DataFrame:
    """Fill ``actor_key`` and ``mailbox_key`` (see the module docstring)."""
    if frame.empty:
        return frame
    return with_person_keys(frame, *sides(frame, directory))


def with_person_keys(frame: pd.DataFrame, actor: Side, mailbox: Side) -> pd.DataFrame:
    """``add_person_keys`` from sides already built (``resolve_logon_types`` needs them too)."""
    frame = frame.copy(deep=False)  # whole columns are replaced: the caller's frame is unchanged
    frame["actor_key"] = row_labels(actor)
    frame["mailbox_key"] = row_labels(mailbox)
    return frame
