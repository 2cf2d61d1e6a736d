"""Load, report and a GUI session run with every socket and DNS look-up blocked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"


def run_blocked(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{TESTS}{os.pathsep}{REPO}", "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "helpers.netblock", *args],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=timeout,
    )


def test_guard_catches_a_connection_attempt() -> None:
    proc = run_blocked("socket:create_connection", "ignored")
    assert proc.returncode == 99, proc.stderr
    assert "NETWORK ATTEMPT BLOCKED" in proc.stderr


def test_guard_catches_dns() -> None:
    proc = run_blocked("socket:getaddrinfo", "example.org")
    assert proc.returncode == 99


def test_cli_load_is_offline(tmp_path: Path) -> None:
    demo = REPO / "resources" / "demo"
    if not any(demo.glob("*")) if demo.exists() else True:
        pytest.skip("demo case not generated yet")
    proc = run_blocked(
        "forensics.cli.main:main", "load", str(demo), "--case", str(tmp_path / "case"),
        "--out", str(tmp_path / "out.parquet"),
    )
    assert proc.returncode in (0, 1), proc.stderr
    assert "NETWORK ATTEMPT" not in proc.stderr
