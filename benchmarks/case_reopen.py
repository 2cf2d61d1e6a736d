"""Case load and reopen times: first load (parse + cache write) and reopen (re-hash + cache read).

Usage: .venv/bin/python benchmarks/case_reopen.py [--lines 300000] [--files 3] [--repeats 5]

Writes ``--files`` IIS 10 W3C logs (default Exchange field set) of ``--lines`` lines each,
creates a case, and times: the first ``add_evidence`` (parse, hash, cache write with its
custody record), ``Case.open(...).load()`` using the row cache (the everyday reopen), and a
reopen without the cache. Prints medians of wall and process CPU time. Run it against two checkouts (PYTHONPATH) to
compare versions side by side.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

if "--use-path" not in sys.argv:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from forensics.case import Case  # noqa: E402

HEADER = (
    "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
    "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken\n"
)


def write_log(path: Path, lines: int, seed: int) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(HEADER)
        for i in range(lines):
            n = (i * 7919 + seed) % 300
            fh.write(f"2024-03-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:{(i // 60) % 60:02d} 10.0.0.2 GET "
                     f"/owa/user{n}@contoso.com/ - 443 CONTOSO\\user{(n * 31) % 300} 10.0.{n % 250}.5 "
                     f"Mozilla/5.0 - 200 0 0 {i % 97}\n")


def median(func, repeats: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Median wall time and median CPU time of the whole process (all threads: the hashing
    lanes too). CPU time is the steadier figure on a shared, loaded machine."""
    walls, cpus = [], []
    for _ in range(repeats):
        start, cpu = time.perf_counter(), time.process_time()
        func()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--use-path", action="store_true", help="import forensics from PYTHONPATH, not this checkout")
    args = parser.parse_args()
    import forensics

    print(f"forensics from {Path(forensics.__file__).parent}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "W3SVC1"
        folder.mkdir()
        paths = []
        for f in range(args.files):
            path = folder / f"u_ex2403{f + 1:02d}.log"
            write_log(path, args.lines, f)
            paths.append(path)
        size = sum(p.stat().st_size for p in paths) / 1e6

        def first_load() -> None:
            shutil.rmtree(Path(tmp) / "case", ignore_errors=True)
            case = Case.create(Path(tmp) / "case", "bench")
            case.add_evidence(paths)
            case.save()

        load = median(first_load, max(1, args.repeats // 2))
        reopen = median(lambda: Case.open(Path(tmp) / "case").load(), args.repeats)
        nocache = median(lambda: Case.open(Path(tmp) / "case").load(use_cache=False), max(1, args.repeats // 2))
        rows = len(Case.open(Path(tmp) / "case").load().frame)
    print(f"{args.files} files, {size:.0f} MB, {rows:,} rows")
    for label, (wall, cpu) in (("first load (parse + cache write)", load), ("reopen with cache", reopen),
                               ("reopen without cache", nocache)):
        print(f"{label:34s} wall {wall:.3f} s  cpu {cpu:.3f} s")


if __name__ == "__main__":
    main()
