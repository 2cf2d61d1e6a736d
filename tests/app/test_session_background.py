"""Work that would stall the window on millions of rows runs on workers, with the same answer.

The size thresholds are lowered so a small frame takes the large-frame paths: a column's
first sort order, the heatmap recompute and the free-text index are computed off the UI
thread; a newer request supersedes an older one; the query bar's debounce adapts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forensics.ingest import LoadResult
from forensics.schema import conform

pytest.importorskip("pyqtgraph")


def _rows(n: int = 300) -> list[dict]:
    rng = np.random.default_rng(7)
    people = ["ceo@contoso.com", "cfo@contoso.com", "hr@contoso.com"]
    return [
        dict(time=pd.Timestamp("2024-03-04T00:00Z") + pd.Timedelta(minutes=int(rng.integers(0, 5000))),
             mailbox=people[i % 3], actor=["pat", "eve", "zed", "amy"][int(rng.integers(0, 4))],
             logon_type="Delegate", operation="MessageOpen", outcome="Success", item=f"Subject {int(rng.integers(0, 50))}",
             details=f"identifier={i:08x}; application_id=MSExchangeRPC")
        for i in range(n)
    ]


@pytest.fixture
def big(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    import app.heatmap.panel as panel_module
    import app.session as session_module

    monkeypatch.setattr(session_module, "ASYNC_QUERY_ROWS", 1)
    monkeypatch.setattr(panel_module, "ASYNC_ROWS", 1)


@pytest.fixture
def session(qtbot, big):  # type: ignore[no-untyped-def]
    from app.session import Session

    s = Session(examiner="Test")
    s.add_result(LoadResult(conform(_rows())))
    yield s
    s.shutdown()


def test_first_sort_of_a_column_runs_on_a_worker_and_sorts_exactly(qtbot, session) -> None:
    session.sort("actor")
    assert session.sort_column is None  # not applied (nor reported) before its key exists
    qtbot.waitUntil(lambda: session.sort_column == "actor", timeout=5000)
    # what the grid promises: by actor (case-insensitive, missing last), ties in time order
    frame = session.frame
    by_time = np.argsort(frame["time"].to_numpy(), kind="stable")
    actor = frame["actor"].astype("string").str.lower().to_numpy(dtype=object, na_value=None)[by_time]
    has = np.array([a is not None for a in actor], dtype=bool)
    present = by_time[has][np.argsort(actor[has].astype(str), kind="stable")]
    np.testing.assert_array_equal(session.view, np.concatenate([present, by_time[~has]]))
    session.sort("actor", descending=True)  # the key is kept now: applied at once
    assert session.sort_descending
    assert str(frame["actor"].iloc[session.view[0]]).lower() == max(actor[has].astype(str))


def test_a_newer_sort_supersedes_one_still_computing(qtbot, session) -> None:
    session.sort("item")
    session.sort(None)
    qtbot.waitUntil(lambda: not session._tasks, timeout=5000)
    assert session.sort_column is None  # the default: time order
    np.testing.assert_array_equal(session.view, np.argsort(session.frame["time"].to_numpy(), kind="stable"))


def test_text_index_is_built_after_a_load_and_answers_the_same(qtbot, session) -> None:
    from forensics.query import compile_query, text_index

    qtbot.waitUntil(lambda: not session.background_busy(), timeout=10000)
    column = text_index.column_text(session.frame["details"])
    assert column._tokens is not None or column._lowered is not None  # built by the worker
    session.set_query("rpc 0000012")
    expected = session.frame["details"].str.lower().str.contains("0000012", regex=False).to_numpy(bool)
    np.testing.assert_array_equal(np.sort(session.view), np.flatnonzero(expected))  # the view is in time order
    assert compile_query("rpc 0000012").count(session.frame) == expected.sum()


def test_heatmap_recomputes_on_a_worker_and_drops_superseded_results(qtbot, session) -> None:
    from app.heatmap import HeatmapPanel

    panel = HeatmapPanel(session, debounce_ms=10)
    qtbot.addWidget(panel)
    panel.resize(900, 500)
    panel.show()
    qtbot.waitUntil(lambda: panel.pivot(0) is not None and not panel.busy(), timeout=5000)
    assert panel.pivot(0).full_total == len(session.frame)
    session.set_query("mailbox:ceo")
    session.set_query("mailbox:cfo")  # supersedes: only its pivot may be shown
    qtbot.waitUntil(lambda: not panel.busy() and panel.pivot(0).full_total == len(session.view), timeout=5000)
    assert set(panel.pivot(0).row_labels) == {"cfo@contoso.com"}
    panel.wait_idle()


def test_query_bar_debounce_adapts_and_a_paste_applies_at_once(qtbot, session) -> None:
    from app.widgets.query_bar import DEBOUNCE_MAX_MS, DEBOUNCE_MIN_MS, QueryBar

    bar = QueryBar(session)
    qtbot.addWidget(bar)
    bar.edit.insert("mailbox:cfo")  # a paste: several characters at once
    assert not bar._debounce.isActive()
    qtbot.waitUntil(lambda: session.query_text == "mailbox:cfo", timeout=5000)
    session.last_query_seconds = 0.001  # fast frame: filter as you type
    bar.edit.insert("@")
    assert bar._debounce.isActive() and bar._debounce.interval() == DEBOUNCE_MIN_MS
    session.last_query_seconds = 2.0  # slow frame: wait for a pause in typing
    bar.edit.insert("c")
    assert bar._debounce.interval() == DEBOUNCE_MAX_MS
    qtbot.waitUntil(lambda: session.query_text == "mailbox:cfo@c", timeout=5000)
    qtbot.waitUntil(lambda: not session._tasks, timeout=5000)


def test_rows_added_to_a_loaded_frame_are_correlated_on_a_worker(qtbot, session) -> None:
    from forensics import schema
    from forensics.correlate import correlate_files

    first = session.frame
    rows = _rows(120)
    for row in rows:
        row["evidence"] = "0000000000000002"
    second = conform(rows)
    expected, _ = correlate_files(schema.concat([first, second]), session.files)
    session._on_loaded(LoadResult(second))
    assert session.frame is first  # merged when the worker is done, not on the UI thread
    qtbot.waitUntil(lambda: not session.background_busy() and len(session.frame) == len(first) + 120, timeout=10000)
    pd.testing.assert_frame_equal(session.frame.reset_index(drop=True), expected.reset_index(drop=True))


def test_findings_are_computed_on_a_worker_with_the_same_result(qtbot, session, monkeypatch) -> None:
    import app.heatmap.findings_panel as findings_module
    from app.heatmap import FindingsPanel
    from forensics.aggregate import findings

    monkeypatch.setattr(findings_module, "ASYNC_ROWS", 1)
    panel = FindingsPanel(session)
    qtbot.addWidget(panel)
    qtbot.waitUntil(lambda: panel.result is not None and not panel.busy(), timeout=10000)
    hours, _choice = panel.effective_hours()
    expected = findings(session.frame, session.zone.tzinfo(), hours, list(panel.marks()), count="accesses")
    pd.testing.assert_frame_equal(panel.result.pairs.drop(columns=["after_hours_shown"]), expected.pairs)
    panel.wait_idle()


def test_loaded_arrow_columns_are_held_in_one_chunk_with_the_same_values(qtbot) -> None:
    import pyarrow as pa

    from app.session import Session, single_chunk

    frame = conform(_rows(50))
    chunked = frame.copy()
    data = pa.array(frame["details"].astype(object).tolist(), pa.large_string())
    chunked["details"] = pd.Series(type(frame["details"].array)(pa.chunked_array([data.slice(0, 20), data.slice(20)])))
    assert chunked["details"].array._pa_array.num_chunks == 2
    joined = single_chunk(chunked)
    assert joined["details"].array._pa_array.num_chunks == 1
    pd.testing.assert_frame_equal(joined, chunked)
    session = Session(examiner="T")
    session.add_result(LoadResult(chunked))
    assert session.frame["details"].array._pa_array.num_chunks == 1
