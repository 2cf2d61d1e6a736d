"""UAL JSON ingest speed: our parser (hash + split + JSON + normalize) against ``json`` +
``pandas.json_normalize`` of the same file, in the same run.

Usage: ``.venv/bin/python benchmarks/ingest_ual_json.py [--records 1000000] [--repeats 3] [--shape lines|array]``.
Generates ``benchmarks/corpus/ual_<records>.<jsonl|json>`` (git-ignored) once: the records of
``ingest_ual.py`` (same mix, same seed: MailItemsAccessed Bind/Sync, FolderBind, SendAs,
MailboxLogin, SoftDelete, New-InboxRule, Entra ID sign-ins), as Management Activity API JSON
lines or as one JSON array (the API's content blob). Target (issue 19): at least the UAL CSV
figure of today (README speed table: 90,898 records/s).

Methods run interleaved (one round of each per repeat), medians printed. The baseline decodes
every record with ``json.loads`` and flattens it with ``pandas.json_normalize`` in slices of
100,000 records, dropping each slice's frame once built: holding 1M flattened records at once
takes more memory than the shared machine has, and the slice size does not change its speed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import CORPUS, ingest_file  # noqa: E402
from benchmarks.ingest_ual import KINDS, WEIGHTS, _record  # noqa: E402
from benchmarks.ingest_ual import generate as generate_csv  # noqa: E402
from forensics.parsers.m365.ual import UalParser  # noqa: E402
from forensics.parsers.m365.ual_json import UalJsonParser  # noqa: E402

SLICE = 100_000


def generate(path: Path, records: int, shape: str, seed: int = 11) -> None:
    rng = np.random.default_rng(seed)
    kinds = rng.choice(len(KINDS), size=records, p=WEIGHTS)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        if shape == "array":
            out.write("[")
        for i in range(records):
            text = json.dumps(_record(i, KINDS[kinds[i]], rng), separators=(",", ":"))
            if shape == "array":
                out.write(("," if i else "") + text)
            else:
                out.write(text + "\n")
        if shape == "array":
            out.write("]")


def baseline(path: Path, shape: str) -> int:
    """``json`` + ``pandas.json_normalize``, slice by slice; returns the records decoded."""
    n = 0
    if shape == "array":
        records = json.loads(path.read_bytes())
        for start in range(0, len(records), SLICE):
            n += len(pd.json_normalize(records[start : start + SLICE]))
        return n
    with open(path, "rb") as f:
        while True:
            lines = f.readlines(SLICE * 1500)
            if not lines:
                return n
            n += len(pd.json_normalize([json.loads(line) for line in lines if line.strip()]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--shape", choices=("lines", "array"), default="lines")
    parser.add_argument("--with-csv", action="store_true",
                        help="also time the UAL CSV parser on the same records as a Purview CSV (ingest_ual.py's file)")
    args = parser.parse_args()
    path = CORPUS / f"ual_{args.records}.{'jsonl' if args.shape == 'lines' else 'json'}"
    if not path.exists():
        print(f"generating {path} ...")
        generate(path, args.records, args.shape)
    print(f"{path} ({path.stat().st_size / 1e6:.0f} MB, {args.records:,} records), median of {args.repeats} interleaved rounds")
    methods = {
        "json + pandas.json_normalize (baseline)": lambda: baseline(path, args.shape),
        "ours (hash+split+parse+normalize)": lambda: ingest_file(UalJsonParser, path),
    }
    if args.with_csv:
        csv_path = CORPUS / f"ual_{args.records}.csv"
        if not csv_path.exists():
            print(f"generating {csv_path} ...")
            generate_csv(csv_path, args.records)
        methods["UAL CSV parser, same records (today's path)"] = lambda: ingest_file(UalParser, csv_path)
    times: dict[str, list[float]] = {name: [] for name in methods}
    results: dict[str, object] = {}
    for _ in range(args.repeats):
        for name, func in methods.items():
            start = time.perf_counter()
            results[name] = func()
            times[name].append(time.perf_counter() - start)
            results_name = results[name]
            del results_name
    frame, report = results["ours (hash+split+parse+normalize)"]  # type: ignore[misc]
    assert results["json + pandas.json_normalize (baseline)"] == args.records
    assert report.records == args.records and report.balanced and report.bad == 0, report
    base = statistics.median(times["json + pandas.json_normalize (baseline)"])
    for name, values in times.items():
        seconds = statistics.median(values)
        print(f"{name:42s} {seconds:8.2f} s  {args.records / seconds:12,.0f} records/s  {base / seconds:5.2f}x the baseline's speed")
    print(f"rows {len(frame):,} (MailItemsAccessed exploded); skipped {dict(report.skipped)}; bad {report.bad}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
