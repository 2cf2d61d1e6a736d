"""IIS ingest speed: our parser (hash + parse + normalize) against a bare ``pandas.read_csv``.

Usage: ``.venv/bin/python benchmarks/ingest_iis.py [--lines 1000000] [--repeats 5]``.
Generates ``benchmarks/corpus/iis_<lines>.log`` (git-ignored) once: a realistic Exchange
2013+ mix (OWA, EAS, MAPI, EWS, static files, 401 challenges, health probes) plus an
Exchange 2003 WebDAV block. Target (issue 4): at least 0.3x the speed of the baseline.

Methods are run interleaved (one round of every method, ``--repeats`` rounds) and the
median of each is printed, so load from elsewhere hits them alike. Besides the baseline
and our parser it times two floors of what any loader with custody must do: reading the
file through the hashing reader (SHA-256 + SHA-1 + MD5 of every byte, read ahead in
blocks, exactly as a load reads), and that plus pyarrow's CSV split of the lines (no
interpretation at all); the baseline made to pay the same custody cost (``read_csv``
while the hashing reader takes the three digests on another thread, overlapping as in our
load); ``load_evidence`` as a user runs it (adds identity resolution); and our parser
without hashing (a reader that hands out the same bytes).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import CORPUS, ingest_file  # noqa: E402
from forensics.custody.hashing import HashingReader  # noqa: E402
from forensics.ingest import load_evidence  # noqa: E402
from forensics.parsers.base import FileReport, LoadOptions, ParseContext  # noqa: E402
from forensics.parsers.w3c.iis import BLOCK as IIS_BLOCK  # noqa: E402
from forensics.parsers.w3c.iis import IisParser  # noqa: E402
from forensics.parsers.prefetch import blocks  # noqa: E402

FIELDS = (
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) "
    "cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
)
USERS = [f"alias{i:04d}" for i in range(400)]
TEMPLATES = [
    ("POST", "/owa/service.svc", "action=GetItem&UA=0&ID=-{n}&AC=1&CorrelationID=<empty>;&cafeReqId={g};", "Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+AppleWebKit/537.36", 200),
    ("GET", "/owa/{u}@contoso.com/", "ae=Item&t=IPM.Note&id=RgAAAAD{g}", "Mozilla/5.0+(Windows+NT+10.0)", 200),
    ("POST", "/Microsoft-Server-ActiveSync/default.eas", "User={u}&DeviceId=DEV{n}&DeviceType=iPhone&Cmd=Sync&CorrelationID=<empty>;&cafeReqId={g};", "Apple-iPhone14C2/2001.67", 200),
    ("POST", "/mapi/emsmdb/", "MailboxId={g}@contoso.com&CorrelationID=<empty>;&cafeReqId={g};", "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.4549;+Pro)", 200),
    ("POST", "/EWS/Exchange.asmx", "&CorrelationID=<empty>;&cafeReqId={g};", "Microsoft+Office/16.0+(Windows+NT+10.0;+Microsoft+Outlook+16.0.4549;+Pro)", 200),
    ("GET", "/owa/prem/15.2.1118.7/scripts/boot.worker.min.js", "-", "Mozilla/5.0+(Windows+NT+10.0)", 200),
    ("GET", "/owa/healthcheck.htm", "-", "AMProbe/Local/ClientAccess", 200),
]


def generate(path: Path, lines: int, seed: int = 7) -> None:
    """Write ``lines`` W3C data lines (one header block) reproducibly."""
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(TEMPLATES), size=lines, p=[0.35, 0.1, 0.2, 0.15, 0.1, 0.07, 0.03])
    users = rng.integers(0, len(USERS), size=lines)
    secs = np.sort(rng.integers(0, 86400, size=lines))
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\r\n") as out:
        out.write("#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n")
        out.write("#Date: 2024-03-05 00:00:00\n#Fields: " + FIELDS + "\n")
        for i in range(lines):
            method, stem, query, agent, status = TEMPLATES[pick[i]]
            u = USERS[users[i]]
            s = int(secs[i])
            g = f"{i:08x}-5b2f-4e86-9a0c-7d4b1f3e6c25"
            if stem == "/owa/healthcheck.htm":
                user = "-"
            else:
                user = f"CONTOSO\\{u}"
            if i % 50 == 0 and stem.startswith("/mapi"):
                status, user = 401, "-"
            out.write(
                f"2024-03-05 {s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d} 10.0.0.1 {method} "
                f"{stem.format(u=u)} {query.format(u=u, n=i, g=g)} 443 {user} 203.0.113.{i % 250} "
                f"{agent} - {status} 0 0 {i % 900}\n"
            )


def baseline(path: Path) -> int:
    frame = pd.read_csv(
        path, sep=" ", comment=None, skiprows=4, header=None, names=FIELDS.split(), quoting=csv.QUOTE_NONE
    )
    return len(frame)


def baseline_with_custody(path: Path) -> int:
    """The baseline paying what custody costs us: ``read_csv`` while the hashing reader
    takes the same file's three digests on another thread (the two overlap, as in our load)."""
    hashing = threading.Thread(target=hash_only, args=(path,))
    hashing.start()
    try:
        return baseline(path)
    finally:
        hashing.join()


