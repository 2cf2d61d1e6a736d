"""What the custody log says about each evidence file over time.

The first hash recorded for a path is what was acquired; it is the baseline every later
check compares with (never the latest entry, which a reload of changed evidence would
write). Every later entry that recorded another hash, and every ``evidence-mismatch``
entry, stays a problem until an examiner records a ``mismatch-acknowledged`` entry for it.
An acknowledgement names an entry; it accepts that entry's (path, SHA-256), so the same
change logged again by later reloads is covered too, and reports print it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

OPENED = "evidence-opened"
#: a file read from inside a disk image or collection (``forensics.containers.ingest``)
MEMBER_OPENED = "member-opened"
MISMATCH = "evidence-mismatch"
ACKNOWLEDGED = "mismatch-acknowledged"


@dataclass(frozen=True)
class Record:
    """One entry that recorded a hash of the file, or a mismatch of it."""

    seq: int
    time: str
    kind: str
    sha256: str | None  # the hash seen (None: the file could not be read)
    status: str = ""
    examiner: str = ""
    recorded: str | None = None  # mismatch entries: the hash they compared with

    def describe(self, first: "Record | None") -> str:
        if self.kind == MISMATCH:
            seen = f"SHA-256 {self.sha256}" if self.sha256 else "no hash (file not readable)"
            return f"entry {self.seq} ({self.time}) logged an evidence mismatch: {self.status or 'changed'}, {seen}"
        basis = f" (entry {first.seq}, {first.time})" if first is not None else ""
        return (f"entry {self.seq} ({self.time}) recorded SHA-256 {self.sha256}, which differs from the first "
                f"recorded {first.sha256 if first else '?'}{basis}")


@dataclass(frozen=True)
class Acknowledgement:
    seq: int
    time: str
    examiner: str
    entry: int  # the entry acknowledged
    path: str
    sha256: str | None
    reason: str

    def describe(self) -> str:
        accepted = f"accepting SHA-256 {self.sha256}" if self.sha256 else "file unreadable or missing"
        return (f"entry {self.seq} ({self.time}, {self.examiner or '?'}) acknowledged entry {self.entry} for "
                f"{self.path} ({accepted}): {self.reason}")


@dataclass
class FileHistory:
    path: str
    first: Record | None = None
    changes: list[Record] = field(default_factory=list)
    acks: list[Acknowledgement] = field(default_factory=list)
    #: the ``evidence-removed`` entry that took the file out of the case (None when it is in it)
    removed: int | None = None
    #: for a file inside a container: (container path, inner path) to re-read it from
    container: tuple[str, str] | None = None

    @property
    def accepted(self) -> set[str]:
        """Hashes the file may have: the first one and every acknowledged one."""
        out = {a.sha256 for a in self.acks if a.sha256}
        if self.first is not None and self.first.sha256:
            out.add(self.first.sha256)
        return out

    def acknowledgement_of(self, record: Record) -> Acknowledgement | None:
        for ack in self.acks:
            if ack.entry == record.seq:
                return ack
            if record.sha256 and ack.sha256 == record.sha256:
                return ack
            if record.sha256 is None and ack.sha256 is None and ack.seq > record.seq:
                return ack
        return None

    @property
    def open_changes(self) -> list[Record]:
        """Changes no acknowledgement covers: each keeps the case failing."""
        return [r for r in self.changes if self.acknowledgement_of(r) is None]

    def accepted_by(self, sha256: str) -> Acknowledgement | None:
        return next((a for a in self.acks if a.sha256 == sha256), None)


def _sha(value: Any) -> str | None:
    return str(value).lower() if isinstance(value, str) and value else None


#: the custody entry that takes a file out of a case (``forensics.case.membership``)
REMOVED = "evidence-removed"


def histories(entries: Iterable[dict[str, Any]]) -> dict[str, FileHistory]:
    """Every path the log names, with its first hash, changes and acknowledgements."""
    out: dict[str, FileHistory] = {}
    for e in entries:
        kind, path = e.get("kind"), e.get("path")
        if not isinstance(path, str) or kind not in (OPENED, MEMBER_OPENED, MISMATCH, ACKNOWLEDGED, REMOVED):
            continue
        if kind == MEMBER_OPENED:
            container, inner = e.get("container"), e.get("inner_path")
            kind = OPENED  # a hash of the file like any other; only where to re-read it differs
            if isinstance(container, str) and isinstance(inner, str) and path not in out:
                out[path] = FileHistory(path, container=(container, inner))
        seq = e.get("seq") if isinstance(e.get("seq"), int) else 0
        history = out.setdefault(path, FileHistory(path))
        if kind == REMOVED:  # out of the case from here, until it is opened again
            history.removed = seq
            continue
        if kind == OPENED:
            history.removed = None
        if kind == ACKNOWLEDGED:
            entry_no = e.get("entry")
            history.acks.append(Acknowledgement(seq, str(e.get("time", "")), str(e.get("examiner", "")),
                                                entry_no if isinstance(entry_no, int) else -1, path,
                                                _sha(e.get("sha256")), str(e.get("reason", ""))))
            continue
        if kind == OPENED:
            sha = _sha(e.get("sha256"))
            if sha is None:
                continue
            record = Record(seq, str(e.get("time", "")), kind, sha, str(e.get("status", "")), str(e.get("examiner", "")))
            if history.first is None:
                history.first = record
            elif sha != history.first.sha256:
                history.changes.append(record)
        else:
            history.changes.append(Record(seq, str(e.get("time", "")), kind, _sha(e.get("current_sha256")),
                                          str(e.get("status", "")), str(e.get("examiner", "")),
                                          _sha(e.get("recorded_sha256"))))
    return out


def acknowledgeable(entry: dict[str, Any], first: Record | None) -> bool:
    """An entry an examiner may acknowledge: a logged mismatch, or a later hash that differs."""
    if entry.get("kind") == MISMATCH:
        return True
    return (entry.get("kind") == OPENED and first is not None
            and _sha(entry.get("sha256")) not in (None, first.sha256))
