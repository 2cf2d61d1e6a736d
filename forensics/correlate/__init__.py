"""One access, one count: rows of several sources that record the same mailbox access.

``correlate(frame)`` adds the ``access_*`` columns (additive to the normalized table):

* ``access_id`` (Int64): rows with one id are one access (1.. in time order);
* ``access_operation`` (category): what the access was (FolderOpen for a 10100, a FolderBind
  and a MailItemsAccessed Sync alike; MessageOpen for a 10102 and a MailItemsAccessed Bind);
* ``access_sources`` (Int16): how many source formats saw it; ``access_seen_in`` (category):
  which ("evtx, iis, ual");
* ``access_rule`` (category): the rule that put this row into its access (``rules``).

The rules are in ``rules`` (and its ``RULES_TEXT`` is what the reports' methodology says);
the matching in ``match``; clock offsets per file in ``clock``. Qt-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from forensics.correlate.clock import clock_note, clock_table
from forensics.correlate.keys import CLASSES, RowKeys, row_keys
from forensics.correlate.match import ALONE as ALONE_CODE
from forensics.correlate.match import RULE_NAMES, Matched, correlate_records
from forensics.correlate.rules import CLASS_OPERATIONS, RULES_TEXT

if TYPE_CHECKING:
    from forensics.parsers.base import FileReport

COLUMNS: dict[str, str] = {
    "access_id": "Int64",
    "access_operation": "category",
    "access_sources": "Int16",
    "access_seen_in": "category",
    "access_rule": "category",
}
__all__ = ["COLUMNS", "RULES_TEXT", "Correlation", "correlate", "clock_note"]


@dataclass
class Correlation:
    """What the correlation found: counts and the clock table (per file)."""

    rows: int = 0
    accesses: int = 0
    merged_rows: int = 0  # rows that share their access with another row
    clock: pd.DataFrame = field(default_factory=lambda: pd.DataFrame())

    def notes(self) -> dict[str, list[str]]:
        """Per evidence id: the clock sentences for its file report."""
        out: dict[str, list[str]] = {}
        for _, row in self.clock.iterrows():  # one row per file and family: tens at most
            note = clock_note(row)
            if note:
                out.setdefault(str(row["evidence"]), []).append(note)
        return out


def _access_operation(frame: pd.DataFrame, keys: RowKeys, access: np.ndarray, n_acc: int) -> pd.Categorical:
    """Per row, its access's operation: the class name when the founding row has a class
    (so a 10102 with its Bind rows is one MessageOpen), else the founding row's operation."""
    n = len(frame)
    op = frame["operation"].astype("category") if "operation" in frame.columns else pd.Series(
        pd.Categorical([None] * n))
    op_names = [str(v) for v in op.cat.categories]
    names = list(dict.fromkeys([CLASS_OPERATIONS[c] for c in CLASSES] + op_names))
    own = op.cat.codes.to_numpy().astype(np.int64)
    own_mapped = np.array([names.index(v) for v in op_names] + [-1], dtype=np.int64)[np.where(own < 0, len(op_names), own)]
    by_class = np.where(keys.access_class >= 0, np.maximum(keys.access_class, 0), -1).astype(np.int64)
    row_code = np.where(by_class >= 0, by_class, own_mapped)  # class names come first in ``names``
    # the access takes its first row's code (rows of one access share the class by construction)
    first = np.full(n_acc, n)
    np.minimum.at(first, access, np.arange(n))
    code = row_code[first][access]
    return pd.Categorical.from_codes(code, categories=pd.Index(names, dtype="string"))


def correlate(frame: pd.DataFrame) -> tuple[pd.DataFrame, Correlation]:
    """``frame`` with the ``access_*`` columns (recomputed: rows from several loads are
    correlated together), and what was found."""
    n = len(frame)
    out = frame.drop(columns=[c for c in COLUMNS if c in frame.columns])
    if not n:
        for name, dtype in COLUMNS.items():
            out[name] = pd.Series([], dtype=dtype)
        return out, Correlation()
    single = "evidence" not in frame.columns or frame["evidence"].nunique(dropna=False) <= 1
    keys = row_keys(frame, light=single)
    if single:  # one file: no two rows can be one access; skip the matching altogether
        t = np.where(keys.time == np.iinfo(np.int64).min, np.iinfo(np.int64).max, keys.time)
        rank = np.empty(n, dtype=np.int64)
        rank[np.lexsort((np.arange(n), t))] = np.arange(n)
        matched = Matched(rank, np.full(n, ALONE_CODE, dtype=np.int8))
    else:
        matched = correlate_records(keys)
    access = matched.access
    n_acc = int(access.max()) + 1
    fmt = keys.fmt.astype(np.int64)
    n_fmt = len(keys.formats)
    # formats per access as a bit mask (a handful of formats), then one label per mask
    bits = np.zeros(n_acc, dtype=np.int64)
    valid = fmt >= 0
    np.bitwise_or.at(bits, access[valid], (1 << fmt[valid]))
    masks, mask_code = np.unique(bits, return_inverse=True)
    labels = [", ".join(sorted(keys.formats[i] for i in range(n_fmt) if m >> i & 1)) for m in masks.tolist()]  # stable whatever the load order
    counts = np.array([bin(m).count("1") for m in masks.tolist()], dtype=np.int64)
    size = np.bincount(access, minlength=n_acc)
    out["access_id"] = pd.array(access + 1, dtype="Int64")
    out["access_operation"] = _access_operation(frame, keys, access, n_acc)
    out["access_sources"] = pd.array(counts[mask_code][access], dtype="Int16")
    out["access_seen_in"] = pd.Categorical.from_codes(mask_code[access], categories=pd.Index(labels, dtype="string")) \
        if len(set(labels)) == len(labels) else pd.Categorical(np.asarray(labels, dtype=object)[mask_code[access]])
    out["access_rule"] = pd.Categorical.from_codes(matched.rule, categories=pd.Index(RULE_NAMES, dtype="string"))
    clock = clock_table(matched.offsets, matched.wide, keys.evidence_names)
    return out, Correlation(rows=n, accesses=n_acc, merged_rows=int((size[access] > 1).sum()), clock=clock)


def correlate_files(frame: pd.DataFrame, files: list[FileReport] | None = None) -> tuple[pd.DataFrame, Correlation]:
    """``correlate`` a loaded frame and put a flagged clock on its file's report (``notes``
    are loud: only a suspected clock offset goes there; the measured offsets are in
    ``Correlation.clock`` for the reports)."""
    out, found = correlate(frame)
    if files:
        notes = found.notes()
        for report in files:
            kept = [n for n in report.notes if not n.startswith("clock:")]
            flagged = [n for n in notes.get(report.evidence_id, []) if "NOT merged" in n]
            report.notes = kept + flagged
    return out, found
