"""Out-of-core engine on a generated large case (issue 21 point 3; not a timed test).

    python benchmarks/outofcore.py --rows 10000000 --dir /tmp/ooc-bench [--memory-limit 1GB]

Writes ``--rows`` rows of the table contract as Parquet parts of 1M rows (Exchange-like
cardinalities: 2,000 mailboxes, 300 actors, 12 operations, 90 days of times, owner/delegate/
admin logons, a few probe agents), records each part's SHA-256 as custody would, then times
with DuckDB over the parts: open (hash check of every part), first grid page, a field
query count, a sorted page, the mailbox x day heatmap, the findings pair counts, and beside
them DuckDB's bare ``SELECT count(*) … GROUP BY`` of the same heatmap aggregation as the
floor. Peak RSS of this process (ru_maxrss) is printed after each step.
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from forensics.outofcore import aggregations as agg
from forensics.outofcore.engine import OutOfCoreEngine
from forensics.outofcore.filter import count
from forensics.outofcore.pages import page

PART = 1_000_000
OPS = ["MessageBind", "FolderBind", "SendAs", "SendOnBehalf", "SoftDelete", "HardDelete", "Update", "Move",
       "MailItemsAccessed", "Create", "PermissionChange", "InboxRuleChange"]


def _part(rng: np.random.Generator, n: int, start_ns: int) -> pa.Table:
    mailboxes = np.array([f"user{i:04d}@contoso.com" for i in range(2000)], dtype=object)
    actors = np.array([f"CONTOSO\\user{i:04d}" for i in range(300)] + ["CONTOSO\\HealthMailbox0a1b"], dtype=object)
    time_ns = start_ns + np.sort(rng.integers(0, 90 * 86_400 * 10**9, n))
    logon = np.array(["Owner", "Delegate", "Admin"], dtype=object)[rng.choice(3, n, p=[0.8, 0.15, 0.05])]
    apps = np.array(["Outlook", "Mozilla/5.0", "AMProbe/Local", "MSRPC"], dtype=object)[rng.choice(4, n, p=[.5, .3, .05, .15])]
    frame = pd.DataFrame({
        "time": pd.to_datetime(time_ns, utc=True),
        "operation": pd.Categorical(np.array(OPS, dtype=object)[rng.integers(0, len(OPS), n)]),
        "mailbox": pd.Categorical(mailboxes[rng.zipf(1.3, n) % 2000]),
        "actor": pd.Categorical(actors[rng.integers(0, len(actors), n)]),
        "logon_type": pd.Categorical(logon),
        "client_app": pd.Categorical(apps),
        "client_ip": pd.Categorical(np.array([f"10.0.{i // 250}.{i % 250}" for i in range(1000)], dtype=object)[rng.integers(0, 1000, n)]),
        "outcome": pd.Categorical(np.where(rng.random(n) < 0.02, "Failure", "Success")),
        "event_id": pd.array(rng.choice([10100, 10102, 10104, 10106], n), dtype="Int32"),
        "record_id": pd.array(np.arange(n, dtype=np.int64) + 1, dtype="Int64"),
        "evidence": pd.Categorical(np.full(n, "E1")),
        "item": pd.array(np.where(rng.random(n) < 0.3, None, "Subject"), dtype="string"),
    })
    return pa.Table.from_pandas(frame, preserve_index=False)


def _generate(folder: Path, rows: int) -> None:
    rng = np.random.default_rng(21)
    start_ns = pd.Timestamp("2024-01-01", tz="UTC").value
    for i in range(0, rows, PART):
        path = folder / f"part-{i // PART:04d}.parquet"
        if not path.exists():
            pq.write_table(_part(rng, min(PART, rows - i), start_ns + (i // PART) * 86_400 * 10**9), path)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(label: str, fn):
    t0 = time.perf_counter()
    out = fn()
    print(f"{label:<44} {time.perf_counter() - t0:8.2f} s   peak RSS {_rss_mib():7.0f} MiB", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/ooc-bench"))
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory_limit")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    # generated in a child process, so the peak RSS below is the engine's, not pandas' generation
    child = multiprocessing.get_context("spawn").Process(target=_generate, args=(args.dir, args.rows))
    child.start()
    child.join()
    recorded = []
    for i in range(0, args.rows, PART):
        path = args.dir / f"part-{i // PART:04d}.parquet"
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        recorded.append((path, digest.hexdigest()))  # what custody records when the part is written
    size = sum(p.stat().st_size for p, _ in recorded)
    print(f"{args.rows:,} rows in {len(recorded)} Parquet parts, {size / 2**20:,.0f} MiB "
          f"(generated/hashed in {time.perf_counter() - t0:.0f} s)")
    print(f"duckdb threads={args.threads} memory_limit={args.memory_limit}; shared 2-core machine\n")

    print(f"{'after imports':<44} {'':8}     peak RSS {_rss_mib():7.0f} MiB")
    engine = _timed("open (SHA-256 of every part)", lambda: OutOfCoreEngine.open(
        recorded, threads=args.threads, memory_limit=args.memory_limit))
    _timed("count(*)", engine.count)
    _timed("first page (200 rows, load order)", lambda: page(engine, "", 0, 200))
    _timed("field query count: mailbox:user0007 is:nonowner", lambda: count(engine, "mailbox:user0007 is:nonowner"))
    _timed("page 1 sorted by actor desc, filtered", lambda: page(engine, "is:nonowner", 0, 200, [("actor", False)]))
    _timed("page 1 sorted by mailbox (whole table)", lambda: page(engine, "", 0, 200, [("mailbox", True)]))
    pivot = _timed("heatmap mailbox x day (non-owner)", lambda: agg.mailbox_by_time(
        engine, "", "UTC", bin="day", nonowner_only=True))
    _timed("heatmap hour x weekday, Europe/Berlin", lambda: agg.hour_by_weekday(engine, "", "Europe/Berlin"))
    pairs = _timed("findings pair counts (accesses)", lambda: agg.pair_counts(engine))
    _timed("floor: bare SELECT count(*) GROUP BY mailbox, day", lambda: engine.con.execute(
        "SELECT mailbox, epoch_ns(time) // 86400000000000 AS d, count(*) FROM rows GROUP BY ALL").fetchall())
    _timed("floor: bare SELECT count(*) GROUP BY actor, mailbox", lambda: engine.con.execute(
        "SELECT actor, mailbox, count(*) FROM rows GROUP BY ALL").fetchall())
    print(f"\nheatmap {pivot.counts.shape[0]:,} mailboxes x {pivot.counts.shape[1]} days, {int(pivot.counts.sum()):,} "
          f"rows; findings {len(pairs):,} pairs")
    engine.close()


if __name__ == "__main__":
    main()
