"""Legacy ``.evt`` ingest speed: bare libevt iteration vs our reader vs our full load, same file.

Usage::

    .venv/bin/python benchmarks/ingest_evt.py [--file F.evt] [--events 100000] [--repeats 3]

Without ``--file`` it writes a synthetic ``Exchange Auditing.evt`` with ``--events`` store
accesses (``mailbox-audit synth --formats evt --logs exchange-auditing``, seed 1) under
``benchmarks/corpus/`` (git-ignored). Three methods, interleaved per repeat, medians reported:

- ``libevt``: bare libevt-python iteration, reading every record's number, event id, source,
  computer, time and strings (what a row needs; no mapping, no table);
- ``walk``: our reader alone (``forensics.evt.walk``: header, EOF record, circular walk);
- ``load``: ``forensics.ingest.load_evidence`` (hash SHA-256+SHA-1+MD5, walk, continuity,
  event maps, conform, identity resolution), the figure a user sees.

Imports happen before the clock starts; ``/proc/loadavg`` is printed before and after.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "benchmarks" / "corpus"


def build(events: int) -> Path:
    sys.path.insert(0, str(ROOT))
    from forensics.synth.generate import generate

    out = CORPUS / f"evt_{events}"
    path = out / "evidence" / "evt" / "Exchange Auditing.evt"
    if not path.exists():
        generate("contoso", out, seed=1, events=events, formats=("evt",), logs=("exchange-auditing",), command="bench")
    return path


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()
    except OSError:
        return "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--file", type=Path)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    path = args.file or build(args.events)
    sys.path.insert(0, str(ROOT))
    import pyevt

    from forensics.evt.walk import walk
    from forensics.identity import resolve  # noqa: F401 - imported by load_evidence on first use
    from forensics.ingest import load_evidence
    from forensics.parsers import registry

    registry.all_parsers()

    def libevt() -> int:
        handle = pyevt.file()
        handle.open_file_object(io.BytesIO(path.read_bytes()))
        n = 0
        for index in range(handle.number_of_records):
            rec = handle.get_record(index)  # one at a time: the binding frees the previous record
            _ = (rec.identifier, rec.event_identifier, rec.source_name, rec.computer_name,
                 rec.get_creation_time_as_integer(), [rec.get_string(i) for i in range(rec.number_of_strings)])
            n += 1
        handle.close()
        return n

    def ours_walk() -> int:
        return len(walk(path.read_bytes()).records)

    def ours_load() -> int:
        report = load_evidence([path]).files[0]
        assert report.status == "loaded" and report.balanced, report.error
        return report.records

    methods = {"libevt": libevt, "walk": ours_walk, "load": ours_load}
    times: dict[str, list[float]] = {name: [] for name in methods}
    counts: dict[str, int] = {}
    print(f"file {path} ({path.stat().st_size / 2**20:.1f} MiB); loadavg before {_loadavg()}")
    for _ in range(args.repeats):
        for name, method in methods.items():
            start = time.perf_counter()
            counts[name] = method()
            times[name].append(time.perf_counter() - start)
    print(f"loadavg after {_loadavg()}")
    base = counts["libevt"] / statistics.median(times["libevt"])
    for name in methods:
        median = statistics.median(times[name])
        rate = counts[name] / median
        print(f"{name:7} {counts[name]:>9,} records  {median:7.3f} s  {rate:>10,.0f} records/s  {rate / base:5.2f}x libevt")


if __name__ == "__main__":
    main()
