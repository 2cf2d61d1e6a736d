"""Generate the large synthetic corpora the benchmarks use (git-ignored, never committed).

    .venv/bin/python benchmarks/make_corpus.py                 # both corpora below
    .venv/bin/python benchmarks/make_corpus.py --events 1000000 --formats evtx
    .venv/bin/python benchmarks/make_corpus.py --out /tmp/corpus --events 20000

Default corpora in ``benchmarks/corpus/``:

- ``contoso_1000000/``: 1M Exchange Auditing records (``.evtx``) plus the IIS 2013+ logs and
  the Purview UAL CSV of the same accesses (about 1M IIS lines and 0.8M UAL records);
- ``contoso_5000000/``: 5M Exchange Auditing records (``.evtx`` only; a 5M-event UAL would
  be ~5 GB).

Each is a normal ``mailbox-audit synth`` output folder (``evidence/`` + ``truth.json``), so a
benchmark can check its row counts against the truth. Prints, per corpus, the wall time,
records/s (Exchange Auditing records written per second, access generation and every other
selected format included) and the size of each format. Memory stays flat: accesses are
streamed and the EVTX writer keeps one 64 KiB chunk.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forensics.synth.generate import FORMATS, generate  # noqa: E402

CORPUS = ROOT / "benchmarks" / "corpus"
DEFAULTS = ((1_000_000, ("evtx", "iis", "ual")), (5_000_000, ("evtx",)))


def _size(paths: list[Path]) -> int:
    return sum(p.stat().st_size for p in paths)


def make(out: Path, events: int, formats: tuple[str, ...], seed: int = 1) -> dict:
    """Generate one corpus into ``out``; return its truth."""
    started = time.perf_counter()
    result = generate("contoso", out, seed=seed, events=events, formats=formats, logs=("exchange-auditing",),
                      command=f"benchmarks/make_corpus.py --events {events} --formats {' '.join(formats)}",
                      progress=lambda n: print(f"  {n:,} accesses", file=sys.stderr, flush=True))
    seconds = time.perf_counter() - started
    truth = result.truth
    audit = truth["formats"].get("evtx-exchangeauditing", {}).get("records", truth["events"])
    print(f"{out.name}: {truth['events']:,} store accesses, {result.accesses:,} accesses in {seconds:.1f} s "
          f"= {audit / seconds:,.0f} Exchange Auditing records/s (formats: {' '.join(formats)})")
    for name, fmt in truth["formats"].items():
        size = _size([out / f for f in fmt["files"]])
        print(f"  {name:24} {fmt['records']:>12,} records {size / 2**20:>10,.1f} MiB "
              f"({size / max(fmt['records'], 1):,.0f} bytes/record)")
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=CORPUS, help="parent folder (default benchmarks/corpus)")
    parser.add_argument("--events", type=int, nargs="+", help="corpus sizes in store accesses")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, help="formats (default: per corpus, see above)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    plan = [(n, tuple(args.formats or ("evtx", "iis", "ual"))) for n in args.events] if args.events else \
        [(n, tuple(args.formats) if args.formats else f) for n, f in DEFAULTS]
    for events, formats in plan:
        make(args.out / f"contoso_{events}", events, formats, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
