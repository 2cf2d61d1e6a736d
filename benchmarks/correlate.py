"""Correlation time: ``forensics.correlate.correlate`` vs one plain ``pandas.merge_asof`` of the same rows.

Usage: .venv/bin/python benchmarks/correlate.py [--rows 1000000 5000000] [--repeats 3]

Builds a multi-source frame with numpy: an access stream (folder and message opens of
owners and delegates, a few thousand people), each access recorded by the Exchange Auditing
log, and, as real evidence does, by IIS (30 %, subject + .EML), a mailbox-audit export
(10 %, folder binds) and the UAL (80 %; message opens as MailItemsAccessed Bind rows stamped
with the first bind of their 2-minute record, items named by message id). The baseline is
what a hand-written correlation would start from: one ``merge_asof`` of the non-event-log
rows onto the event-log rows, by mailbox, actor and operation, nearest within 5 s, with no
one-to-one assignment, no folder/item checks, no records across exports and no clock table.
Both run on the same frame; ours is checked to find exactly the accesses generated.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forensics.correlate import correlate  # noqa: E402


def synthetic(rows: int, people: int = 4000, seed: int = 7) -> tuple[pd.DataFrame, int]:
    """(frame, accesses generated) with about ``rows`` rows."""
    rng = np.random.default_rng(seed)
    n = int(rows / 2.2)  # rows per access: 1 + 0.3 + 0.1 * folder share + 0.8
    mailbox = rng.integers(0, people, n)
    actor = np.where(rng.random(n) < 0.85, mailbox, rng.integers(0, people, n))
    is_msg = rng.random(n) < 0.6
    folders = np.array(["/Inbox", "/Sent Items", "/Inbox/Projects", "/Deleted Items", "/Drafts", "/Calendar"])
    folder = rng.integers(0, len(folders), n)
    subject = rng.integers(0, 50_000, n)
    start = np.datetime64("2024-03-01T00:00:00", "s").astype(np.int64)
    t = np.sort(start + rng.integers(0, 30 * 86_400, n)) * 10**9  # seconds, 30 days
    names = np.array([f"user{i:05d}" for i in range(people)], dtype=object)
    subjects = np.array([f"Subject {i}" for i in range(50_000)], dtype=object)
    parts = []

    def part(sel: np.ndarray, fmt: str, evidence: str, ops: np.ndarray, folder_text: np.ndarray, item: np.ndarray,
             times: np.ndarray, details: np.ndarray | None = None) -> None:
        parts.append(pd.DataFrame({
            "time": times[sel], "operation": ops[sel], "mailbox_key": names[mailbox[sel]], "actor_key": names[actor[sel]],
            "folder": folder_text[sel], "item": item[sel], "source_format": fmt, "evidence": evidence,
            "details": details[sel] if details is not None else None}))

    everything = np.ones(n, dtype=bool)
    op = np.where(is_msg, "MessageOpen", "FolderOpen").astype(object)
    path = folders[folder].astype(object)
    item = np.where(is_msg, subjects[subject], None)
    part(everything, "evtx", "evtx1", op, path, item, t)
    iis = rng.random(n) < 0.3
    part(iis, "iis", "iis1", op, path, np.where(is_msg, subjects[subject] + ".EML", None), t)
    audit = (rng.random(n) < 0.1) & ~is_msg & (actor != mailbox)
    part(audit, "mailbox-audit", "mba1", op, np.char.replace(path.astype(str), "/", "\\").astype(object), item, t)
    ual = rng.random(n) < 0.8
    # Bind rows carry the time of their record's first bind: up to 2 minutes before the open
    lag = np.where(is_msg, rng.integers(0, 100, n), 0) * 10**9
    ual_op = np.where(is_msg, "MailItemsAccessed", "FolderOpen").astype(object)
    msgid = np.array([f"<{i:012X}@ex.contoso.com>" for i in range(n)], dtype=object)
    details = np.where(is_msg, "MailAccessType=Bind", None)
    part(ual, "ual", "ual1", ual_op, np.char.replace(path.astype(str), "/", "\\").astype(object),
         np.where(is_msg, msgid, None), t - lag, details)
    frame = pd.concat(parts, ignore_index=True)
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    for col in ("operation", "mailbox_key", "actor_key", "source_format", "evidence"):
        frame[col] = frame[col].astype("category")
    for col in ("folder", "item", "details"):
        frame[col] = frame[col].astype("string")
    frame["mailbox"] = frame["mailbox_key"]
    frame["actor"] = frame["actor_key"]
    return frame.sort_values("time", kind="stable").reset_index(drop=True), n


def baseline(frame: pd.DataFrame) -> pd.DataFrame:
    """One plain merge_asof: other sources' rows onto the event log's, nearest within 5 s."""
    is_log = (frame["source_format"] == "evtx").to_numpy()
    op = frame["operation"].astype(str).replace({"MailItemsAccessed": "MessageOpen"})
    keyed = frame.assign(op=op.astype("category"), row=np.arange(len(frame)))
    left = keyed.loc[~is_log, ["time", "mailbox_key", "actor_key", "op", "row"]]
    right = keyed.loc[is_log, ["time", "mailbox_key", "actor_key", "op", "row"]].rename(columns={"row": "match"})
    return pd.merge_asof(left, right, on="time", by=["mailbox_key", "actor_key", "op"],
                         tolerance=pd.Timedelta(seconds=5), direction="nearest")


def median_s(fn, repeats: int) -> tuple[float, float, object]:
    """Median wall and CPU seconds (CPU time is what a shared machine's load does not inflate)."""
    times, cpu, out = [], [], None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), statistics.median(cpu), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 5_000_000])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(f"{'rows':>10}{'accesses':>10}{'merge_asof wall/cpu (s)':>25}{'correlate wall/cpu (s)':>24}"
          f"{'ratio wall/cpu':>16}")
    for rows in args.rows:
        frame, accesses = synthetic(rows)
        base, base_cpu, _ = median_s(lambda: baseline(frame), args.repeats)
        ours, ours_cpu, (out, _found) = median_s(lambda: correlate(frame), args.repeats)
        found = int(out["access_id"].nunique())
        if found != accesses:
            raise SystemExit(f"correlate found {found:,} accesses, {accesses:,} were generated")
        print(f"{len(frame):>10,}{accesses:>10,}{base:>15.2f} / {base_cpu:<7.2f}{ours:>14.2f} / {ours_cpu:<7.2f}"
              f"{ours / base:>8.1f}x / {ours_cpu / base_cpu:.1f}x")


if __name__ == "__main__":
    main()
