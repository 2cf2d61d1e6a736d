"""A file inside a container, and which of them are evidence.

A member is named twice: ``inner`` is where it lies in the container (partition and NTFS
path, or the archive member name exactly as stored, so it can be found again), and
``logical`` is the Windows path it had on the server (``C:/Windows/...``), which the known
locations match. KAPE keeps ``C/Windows/...`` or ``C%3A/Windows/...``; Velociraptor keeps
``uploads/auto/C%3A/...`` or ``uploads/ntfs/%5C%5C.%5CC%3A/...`` (its URL-style escaping).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

#: where Exchange and Windows keep the logs we read (case-insensitive, any drive, any
#: install folder): a label per location, shown in ``--list``
KNOWN_LOCATIONS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern, re.IGNORECASE))
    for label, pattern in (
        ("Windows event log", r"(^|/)windows/system32/winevt/logs/[^/]+\.evtx$"),
        ("Windows 2003 event log", r"(^|/)windows/system32/config/[^/]+\.evt$"),
        ("IIS log", r"(^|/)inetpub/logs/logfiles/w3svc[^/]*/[^/]+\.log$"),
        ("IIS log", r"(^|/)windows/system32/logfiles/w3svc[^/]*/[^/]+\.log$"),  # IIS 6 (Exchange 2003)
        ("Exchange HttpProxy log", r"/logging/httpproxy/.+\.log$"),
        ("Exchange message tracking log", r"/transportroles/logs/(hub/|mailbox/)?messagetracking/.+\.log$"),
    )
)


@dataclass
class Member:
    """One regular file inside a container (not yet read)."""

    container: str  # display name of the container (its file name)
    inner: str  # locator inside the container: "p2:/Windows/..." or the archive name as stored
    logical: str  # the server path it stands for, "/"-separated, drive first when known
    size: int
    partition: int | None = None  # index in the partition table (0 = no table, the whole image)
    partition_offset: int | None = None  # bytes from the start of the image
    mft_record: int | None = None  # NTFS: MFT entry number (meta address)
    mft_sequence: int | None = None
    times: dict[str, str] = field(default_factory=dict)  # NTFS $STANDARD_INFORMATION times, ISO UTC
    location: str = ""  # the known location it matched, "" if none
    detected: str = ""  # the parser that claims its first bytes ("" = not sniffed or none)
    problem: str = ""  # why it cannot be read (encrypted, bomb, ...); "" = readable
    notes: list[str] = field(default_factory=list)  # readable, but worth saying (odd name, ...)

    @property
    def display(self) -> str:
        """``image.E01!p2:/Windows/...``: what rows, summaries and custody name it by."""
        return f"{self.container}!{self.inner}"

    def custody_fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {"inner_path": self.inner, "logical_path": self.logical}
        if self.partition is not None:
            out["partition"] = self.partition
            out["partition_offset"] = self.partition_offset
        if self.mft_record is not None:
            out["mft_record"] = self.mft_record
            out["mft_sequence"] = self.mft_sequence
        if self.times:
            out["ntfs_times"] = dict(self.times)
        if self.notes:
            out["member_notes"] = list(self.notes)
        return out


_DRIVE = re.compile(r"^([A-Za-z]):?$")
_VELOCIRAPTOR_ROOTS = {"uploads"}
_VELOCIRAPTOR_ACCESSORS = {"auto", "ntfs", "file", "lazy_ntfs", "mft", "raw_ntfs"}


def logical_path(name: str) -> str:
    """The server path an archive member stands for (see module doc); ``..`` and empty parts
    dropped, so a hostile name never points outside the collection."""
    parts = [unquote(p) for p in name.replace("\\", "/").split("/")]
    flat: list[str] = []
    for part in parts:  # "%5C%5C.%5CC%3A" decodes to "\\.\C:": split it again
        flat += [p for p in part.replace("\\", "/").split("/")]
    parts = [p for p in flat if p not in ("", ".", "..", "?", "GLOBALROOT")]
    if len(parts) >= 2 and parts[0].lower() in _VELOCIRAPTOR_ROOTS and parts[1].lower() in _VELOCIRAPTOR_ACCESSORS:
        parts = parts[2:]
    # KAPE's target folder often sits above the drive ("20240301_TRIAGE/C/Windows/..."): find the drive
    for i, part in enumerate(parts[:-1]):
        match = _DRIVE.match(part)
        if match:
            return "/".join([f"{match[1].upper()}:"] + parts[i + 1:])
    return "/".join(parts)


def unsafe_name(name: str) -> str:
    """Why an archive name would escape a folder it was extracted to ("" when it would not).
    Nothing is extracted, so such a member still loads; the note keeps the oddity visible."""
    text = name.replace("\\", "/")
    if text.startswith("/"):
        return "absolute path"
    if re.match(r"^[A-Za-z]:", text):
        return "drive-qualified path"
    if ".." in text.split("/"):
        return "path climbs out of the archive ('..')"
    return ""


def known_location(logical: str) -> str:
    """The label of the known evidence location ``logical`` lies in, or ""."""
    path = "/" + logical.replace("\\", "/").lstrip("/")
    for label, pattern in KNOWN_LOCATIONS:
        if pattern.search(path):
            return label
    return ""


def matches(member: Member, globs: list[str]) -> bool:
    """``--select``: a glob matched, case-insensitively, against the inner path, the
    logical path and the display name (so ``*Auditing*`` and ``*/W3SVC1/*`` both work)."""
    names = [member.inner, member.logical, member.display]
    return any(fnmatch.fnmatch(n.lower(), g.lower()) for g in globs for n in names)
