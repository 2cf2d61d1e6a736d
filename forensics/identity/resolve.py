"""Decide ``logon_type`` (Owner / Delegate / Admin / Unknown) and record which rule did.

Rows whose source states the logon type keep it (rule ``source``). Otherwise the actor's and
the mailbox's identity forms are compared: with a directory export by person, else by the
alias heuristic. ``decide`` states the rules for one combination; ``decide_rows`` applies the
same rules to whole columns: each distinct form is analysed once (``forms``), each distinct
(value, ids) pair once (``sides``), and each distinct (actor pair, mailbox pair, admin flag)
combination with numpy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forensics.identity.directory import Directory, load_directory
from forensics.identity.keys import all_keys, id_like, identity_keys, opaque_kind, split_ids
from forensics.identity.people import with_person_keys
from forensics.identity.sides import Side, shares_key, sides, sids_conflict

#: Operations that are administrative acts in themselves (cmdlets, permission changes...).
ADMIN_OPERATIONS = (
    "AdminCommand", "PermissionChange", "ForwardingChange", "InboxRuleChange", "MailboxExport",
    "AuditConfigChange",
)


def decide(
    actor: str | None,
    mailbox: str | None,
    actor_ids: str | None,
    mailbox_ids: str | None,
    admin: bool | None,
    directory: Directory | None = None,
) -> tuple[str, str]:
    """Return (logon_type, rule) for one combination."""
    actor_forms = [actor, *split_ids(actor_ids)]
    mailbox_forms = [mailbox, *split_ids(mailbox_ids)]
    if not any(actor_forms) or not any(mailbox_forms):
        return "Unknown", "missing-identity"
    if directory is not None:
        a, m = directory.person(*actor_forms), directory.person(*mailbox_forms)
        if a is not None and m is not None:
            if a == m:
                return "Owner", "directory"
            return ("Admin", "directory+admin-flag") if admin else ("Delegate", "directory")
    actor_sids, mailbox_sids = _sids(actor_forms), _sids(mailbox_forms)
    conflict = bool(actor_sids and mailbox_sids and not actor_sids & mailbox_sids)
    if not conflict and all_keys(*actor_forms) & all_keys(*mailbox_forms):
        return "Owner", "alias-match"
    if admin:
        return "Admin", "admin-flag"
    if conflict:
        return "Delegate", "sid-mismatch"
    if all(id_like(f) for f in actor_forms if f) or all(id_like(f) for f in mailbox_forms if f):
        return "Unknown", "id-unresolved"
    return "Delegate", "no-match"


def _sids(forms: list[str | None]) -> frozenset[str]:
    """The SIDs among one side's forms, as identity keys (names never outrank them)."""
    return frozenset(k for f in forms if f and opaque_kind(f) == "sid" for k in identity_keys(f))


#: decide's outcomes, numbered in the order decide tries them, then the admin-command override
_OUTCOMES = [
    ("Unknown", "missing-identity"), ("Owner", "directory"), ("Admin", "directory+admin-flag"),
    ("Delegate", "directory"), ("Owner", "alias-match"), ("Admin", "admin-flag"), ("Delegate", "sid-mismatch"),
    ("Unknown", "id-unresolved"), ("Delegate", "no-match"), ("Admin", "admin-command"),
]
_DELEGATE = [i for i, (kind, _) in enumerate(_OUTCOMES) if kind == "Delegate"]
_ADMIN_COMMAND = len(_OUTCOMES) - 1


