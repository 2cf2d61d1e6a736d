"""Rows/s loading evidence from inside a raw NTFS image against loading the same files from
disk, in the same run (issue 20: target at least 0.7x of the direct load).

Usage: ``.venv/bin/python benchmarks/ingest_image.py [--events 1000000] [--size-gb 2] [--repeats 1]``

Generates the synthetic corpus (``mailbox-audit synth``: Exchange Auditing, Application and
MSExchange Management ``.evtx`` plus the IIS logs of the same accesses) in
``benchmarks/corpus/image_<events>/`` (git-ignored), lays it out as on the server
(``Windows/System32/winevt/Logs``, ``inetpub/logs/LogFiles/W3SVC1``) in a sparse raw NTFS
image of ``--size-gb`` (``mkntfs``; folders through an ``ntfs-3g`` mount, which needs root
and /dev/fuse, else the files go flat into the root with ``ntfscp``), then times, alternately
(median of ``--repeats``):

* ``direct``: ``load_evidence`` of the files on disk, in the order the image load reads them;
* ``image``: ``load_evidence`` of the image: the whole image hashed as acquired (SHA-256,
  SHA-1, MD5 of every byte, as custody requires), the NTFS walked with pytsk3, each inner file
  hashed and parsed as a stream. The image hash alone is also timed, to show its share.

Both loads give the same rows (checked). Prints rows/s of each and their ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from benchmarks._common import CORPUS  # noqa: E402
from forensics.custody.hashing import hash_file  # noqa: E402
from forensics.ingest import load_evidence  # noqa: E402
from forensics.synth.generate import generate  # noqa: E402
from helpers.disk_images import can_mount, sources_in_order, tool  # noqa: E402


def corpus(events: int) -> dict[str, Path]:
    out = CORPUS / f"image_{events}"
    if not (out / "truth.json").is_file():
        start = time.perf_counter()
        generate("contoso", out, events=events, formats=("evtx", "iis"))
        print(f"generated {events:,} events in {time.perf_counter() - start:.0f} s")
    ev = out / "evidence"
    layout = {f"Windows/System32/winevt/Logs/{f.name}": f for f in sorted((ev / "evtx").glob("*.evtx"))}
    layout |= {f"inetpub/logs/LogFiles/W3SVC1/{f.name}": f for f in sorted((ev / "iis" / "W3SVC1").glob("*.log"))}
    return layout


def build_image(path: Path, layout: dict[str, Path], size: int) -> bool:
    with open(path, "wb") as fh:
        fh.truncate(size)
    subprocess.run([tool("mkntfs"), "-F", "-q", "-Q", "-c", "4096", str(path)], check=True, capture_output=True)
    if not can_mount():
        mount = Path(tempfile.mkdtemp(prefix="bench-ntfs-"))
        if subprocess.run([tool("ntfs-3g"), str(path), str(mount)], capture_output=True).returncode == 0:
            try:
                for inner, source in layout.items():
                    (mount / inner).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(source, mount / inner)
            finally:
                for _ in range(50):
                    if subprocess.run(["umount", str(mount)], capture_output=True).returncode == 0:
                        break
                    time.sleep(0.2)
                mount.rmdir()
            return True
    for inner, source in layout.items():
        subprocess.run([tool("ntfscp"), "-f", str(path), str(source), Path(inner).name], check=True, capture_output=True)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--size-gb", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    if not tool("mkntfs"):
        print("mkntfs (ntfs-3g) is not installed", file=sys.stderr)
        return 2
    layout = corpus(args.events)
    data = sum(p.stat().st_size for p in layout.values())
    image = CORPUS / f"image_{args.events}" / "server.raw"
    if not image.is_file():
        folders = build_image(image, layout, int(args.size_gb * (1 << 30)))
        print(f"built {image} ({image.stat().st_size / (1 << 30):.2f} GiB, {len(layout)} files, "
              f"{data / (1 << 20):,.0f} MiB of evidence, {'in their server folders' if folders else 'flat in the root'})")
    first = load_evidence([image])
    files = sources_in_order(first, layout)
    direct_times, image_times, hash_times = [], [], []
    rows = len(first.frame)
    for _ in range(args.repeats):
        start = time.perf_counter()
        direct = load_evidence(files)
        direct_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        inside = load_evidence([image])
        image_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        hash_file(image)
        hash_times.append(time.perf_counter() - start)
        assert len(direct.frame) == len(inside.frame) == rows, (len(direct.frame), len(inside.frame))
    d, i, h = (statistics.median(t) for t in (direct_times, image_times, hash_times))
    print(f"{rows:,} rows from {len(files)} files ({data / (1 << 20):,.0f} MiB) in a "
          f"{image.stat().st_size / (1 << 30):.2f} GiB image; {os.cpu_count()} cores, median of {args.repeats}")
    print(f"  direct from disk     {d:8.2f} s  {rows / d:>12,.0f} rows/s")
    print(f"  from the image       {i:8.2f} s  {rows / i:>12,.0f} rows/s   ratio {d / i:.2f}x")
    print(f"    of which hashing the image as acquired: about {h:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
