"""Records delivered twice in one Microsoft 365 audit JSON file, counted once.

Why: collectors of the Management Activity API pull overlapping time windows and append, and
paged ``Search-UnifiedAuditLog`` runs can return a record again; a file then holds the same
audit record (same ``Id``) twice, and every access in it would be counted twice. A record is a
repeat only when its ``Id``, ``CreationTime``, ``Operation`` and ``UserId`` all equal an earlier
record's: it is counted as skipped, with that reason. The same ``Id`` with other content is kept
and named in a warning (an edited copy, or two different records; the tool cannot tell which).
Keys are 64-bit hashes (``pandas.util.hash_array``), held for the whole file: 16 bytes a record.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from forensics.parsers.base import FileReport

REASON = "duplicate record (same Id, CreationTime, Operation and UserId as an earlier record of the file)"
MAX_NAMED = 5


class DuplicateWatch:
    """Seen record keys of one file; ``keep`` tells, per slice, which records are first seen."""

    def __init__(self) -> None:
        # sorted runs merged as they grow (a few, whatever the file size): merging all of them
        # for each slice (np.union1d) cost 20 s on 1M records, one run per slice 3 s of lookups
        self._ids: list[np.ndarray] = []
        self._keys: list[np.ndarray] = []
        self.conflicts = 0

    def keep(self, records: pa.Table, numbers: np.ndarray, report: FileReport) -> np.ndarray:
        """Mask of the records to map; repeats are counted in ``report`` as skipped."""
        n = records.num_rows
        ids = _text(records, "Id")
        has_id = ids.notna().to_numpy()
        if not has_id.any():
            return np.ones(n, dtype=bool)
        id_hash = pd.util.hash_array(ids.fillna("").to_numpy(dtype=object))
        key = id_hash.copy()
        for name in ("CreationTime", "Operation", "UserId"):
            key = key * np.uint64(1000003) ^ pd.util.hash_array(_text(records, name).fillna("").to_numpy(dtype=object))
        first = np.zeros(n, dtype=bool)
        _, index = np.unique(key, return_index=True)
        first[index] = True  # first of each key within the slice
        first &= ~_isin(key, self._keys)
        keep = first | ~has_id
        repeats = int((~keep).sum())
        if repeats:
            report.skip(REASON, repeats)
        # same Id, other content: kept, and said
        new_ids = id_hash[keep & has_id]
        clash = _isin(new_ids, self._ids)
        uniq, counts = np.unique(new_ids, return_counts=True)
        clash |= _isin(new_ids, uniq[counts > 1])
        if clash.any():
            where = numbers[keep & has_id][clash]
            self.conflicts += int(clash.sum())
            for number in where[:MAX_NAMED].tolist():
                report.warn(f"record {number}", "another record of this file has the same Id but other content "
                            "(time, operation or user): both kept")
        _push(self._ids, id_hash[has_id])
        _push(self._keys, key[keep & has_id])
        return keep


def _text(records: pa.Table, name: str) -> pd.Series:
    column = records.column(name).combine_chunks() if name in records.column_names else pa.nulls(records.num_rows, pa.string())
    return pd.Series(column.to_pandas(), dtype="string")


def _push(runs: list[np.ndarray], values: np.ndarray) -> None:
    """Add ``values`` as a sorted run; merge the last runs while the newer is not much smaller."""
    runs.append(np.sort(values))
    while len(runs) > 1 and len(runs[-2]) <= 2 * len(runs[-1]):
        newer, older = runs.pop(), runs.pop()
        runs.append(np.sort(np.concatenate((older, newer))))


def _isin(values: np.ndarray, seen: np.ndarray | list[np.ndarray]) -> np.ndarray:
    """``values`` found in any of the sorted arrays ``seen`` (looked up in sorted order)."""
    found = np.zeros(len(values), dtype=bool)
    if not len(values):
        return found
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    hit = np.zeros(len(values), dtype=bool)
    for sorted_seen in [seen] if isinstance(seen, np.ndarray) else seen:
        if len(sorted_seen):
            at = np.minimum(np.searchsorted(sorted_seen, ordered), len(sorted_seen) - 1)
            hit |= sorted_seen[at] == ordered
    found[order] = hit
    return found
