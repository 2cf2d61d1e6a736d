"""How ``forensics.ingest`` takes containers: open them, hash and log them as acquired,
list their evidence, parse each member as a hashed stream, and log each member with the
container's hash and its place inside (partition, offset, MFT record, NTFS times).

Custody kinds: the container's files (every segment) are ordinary ``evidence-opened``
entries (status ``container``), so ``verify`` re-hashes them like any file; each inner
file is a ``member-opened`` entry whose ``path`` is ``<container path>!<inner path>``,
re-read from the container by ``verify`` (``forensics.containers.recheck``).
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from forensics.containers.detect import container_kind
from forensics.containers.members import Member
from forensics.containers.session import Container, ContainerError, open_container
from forensics.custody.hashing import FileHashes, HashingReader
from forensics.custody.history import MEMBER_OPENED
from forensics.custody.log import CustodyLog
from forensics.errors import EvidenceError, LoadCancelled
from forensics.parsers.base import FileReport, LoadOptions

if TYPE_CHECKING:
    from forensics.ingest import LoadResult

MEMBER_UNREAD = "member-unreadable"
CONTAINER_STATUS = "container"
#: the parser name a container's entries carry ("container:ewf", "container:zip", ...)
CONTAINER_PARSER = "container:"


def member_key(container: Container, member: Member) -> str:
    """The custody ``path`` of an inner file: the container's full path, ``!``, the inner path."""
    return f"{container.path.resolve()}!{member.inner}"


def member_path(container: Container, member: Member) -> Path:
    """The name a member's report and rows go by (its ``name`` is the inner file's)."""
    return Path(member_key(container, member))


def open_containers(
    paths: list[Path],
    custody: CustodyLog,
    result: "LoadResult",
    stack: ExitStack,
    select: list[str],
    cancelled: Callable[[], bool],
    on_hash: Callable[[Path, int, int], None] | None = None,
) -> tuple[list[Path], dict[Path, tuple[Container, Member]]]:
    """Replace each container among ``paths`` with the evidence inside it. A container that
    cannot be opened becomes a failed report (with its custody entry); the rest load.
    ``on_hash(file, done, total)`` follows the hashing of the container's files (minutes on
    a large image)."""
    out: list[Path] = []
    members: dict[Path, tuple[Container, Member]] = {}
    for path in paths:
        kind = container_kind(path) if path.is_file() else None
        if kind is None:
            out.append(path)
            continue
        report = FileReport(path=path, parser=f"{CONTAINER_PARSER}{kind}", source_format="container")
        result.files.append(report)
        try:
            container = stack.enter_context(open_container(path, kind))
        except ContainerError as exc:
            report.status, report.error = "failed", exc.user_message
            _log_container(custody, path, [path], kind, report, {}, [], [exc.user_message], 0, on_hash, cancelled)
            continue
        found = container.evidence(select or None, cancelled)
        if cancelled():  # before anything of this container is logged as loaded
            report.status = "cancelled"
            custody.append("load-cancelled", path=str(path.resolve()),
                           note="load cancelled by the user while listing a container; no rows from this load were kept")
            raise LoadCancelled(f"load cancelled while listing {path.name}")
        report.notes += container.problems
        report.status = "container"
        _log_container(custody, path, container.segments, kind, report, container.stored_hashes,
                       container.volumes, container.problems, len(found), on_hash, cancelled)
        container.sha256 = report.hashes.sha256 if report.hashes is not None else None
        for member in found:
            key = member_path(container, member)
            members[key] = (container, member)
            out.append(key)
    return out, members


