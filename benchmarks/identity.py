"""Identity resolution time: ``resolve_logon_types`` (logon types + person keys) on loaded frames.

Usage: .venv/bin/python benchmarks/identity.py [--lines 1000000] [--repeats 5] [--people 400]

Loads once, with ``forensics.ingest.load_evidence``, the frames it hands to
``resolve_logon_types`` (captured before resolution), then times ``resolve_logon_types`` on
each, median of the repeats (the first run, in a fresh process, is printed too):

* ``benchmarks/corpus/iis_<lines>.log`` (generate it with ``benchmarks/ingest_iis.py``):
  900k rows, ~150k distinct MAPI ``MailboxId=<guid>@…`` mailboxes, 400 actors;
* the same frame with a synthetic directory export of ``--people`` people (alias, SMTP,
  account, the ExchangeGuid of the first MAPI mailboxes), so the directory path is timed
  on many distinct forms too;
* the demo case ``resources/demo`` with its directory export ``resources/demo-identities.csv``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks._common import CORPUS  # noqa: E402
from forensics.identity import resolve  # noqa: E402
from forensics.identity.directory import Directory, load_directory  # noqa: E402
from forensics.ingest import load_evidence  # noqa: E402
from forensics.parsers.base import LoadOptions  # noqa: E402


@contextmanager
def _capture(frames: list[pd.DataFrame]):
    """Make load_evidence hand back its frame unresolved (resolution is what we time)."""

    def keep(frame: pd.DataFrame, directory=None, directory_path=None) -> pd.DataFrame:
        frames.append(frame)
        return frame

    with mock.patch.object(resolve, "resolve_logon_types", keep):
        yield


def unresolved(paths: list[Path]) -> pd.DataFrame:
    """The frame load_evidence passes to resolve_logon_types for ``paths``."""
    frames: list[pd.DataFrame] = []
    with _capture(frames):
        load_evidence(paths, options=LoadOptions())
    return frames[0]


def synthetic_directory(people: int, folder: Path) -> Directory:
    """A Get-Mailbox style export for the IIS corpus's users (alias0000…)."""
    lines = ["DisplayName,Alias,PrimarySmtpAddress,SamAccountName,ExchangeGuid"]
    for i in range(people):
        lines.append(f"User {i:04d},alias{i:04d},alias{i:04d}@contoso.com,alias{i:04d},{i:08x}-5b2f-4e86-9a0c-7d4b1f3e6c25")
    path = folder / "identities.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_directory(path)


def time_resolve(label: str, frame: pd.DataFrame, directory: Directory | None, repeats: int) -> None:
    """Print first-run and median seconds of resolve_logon_types on a copy of ``frame``."""
    times = []
    for _ in range(repeats):
        copy = frame.copy()
        start = time.perf_counter()
        resolve.resolve_logon_types(copy, directory=directory)
        times.append(time.perf_counter() - start)
    print(f"{label:44}{len(frame):>10,}{times[0]:>10.3f}{statistics.median(times):>10.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--people", type=int, default=400)
    args = parser.parse_args()
    log = CORPUS / f"iis_{args.lines}.log"
    if not log.exists():
        sys.exit(f"{log} is missing: run benchmarks/ingest_iis.py --lines {args.lines} --repeats 1 first")
    iis = unresolved([log])
    demo = unresolved([ROOT / "resources" / "demo"])
    demo_directory = load_directory(ROOT / "resources" / "demo-identities.csv")
    print(f"{'resolve_logon_types on':44}{'rows':>10}{'first s':>10}{'median s':>10}")
    time_resolve(log.name, iis, None, args.repeats)
    with tempfile.TemporaryDirectory() as folder:
        directory = synthetic_directory(args.people, Path(folder))
        time_resolve(f"{log.name} + {args.people}-person directory", iis, directory, args.repeats)
    time_resolve("resources/demo", demo, None, args.repeats)
    time_resolve("resources/demo + demo-identities.csv", demo, demo_directory, args.repeats)


if __name__ == "__main__":
    main()
