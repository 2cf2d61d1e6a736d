"""Check a case's evidence against the hashes recorded when it was added.

Two steps, as the examiner sees them: a quick look (exists? same size and mtime?) that is
instant, then the full re-hash. The full re-hash normally happens as a side effect of
reloading (the bytes parsed are the bytes hashed); ``rehash`` does it on its own for reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from forensics.case.model import EvidenceEntry
from forensics.custody.hashing import FileHashes, hash_file
from forensics.errors import EvidenceError

#: statuses, loudest first
MISSING = "MISSING"
MODIFIED = "MODIFIED"
UNREADABLE = "UNREADABLE"
REFUSED = "REFUSED"  # outside the case's evidence folders and not confirmed by the examiner
VERIFIED = "verified"
UNCHANGED_QUICK = "size/mtime unchanged (not yet re-hashed)"
CHANGED_QUICK = "size/mtime changed (not yet re-hashed)"
PROBLEMS = (MISSING, MODIFIED, UNREADABLE, REFUSED)


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


def compare(entry: EvidenceEntry, path: Path, current: FileHashes) -> EvidenceCheck:
    """Judge freshly computed hashes against the recorded ones."""
    if current.sha256 != entry.sha256:
        return EvidenceCheck(
            entry,
            MODIFIED,
            path,
            f"SHA-256 is now {current.sha256}, recorded {entry.sha256}",
            current,
        )
    return EvidenceCheck(entry, VERIFIED, path, "SHA-256 matches the recorded hash", current)


def rehash(entry: EvidenceEntry, case_dir: Path | None = None) -> EvidenceCheck:
    """Full re-hash of one file (read-only) against its recorded hashes."""
    quick = quick_check(entry, case_dir)
    if quick.status in (MISSING, UNREADABLE):
        return quick
    try:
        current = hash_file(quick.path)
    except EvidenceError as exc:
        return EvidenceCheck(entry, UNREADABLE, quick.path, exc.user_message)
    return compare(entry, quick.path, current)
