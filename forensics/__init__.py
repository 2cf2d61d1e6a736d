"""Mailbox Audit forensic core: Qt-free evidence loading, custody, analysis and reports."""

from importlib import metadata as _metadata

try:
    __version__: str = _metadata.version("mailbox-audit")
except _metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
