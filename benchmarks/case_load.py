"""Loads with a case folder: what the custody log (chain, signatures, heads) adds to a load.

Usage: ``.venv/bin/python benchmarks/case_load.py [--files 24] [--lines 20000] [--repeats 7]``

Generates ``--files`` IIS W3C logs of ``--lines`` lines (``benchmarks/corpus/case_load/``,
git-ignored; the generator of ``ingest_iis.py``) and times, interleaved, median of
``--repeats`` rounds:

* ``load --case``: ``load_evidence`` into a fresh case folder's custody log (one entry per
  file, plus the examiner-key entry where entries are signed);
* ``case reopen (cache)``: ``Case.open(...).load()`` with the row cache: every file re-hashed,
  rows from the cache, one custody entry per file: the path where custody costs the most
  relative to the work;
* ``case reopen (parse)``: the same without the cache (every file parsed again).

Many small files on purpose: per-entry costs (signing, chain checks) show most there.

``--against OTHER_CHECKOUT`` compares two versions side by side on a shared machine: one
worker process per checkout (this script, run from each tree), driven alternately round by
round, so load from other users hits both alike; prints both medians and the median of the
per-round ratios. It uses only APIs both versions have.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import CORPUS  # noqa: E402
from benchmarks.ingest_iis import generate  # noqa: E402
from forensics.case import Case  # noqa: E402
from forensics.custody.log import CustodyLog  # noqa: E402
from forensics.ingest import load_evidence  # noqa: E402


def corpus(files: int, lines: int) -> list[Path]:
    folder = CORPUS / "case_load" / f"{files}x{lines}"
    paths = [folder / f"u_ex2403{i:04d}.log" for i in range(files)]
    for seed, path in enumerate(paths):
        if not path.exists():
            generate(path, lines, seed=seed + 1)
    return paths


class Workload:
    """A case over ``paths`` and the three timed operations on it."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self.work = Path(tempfile.mkdtemp(prefix="case-load-bench-"))
        self.case_dir = self.work / "case"
        case = Case.create(self.case_dir, "bench", examiner="bench")
        case.add_evidence(paths)
        case.save()
        self.fresh = 0

    def load_case(self) -> None:
        self.fresh += 1
        load_evidence(self.paths, custody=CustodyLog(self.work / f"fresh{self.fresh}", examiner="bench"))
        shutil.rmtree(self.work / f"fresh{self.fresh}", ignore_errors=True)

    def operations(self) -> dict[str, Callable[[], object]]:
        return {
            "load --case": self.load_case,
            "case reopen (cache)": lambda: Case.open(self.case_dir).load(),
            "case reopen (parse)": lambda: Case.open(self.case_dir).load(use_cache=False),
        }

    def close(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def timed(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def timed_both(run: Callable[[], object]) -> tuple[float, float]:
    """Wall seconds and CPU seconds of this process (all its threads): on a machine shared
    with other work the CPU time is the steadier measure of what the code costs."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def serve(paths: list[Path]) -> int:
    """Worker mode for ``--against``: read an operation name per line, answer its seconds."""
    workload = Workload(paths)
    ops = workload.operations()
    print("ready", flush=True)
    for line in sys.stdin:
        name = line.strip()
        if not name:
            break
        wall, cpu = timed_both(ops[name])
        print(f"{wall:.6f} {cpu:.6f}", flush=True)
    workload.close()
    return 0


def against(other: Path, args: argparse.Namespace) -> int:
    here = Path(__file__).resolve()
    argv = ["--files", str(args.files), "--lines", str(args.lines), "--serve"]
    workers = {
        "before": subprocess.Popen([sys.executable, str(other / "benchmarks" / "case_load.py"), *argv],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=other),
        "after": subprocess.Popen([sys.executable, str(here), *argv],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=here.parent.parent),
    }
    for proc in workers.values():
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    names = ["load --case", "case reopen (cache)", "case reopen (parse)"]
    times: dict[tuple[str, str], list[float]] = {(w, n): [] for w in workers for n in names}
    cpu: dict[tuple[str, str], list[float]] = {(w, n): [] for w in workers for n in names}
    for round_no in range(args.repeats):
        order = list(workers) if round_no % 2 == 0 else list(workers)[::-1]
        for name in names:
            for who in order:
                proc = workers[who]
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(name + "\n")
                proc.stdin.flush()
                wall_s, cpu_s = proc.stdout.readline().split()
                times[(who, name)].append(float(wall_s))
                cpu[(who, name)].append(float(cpu_s))
    for proc in workers.values():
        assert proc.stdin is not None
        proc.stdin.write("\n")
        proc.stdin.close()
        proc.wait()
    print(f"{args.files} files x {args.lines} lines, {args.repeats} alternating rounds (median seconds)")
    for label, table in (("wall", times), ("CPU", cpu)):
        print(f"{label + ' time':24}{'before':>9}{'after':>9}{'after/before (median of rounds)':>34}")
        for name in names:
            before, after = table[("before", name)], table[("after", name)]
            ratio = statistics.median(a / b for a, b in zip(after, before))
            print(f"{name:24}{statistics.median(before):>9.3f}{statistics.median(after):>9.3f}{ratio:>34.3f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=24)
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--against", type=Path, metavar="CHECKOUT", help="compare with another checkout")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    paths = corpus(args.files, args.lines)
    if args.serve:
        return serve(paths)
    if args.against is not None:
        return against(args.against.resolve(), args)
    workload = Workload(paths)
    try:
        rounds: dict[str, list[float]] = {name: [] for name in workload.operations()}
        for _ in range(args.repeats):
            for name, run in workload.operations().items():
                rounds[name].append(timed(run))
        total = sum(p.stat().st_size for p in paths)
        print(f"{args.files} files x {args.lines} lines ({total / 1e6:.1f} MB), median of {args.repeats}")
        for name, times in rounds.items():
            print(f"{name:24}{statistics.median(times):>8.3f} s")
    finally:
        workload.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
