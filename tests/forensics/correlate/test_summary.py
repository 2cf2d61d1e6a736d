"""Reading a correlated frame back: one row per access, the other rows of an access, and
the clock offsets and methodology text computed from the access_* columns alone."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forensics import schema
from forensics.correlate import correlate
from forensics.correlate.summary import also_seen_in, clock_offsets, first_rows_of_accesses, statement

T0 = pd.Timestamp("2024-03-24T07:12:02Z")


def frame() -> pd.DataFrame:
    """Three folder opens in the event log; the mailbox-audit export has the first two (same
    store clock), IIS the last two, its clock 3 s behind (within its ±5 s window)."""
    base = {"actor_key": "Dana White", "mailbox_key": "Jordan Lee", "actor": "dwhite", "mailbox": "jlee",
            "logon_type": "Delegate", "operation": "FolderOpen"}
    rows = []
    for i, folder in enumerate(("/Inbox", "/Inbox/Finance", "/Sent Items")):
        t = T0 + pd.Timedelta(minutes=i)
        rows.append({**base, "time": t, "folder": folder, "source_format": "evtx", "evidence": "ev"})
        if i < 2:
            rows.append({**base, "time": t, "folder": folder.replace("/", "\\"), "source_format": "mailbox-audit",
                         "evidence": "mba"})
        if i > 0:
            rows.append({**base, "time": t - pd.Timedelta(seconds=3), "folder": folder, "source_format": "iis",
                         "evidence": "iis"})
    return correlate(schema.conform(rows))[0]


def test_one_row_per_access_in_view() -> None:
    f = frame()
    assert first_rows_of_accesses(f).sum() == 3
    only_iis = (f["source_format"] == "iis").to_numpy()
    assert first_rows_of_accesses(f, only_iis).tolist() == only_iis.tolist()  # each IIS row its own access's first
    uncorrelated = f.assign(access_id=pd.array([pd.NA] * len(f), dtype="Int64"))
    assert first_rows_of_accesses(uncorrelated).all()


def test_also_seen_in_names_the_other_rows_and_their_rules() -> None:
    f = frame()
    first = int(np.flatnonzero((f["folder"] == "/Inbox/Finance").to_numpy())[0])
    text = also_seen_in(f, first)
    assert text.count("\n") == 1 and "mailbox-audit row" in text and "iis row" in text
    assert "store-clock" in text and "iis-request" in text


def test_clock_offsets_and_statement_come_from_the_columns() -> None:
    f = frame()
    clock = clock_offsets(f).set_index("evidence")
    assert clock.loc["iis", "matched"] == 2 and clock.loc["iis", "median_s"] == -3.0
    assert clock.loc["mba", "median_s"] == 0.0
    text = statement(f)
    assert "3 distinct accesses" in text and "iis (iis): 2 rows, median -3.0 s" in text