def _log_container(custody: CustodyLog, path: Path, segments: list[Path], kind: str, report: FileReport,
                   stored: dict[str, str], volumes: list[str], problems: list[str], found: int,
                   on_hash: Callable[[Path, int, int], None] | None = None,
                   cancelled: Callable[[], bool] = lambda: False) -> None:
    """Hash every file of the container as acquired and log each (``evidence-opened``)."""
    for number, segment in enumerate(segments, start=1):
        try:
            progress = None if on_hash is None else (lambda done, total, segment=segment: on_hash(segment, done, total))
            with HashingReader(segment, progress=progress) as reader:
                while reader.read(1 << 20):
                    if cancelled():
                        custody.append("load-cancelled", path=str(segment.resolve()),
                                       note="load cancelled by the user while hashing a container; no rows were kept")
                        raise LoadCancelled(f"load cancelled while hashing {segment.name}")
                hashes = reader.finish()
        except EvidenceError as exc:
            report.notes.append(exc.user_message)
            continue
        if number == 1:
            report.hashes, report.evidence_id = hashes, hashes.sha256[:16]
            report.mtime = segment.stat().st_mtime
        earlier = custody.earlier_hashes(segment) - {hashes.sha256}
        if earlier:
            report.notes.append(f"EVIDENCE CHANGED: {segment.name}'s SHA-256 differs from the hash recorded earlier "
                                f"in this case ({', '.join(sorted(earlier))})")
        entry = custody.record_open(
            segment, hashes, segment.stat().st_mtime, status=CONTAINER_STATUS, parser=f"{CONTAINER_PARSER}{kind}",
            container=str(path.resolve()), segment=number, segments=len(segments),
            stored_hashes=stored or None, volumes=volumes or None, problems=problems or None,
            notes=[n for n in report.notes if n.startswith("EVIDENCE CHANGED")] or None,
            evidence_found=found, error=report.error or None,
        )
        if number == 1:
            report.custody_seq = entry["seq"]


def parse_member(container: Container, member: Member, path: Path, options: LoadOptions, report: FileReport,
                 on_bytes: Callable[[int, int], None], cancelled: Callable[[], bool]) -> pd.DataFrame:
    """Parse one inner file from a hashing stream (the bytes parsed are the bytes hashed)."""
    from forensics.ingest import parse_reader

    report.notes += member.notes
    stream, size = container.open_member(member)
    if size == 0:
        stream.close()
        raise EvidenceError(f"{member.display}: file is empty")
    mtime = _epoch(member.times.get("si_modified", ""))
    with HashingReader(path, progress=on_bytes, stream=stream, size=size, mtime=mtime) as reader:
        return parse_reader(reader, path, options, report, cancelled)


def _epoch(iso: str) -> float:
    if not iso:
        return 0.0
    from datetime import datetime

    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def member_recorder(custody: CustodyLog, container: Container, member: Member) -> Callable[..., dict[str, Any]]:
    """A ``record_open`` for one inner file: its hashes plus the container's and its place."""
    container_sha = container.sha256

    def record(path: Path, hashes: FileHashes, mtime: float, **fields: Any) -> dict[str, Any]:
        return custody.append(
            MEMBER_OPENED, path=member_key(container, member), size=hashes.size,
            sha256=hashes.sha256, sha1=hashes.sha1, md5=hashes.md5,
            container=str(container.path.resolve()), container_kind=container.kind,
            container_sha256=container_sha, location=member.location or None, detected=member.detected or None,
            **member.custody_fields(), **fields,
        )

    return record


def member_earlier_hashes(custody: CustodyLog, container: Container, member: Member) -> set[str]:
    key = member_key(container, member)
    return {e["sha256"] for e in custody.entries()
            if e.get("kind") == MEMBER_OPENED and e.get("path") == key and isinstance(e.get("sha256"), str)}


def log_unread_member(custody: CustodyLog, container: Container, member: Member, report: FileReport) -> dict[str, Any]:
    """An inner file that could not be read at all (encrypted, bomb, damaged): logged with why."""
    return custody.append(
        MEMBER_UNREAD, path=member_key(container, member), container=str(container.path.resolve()),
        container_sha256=container.sha256, size=member.size, status="failed",
        error=report.error or member.problem or None, **member.custody_fields(),
    )
