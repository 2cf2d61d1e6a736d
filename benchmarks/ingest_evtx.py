"""EVTX ingest speed: raw ``evtx`` iteration vs our full load vs python-evtx, same file.

Usage::

    .venv/bin/python benchmarks/ingest_evtx.py [--file F.evtx] [--copies 45] [--repeats 3]
                                               [--pyevtx-records 2000]

Without ``--file`` it builds ``benchmarks/corpus/security_x<copies>.evtx`` (git-ignored): the
header of the public sample ``omerbenamram-evtx/security.evtx`` followed by its 33 chunks
repeated ``copies`` times (45 copies = 101,745 records, 97 MB). ``--file`` takes any .evtx,
e.g. a synthetic Exchange log from ``mailbox-audit synth``.

Each run is its own child process, so "peak RSS" is that method's own peak
(``resource.getrusage``), next to the RSS of an idle interpreter with the same imports.
Imports (evtx, every parser module) happen before the clock starts, for every method.
Timings are the median of ``--repeats`` runs, interleaved across methods so that load from
other processes hits them alike; ``/proc/loadavg`` is printed before and after. Our load is ``forensics.ingest.load_evidence``
(hash SHA-256+SHA-1+MD5, parse, map, conform, identity resolution), with and without
``--all-events``. python-evtx renders ~200 records/s, so it is timed on the first
``--pyevtx-records`` records only (the rate is what is compared).
Target (issue 2): our default load >= 0.5x the raw evtx iteration rate on 100k+ records.
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
CORPUS = ROOT / "benchmarks" / "corpus"
SAMPLE = ROOT.parent / "shared" / "samples" / "evtx" / "omerbenamram-evtx" / "security.evtx"
HEADER, CHUNK = 4096, 65536


def build_corpus(copies: int) -> Path:
    """Header of a real log + its chunks ``copies`` times (evtx reads past the header count)."""
    out = CORPUS / f"security_x{copies}.evtx"
    if out.exists():
        return out
    if not SAMPLE.is_file():
        sys.exit(f"ingest_evtx: {SAMPLE} is absent; pass --file")
    data = SAMPLE.read_bytes()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data[:HEADER])
        for _ in range(copies):
            handle.write(data[HEADER:])
    tmp.replace(out)
    return out


# -- measurements, each run in a child process ----------------------------------------------


def _peak_mib() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _measure(method: str, path: Path, repeats: int, limit: int) -> dict:
    sys.path.insert(0, str(ROOT))
    import evtx

    from forensics.identity import resolve  # noqa: F401 - imported by load_evidence on first use
    from forensics.ingest import load_evidence
    from forensics.parsers import registry
    from forensics.parsers.base import LoadOptions

    # Program start-up is not load speed: import every parser module now, as ``import evtx``
    # is done before raw iteration is timed (ingest imports them on its first call).
    registry.all_parsers()
    idle = _peak_mib()

    def raw() -> int:
        n = 0
        for _ in evtx.PyEvtxParser(str(path)).records():
            n += 1
        return n

    def ours(all_events: bool) -> int:
        result = load_evidence([path], options=LoadOptions(all_events=all_events))
        report = result.files[0]
        if report.status != "loaded":
            raise SystemExit(f"load failed: {report.error}")
        return report.records

    def python_evtx() -> int:
        import Evtx.Evtx as pyevtx

        n = 0
        with pyevtx.Evtx(str(path)) as log:
            for record in log.records():
                try:
                    record.xml()
                except Exception:  # noqa: BLE001 - python-evtx fails on some records
                    pass
                n += 1
                if n >= limit:
                    break
        return n

    func = {"raw": raw, "ours": lambda: ours(False), "ours-all": lambda: ours(True), "python-evtx": python_evtx}[method]
    import resource

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)  # all threads of this process
        return usage.ru_utime + usage.ru_stime

    times, cpus, n = [], [], 0
    for _ in range(repeats if method != "python-evtx" else 1):
        start, start_cpu = time.perf_counter(), cpu()
        n = func()
        times.append(time.perf_counter() - start)
        cpus.append(cpu() - start_cpu)
    return {"method": method, "records": n, "seconds": statistics.median(times), "times": times,
            "cpu": statistics.median(cpus), "peak_mib": _peak_mib(), "idle_mib": idle}


def _child(method: str, path: Path, repeats: int, limit: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--_measure", method, "--file", str(path), "--repeats", str(repeats),
         "--pyevtx-records", str(limit)],
        capture_output=True, text=True,
    )
    if out.returncode != 0:
        sys.exit(f"ingest_evtx: {method} run failed:\n{out.stdout[-2000:]}{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", type=Path, help="an .evtx to measure (default: build from the shared sample)")
    parser.add_argument("--copies", type=int, default=45, help="chunk copies when building (45 = 101,745 records)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--pyevtx-records", type=int, default=2000)
    parser.add_argument("--skip-pyevtx", action="store_true")
    parser.add_argument("--_measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._measure:
        print(json.dumps(_measure(args._measure, args.file, args.repeats, args.pyevtx_records)))
        return
    path = args.file or build_corpus(args.copies)
    size = path.stat().st_size
    print(f"file: {path} ({size / 1e6:.1f} MB); median of {args.repeats} interleaved runs; one child process per run")
    print(f"load average before: {_loadavg()}")
    methods = ["raw", "ours", "ours-all"]
    # repeats interleaved (raw, ours, ours-all, raw, ...): each method sees the same machine load
    runs: dict[str, list[dict]] = {m: [] for m in methods}
    for _ in range(args.repeats):
        for method in methods:
            runs[method].append(_child(method, path, 1, args.pyevtx_records))
    results = {
        m: {"records": r[-1]["records"], "seconds": statistics.median(x["seconds"] for x in r),
            "times": [x["seconds"] for x in r], "cpu": statistics.median(x["cpu"] for x in r),
            "peak_mib": max(x["peak_mib"] for x in r), "idle_mib": r[-1]["idle_mib"]}
        for m, r in runs.items()
    }
    if not args.skip_pyevtx:
        results["python-evtx"] = _child("python-evtx", path, 1, args.pyevtx_records)
    labels = {
        "raw": "raw evtx iteration",
        "ours": "our load (default)",
        "ours-all": "our load (--all-events)",
        "python-evtx": f"python-evtx (first {args.pyevtx_records})",
    }
    print(f"{'':28}{'records':>10}{'seconds':>10}{'records/s':>12}{'CPU s':>8}{'rec/CPU-s':>11}{'peak RSS MiB':>14}{'idle RSS':>10}")
    for method, r in results.items():
        rate = r["records"] / r["seconds"]
        cpu_rate = r["records"] / r["cpu"] if r["cpu"] else float("nan")
        print(f"{labels[method]:28}{r['records']:>10,}{r['seconds']:>10.3f}{rate:>12,.0f}{r['cpu']:>8.3f}{cpu_rate:>11,.0f}"
              f"{r['peak_mib']:>14.0f}{r['idle_mib']:>10.0f}")
    raw_rate = results["raw"]["records"] / results["raw"]["seconds"]
    for method in ("ours", "ours-all"):
        rate = results[method]["records"] / results[method]["seconds"]
        cpu_ratio = results["raw"]["cpu"] / results[method]["cpu"]
        print(f"ratio {labels[method]} / raw evtx: {rate / raw_rate:.2f}x wall (target >= 0.5x); "
              f"{cpu_ratio:.2f}x in CPU time (all threads; ours includes SHA-256+SHA-1+MD5)")
    if "python-evtx" in results:
        rate = results["python-evtx"]["records"] / results["python-evtx"]["seconds"]
        print(f"python-evtx is {raw_rate / rate:,.0f}x slower than raw evtx (rate on its first records)")
    print(f"load average after: {_loadavg()}")
    print("raw run times:", ", ".join(f"{t:.3f}" for t in results["raw"]["times"]),
          "| ours:", ", ".join(f"{t:.3f}" for t in results["ours"]["times"]),
          "| ours-all:", ", ".join(f"{t:.3f}" for t in results["ours-all"]["times"]))


if __name__ == "__main__":
    main()
