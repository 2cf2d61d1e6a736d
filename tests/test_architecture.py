"""The core stays Qt-free: nothing under forensics/ imports Qt, pyqtgraph or app."""

from __future__ import annotations

import ast
from pathlib import Path

FORBIDDEN = ("PySide6", "shiboken6", "pyqtgraph", "PyQt5", "PyQt6", "app")
CORE = Path(__file__).resolve().parent.parent / "forensics"


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
            "import_module",
            "__import__",
        ):
            for arg in node.args[:1]:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    roots.add(arg.value.split(".")[0])
    return roots


def test_core_imports_no_gui() -> None:
    offenders = {
        str(path.relative_to(CORE.parent)): sorted(imported_roots(path) & set(FORBIDDEN))
        for path in CORE.rglob("*.py")
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"forensics/ must not import GUI modules: {offenders}"


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from PySide6.QtCore import QObject\nimport importlib\nimportlib.import_module('pyqtgraph')\n")
    assert {"PySide6", "pyqtgraph"} <= imported_roots(bad)


def test_core_runs_without_qt_loaded() -> None:
    import subprocess
    import sys

    code = (
        "import sys, forensics.ingest, forensics.cli.main, forensics.schema;"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('PySide6','pyqtgraph','app')];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=CORE.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
