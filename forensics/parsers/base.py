"""What every evidence parser is: a name, a content sniffer, and a batch-yielding ``parse``.

Parsers never open files: they read the ``HashingReader`` in ``ctx.reader`` so the bytes
parsed are the bytes hashed. They yield pandas frames holding any subset of the schema's
columns (``forensics.schema.conform`` fills and types the rest) and account for every
input record in ``ctx.report``: accepted, skipped (with a reason) or bad (with a warning).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from forensics.custody.hashing import FileHashes, HashingReader
from forensics.errors import LoadCancelled

if TYPE_CHECKING:  # setchecks imports this module
    from forensics.parsers.setchecks import EvidenceSetCheck

MAX_WARNINGS_KEPT = 1000
SNIFF_BYTES = 65536


@dataclass
class LoadOptions:
    """Options the user gives for a load; recorded in custody and in the case."""

    all_events: bool = False
    source_tz: str | None = None  # zone/offset of the machine that exported local-time text
    identities: Path | None = None  # directory export CSV for exact identity resolution
    maps_dir: Path | None = None  # extra/learned event maps, searched before the bundled ones
    parser: str | None = None  # force a parser by name instead of detecting
    w3c_fields: str | None = None  # W3C field names of header-less IIS lines ("date time s-ip …")
    #: globs naming what loads from inside disk images and collections (None = all evidence found)
    select: tuple[str, ...] | list[str] | None = None
    #: processes files (and a large .evtx, by chunk range) are parsed in; 0 or 1 = this process.
    #: How, not what: the rows are the same either way, so it is not recorded with the options.
    workers: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v)
                for k, v in self.__dict__.items() if v not in (None, False) and k != "workers"}


@dataclass
class ParseWarning:
    location: str  # "record 1234", "line 17", "chunk 6", "offset 0x1000"
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


#: how notes saying that evidence is missing from a file begin (gaps, cut-off exports)
GAP_NOTES = (
    "RECORDS MISSING", "RECORDS HIDDEN", "EXPORT INCOMPLETE", "EXPORT MAY BE CAPPED", "DAYS MISSING", "HOURS MISSING", "LOGGING GAP",
    "AUDIT THROTTLED",
)


@dataclass(frozen=True)
class MissingPeriod:
    """A span of time whose records a completeness check found missing from the evidence.

    Why structured as well as in a note: a heatmap cell of zero inside such a span means
    "no evidence", not "no access", and the heatmap must be able to say so. Times are ISO
    UTC text (as ``first_time``); ``mailbox`` names the one mailbox concerned, if only one is.
    """

    start: str
    end: str
    label: str  # what is missing and why, short ("DAYS MISSING before u_ex240304.log")
    mailbox: str = ""


@dataclass
class FileReport:
    """What happened to one evidence file; shown in the CLI summary, Evidence dock, reports.

    Invariant kept by parsers: ``records == accepted + sum(skipped.values()) + bad``.
    ``rows`` may exceed ``accepted`` where one record explodes into several rows.
    """

    path: Path
    parser: str = ""
    source_format: str = ""
    evidence_id: str = ""
    hashes: FileHashes | None = None
    mtime: float | None = None
    records: int = 0
    accepted: int = 0
    rows: int = 0
    bad: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[ParseWarning] = field(default_factory=list)
    warning_count: int = 0
    notes: list[str] = field(default_factory=list)  # loud, file-level notices (e.g. hash changed)
    missing: list[MissingPeriod] = field(default_factory=list)  # spans the gap notes name, where known
    first_time: str = ""  # the file's earliest row time, ISO UTC ("" = no timed row)
    last_time: str = ""
    status: str = "pending"  # loaded | failed | cancelled | duplicate
    error: str = ""
    custody_seq: int | None = None
    #: the disk image or collection this file was read from ("" for a file on disk)
    container: str = ""

    def warn(self, location: str, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_WARNINGS_KEPT:
            self.warnings.append(ParseWarning(location, message))

    def bad_record(self, location: str, message: str) -> None:
        """A record that could not be used: counted as input, as bad, and described."""
        self.records += 1
        self.bad += 1
        self.warn(location, message)

    def skip(self, reason: str, n: int = 1) -> None:
        """Records read but deliberately not rowed (e.g. non-Exchange events)."""
        self.records += n
        self.skipped[reason] += n

    def accept(self, n: int = 1) -> None:
        self.records += n
        self.accepted += n

    def gap_notes(self) -> list[str]:
        """The notes saying that evidence is missing from this file (see ``GAP_NOTES``)."""
        return [note for note in self.notes if note.startswith(GAP_NOTES)]

    @property
    def balanced(self) -> bool:
        return self.records == self.accepted + sum(self.skipped.values()) + self.bad


@dataclass
class ParseContext:
    reader: HashingReader
    path: Path
    options: LoadOptions
    report: FileReport
    cancelled: Callable[[], bool] = lambda: False

    def check_cancel(self) -> None:
        if self.cancelled():
            raise LoadCancelled(f"load cancelled while reading {self.path.name}")


class Parser(ABC):
    """One evidence format. Subclasses are listed explicitly in ``registry.PARSERS``."""

    name: ClassVar[str]  # registry key, e.g. "evtx"
    description: ClassVar[str]  # shown to users
    source_format: ClassVar[str]  # value of the source_format column
    extensions: ClassVar[tuple[str, ...]] = ()  # lower-case, with dot

    @classmethod
    @abstractmethod
    def sniff(cls, head: bytes, path: Path) -> int:
        """Confidence 0-100 that ``head`` (first bytes of the file) is this format.

        Content decides; the extension may only break ties (add a few points).
        """

    @abstractmethod
    def parse(self, ctx: ParseContext) -> Iterator[pd.DataFrame]:
        """Yield frames of rows; account for every input record in ``ctx.report``."""

    @classmethod
    def raw_record(cls, path: Path, raw_ref: int | None, record_id: int | None) -> str:
        """Return the untouched record text for the detail view (re-read from evidence)."""
        raise NotImplementedError(f"{cls.name} cannot fetch raw records")

    @classmethod
    def evidence_set_checks(cls) -> tuple[EvidenceSetCheck, ...]:
        """The checks over a set of files this format contributes (``setchecks.EvidenceSetCheck``,
        e.g. IIS days missing between day files); run by ingest, cases and sessions for every
        registered parser, so none is named there."""
        return ()
