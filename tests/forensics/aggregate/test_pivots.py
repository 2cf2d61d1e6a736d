"""Pivots equal a pandas groupby reference, and every cell's query selects exactly its rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forensics.aggregate import AggregateError, choose_bin, hour_by_weekday, mailbox_by_actor, mailbox_by_time
from forensics.query import all_of, compile_query
from forensics.schema import conform

MAILBOXES = ["ceo@contoso.com", "cfo@contoso.com", "hr", "Odd \"Box\""]
ACTORS = ["ceo", "pat", "CONTOSO\\admin1", "mallory"]
LOGONS = ["Owner", "Delegate", "Admin", "Unknown"]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "+05:30"]
# around the 2024 autumn DST change in Europe (27 Oct) and the US (3 Nov)
BASE = pd.Timestamp("2024-10-26T00:00Z")

rows = st.lists(
    st.fixed_dictionaries(
        {
            "mailbox": st.one_of(st.none(), st.sampled_from(MAILBOXES)),
            "actor": st.one_of(st.none(), st.sampled_from(ACTORS)),
            "logon_type": st.one_of(st.none(), st.sampled_from(LOGONS)),
            "minutes": st.one_of(st.none(), st.integers(0, 60 * 24 * 12)),
        }
    ),
    max_size=60,
)


def make_frame(records: list[dict]) -> pd.DataFrame:
    data = [
        {
            **{k: v for k, v in r.items() if k != "minutes"},
            "time": None if r["minutes"] is None else BASE + pd.Timedelta(minutes=r["minutes"]),
        }
        for r in records
    ]
    return conform(data) if data else conform([])


def reference(frame: pd.DataFrame, by: list, nonowner_only: bool) -> pd.Series:
    """Plain pandas: groupby().size() over the included rows."""
    if nonowner_only:
        frame = frame[frame["logon_type"].astype(object) != "Owner"]
    return frame.groupby(by, dropna=False, observed=True).size()


def as_dict(pivot) -> dict:
    out = {}
    for r in range(pivot.shape[0]):
        for c in range(pivot.shape[1]):
            if pivot.counts[r, c]:
                out[(pivot.row_labels[r], pivot.col_labels[c])] = int(pivot.counts[r, c])
    return out


def check_cells_by_query(pivot, frame: pd.DataFrame, tz: str, base: str = "", empty_cells: int | None = None) -> None:
    """bucket -> query -> row count equals the cell count, for every non-empty cell and
    every empty one (or the first ``empty_cells`` empty ones, to keep 7x24 grids quick)."""
    empty_seen = 0
    for r in range(pivot.shape[0]):
        for c in range(pivot.shape[1]):
            if pivot.counts[r, c] == 0:
                empty_seen += 1
                if empty_cells is not None and empty_seen > empty_cells:
                    continue
            text = all_of(base, pivot.cell_query(r, c))
            got = compile_query(text, tz).count(frame)
            assert got == pivot.counts[r, c], (text, got, pivot.counts[r, c])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=rows, tz=st.sampled_from(ZONES), nonowner=st.booleans(), bin=st.sampled_from([None, "hour", "day", "week"]))
def test_mailbox_by_time_matches_groupby_and_queries(records, tz, nonowner, bin) -> None:
    frame = make_frame(records)
    pivot = mailbox_by_time(frame, tz, bin=bin, nonowner_only=nonowner)
    # reference: each row's bin is the last UTC edge <= its time (pandas searchsorted), by mailbox label
    included = frame if not nonowner else frame[frame["logon_type"].astype(object) != "Owner"]
    timed = included[included["time"].notna()]
    expected: dict = {}
    if len(timed):
        edges = pd.DatetimeIndex(pivot.col_edges_utc.astype("datetime64[ns]")).tz_localize("UTC")
        bins = edges.searchsorted(timed["time"], side="right") - 1
        labels = timed["mailbox"].astype(object).where(timed["mailbox"].notna(), "(not recorded)")
        grouped = pd.Series(1, index=pd.MultiIndex.from_arrays([labels.to_numpy(), bins])).groupby(level=[0, 1]).size()
        expected = {(m, pivot.col_labels[b]): int(n) for (m, b), n in grouped.items()}
    assert as_dict(pivot) == expected
    assert pivot.unplaced == int(included["time"].isna().sum())
    assert pivot.full_total + pivot.unplaced == len(included)
    totals = pivot.row_totals
    assert list(totals) == sorted(totals, reverse=True)
    check_cells_by_query(pivot, frame, tz)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=rows, nonowner=st.booleans())
def test_mailbox_by_actor_matches_groupby(records, nonowner) -> None:
    frame = make_frame(records)
    pivot = mailbox_by_actor(frame, nonowner_only=nonowner)
    ref = reference(frame, ["mailbox", "actor"], nonowner)
    expected = {
        ("(not recorded)" if pd.isna(m) else m, "(not recorded)" if pd.isna(a) else a): int(n)
        for (m, a), n in ref.items()
        if n
    }
    assert as_dict(pivot) == expected
    assert list(pivot.row_totals) == sorted(pivot.row_totals, reverse=True)
    assert list(pivot.col_totals) == sorted(pivot.col_totals, reverse=True)
    check_cells_by_query(pivot, frame, "UTC")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=rows, tz=st.sampled_from(ZONES), nonowner=st.booleans(), one=st.booleans())
def test_hour_by_weekday_matches_groupby(records, tz, nonowner, one) -> None:
    frame = make_frame(records)
    kwargs = {"mailbox": MAILBOXES[0]} if one else {}
    pivot = hour_by_weekday(frame, tz, nonowner_only=nonowner, **kwargs)
    sub = frame if not one else frame[frame["mailbox"].astype(object) == MAILBOXES[0]]
    if nonowner:
        sub = sub[sub["logon_type"].astype(object) != "Owner"]
    sub = sub[sub["time"].notna()]
    from forensics.query import resolve_tz

    local = sub["time"].dt.tz_convert(resolve_tz(tz))
    ref = sub.groupby([local.dt.day_of_week.to_numpy(), local.dt.hour.to_numpy()]).size()
    expected = np.zeros((7, 24), dtype=np.int64)
    for (d, h), n in ref.items():
        expected[d, h] = n
    np.testing.assert_array_equal(pivot.counts, expected)
    check_cells_by_query(pivot, frame, tz, empty_cells=6)


def test_cell_queries_compose_with_the_current_query() -> None:
    frame = make_frame(
        [{"mailbox": m, "actor": a, "logon_type": "Delegate", "minutes": i * 37} for i, (m, a) in
         enumerate([(m, a) for m in MAILBOXES for a in ACTORS] * 5)]
    )
    current = "actor:pat OR actor:mallory"
    filtered = compile_query(current).filter(frame)
    pivot = mailbox_by_time(filtered, "Europe/Berlin")
    check_cells_by_query(pivot, frame, "Europe/Berlin", base=current)


def test_dst_autumn_hour_is_one_bin_and_query_matches() -> None:
    # 2024-10-27 02:00-03:00 Berlin wall clock happens twice (00:00-02:00 UTC)
    times = pd.date_range("2024-10-26T23:30Z", "2024-10-27T02:30Z", freq="15min")
    frame = conform([{"time": t, "mailbox": "ceo"} for t in times])
    pivot = mailbox_by_time(frame, "Europe/Berlin", bin="hour")
    labels = list(pivot.col_labels)
    assert labels.count("2024-10-27 02:00") == 1
    j = labels.index("2024-10-27 02:00")
    assert pivot.counts[0, j] == 8  # two wall-clock hours' worth of 15-minute rows
    check_cells_by_query(pivot, frame, "Europe/Berlin")


def test_top_and_paging_never_cut_silently() -> None:
    records = [{"mailbox": f"m{i:02d}", "actor": "a", "minutes": 0} for i in range(30) for _ in range(i + 1)]
    pivot = mailbox_by_actor(make_frame(records))
    top = pivot.top(10)
    assert top.shape[0] == 10 and top.rest_rows == 20
    assert top.total + top.rest_total == pivot.full_total == sum(range(1, 31))
    assert list(top.row_labels) == [f"m{i:02d}" for i in range(29, 19, -1)]
    page = pivot.page(10, 10)
    assert page.row_offset == 10 and page.row_labels[0] == "m19"
    assert page.cell_stats(0, 0).count == 20
    assert compile_query(page.cell_query(0, 0)).count(make_frame(records)) == 20


def test_cell_stats_and_tooltip() -> None:
    records = [
        {"mailbox": "ceo", "actor": "ceo", "logon_type": "Owner", "minutes": 5},
        {"mailbox": "ceo", "actor": "pat", "logon_type": "Delegate", "minutes": 10},
        {"mailbox": "ceo", "actor": "pat", "logon_type": "Delegate", "minutes": 20},
        {"mailbox": "ceo", "actor": "mallory", "logon_type": None, "minutes": 30},
    ]
    pivot = mailbox_by_time(make_frame(records), "UTC", bin="hour")
    stats = pivot.cell_stats(0, 0)
    assert (stats.count, stats.distinct_actors, stats.nonowner) == (4, 3, 3)
    text = pivot.tooltip(0, 0)
    assert "mailbox: ceo" in text and "time: 2024-10-26 00:00" in text
    assert "count: 4" in text and "distinct actors: 3" in text and "non-owner: 3" in text
    # counting only non-owner rows: the owner's row is in the same bin but not in the cell
    only = mailbox_by_time(make_frame(records + [{"mailbox": "ceo", "minutes": None}]), "UTC", bin="hour",
                           nonowner_only=True)
    stats = only.cell_stats(0, 0)
    assert (stats.count, stats.distinct_actors, stats.nonowner) == (3, 2, 3)
    week = hour_by_weekday(make_frame(records + [{"mailbox": "ceo", "minutes": None}]), "UTC", nonowner_only=True)
    r, c = np.argwhere(week.counts)[0]
    assert week.cell_stats(int(r), int(c)).distinct_actors == 2


def test_empty_frame_gives_empty_pivots() -> None:
    empty = conform([])
    for pivot in (mailbox_by_time(empty), mailbox_by_actor(empty), hour_by_weekday(empty)):
        assert pivot.empty and pivot.full_total == 0
    assert mailbox_by_time(empty).shape == (0, 0)


def test_auto_bin_choice_and_errors() -> None:
    day = 86_400 * 10**9
    assert choose_bin(day) == "hour" and choose_bin(30 * day) == "day" and choose_bin(400 * day) == "week"
    with pytest.raises(AggregateError):
        mailbox_by_time(make_frame([{"mailbox": "a", "minutes": 1}]), bin="fortnight")


def test_sparse_actor_path_equals_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of mailboxes x thousands of actors are counted sparsely, with the same result."""
    import forensics.aggregate.views as views

    records = [{"mailbox": m, "actor": a, "logon_type": l, "minutes": 1}
               for m in MAILBOXES for a in ACTORS[:3] for l in LOGONS[:2]] + [{"mailbox": None, "actor": "x", "minutes": 2}]
    frame = make_frame(records)
    dense = mailbox_by_actor(frame, nonowner_only=True)
    monkeypatch.setattr(views, "MAX_DENSE_CELLS", 20)  # 5 x 5 codes: sparse; 4 x 3 used: drawable
    sparse = mailbox_by_actor(frame, nonowner_only=True)
    assert as_dict(sparse) == as_dict(dense)
    assert list(sparse.row_labels) == list(dense.row_labels)
    check_cells_by_query(sparse, frame, "UTC")
    assert sparse.cell_stats(0, 0).count == sparse.counts[0, 0]



