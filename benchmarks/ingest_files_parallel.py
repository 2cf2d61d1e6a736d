"""``load --workers 2`` vs ``--workers 1`` on many evidence files (issue 21: 20 IIS day files,
target >= 1.6x). Each run is its own child process; runs alternate (1, 2, 1, 2, ...); medians.

    .venv/bin/python benchmarks/ingest_files_parallel.py [--events 400000] [--repeats 3]

The files are the synthetic Contoso case's IIS W3C logs, generated once into
``/tmp/ingest_files_parallel/`` (``--events`` store accesses; the scenario spans its days, one file a day and server).
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


def _measure(workers: int, folder: Path) -> dict:
    from forensics.ingest import load_evidence
    from forensics.parsers import registry
    from forensics.parsers.base import LoadOptions

    registry.all_parsers()
    files = sorted(folder.rglob("*.log"))
    start = time.perf_counter()
    result = load_evidence(files, options=LoadOptions(workers=workers))
    return {"seconds": time.perf_counter() - start, "rows": len(result.frame), "files": len(files)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=400_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("/tmp/ingest_files_parallel"))
    parser.add_argument("--_measure", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = args.out / f"contoso_{args.events}"
    if args._measure:
        print(json.dumps(_measure(args._measure, folder)))
        return
    if not folder.is_dir():
        from forensics.synth.generate import generate

        generate("contoso", folder, seed=1, events=args.events, formats=("iis",))
    runs: dict[int, list[dict]] = {1: [], 2: []}
    for _ in range(args.repeats):
        for workers in (1, 2):
            out = subprocess.run([sys.executable, __file__, "--_measure", str(workers), "--events", str(args.events),
                                  "--out", str(args.out)], capture_output=True, text=True, check=True)
            runs[workers].append(json.loads(out.stdout.strip().splitlines()[-1]))
    one, two = (statistics.median(r["seconds"] for r in runs[w]) for w in (1, 2))
    print(f"{runs[1][0]['files']} IIS files, {runs[1][0]['rows']:,} rows; --workers 1: {one:.2f} s, "
          f"--workers 2: {two:.2f} s: {one / two:.2f}x (target >= 1.6x); "
          f"load average {Path('/proc/loadavg').read_text().split()[0]} (shared 2-core machine)")


if __name__ == "__main__":
    main()
