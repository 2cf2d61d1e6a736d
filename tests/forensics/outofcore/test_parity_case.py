"""One case, both engines: identical rows, pages, counts, heatmap pivots and findings counts.

The case is built from the synthetic evidence set (``forensics.synth``: Exchange Auditing
.evtx, IIS, unified/mailbox audit exports …, see tests/forensics/synth) loaded into a real
case folder, so the Parquet files are the case's own integrity-checked caches.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

from forensics.aggregate.findings import access_pairs, admin_changes
from forensics.aggregate.views import hour_by_weekday, mailbox_by_actor, mailbox_by_time
from forensics.correlate.summary import first_rows_of_accesses
from forensics.outofcore import aggregations as agg
from forensics.outofcore.engine import OutOfCoreEngine
from forensics.outofcore.filter import count, row_ids
from forensics.outofcore.pages import page
from forensics.query import compile_query

from .conftest import reference

CASE_QUERIES = ["", "is:nonowner", "mailbox:ceo", "is:nonowner -is:probe after:2024-03-06", "hour:>=18 OR weekday:>=6",
                "-has:client_ip", "operation:=MessageBind OR operation:=MailItemsAccessed", "is:change", "owa"]


@pytest.fixture(scope="module")
def case_engine(tmp_path_factory: pytest.TempPathFactory) -> OutOfCoreEngine:
    from forensics.case import Case
    from forensics.synth.generate import generate

    out = tmp_path_factory.mktemp("ooc_case")
    generate("contoso", out / "evidence", seed=11, events=400, command="test")
    case = Case.create(out / "case", "Out-of-core parity", examiner="E. Xam")
    case.add_evidence([p for p in (out / "evidence").iterdir() if p.name not in ("truth.json", "README.md")])
    case.save()
    engine = OutOfCoreEngine.open_case(case, threads=1)
    assert not engine.report.refused and len(engine.files) > 5
    yield engine
    engine.close()
    shutil.rmtree(out, ignore_errors=True)


@pytest.mark.parametrize("tz", ["UTC", "Europe/London"])
def test_rows_and_counts_are_identical(case_engine: OutOfCoreEngine, tz: str) -> None:
    frame, ids = reference(case_engine)
    assert case_engine.count() == len(frame) > 1000
    for text in CASE_QUERIES:
        mask = compile_query(text, tz).mask(frame)
        assert row_ids(case_engine, text, tz) == sorted(ids[mask].tolist()), text
        assert count(case_engine, text, tz) == int(mask.sum())


def _grid_page(frame: pd.DataFrame, ids: np.ndarray, text: str, column: str | None, ascending: bool, start: int,
               size: int) -> list[int]:
    """The grid's own order (``app/session.py`` ``_order``: the time order as the base, one
    stable sort per key over it, time as the last key; Qt-free)."""
    from app.models.sort_keys import column_key, lexsort_order, sort_keys, with_time_last

    mask = compile_query(text).mask(frame)
    ordered, missing = sort_keys(frame["time"])
    base = np.concatenate([ordered, missing])
    spec = with_time_last([] if column is None else [(column, not ascending)], list(frame.columns))
    keys = spec[:-1] if spec and spec[-1] == ("time", False) else spec
    order = lexsort_order([(*column_key(frame[name]), desc) for name, desc in keys], base) if keys else base
    view = order[mask[order]]
    return ids[view[start:start + size]].tolist()


@pytest.mark.parametrize("column", [None, "mailbox", "actor", "time", "client_ip", "event_id", "operation",
                                    "admin_rights"])
@pytest.mark.parametrize("ascending", [True, False])
def test_pages_are_the_grid_pages(case_engine: OutOfCoreEngine, column: str | None, ascending: bool) -> None:
    frame, ids = reference(case_engine)
    for text in ("", "is:nonowner"):
        total = int(compile_query(text).mask(frame).sum())
        for start in (0, 137, max(total - 50, 0)):
            got = page(case_engine, text, start, 100, [] if column is None else [(column, ascending)])
            assert got.total == total
            assert got.rows["_row"].tolist() == _grid_page(frame, ids, text, column, ascending, start, 100), \
                (text, column, ascending, start)


def _cells(pivot) -> dict[tuple[str, str], int]:
    r, c = np.nonzero(pivot.counts)
    return {(pivot.row_labels[i], pivot.col_labels[j]): int(pivot.counts[i, j]) for i, j in zip(r.tolist(), c.tolist())}


@pytest.mark.parametrize("tz, nonowner_only, counting", [
    ("UTC", False, "rows"), ("America/New_York", True, "accesses"), ("UTC", True, "accesses"),
    ("America/New_York", False, "rows"),
])
def test_heatmaps_are_identical(case_engine: OutOfCoreEngine, tz: str, nonowner_only: bool, counting: str) -> None:
    frame, _ = reference(case_engine)
    for text in ("", "is:nonowner after:2024-03-06 OR hour:<8", "mailbox:nobody-has-this"):
        rows = compile_query(text, tz).mask(frame)
        if counting == "accesses":
            rows = first_rows_of_accesses(frame, rows)
        for bin in (None, "hour", "week"):
            expected = mailbox_by_time(frame, tz, bin=bin, nonowner_only=nonowner_only, rows=rows)
            got = agg.mailbox_by_time(case_engine, text, tz, bin=bin, nonowner_only=nonowner_only, count=counting)
            assert got.bin == expected.bin and got.col_labels == list(expected.col_labels)
            assert np.array_equal(got.col_edges_utc, expected.col_edges_utc)
            assert got.cells() == _cells(expected) and got.unplaced == expected.unplaced
            assert sorted(got.counts.sum(axis=1).tolist(), reverse=True) == expected.counts.sum(axis=1).tolist()
        expected = mailbox_by_actor(frame, nonowner_only=nonowner_only, tz=tz, rows=rows)
        got = agg.mailbox_by_actor(case_engine, text, tz, nonowner_only=nonowner_only, count=counting)
        assert got.cells() == _cells(expected)
        expected = hour_by_weekday(frame, tz, nonowner_only=nonowner_only, rows=rows)
        got = agg.hour_by_weekday(case_engine, text, tz, nonowner_only=nonowner_only, count=counting)
        assert np.array_equal(got.counts, expected.counts) and got.unplaced == expected.unplaced


@pytest.mark.parametrize("counting", ["accesses", "rows"])
def test_findings_counts_are_identical(case_engine: OutOfCoreEngine, counting: str) -> None:
    frame, _ = reference(case_engine)
    for text in ("", "after:2024-03-06"):
        sub = frame[compile_query(text).mask(frame)]
        expected, _ = access_pairs(sub, count=counting)
        got = agg.pair_counts(case_engine, text, count=counting)
        columns = ["actor", "mailbox", "accesses", "events", "first_seen", "last_seen"]
        assert len(expected) > 3
        pd.testing.assert_frame_equal(got[columns].reset_index(drop=True), expected[columns].reset_index(drop=True),
                                      check_dtype=False)
        assert agg.change_count(case_engine, text) == len(admin_changes(sub))
