"""Throughput and file size of the synthetic EVTX writer (forensics.synth.evtx_writer).

Usage:  .venv/bin/python benchmarks/evtx_writer.py [--records 200000] [--repeats 3] [--big 1000000]
                                                  [--dir /dev/shm]

Writes Exchange-Auditing-10100-shaped events (12 unnamed Data strings, as in
resources/maps/MSExchangeIS_Auditing-10100.json) to a temporary file and prints records/s and
MB: the median of --repeats runs of --records, then one run of --big records (0 = skip).
Only ``EvtxWriter.write`` is timed: events come from a pre-built pool of 4096 varied events,
so the figure is the writer's, not the scenario generator's. Files go to a temporary folder
under --dir (default: the system temp dir; /dev/shm takes the disk out of the figure) and are
deleted afterwards.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forensics.synth.evtx_writer import ClassicEvent, EvtxWriter  # noqa: E402

FOLDERS = ["/Top of Information Store/Inbox", "/Top of Information Store/Sent Items", "/Calendar", "/Inbox/Board"]
PEOPLE = [("ceo", "Chief Executive"), ("cfo", "Finance Chief"), ("assistant", "Anna Assistant"), ("admin", "Ada Admin")]


def event_pool(size: int = 4096, seed: int = 1) -> list[ClassicEvent]:
    rng = random.Random(seed)
    t0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
    pool = []
    for i in range(size):
        owner, owner_name = rng.choice(PEOPLE)
        actor, actor_name = rng.choice(PEOPLE)
        data = [
            rng.choice(FOLDERS),
            owner_name,
            f"CONTOSO\\{actor}",
            actor_name,
            f"/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn={actor}",
            rng.choice(["true", "false"]),
            str(uuid.UUID(int=rng.getrandbits(128))),
            f"WS-{rng.randrange(1000):04d}",
            f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            "OUTLOOK.EXE",
            str(rng.randrange(100, 9000)),
            "",
        ]
        pool.append(
            ClassicEvent(
                provider="MSExchangeIS Auditing", event_id=10100, qualifiers=16384, level=4, task=0,
                time=t0 + timedelta(seconds=i * 3.7), data=data,
            )  # fmt: skip
        )
    return pool


def run(path: Path, n: int, pool: list[ClassicEvent]) -> tuple[float, float]:
    """(records per second, file size in MB) for writing n records."""
    k = len(pool)
    start = time.perf_counter()
    with EvtxWriter(path, channel="Exchange Auditing", computer="EXMBX01.contoso.com") as writer:
        write = writer.write
        for i in range(n):
            write(pool[i % k])
    elapsed = time.perf_counter() - start
    size = path.stat().st_size / 1e6
    path.unlink()
    return n / elapsed, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--big", type=int, default=1_000_000, help="one extra run of this many records; 0 skips")
    parser.add_argument("--dir", default=None, help="where the temporary files go")
    args = parser.parse_args(argv)
    pool = event_pool()
    with tempfile.TemporaryDirectory(prefix="evtx-bench-", dir=args.dir) as tmp:
        path = Path(tmp) / "bench.evtx"
        results = [run(path, args.records, pool) for _ in range(args.repeats)]
        rate = statistics.median(r for r, _ in results)
        size = results[0][1]
        print(f"{args.records:,} records x{args.repeats}: median {rate:,.0f} records/s, {size:.1f} MB "
              f"({size * 1e6 / args.records:.0f} bytes/record)")  # fmt: skip
        if args.big:
            rate, size = run(path, args.big, pool)
            print(f"{args.big:,} records x1: {rate:,.0f} records/s, {size:.1f} MB "
                  f"({size * 1e6 / args.big:.0f} bytes/record)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
