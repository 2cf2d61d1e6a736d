"""Load, report and a GUI session run with every socket and DNS look-up blocked."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"


def run_blocked(*args: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    home = tempfile.mkdtemp(prefix="netblock-home-")  # GUI settings and session folders stay out of $HOME
    env = {
        **os.environ, "PYTHONPATH": f"{TESTS}{os.pathsep}{REPO}", "QT_QPA_PLATFORM": "offscreen",
        "HOME": home, "XDG_CONFIG_HOME": f"{home}/config", "XDG_DATA_HOME": f"{home}/data",
    }
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


DEMO = REPO / "resources" / "demo"


@pytest.fixture
def demo() -> Path:
    if not (DEMO / "evidence").is_dir():
        pytest.skip("demo case not generated")
    return DEMO


def _assert_offline(proc: subprocess.CompletedProcess[str]) -> None:
    assert "NETWORK ATTEMPT" not in proc.stderr, proc.stderr[-3000:]
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]


def test_cli_load_is_offline(demo: Path, tmp_path: Path) -> None:
    _assert_offline(run_blocked(
        "forensics.cli.main:main", "load", str(demo), "--case", str(tmp_path / "case"),
        "--out", str(tmp_path / "out.parquet"),
    ))


@pytest.mark.parametrize("fmt", ["html", "pdf", "xlsx"])
def test_report_is_offline(demo: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    _assert_offline(run_blocked(
        "forensics.cli.main:main", "report", str(demo), "--case", str(tmp_path / "case"),
        "--format", fmt, "--out", str(out),
    ))
    assert out.stat().st_size > 0


def test_gui_session_is_offline(demo: Path, tmp_path: Path) -> None:
    proc = run_blocked("app.main:main", "--exit-after-load", "--case", str(tmp_path / "case"), str(demo))
    _assert_offline(proc)
    assert "loaded" in (proc.stdout + proc.stderr).lower()
