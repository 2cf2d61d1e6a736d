"""Tool and dependency versions, stated in every report so a result can be reproduced."""

from __future__ import annotations

import platform
from importlib import metadata

from forensics import __version__

#: distributions whose versions bear on what a report shows (parsing, tables, rendering)
DEPENDENCIES = (
    "pandas", "numpy", "pyarrow", "evtx", "python-evtx", "defusedxml", "Jinja2",
    "XlsxWriter", "reportlab", "matplotlib", "cryptography",  # cryptography: custody signatures
)


def tool_version() -> str:
    return f"mailbox-audit {__version__}"


def dependency_versions() -> list[tuple[str, str]]:
    """(name, version) of Python and each dependency; 'not installed' rather than failing."""
    out = [("Python", platform.python_version())]
    for name in DEPENDENCIES:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            out.append((name, "not installed"))
    return out
