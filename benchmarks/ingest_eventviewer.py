"""Event Viewer export ingest speed: our XML and CSV parsers (hash + parse + normalize)
against bare baselines on the same files (``xml.etree.ElementTree.iterparse`` of the XML,
``pandas.read_csv`` of the CSV).

Usage: ``.venv/bin/python benchmarks/ingest_eventviewer.py [--events 50000] [--repeats 1]``.
Generates the exports once with the synthetic generator into ``benchmarks/corpus/``
(git-ignored).
"""

from __future__ import annotations

import argparse
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks._common import CORPUS  # noqa: E402
from forensics import schema  # noqa: E402
from forensics.custody.hashing import HashingReader  # noqa: E402
from forensics.parsers.base import FileReport, LoadOptions, ParseContext  # noqa: E402
from forensics.parsers.eventlog.eventviewer_csv import EventViewerCsvParser  # noqa: E402
from forensics.parsers.eventlog.eventviewer_xml import EventViewerXmlParser  # noqa: E402
from forensics.synth.generate import generate  # noqa: E402


def ours(parser_cls, path: Path, source_tz: str | None) -> int:
    report = FileReport(path=path)
    with HashingReader(path) as reader:
        ctx = ParseContext(reader=reader, path=path, options=LoadOptions(source_tz=source_tz), report=report)
        frames = [schema.conform(b, defaults={"source_format": parser_cls.source_format}) for b in parser_cls().parse(ctx)]
        reader.finish()
    return len(schema.concat(frames))


def bare_xml(path: Path) -> int:
    n = 0
    for _, element in ET.iterparse(path):
        if element.tag.endswith("}Event"):
            n += 1
            element.clear()
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    out = CORPUS / f"eventviewer_{args.events}"
    exports = out / "evidence" / "exports"
    if not (exports / "ExchangeAuditing.xml").exists():
        generate("contoso", out, seed=3, events=args.events, formats=("xml", "csv"), logs=("exchange-auditing",))
    xml_path, csv_path = exports / "ExchangeAuditing.xml", exports / "ExchangeAuditing.csv"
    runs = [
        ("XML: ElementTree.iterparse (bare)", lambda: bare_xml(xml_path)),
        ("XML: our parser", lambda: ours(EventViewerXmlParser, xml_path, None)),
        ("CSV: pandas.read_csv (bare)", lambda: len(pd.read_csv(csv_path, encoding="utf-16", header=None, skiprows=1))),
        ("CSV: our parser", lambda: ours(EventViewerCsvParser, csv_path, "America/New_York")),
    ]
    print(f"{args.events} events; XML {xml_path.stat().st_size / 1e6:.0f} MB, CSV {csv_path.stat().st_size / 1e6:.0f} MB")
    print(f"{'':36}{'wall s':>8}{'CPU s':>8}{'records/s (wall)':>18}{'(CPU)':>10}")
    for label, func in runs:
        best = None
        for _ in range(args.repeats):  # best of N: the machine is shared
            wall, cpu = time.perf_counter(), time.process_time()
            n = func()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            best = min(best or (wall, cpu), (wall, cpu))
        wall, cpu = best
        print(f"{label:36}{wall:>8.2f}{cpu:>8.2f}{n / wall:>18,.0f}{n / cpu:>10,.0f}")


if __name__ == "__main__":
    main()