def decide_rows(actor: Side, mailbox: Side, at: np.ndarray, admin: np.ndarray) -> np.ndarray:
    """``decide`` for the rows ``at`` (their admin flags ``admin``), as indexes into _OUTCOMES:
    once per distinct (actor pair, mailbox pair, admin) combination, vectorized."""
    n_mailbox = len(mailbox.label)
    combined = (actor.rows[at] * n_mailbox + mailbox.rows[at]) * 2 + admin
    per_row, uniques = pd.factorize(combined)
    pair, is_admin = np.divmod(uniques.astype(np.int64), 2)
    a, m = np.divmod(pair, n_mailbox)
    missing = ~actor.has_identity[a] | ~mailbox.has_identity[m]
    known = (actor.person[a] >= 0) & (mailbox.person[m] >= 0)  # -1 everywhere without a directory
    same = known & (actor.person[a] == mailbox.person[m])
    admin_flag = is_admin.astype(bool)
    conflict = sids_conflict(actor, mailbox, a, m)
    id_only = actor.id_only[a] | mailbox.id_only[m]
    conditions = [missing, same, known & admin_flag, known, shares_key(actor, mailbox, a, m) & ~conflict, admin_flag,
                  conflict, id_only]
    outcome = np.select(conditions, np.arange(len(conditions)), default=len(conditions))
    return outcome[per_row]


def _assign(column: pd.Series, at: np.ndarray, codes: np.ndarray, words: list[str]) -> pd.Series:
    """``column.astype("string")`` with rows ``at`` set to ``words[codes]``, then
    ``.astype("category")`` -- computed on category codes, without a string per row."""
    current = column if isinstance(column.dtype, pd.CategoricalDtype) else column.astype("string").astype("category")
    vocabulary = list(current.cat.categories.astype("string")) + list(words)
    row = current.cat.codes.to_numpy().astype(np.int64)
    row[at] = np.asarray(codes, dtype=np.int64) + len(vocabulary) - len(words)
    used = np.bincount(row + 1, minlength=len(vocabulary) + 1)[1:] > 0
    categories = sorted({vocabulary[i] for i in np.flatnonzero(used)})
    number = {word: i for i, word in enumerate(categories)}
    remap = np.array([number.get(word, -1) for word in vocabulary] + [-1])  # [-1]: row code -1 (NA)
    dtype = pd.CategoricalDtype(pd.Index(categories, dtype="string"))
    return pd.Series(pd.Categorical.from_codes(remap[row], dtype=dtype), index=column.index, name=column.name)


def resolve_logon_types(
    frame: pd.DataFrame,
    directory: Directory | None = None,
    directory_path: str | Path | None = None,
) -> pd.DataFrame:
    """Fill ``logon_type``/``logon_rule`` where the source left them empty, and the
    person keys (``actor_key``/``mailbox_key``) of every row."""
    if directory is None and directory_path:
        directory = load_directory(directory_path)
    if frame.empty:
        return frame
    actor, mailbox = sides(frame, directory)
    frame = with_person_keys(frame, actor, mailbox)  # a new frame: the caller's is unchanged
    given = frame["logon_type"].notna().to_numpy()
    source = np.flatnonzero(given & frame["logon_rule"].isna().to_numpy())  # stated by the source
    todo = np.flatnonzero(~given)
    outcome = np.zeros(0, dtype=np.int64)
    if len(todo):
        admin = frame["admin_rights"].fillna(False).to_numpy(dtype=bool)[todo]
        outcome = decide_rows(actor, mailbox, todo, admin)
        # An administrative command on someone else's mailbox is Admin, never Delegate: the
        # cmdlet log has no admin flag, but running the cmdlet is the administrative act.
        admin_command = frame["operation"].isin(ADMIN_OPERATIONS).to_numpy()[todo] & np.isin(outcome, _DELEGATE)
        outcome = np.where(admin_command, _ADMIN_COMMAND, outcome)
        frame["logon_type"] = _assign(frame["logon_type"], todo, outcome, [t for t, _ in _OUTCOMES])
    rules = ["source"] + [r for _, r in _OUTCOMES]
    at, codes = np.concatenate([source, todo]), np.concatenate([np.zeros(len(source), np.int64), outcome + 1])
    frame["logon_rule"] = _assign(frame["logon_rule"], at, codes, rules)
    return frame
