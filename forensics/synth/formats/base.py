"""The emitter interface and helpers shared by the formats."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forensics.synth.accesses import Access
from forensics.synth.scenario import Person, Scenario
from forensics.synth.truth import Tally


@dataclass
class FormatTruth:
    """What one format's files hold: the truth entry of ``formats`` in truth.json."""

    name: str
    source_format: str
    carries: str
    time_basis: str
    files: list[Path] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self, root: Path) -> dict[str, Any]:
        out: dict[str, Any] = {
            "files": [p.relative_to(root).as_posix() for p in self.files],
            "source_format": self.source_format,
            "carries": self.carries,
            "time_basis": self.time_basis,
        }
        out.update(self.extra)
        out.update(self.tally.as_dict())
        return out


class Emitter:
    """Base of the format writers. Subclasses set ``truths`` and implement ``add``/``close``."""

    def __init__(self, scenario: Scenario, out: Path) -> None:
        self.scenario = scenario
        self.out = out
        self.truths: list[FormatTruth] = []

    def add(self, access: Access) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def expected_logon_type(actor: Person, mailbox: Person, admin: bool | None) -> str:
    """What identity resolution must decide from a record that names both parties.

    ``admin`` None: the format carries no administrative flag (then non-owners are Delegate).
    """
    if actor is mailbox:
        return "Owner"
    return "Admin" if admin else "Delegate"