@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=rows, tz=st.sampled_from(ZONES), nonowner=st.booleans(), keep=st.lists(st.booleans(), min_size=60, max_size=60))
def test_rows_mask_equals_filtering_the_frame(records, tz, nonowner, keep) -> None:
    """Counting ``rows`` of the full frame = counting a copy of those rows (no copy needed)."""
    frame = make_frame(records)
    mask = np.array(keep[: len(frame)], dtype=bool)
    sub = frame[mask].reset_index(drop=True)
    for build in (
        lambda f, **kw: mailbox_by_time(f, tz, nonowner_only=nonowner, **kw),
        lambda f, **kw: mailbox_by_actor(f, nonowner_only=nonowner, **kw),
        lambda f, **kw: hour_by_weekday(f, tz, nonowner_only=nonowner, **kw),
    ):
        masked, copied = build(frame, rows=mask), build(sub)
        assert as_dict(masked) == as_dict(copied)
        assert list(masked.col_labels) == list(copied.col_labels)
        assert masked.unplaced == copied.unplaced
        for r, c in zip(*np.nonzero(masked.counts)):
            assert masked.cell_stats(int(r), int(c)) == copied.cell_stats(int(r), int(c))
            assert masked.cell_query(int(r), int(c)) == copied.cell_query(int(r), int(c))
