"""Check a case's evidence against the hashes recorded when it was acquired.

Two steps, as the examiner sees them: a quick look (exists? same size and mtime?) that is
instant, then the full re-hash. The full re-hash normally happens as a side effect of
reloading (the bytes parsed are the bytes hashed); ``rehash`` does it on its own for reports.

The baseline is the custody log, not case.json: the first hash the log recorded for the
file (plus hashes an examiner acknowledged). case.json is a plain file anyone can edit; a
case.json hash that disagrees with the log is itself a problem, never a "verified".
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from forensics.case.model import EvidenceEntry
from forensics.custody.hashing import FileHashes, hash_file
from forensics.custody.history import FileHistory
from forensics.errors import EvidenceError

#: statuses, loudest first
MISSING = "MISSING"
MODIFIED = "MODIFIED"
UNREADABLE = "UNREADABLE"
#: case.json's hash is not what the custody log first recorded (case.json edited)
CASE_FILE_DISAGREES = "CASE FILE DISAGREES WITH CUSTODY LOG"
#: the file matches, but the log holds a mismatch no examiner acknowledged
CHANGED_EARLIER = "MISMATCH LOGGED"
REFUSED = "REFUSED"  # outside the case's evidence folders and not confirmed by the examiner
VERIFIED = "verified"
#: differs from the first hash, equals one an examiner acknowledged (reports print why)
ACKNOWLEDGED = "changed, acknowledged"
#: the custody log has no record of the file: only case.json vouches for the hash
NOT_IN_CUSTODY = "matches case.json only (no custody record)"
UNCHANGED_QUICK = "size/mtime unchanged (not yet re-hashed)"
CHANGED_QUICK = "size/mtime changed (not yet re-hashed)"
PROBLEMS = (MISSING, MODIFIED, UNREADABLE, CASE_FILE_DISAGREES, CHANGED_EARLIER, REFUSED)
#: statuses a reload logs as a custody entry (``evidence-mismatch``, or ``evidence-refused``
#: for a path never opened); the others are already in the log, or are about case.json
LOGGED = (MISSING, MODIFIED, UNREADABLE, REFUSED)


@dataclass
class EvidenceCheck:
    """The verification result of one evidence file, for the Evidence dock and reports."""

    entry: EvidenceEntry
    status: str
    path: Path  # where the file was looked for
    message: str = ""
    current: FileHashes | None = None

    @property
    def ok(self) -> bool:
        return self.status not in PROBLEMS and self.status != CHANGED_QUICK

    @property
    def problem(self) -> bool:
        return self.status in PROBLEMS


def locate(entry: EvidenceEntry, case_dir: Path | None) -> Path:
    """The recorded absolute path, or the case-relative one when the case folder moved."""
    absolute = Path(entry.path)
    if absolute.exists() or not entry.relative or case_dir is None:
        return absolute
    relative = (case_dir / entry.relative).resolve()
    return relative if relative.exists() else absolute


def quick_check(entry: EvidenceEntry, case_dir: Path | None = None) -> EvidenceCheck:
    """Exists, same size, same mtime: instant, and enough to warn before the re-hash."""
    path = locate(entry, case_dir)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return EvidenceCheck(entry, MISSING, path, f"{path}: file not found")
    except OSError as exc:
        return EvidenceCheck(entry, UNREADABLE, path, f"{path}: {exc.strerror or exc}")
    if stat.st_size != entry.size:
        return EvidenceCheck(
            entry, CHANGED_QUICK, path, f"size {stat.st_size} bytes, recorded {entry.size} bytes"
        )
    if abs(stat.st_mtime - entry.mtime) > 1e-3:
        return EvidenceCheck(entry, CHANGED_QUICK, path, "modification time differs from the recorded one")
    return EvidenceCheck(entry, UNCHANGED_QUICK, path)


def history_for(entry: EvidenceEntry, path: Path, found: dict[str, FileHistory] | None) -> FileHistory | None:
    """The custody history of an evidence file: by its recorded path, else where it was found."""
    if found is None:
        return None
    return found.get(entry.path) or found.get(str(path.resolve()))


def compare(
    entry: EvidenceEntry, path: Path, current: FileHashes, history: FileHistory | None = None
) -> EvidenceCheck:
    """Judge freshly computed hashes against the custody log's first (and acknowledged)
    hashes; case.json's recorded hash only counts when the log has no record of the file."""
    if history is None or history.first is None or history.first.sha256 is None:
        if current.sha256 != entry.sha256:
            return EvidenceCheck(entry, MODIFIED, path,
                                 f"SHA-256 is now {current.sha256}, case.json records {entry.sha256} "
                                 "(the custody log has no record of this file)", current)
        return EvidenceCheck(entry, NOT_IN_CUSTODY, path,
                             "SHA-256 matches case.json, but the custody log has no record of this file", current)
    first = history.first
    basis = f"first recorded {first.sha256} in custody entry {first.seq} ({first.time})"
    accepted = history.accepted
    disagrees = "" if entry.sha256 in accepted else (
        f"; case.json records {entry.sha256}, which the custody log never accepted (case.json edited?)")
    if current.sha256 not in accepted:
        return EvidenceCheck(entry, MODIFIED, path, f"SHA-256 is now {current.sha256}, {basis}{disagrees}", current)
    if disagrees:
        return EvidenceCheck(entry, CASE_FILE_DISAGREES, path,
                             f"the file's SHA-256 {current.sha256} matches the custody log ({basis}){disagrees}",
                             current)
    pending = history.open_changes
    if pending:
        listed = "; ".join(r.describe(first) for r in pending)
        return EvidenceCheck(entry, CHANGED_EARLIER, path,
                             f"SHA-256 matches now, but the custody log holds changes no examiner acknowledged: {listed}",
                             current)
    if current.sha256 != first.sha256:
        ack = history.accepted_by(current.sha256)
        why = f"entry {ack.seq} ({ack.time}, {ack.examiner}): {ack.reason}" if ack else "?"
        return EvidenceCheck(entry, ACKNOWLEDGED, path,
                             f"SHA-256 {current.sha256} differs from the {basis}; accepted by acknowledgement {why}",
                             current)
    return EvidenceCheck(entry, VERIFIED, path, f"SHA-256 matches the hash {basis}", current)


def rehash(
    entry: EvidenceEntry, case_dir: Path | None = None, found: dict[str, FileHistory] | None = None
) -> EvidenceCheck:
    """Full re-hash of one file (read-only) against its recorded hashes."""
    quick = quick_check(entry, case_dir)
    if quick.status in (MISSING, UNREADABLE):
        return quick
    try:
        current = hash_file(quick.path)
    except EvidenceError as exc:
        return EvidenceCheck(entry, UNREADABLE, quick.path, exc.user_message)
    return compare(entry, quick.path, current, history_for(entry, quick.path, found))
