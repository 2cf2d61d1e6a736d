"""Labels that never make one person of two accounts whose SIDs contradict.

Without a directory export, a person is labelled by the alias every form reduces to, so
``assistant@contoso.com`` (SID …-4001 in the Microsoft 365 log) and ``CONTOSO\\assistant``
(SID …-1105 on premises) would both be "assistant". A SID names exactly one account, so
when the pairs sharing one label carry two or more distinct SIDs among their forms:

* a pair with one SID is labelled ``label [SID]`` (each account its own person);
* a pair with several SIDs (a record naming two, or a SID history) is labelled with all of
  them, ``label [SID, SID]``: it cannot be attributed to either account alone;
* a pair with no SID is labelled ``label (SID unknown)``: it may be either account, so it
  is attributed to neither (never claim two people are one when ids contradict).

When the pairs of a label carry at most one SID nothing changes: forms without a SID stay
merged with the one account, as the alias heuristic always did, because no id contradicts it.
Only account SIDs count (``S-1-5-21-…`` of a domain or computer, ``S-1-12-1-…`` of Entra ID):
a well-known SID (``S-1-5-18`` LocalSystem) is the context a command ran in, recorded beside
the caller's own SID, not another person. GUIDs in the ``_ids`` columns are mailbox GUIDs, object ids or PUIDs, several
of which one person legitimately has, so two GUIDs do not contradict. Labels the directory
export gave (a display name) are kept: the export links the forms exactly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ACCOUNT_SID_PREFIXES", "UNKNOWN", "split_labels"]

#: lower-case prefixes of SIDs that name one account (domain/local accounts, Entra ID users)
ACCOUNT_SID_PREFIXES = ("s-1-5-21-", "s-1-12-1-")

#: appended to a label whose form carries no SID when the label's accounts have several
UNKNOWN = " (SID unknown)"


def split_labels(
    labels: list[np.ndarray], fixed: list[np.ndarray], sid_pair: list[np.ndarray], sid_code: list[np.ndarray],
    sid_text: np.ndarray,
) -> list[np.ndarray]:
    """New label arrays (one per side, object per pair) with contradicted labels split.

    ``fixed``: per side and pair, the label came from the directory (kept). ``sid_pair`` /
    ``sid_code``: per side, the pair of each SID form and the SID's number (one number per
    SID, whatever its case); ``sid_text`` the canonical text of each number. Pairs of both
    sides are grouped together, so an actor and a mailbox keep one label per account.
    """
    sizes = [len(label) for label in labels]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    label = np.concatenate(labels) if labels else np.empty(0, dtype=object)
    eligible = pd.notna(label) & ~np.concatenate(fixed)
    n_sid = max(len(sid_text), 1)
    pair = np.concatenate([p + offsets[i] for i, p in enumerate(sid_pair)]).astype(np.int64)
    code = np.concatenate(sid_code).astype(np.int64)
    keep = eligible[pair]
    distinct = np.unique(pair[keep] * n_sid + code[keep])  # sorted by pair, then SID
    if not len(distinct):
        return labels
    d_pair, d_sid = np.divmod(distinct, n_sid)
    group = np.full(len(label), -1, dtype=np.int64)
    group[eligible] = pd.factorize(label[eligible])[0]
    group_sids = np.unique(group[d_pair] * n_sid + d_sid) // n_sid
    torn = np.bincount(group_sids, minlength=int(group.max()) + 1) >= 2
    if not torn.any():
        return labels
    hit = (group >= 0) & torn[np.maximum(group, 0)]
    sids_of = np.bincount(d_pair, minlength=len(label))
    label = label.copy()
    unknown = np.flatnonzero(hit & (sids_of == 0))
    label[unknown] = label[unknown] + UNKNOWN
    single = hit[d_pair] & (sids_of[d_pair] == 1)
    at = d_pair[single]
    label[at] = label[at] + " [" + sid_text[d_sid[single]] + "]"
    several = hit[d_pair] & (sids_of[d_pair] > 1)
    if several.any():  # rare: joined per distinct pair, not per row
        joined = pd.Series(sid_text[d_sid[several]]).groupby(d_pair[several]).agg(", ".join)
        at = joined.index.to_numpy()
        label[at] = label[at] + " [" + joined.to_numpy(dtype=object) + "]"
    return [label[offsets[i] : offsets[i + 1]] for i in range(len(labels))]
