"""Checks over a set of evidence files, contributed by the parsers themselves.

Some gaps show only across files: IIS writes one file per day, so a missing day is seen from
the names of the files around it (``w3c.iis_rollover``). A parser declares such checks in
``Parser.evidence_set_checks``; ingest, a case and a session run every registered check
through this module without naming any, so a new format brings its own checks along.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from forensics.parsers.base import FileReport


@dataclass(frozen=True)
class EvidenceSetCheck:
    """One check over the files loaded together.

    ``plan`` sees the paths of one load before any is parsed (names are all it may rely on);
    ``note`` gives one file's report its finding after that file's parse and before custody
    records it; ``refresh`` recomputes the findings over every file a session or case holds
    (a file added later may fill or open a gap). ``parsers`` names the parsers whose files
    the check concerns: files recorded as read by another parser are not planned over.
    """

    name: str
    parsers: frozenset[str]
    plan: Callable[[Iterable[Path]], Any]
    note: Callable[[FileReport, Any], None]
    refresh: Callable[[Sequence[FileReport]], None]


def registered_checks() -> list[EvidenceSetCheck]:
    """Every check the registered parsers contribute, each once, in registry order."""
    from forensics.parsers import registry  # late: the registry imports the parsers

    return registry.evidence_set_checks()


@dataclass
class PlannedChecks:
    """The checks planned over one load's files: notes each report as it is parsed."""

    planned: list[tuple[EvidenceSetCheck, Any]]

    def note(self, report: FileReport) -> None:
        for check, state in self.planned:
            check.note(report, state)


def plan_checks(paths: Iterable[tuple[Path, str | None]]) -> PlannedChecks:
    """Plan every registered check over ``paths`` (each with the parser that read it, or None
    when it is not known yet)."""
    listed = list(paths)
    return PlannedChecks([
        (check, check.plan(path for path, parser in listed if parser is None or parser in check.parsers))
        for check in registered_checks()
    ])


def refresh_checks(reports: Sequence[FileReport]) -> None:
    """Recompute every registered check's notes over one session's or case's file reports."""
    for check in registered_checks():
        check.refresh(reports)
