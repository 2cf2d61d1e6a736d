"""Read speed of the two NTFS readers considered (docs/containers.md): pytsk3 (chosen) and
libfsntfs-python (not a dependency: ``pip install libfsntfs-python`` to run this), reading
every evidence file of the ``ingest_image.py`` image in 1 MiB blocks, alternately, twice.

Usage: ``.venv/bin/python benchmarks/image_readers.py [IMAGE]`` (default: the 1M-event image
``benchmarks/ingest_image.py`` builds).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytsk3

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("/Windows/System32/winevt/Logs", "/inetpub/logs/LogFiles/W3SVC1")


def main() -> int:
    image = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "benchmarks/corpus/image_1000000/server.raw")
    try:
        import pyfsntfs
    except ImportError:
        print("libfsntfs-python is not installed", file=sys.stderr)
        return 2
    fs = pytsk3.FS_Info(pytsk3.Img_Info(image))
    paths = [f"{d}/{e.info.name.name.decode()}" for d in FOLDERS for e in fs.open_dir(d)
             if e.info.name.name not in (b".", b"..")]

    def tsk() -> int:
        total = 0
        for p in paths:
            f = fs.open(p)
            size, off = f.info.meta.size, 0
            while off < size:
                off += len(f.read_random(off, min(1 << 20, size - off)))
            total += size
        return total

    volume = pyfsntfs.volume()
    volume.open(image)

    def fsntfs() -> int:
        total = 0
        for p in paths:
            entry = volume.get_file_entry_by_path(p.replace("/", "\\"))
            size, off = entry.get_size(), 0
            while off < size:
                off += len(entry.read_buffer(min(1 << 20, size - off)))
            total += size
        return total

    for name, read in (("pytsk3", tsk), ("libfsntfs", fsntfs)) * 2:
        start = time.perf_counter()
        size = read()
        took = time.perf_counter() - start
        print(f"{name:10s} {size / 2**20:,.0f} MiB in {took:.2f} s = {size / 2**20 / took:,.0f} MiB/s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
