"""Errors a user can cause. Each carries a one-line message fit to show as-is."""

from __future__ import annotations


class ForensicsError(Exception):
    """Base of every error the CLI and GUI show to the user instead of a traceback."""

    @property
    def user_message(self) -> str:
        return str(self)


class EvidenceError(ForensicsError):
    """The evidence path cannot be opened: missing, a directory, unreadable, empty."""


class UnsupportedFormatError(EvidenceError):
    """No registered parser recognises the file."""


class ParseError(ForensicsError):
    """A file could not be parsed at all (individual bad records are warnings, not errors)."""


class CustodyError(ForensicsError):
    """The custody log is unreadable, or a write to it failed."""


class LoadCancelled(ForensicsError):
    """The user cancelled a load; nothing partial is kept."""


class QueryError(ForensicsError):
    """A query does not parse; carries the character position of the problem."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.position = position

    @property
    def user_message(self) -> str:
        return f"{self.args[0]} (at position {self.position + 1})"


class ReportError(ForensicsError):
    """A report could not be written."""
