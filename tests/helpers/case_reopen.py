"""Compare what two loads of the same evidence produced: the rows (every column, as text,
in a canonical order) and the findings pairs. Used by the reopen tests of GUI- and
CLI-made cases: a reopen, with or without the row cache, must give the first load's answer."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from forensics.aggregate.findings import findings
from forensics.synth.generate import generate

#: columns a case adds to the session frame (bookmark tags, review marks), not parsed rows
REVIEW_COLUMNS = ("tag", "expected")


def canonical_rows(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    columns = sorted(c for c in frame.columns if c not in REVIEW_COLUMNS)
    text = frame[columns].astype("string").fillna("<NA>")
    if "access_id" in text.columns:
        # access ids number accesses in the order rows arrive; what must not change is which
        # rows share an access: name each access by its first row (evidence, record, offset)
        row_name = (text["evidence"] + "/" + text.get("record_id", "") + "/" + text.get("raw_ref", ""))
        text["access_id"] = row_name.groupby(text["access_id"]).transform("min")
    return sorted(map(tuple, text.to_numpy().tolist()))


def canonical_pairs(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    pairs = findings(frame.drop(columns=[c for c in REVIEW_COLUMNS if c in frame.columns])).pairs
    columns = sorted(c for c in pairs.columns if c != "expected")
    return sorted(map(tuple, pairs[columns].astype("string").fillna("<NA>").to_numpy().tolist()))


def synth_case(out: Path) -> tuple[Path, dict]:
    """A small contoso corpus whose Event Viewer CSV exports are in local time (so a lost
    ``--source-tz`` moves rows) and whose directory export links identities (so a lost
    ``--identities`` re-keys actors and changes findings pairs); see forensics/synth."""
    generate("contoso", out, seed=3, events=300, formats=("evtx", "csv", "ual"), command="test")
    return out, json.loads((out / "truth.json").read_text(encoding="utf-8"))
