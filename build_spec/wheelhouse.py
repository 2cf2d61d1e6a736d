"""Download every wheel needed to install Mailbox Audit offline on a named platform.

    python build_spec/wheelhouse.py --platform win_amd64 --python-version 3.11 --out wheelhouse

Run on a connected machine; carry the folder to the air-gapped laptop and install with
``pip install --no-index --find-links wheelhouse mailbox-audit``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--platform", default="win_amd64", help="pip platform tag, e.g. win_amd64, manylinux2014_x86_64, macosx_11_0_arm64")
    parser.add_argument("--python-version", default="3.11")
    parser.add_argument("--out", type=Path, default=REPO / "wheelhouse")
    args = parser.parse_args()
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    args.out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(args.out), str(REPO)], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--only-binary=:all:", "--platform", args.platform,
         "--python-version", args.python_version, "-d", str(args.out), *deps],
        check=True,
    )
    print(f"wheelhouse ready in {args.out}: pip install --no-index --find-links {args.out} mailbox-audit")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
