"""Decide ``logon_type`` (Owner / Delegate / Admin / Unknown) and record which rule did.

Rows whose source states the logon type keep it (rule ``source``). Otherwise the actor's and
the mailbox's identity forms are compared: with a directory export by person, else by the
alias heuristic. Work is done once per distinct (actor, mailbox, ids, admin flag)
combination, not per row.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forensics.identity.directory import Directory, load_directory
from forensics.identity.keys import all_keys, split_ids
from forensics.identity.people import add_person_keys

#: Operations that are administrative acts in themselves (cmdlets, permission changes...).
ADMIN_OPERATIONS = (
    "AdminCommand", "PermissionChange", "ForwardingChange", "InboxRuleChange", "MailboxExport",
    "AuditConfigChange",
)

_KEY_COLUMNS = ["actor", "mailbox", "actor_ids", "mailbox_ids", "admin_rights"]


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
    if all_keys(*actor_forms) & all_keys(*mailbox_forms):
        return "Owner", "alias-match"
    if admin:
        return "Admin", "admin-flag"
    return "Delegate", "no-match"


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
    frame = add_person_keys(frame, directory)
    frame = frame.copy()
    given = frame["logon_type"].notna()
    rules = frame["logon_rule"].astype("string")
    rules = rules.where(~given | rules.notna(), "source")
    todo = ~given
    if todo.any():
        rows = frame.loc[todo, _KEY_COLUMNS]
        combo = np.zeros(len(rows), dtype=np.int64)
        for column in _KEY_COLUMNS:  # combine per-column codes into one key, vectorized
            codes, uniques = pd.factorize(rows[column], use_na_sentinel=True)
            combo = combo * (len(uniques) + 1) + (codes + 1)
            combo = pd.factorize(combo)[0].astype(np.int64)  # stay small: no overflow
        _, first, inverse = np.unique(combo, return_index=True, return_inverse=True)
        firsts = rows.iloc[first]
        decided = [
            decide(*(None if pd.isna(v) else v for v in values), directory=directory)
            for values in zip(*(firsts[c].tolist() for c in _KEY_COLUMNS))
        ]
        types = np.array([d[0] for d in decided], dtype=object)[inverse]
        why = np.array([d[1] for d in decided], dtype=object)[inverse]
        # An administrative command on someone else's mailbox is Admin, never Delegate: the
        # cmdlet log has no admin flag, but running the cmdlet is the administrative act.
        admin_command = frame.loc[todo, "operation"].isin(ADMIN_OPERATIONS).to_numpy() & (types == "Delegate")
        types = np.where(admin_command, "Admin", types)
        why = np.where(admin_command, "admin-command", why)
        logon = frame["logon_type"].astype("string")
        logon[todo.to_numpy()] = types
        rules[todo.to_numpy()] = why
        frame["logon_type"] = logon.astype("category")
    frame["logon_rule"] = rules.astype("category")
    return frame
