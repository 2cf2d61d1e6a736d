"""The registry's explicit import list names every parser module, wherever it sits in the
family subpackages (a frozen build finds parsers only through that list, never by scanning)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PARSERS = Path(__file__).resolve().parents[3] / "forensics" / "parsers"


def _registering_modules() -> set[str]:
    found = set()
    for path in PARSERS.rglob("*.py"):
        if "registry.register(" in path.read_text(encoding="utf-8"):
            rel = path.relative_to(PARSERS.parent.parent).with_suffix("")
            found.add(".".join(rel.parts))
    return found


def test_every_registering_module_is_in_the_explicit_list() -> None:
    modules = _registering_modules()
    assert {"forensics.parsers.w3c.iis", "forensics.parsers.m365.ual", "forensics.parsers.eventlog.evtx_parser"} <= modules
    code = (
        "import sys; from forensics.parsers import registry; ps = registry.all_parsers();"
        "print('\\n'.join(sorted({p.__module__ for p in ps})))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PARSERS.parent.parent)
    assert proc.returncode == 0, proc.stderr
    assert set(proc.stdout.split()) == modules


def test_family_packages_hold_their_parsers() -> None:
    assert (PARSERS / "w3c" / "httpproxy.py").is_file() and (PARSERS / "w3c" / "msgtrk.py").is_file()
    assert (PARSERS / "m365" / "ual_json.py").is_file() and (PARSERS / "eventlog" / "eventviewer_csv.py").is_file()
    assert all((PARSERS / family / "__init__.py").is_file() for family in ("w3c", "m365", "eventlog"))
