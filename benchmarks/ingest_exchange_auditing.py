"""The Exchange Auditing log (every record a row): our load vs raw ``evtx`` iteration, peak RSS,
bytes per row, and where the time goes (issue 21).

Usage::

    .venv/bin/python benchmarks/ingest_exchange_auditing.py --events 1000000 [--corpus /tmp/corpus]
                                                            [--repeats 3] [--profile]
    .venv/bin/python benchmarks/ingest_exchange_auditing.py --file "Exchange Auditing.evtx"

``--events N`` generates (once) a synthetic corpus with ``benchmarks/make_corpus.py``'s
generator (Exchange Auditing ``.evtx`` only) under ``--corpus`` (default ``/tmp``: a 5M log
is 3.5 GB, keep it out of the repository).

Methods, each run in its own child process, interleaved (raw, ours, ours-1, raw, ...) so that
load from other processes hits them alike; medians of ``--repeats``:

- ``raw``: ``evtx.PyEvtxParser(path).records()`` iterated (XML of every record, the engine's
  default threads);
- ``ours``: ``forensics.ingest.load_evidence`` with the default options (hash SHA-256 + SHA-1 +
  MD5, parse in worker processes where the file is large, map, conform, identity, correlate);
- ``ours-1``: the same with ``workers=1`` (one process).

Peak RSS is the child's own (``resource.getrusage``) and, for ``ours``, the largest of its
worker processes beside it. Bytes/row = ``frame.memory_usage(deep=True).sum() / len(frame)``.
``--profile`` adds one ``workers=1`` load under cProfile and prints the top costs (a profile of
one process: the workers' share of a parallel load is the ``map_batch`` line).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _measure(method: str, path: Path) -> dict:
    import resource

    import evtx

    from forensics.identity import resolve  # noqa: F401 - imported by load_evidence on first use
    from forensics.ingest import load_evidence
    from forensics.parsers import registry
    from forensics.parsers.base import LoadOptions

    registry.all_parsers()  # start-up imports are not load speed

    def cpu(who: int) -> float:
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime

    start, cpu0 = time.perf_counter(), cpu(resource.RUSAGE_SELF) + cpu(resource.RUSAGE_CHILDREN)
    bytes_per_row = None
    if method == "raw":
        records = sum(1 for _ in evtx.PyEvtxParser(str(path)).records())
    else:
        result = load_evidence([path], options=LoadOptions(workers=1 if method == "ours-1" else 0))
        report = result.files[0]
        if report.status != "loaded":
            raise SystemExit(f"load failed: {report.error}")
        records = report.records
    seconds = time.perf_counter() - start
    cpu_s = cpu(resource.RUSAGE_SELF) + cpu(resource.RUSAGE_CHILDREN) - cpu0
    if method != "raw":
        frame = result.frame
        bytes_per_row = float(frame.memory_usage(deep=True).sum() / max(len(frame), 1))
    return {
        "method": method, "records": records, "seconds": seconds, "cpu": cpu_s, "bytes_per_row": bytes_per_row,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "children_peak_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def _profile(path: Path, top: int) -> None:
    import cProfile
    import pstats

    from forensics.ingest import load_evidence
    from forensics.parsers import registry
    from forensics.parsers.base import LoadOptions

    registry.all_parsers()
    profile = cProfile.Profile()
    profile.enable()
    load_evidence([path], options=LoadOptions(workers=1))
    profile.disable()
    stats = pstats.Stats(profile, stream=sys.stdout)
    print(f"top {top} costs of one workers=1 load (own time):")
    stats.sort_stats("tottime").print_stats(top)
    print(f"top {top} (cumulative):")
    stats.sort_stats("cumulative").print_stats(top)


def _child(method: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--_measure", method, "--file", str(path)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{method} run failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _corpus(events: int, parent: Path) -> Path:
    folder = parent / f"contoso_{events}"
    found = sorted(folder.rglob("Exchange Auditing.evtx")) if folder.is_dir() else []
    if not found:
        from benchmarks.make_corpus import make

        make(folder, events, ("evtx",))
        found = sorted(folder.rglob("Exchange Auditing.evtx"))
    return found[0]


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--corpus", type=Path, default=Path("/tmp"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--methods", nargs="+", default=["raw", "ours", "ours-1"])
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--_measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._measure == "profile":
        _profile(args.file, args.top)
        return
    if args._measure:
        print(json.dumps(_measure(args._measure, args.file)))
        return
    path = args.file or _corpus(args.events, args.corpus)
    if args.profile:  # in a child too: Linux keeps a process's peak RSS across exec
        subprocess.run([sys.executable, __file__, "--_measure", "profile", "--file", str(path), "--top", str(args.top)],
                       check=True)
    print(f"file: {path} ({path.stat().st_size / 1e6:,.1f} MB); median of {args.repeats} interleaved runs, "
          f"one child process per run; load average before: {_loadavg()}")
    runs: dict[str, list[dict]] = {m: [] for m in args.methods}
    for _ in range(args.repeats):
        for method in args.methods:
            runs[method].append(_child(method, path))
    print(f"{'':10}{'records':>11}{'seconds':>9}{'records/s':>11}{'CPU s':>8}{'peak RSS MiB':>14}"
          f"{'workers MiB':>13}{'bytes/row':>11}   run times")
    rates: dict[str, float] = {}
    for method, results in runs.items():
        seconds = statistics.median(r["seconds"] for r in results)
        records = results[-1]["records"]
        rates[method] = records / seconds
        bpr = results[-1]["bytes_per_row"]
        children = max(r["children_peak_mib"] for r in results) if method == "ours" else 0
        print(f"{method:10}{records:>11,}{seconds:>9.2f}{rates[method]:>11,.0f}"
              f"{statistics.median(r['cpu'] for r in results):>8.1f}{max(r['peak_mib'] for r in results):>14,.0f}"
              f"{children:>13,.0f}{(f'{bpr:.1f}' if bpr else '-'):>11}   "
              + ", ".join(f"{r['seconds']:.2f}" for r in results))
    if "raw" in rates:
        for method in rates:
            if method != "raw":
                print(f"ratio {method} / raw evtx: {rates[method] / rates['raw']:.3f}x (target >= 0.5x)")
    print(f"load average after: {_loadavg()} (a shared 2-core machine: other processes ran too)")


if __name__ == "__main__":
    main()
