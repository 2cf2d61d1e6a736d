"""`pip install .` (not editable) ships the resources: event maps are found from the package."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_installed_wheel_finds_resources(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(REPO)],
        check=True, capture_output=True, timeout=600,
    )
    target = tmp_path / "site"
    (wheel,) = wheels.glob("mailbox_audit-*.whl")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=600,
    )
    code = (
        "import forensics, forensics.paths as p;"
        "print(forensics.__file__); print(p.resources_dir());"
        "print(len(list(p.resource_path('maps').glob('*.json'))))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    module_file, resources, maps = proc.stdout.split()
    assert module_file.startswith(str(target))
    assert resources.startswith(str(target)) and "mailbox_audit_resources" in resources
    assert int(maps) >= 10
