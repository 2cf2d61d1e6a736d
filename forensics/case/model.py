"""What a case file records, as plain dataclasses that round-trip through ``case.json``.

Kept apart from the code that reads, writes and verifies cases so the GUI, the CLI and the
reports share one vocabulary. Every field is JSON-native (strings, numbers, dicts, lists).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from forensics.custody.hashing import FileHashes
from forensics.parsers.base import LoadOptions

CASE_FORMAT = "mailbox-audit-case"
CASE_VERSION = 1


def now_stamp() -> str:
    """The current UTC time as case.json records it (seconds, "Z")."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """Keep only the keys ``cls`` knows, so a newer case.json still opens in an older tool."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass
class EvidenceEntry:
    """One evidence file of the case, with the hashes recorded when it was first added."""

    path: str  # absolute path as resolved when added
    evidence_id: str  # first 16 hex digits of the SHA-256 (the row's `evidence` value)
    sha256: str
    sha1: str
    md5: str
    size: int
    mtime: float  # POSIX seconds, for the quick size/mtime look
    parser: str = ""
    options: dict[str, Any] = field(default_factory=dict)  # LoadOptions.as_dict()
    relative: str | None = None  # path relative to the case folder, if the case moves with it
    added: str = ""
    added_by: str = ""
    #: SHA-256 of the directory export (``options.identities``) when the file was added: a
    #: reopen that finds another export says so (logon types and people may differ)
    identities_sha256: str = ""

    @property
    def hashes(self) -> FileHashes:
        return FileHashes(self.sha256, self.sha1, self.md5, self.size)

    def load_options(self) -> LoadOptions:
        """Rebuild the parser options the file was loaded with (source zone, identities …)."""
        opts = dict(self.options)
        for key in ("identities", "maps_dir"):
            if opts.get(key):
                opts[key] = Path(opts[key])
        known = {f.name for f in fields(LoadOptions)}
        return LoadOptions(**{k: v for k, v in opts.items() if k in known})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "EvidenceEntry":
        return cls(**_known(cls, data))


@dataclass
class SavedQuery:
    name: str
    text: str
    toggles: dict[str, Any] = field(default_factory=dict)
    created: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SavedQuery":
        return cls(**_known(cls, data))


@dataclass
class Bookmark:
    """A tagged row, named by where it came from (never by its position in a grid).

    ``fingerprint`` (a hash of the row's fields) tells apart rows that share (evidence,
    record_id, raw_ref), which happens when one source record becomes several rows (e.g. one
    MailItemsAccessed record per item); unlike a position it survives sorting and filtering.
    ``summary`` keeps a few fields so the bookmark stays readable when its evidence is gone.
    """

    evidence: str
    record_id: int | None
    raw_ref: int | None
    fingerprint: str
    tag: str
    comment: str = ""
    created: str = ""
    examiner: str = ""
    summary: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int, int, str]:
        return (self.evidence, _int(self.record_id), _int(self.raw_ref), self.fingerprint)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Bookmark":
        return cls(**_known(cls, data))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _int(value: int | None) -> int:
    """Missing ids compare as -1 (ids in evidence are never negative)."""
    return -1 if value is None else int(value)
