"""Speed sanity: a typical query on a million rows stays far below the GUI's 200 ms budget."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from forensics.query import compile_query


def test_million_row_query_is_fast() -> None:
    n = 1_000_000
    rng = np.random.default_rng(1)
    mailboxes = pd.Categorical.from_codes(rng.integers(0, 500, n), [f"user{i}@contoso.com" for i in range(500)])
    logons = pd.Categorical.from_codes(rng.integers(0, 4, n), ["Owner", "Delegate", "Admin", "Unknown"])
    times = pd.Series(pd.to_datetime(1_709_251_200 + rng.integers(0, 86400 * 30, n), unit="s", utc=True))
    frame = pd.DataFrame({"time": times, "mailbox": mailboxes, "logon_type": logons, "actor": mailboxes})
    query = compile_query('mailbox:user1 -actor:=user12@contoso.com is:nonowner after:2024-03-05 before:"2024-03-20 18:00"')
    query.mask(frame)  # warm-up
    start = time.perf_counter()
    mask = query.mask(frame)
    elapsed = time.perf_counter() - start
    assert mask.dtype == bool and mask.shape == (n,)
    assert 0 < mask.sum() < n
    assert elapsed < 0.5, f"{elapsed:.3f}s"


def test_large_string_columns_are_encoded_once_and_stay_correct() -> None:
    from forensics.query import text_index

    n = 100_000
    rng = np.random.default_rng(2)
    folders = np.array(["/Inbox", "/Sent Items", "/Inbox/Legal", None], dtype=object)
    frame = pd.DataFrame({"folder": pd.array(folders[rng.integers(0, 4, n)], dtype=pd.StringDtype())})
    reference = frame["folder"].str.lower().str.contains("legal").fillna(False).to_numpy(bool)
    np.testing.assert_array_equal(compile_query("legal").mask(frame), reference)
    cached = text_index.column_text(frame["folder"])
    assert cached.codes is not None and len(cached.values) == 3  # the distinct values, not the rows
    assert text_index.column_text(frame["folder"]) is cached  # reused, not re-encoded
    frame.loc[0, "folder"] = "/Inbox/Legal/NEW"  # a write swaps the Arrow data: no stale answer
    assert compile_query("legal/new").mask(frame)[0]
    np.testing.assert_array_equal(
        compile_query("LEGAL").mask(frame), frame["folder"].str.lower().str.contains("legal").fillna(False).to_numpy(bool)
    )