def hash_only(path: Path) -> int:
    """The custody floor: every byte through the hashing reader, read ahead as a load does."""
    with HashingReader(path) as reader:
        for _ in blocks(reader, IIS_BLOCK):
            pass
        reader.finish()
    return 0


def hash_and_split(path: Path) -> int:
    """Custody floor + pyarrow's CSV split of every data line (what our parser starts from)."""
    names = FIELDS.split()
    options = dict(
        read_options=pacsv.ReadOptions(column_names=names, use_threads=False),
        parse_options=pacsv.ParseOptions(delimiter=" ", quote_char=False),
        convert_options=pacsv.ConvertOptions(column_types={f: pa.string() for f in names}, null_values=["-"]),
    )
    rows, carry, first = 0, b"", True
    with HashingReader(path) as reader:
        for data in blocks(reader, IIS_BLOCK):
            if first:  # the generated log's only directives are its first four lines
                data, first = data[data.index(b"\n", data.index(b"#Fields:")) + 1 :], False
            data = carry + data
            cut = data.rfind(b"\n") + 1
            carry, data = data[cut:], data[:cut]
            rows += pacsv.read_csv(pa.BufferReader(data), **options).num_rows
        reader.finish()
    return rows


class _PlainReader(HashingReader):
    """The hashing reader's interface without the hashing: the parser's own cost."""

    def _read_file(self, n: int) -> bytes:
        return self._fh.read(n)


def parse_without_hashing(path: Path) -> int:
    report = FileReport(path=path)
    with _PlainReader(path) as reader:
        ctx = ParseContext(reader=reader, path=path, options=LoadOptions(), report=report)
        return sum(len(frame) for frame in IisParser().parse(ctx))


def load(path: Path) -> int:
    result = load_evidence([path])
    return len(result.frame)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    path = CORPUS / f"iis_{args.lines}.log"
    if not path.exists():
        print(f"generating {path} ...")
        generate(path, args.lines)
    print(f"{path} ({path.stat().st_size / 1e6:.0f} MB, {args.lines:,} lines), median of {args.repeats} interleaved rounds")
    methods = {
        "pandas.read_csv (baseline)": lambda: baseline(path),
        "read_csv + custody hashes": lambda: baseline_with_custody(path),
        "ours (hash+parse+normalize)": lambda: ingest_file(IisParser, path),
        "ours, no hashing": lambda: parse_without_hashing(path),
        "load_evidence (+identity)": lambda: load(path),
        "floor: hashing reader only": lambda: hash_only(path),
        "floor: hashing + CSV split": lambda: hash_and_split(path),
    }
    times: dict[str, list[float]] = {name: [] for name in methods}
    results: dict[str, object] = {}
    for _ in range(args.repeats):
        for name, func in methods.items():
            start = time.perf_counter()
            results[name] = func()
            times[name].append(time.perf_counter() - start)
    frame, report = results["ours (hash+parse+normalize)"]  # type: ignore[misc]
    assert results["pandas.read_csv (baseline)"] == args.lines and report.records == args.lines and report.balanced
    base = statistics.median(times["pandas.read_csv (baseline)"])
    print(f"{'':30}{'seconds':>10}{'lines/s':>14}{'vs baseline':>13}")
    for name, runs in times.items():
        seconds = statistics.median(runs)
        print(f"{name:30}{seconds:>10.2f}{args.lines / seconds:>14,.0f}{base / seconds:>12.2f}x")
    ours = statistics.median(times["ours (hash+parse+normalize)"])
    print(f"ratio ours/baseline (speed): {base / ours:.2f}x (target >= 0.3x)")
    custody = statistics.median(times["read_csv + custody hashes"])
    print(f"ratio ours/(read_csv + custody hashes): {custody / ours:.2f}x (same bytes, same three digests)")
    print(f"rows {len(frame):,}; skipped {dict(report.skipped)}; bad {report.bad}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
