"""The one-folder offline build works: frozen CLI on the demo case, frozen GUI offscreen.

Slow (a PyInstaller build takes minutes); `make test` runs it, so CI proves the build.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "resources" / "demo"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("PyInstaller")
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--distpath", str(out),
         "--workpath", str(out / "work"), str(REPO / "build_spec" / "mailbox_audit.spec")],
        capture_output=True, text=True, cwd=REPO, timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    folder = out / "mailbox-audit"
    assert (folder / "mailbox-audit").exists() and (folder / "mailbox-audit-gui").exists()
    return folder


def _env() -> dict[str, str]:
    # The frozen app must not depend on the build machine's Python environment.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def test_frozen_cli_on_demo_case(frozen: Path, tmp_path: Path) -> None:
    if not DEMO.is_dir():
        pytest.skip("demo case not generated")
    cli = str(frozen / "mailbox-audit")
    case = tmp_path / "case"
    run = lambda *args: subprocess.run([cli, *args], capture_output=True, text=True, env=_env(), timeout=600)  # noqa: E731
    version = run("--version")
    assert version.returncode == 0 and "mailbox-audit" in version.stdout
    load = run("load", str(DEMO), "--case", str(case), "--out", str(tmp_path / "rows.csv"))
    assert load.returncode == 0, load.stdout + load.stderr
    assert (tmp_path / "rows.csv").stat().st_size > 0
    verify = run("verify", "--case", str(case))
    assert verify.returncode == 0, verify.stdout + verify.stderr
    for fmt in ("html", "pdf"):
        out = tmp_path / f"report.{fmt}"
        report = run("report", str(DEMO), "--case", str(case), "--format", fmt, "--out", str(out))
        assert report.returncode == 0, report.stdout + report.stderr
        assert out.stat().st_size > 1000


def test_frozen_gui_loads_demo_and_quits(frozen: Path) -> None:
    if not DEMO.is_dir():
        pytest.skip("demo case not generated")
    start = time.perf_counter()
    proc = subprocess.run(
        [str(frozen / "mailbox-audit-gui"), "--exit-after-load", str(DEMO)],
        capture_output=True, text=True, env=_env(), timeout=600,
    )
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "loaded" in (proc.stdout + proc.stderr).lower()
    print(f"frozen GUI cold start to loaded demo case: {elapsed:.2f} s")
