"""Heatmap recompute time: our category-code + bincount pivot vs pandas groupby().size().unstack().

Usage: .venv/bin/python benchmarks/heatmap.py [--rows 5000000] [--repeats 5] [--mailboxes 2000]

Builds a synthetic frame directly with numpy (mailbox/actor/logon_type categoricals, one
month of UTC times) unless ``--parquet FILE`` names a corpus table. Both sides compute the
same mailbox x hour-bin counts from the same frame; the result is checked equal before
timing. Prints the median of the repeats for each view.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forensics.aggregate import hour_by_weekday, mailbox_by_actor, mailbox_by_time  # noqa: E402
from forensics.query import compile_query  # noqa: E402


def synthetic(rows: int, mailboxes: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    names = [f"user{i:05d}@contoso.com" for i in range(mailboxes)]
    # skewed: a few mailboxes carry most of the traffic, as in real evidence
    weights = 1.0 / np.arange(1, mailboxes + 1)
    weights /= weights.sum()
    mailbox = rng.choice(mailboxes, size=rows, p=weights)
    actor = np.where(rng.random(rows) < 0.9, mailbox, rng.integers(0, mailboxes, rows))
    logon = np.where(actor == mailbox, 0, rng.integers(1, 4, rows))
    start = np.datetime64("2024-03-01T00:00:00", "ns").astype(np.int64)
    times = np.sort(start + rng.integers(0, 3 * 86_400 * 10**9, rows))  # 3 days -> hourly bins
    return pd.DataFrame(
        {
            "time": pd.DatetimeIndex(times.astype("datetime64[ns]")).tz_localize("UTC"),
            "mailbox": pd.Categorical.from_codes(mailbox, names),
            "actor": pd.Categorical.from_codes(actor, names),
            "logon_type": pd.Categorical.from_codes(logon, ["Owner", "Delegate", "Admin", "Unknown"]),
        }
    )


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def baseline_time(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby(["mailbox", frame["time"].dt.floor("h")], observed=True).size().unstack(fill_value=0)


def baseline_actor(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby(["mailbox", "actor"], observed=True).size().unstack(fill_value=0)


def baseline_weekday(frame: pd.DataFrame) -> pd.DataFrame:
    t = frame["time"]
    return frame.groupby([t.dt.day_of_week, t.dt.hour]).size().unstack(fill_value=0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--mailboxes", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tz", default="UTC", help="display zone for our pivots (the baseline stays UTC)")
    parser.add_argument("--parquet", type=Path, help="use a corpus table instead of synthetic rows")
    args = parser.parse_args()
    frame = pd.read_parquet(args.parquet) if args.parquet else synthetic(args.rows, args.mailboxes)
    print(f"rows: {len(frame):,}  mailboxes: {frame['mailbox'].nunique():,}  zone: {args.tz}  "
          f"repeats: {args.repeats} (median)")

    ours = mailbox_by_time(frame, bin="hour")
    reference = baseline_time(frame)
    got = pd.DataFrame(ours.counts, index=list(ours.row_labels), columns=ours.col_edges_utc[:-1])
    ref = reference.reindex(index=got.index).fillna(0).astype(np.int64)
    ref.columns = pd.DatetimeIndex(ref.columns).tz_convert("UTC").tz_localize(None).asi8
    ref = ref.reindex(columns=got.columns, fill_value=0)
    assert np.array_equal(got.to_numpy(), ref.to_numpy()), "pivot differs from the pandas baseline"

    # a grid filter (the query bar's after:) as a rows mask: ~2/3 of the synthetic rows
    half = compile_query("after:2024-03-02").mask(frame)
    cases = [
        ("mailbox x hour", lambda: mailbox_by_time(frame, args.tz, bin="hour"), lambda: baseline_time(frame)),
        ("mailbox x hour, non-owner", lambda: mailbox_by_time(frame, args.tz, bin="hour", nonowner_only=True),
         lambda: baseline_time(frame[frame["logon_type"] != "Owner"])),
        ("mailbox x hour, after: filter", lambda: mailbox_by_time(frame, args.tz, bin="hour", rows=half),
         lambda: baseline_time(frame[half])),
        ("mailbox x actor", lambda: mailbox_by_actor(frame), lambda: baseline_actor(frame)),
        ("weekday x hour", lambda: hour_by_weekday(frame, args.tz), lambda: baseline_weekday(frame)),
    ]
    print(f"{'view':28s} {'ours (ms)':>10s} {'groupby (ms)':>13s} {'speed-up':>9s}")
    for name, ours_fn, base_fn in cases:
        ours_fn(), base_fn()  # warm-up
        a, b = median_ms(ours_fn, args.repeats), median_ms(base_fn, args.repeats)
        print(f"{name:28s} {a:10.1f} {b:13.1f} {b / a:8.1f}x")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"(1-minute load average during the run: {load:.2f} on {os.cpu_count()} CPUs; other work skews medians)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
