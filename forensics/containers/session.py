"""An opened container: what it is made of, what it holds, and read-only streams of it.

``open_container`` detects the kind by content, opens disk images through ``images`` and
``filesystems`` and collections through ``archives``. ``evidence`` lists the members a
load takes: those in a known Exchange/Windows log location, and those whose first bytes a
parser claims (``forensics.parsers.registry.detect``, bounded to ``MAX_SNIFFED`` files with
an extension a parser reads). ``open_member`` gives a forward stream the ingest hashes as
it parses: nothing is written to disk.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from forensics.containers import archives
from forensics.containers.detect import ARCHIVE_KINDS, container_kind
from forensics.containers.members import Member, known_location, matches
from forensics.errors import EvidenceError, UnsupportedFormatError

#: at most this many files outside the known locations are sniffed (each costs one read)
MAX_SNIFFED = 50_000
SNIFF_BYTES = 65536


class ContainerError(EvidenceError):
    """The container cannot be opened at all (its inner files are then not read)."""


class _TskStream(io.RawIOBase):
    """Forward reads of one file inside a file system (TSK ``read_random``)."""

    def __init__(self, handle: Any, size: int, name: str) -> None:
        super().__init__()
        self._handle, self._size, self._pos, self._name = handle, size, 0, name

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        left = self._size - self._pos
        n = left if n is None or n < 0 else min(n, left)
        if n <= 0:
            return b""
        try:
            data = self._handle.read_random(self._pos, n)
        except (OSError, IOError) as exc:
            raise EvidenceError(f"{self._name}: read failed at offset {self._pos:,} of {self._size:,} "
                                f"(truncated image or damaged run list?): {str(exc).strip()[:160]}") from exc
        if not data:
            raise EvidenceError(f"{self._name}: no data at offset {self._pos:,} of {self._size:,} (truncated image?)")
        self._pos += len(data)
        return data

    def readinto(self, buffer: Any) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class Container:
    """One image or collection, open read-only until ``close``."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path = path
        self.kind = kind
        self.problems: list[str] = []  # container-level messages (each names what and why)
        self.stored_hashes: dict[str, str] = {}
        self.segments: list[Path] = [path]
        self._img: Any = None
        self._volumes: list[Any] = []  # filesystems.Volume
        self._archive: Any = None
        self._members: list[Member] | None = None
        self.sha256: str | None = None  # of the first file, once custody hashed it

    # -- opening ---------------------------------------------------------------------
    def _open(self) -> None:
        if self.kind in ARCHIVE_KINDS:
            cls = archives.ZipCollection if self.kind == "zip" else archives.TarCollection
            try:
                self._archive = cls(self.path, self.problems)
            except OSError as exc:
                raise ContainerError(f"{self.path.name}: {exc}") from exc
            return
        try:  # imported here: a collection needs no disk-image library, and a missing one is a message
            from forensics.containers import filesystems, images
        except ImportError as exc:
            raise ContainerError(f"{self.path.name}: disk images need The Sleuth Kit bindings (pytsk3), which "
                                 f"are not installed: {exc}") from exc
        self.segments = images.segments(self.kind, self.path)
        self._img, self.stored_hashes = images.open_image(self.kind, self.path, self.segments)
        self._volumes = filesystems.volumes(self._img, self.problems)
        size = self._img.get_size()
        self.problems[:0] = self.read_problems()  # the cause first, its consequences after
        for vol in self._volumes:
            end = vol.offset + vol.fs.info.block_count * vol.fs.info.block_size
            if end > size:
                self.problems.append(f"partition {vol.index}: its {vol.fs_type} file system ends at byte {end:,} but "
                                     f"the image holds {size:,} (truncated image): files past the end cannot be read")

    def read_problems(self) -> list[str]:
        """The image library's read failures, as one line ("" problems when none)."""
        img = self._img
        if img is None or not getattr(img, "read_errors", 0):
            return []
        return [f"{img.read_errors:,} read(s) of the {self.kind.upper()} image failed (truncated, damaged or missing "
                f"segment?); first: {'; '.join(dict.fromkeys(img.first_errors))}"]

    @property
    def volumes(self) -> list[str]:
        return [f"p{v.index} {v.fs_type} at offset {v.offset:,}" for v in self._volumes]

    # -- listing ---------------------------------------------------------------------
    def members(self) -> list[Member]:
        """Every regular file the container holds (cached)."""
        if self._members is None:
            if self._archive is not None:
                found = self._archive.members(self.problems)
            else:
                from forensics.containers import filesystems

                found = [m for vol in self._volumes for m in filesystems.walk(vol, self.path.name, self.problems)]
            found.sort(key=lambda m: (m.partition or 0, m.inner.lower(), m.inner))  # a stable, readable order
            for member in found:
                member.location = known_location(member.logical)
            self._members = found
        return self._members

    def evidence(self, select: list[str] | None = None,
                 cancelled: Callable[[], bool] = lambda: False) -> list[Member]:
        """The members a load takes (known location or claimed by a parser), narrowed by
        ``--select`` globs when given."""
        from forensics.parsers import registry

        claimed = registry.supported_extensions() | {".evt"}
        out: list[Member] = []
        sniffed = 0
        for member in self.members():
            if cancelled():
                break
            if select and not matches(member, select):
                continue
            if member.location:
                out.append(member)
                continue
            if member.problem or member.size == 0 or Path(member.logical).suffix.lower() not in claimed:
                continue
            if sniffed >= MAX_SNIFFED:
                if sniffed == MAX_SNIFFED:
                    self.problems.append(f"content detection stopped after {MAX_SNIFFED:,} files; files outside the "
                                         "known locations past that were not examined (use --select to name them)")
                    sniffed += 1
                continue
            sniffed += 1
            member.detected = self._sniff(member, registry)
            if member.detected or member.problem:  # unreadable: listed and reported, never silently left out
                out.append(member)
        return out

    def _sniff(self, member: Member, registry: Any) -> str:
        try:
            stream, _ = self.open_member(member)
            try:
                head = stream.read(SNIFF_BYTES)
            finally:
                stream.close()
            return registry.detect(head, Path(member.logical)).name
        except UnsupportedFormatError:
            return ""
        except (EvidenceError, OSError, RuntimeError) as exc:
            message = exc.user_message if isinstance(exc, EvidenceError) else str(exc)
            member.problem = f"its first bytes cannot be read, so whether it is evidence is unknown: {message}"
            return ""
        except Exception:  # noqa: BLE001 - a hostile member must not stop the listing
            return ""

    # -- reading ---------------------------------------------------------------------
    def open_member(self, member: Member) -> tuple[IO[bytes], int]:
        """A forward-only read-only stream of the member, and its size."""
        if member.problem:
            raise EvidenceError(f"{member.display}: {member.problem}")
        if self._archive is not None:
            try:
                return self._archive.open(member)
            except (OSError, RuntimeError, NotImplementedError, KeyError) as exc:  # RuntimeError: encrypted
                raise EvidenceError(f"{member.display}: cannot be read from the archive: {exc}") from exc
        volume = next((v for v in self._volumes if v.index == member.partition), None)
        if volume is None:
            raise EvidenceError(f"{member.display}: partition {member.partition} is not in this image")
        path = member.inner.split(":", 1)[1] if member.inner.startswith("p") and ":" in member.inner else member.inner
        try:
            handle = volume.fs.open(path=path)
        except (OSError, IOError) as exc:
            raise EvidenceError(f"{member.display}: cannot be opened in the file system: {str(exc).strip()[:160]}") from exc
        if member.mft_record is not None and int(handle.info.meta.addr) != member.mft_record:
            raise EvidenceError(f"{member.display}: the path now leads to MFT record {handle.info.meta.addr}, "
                                f"not {member.mft_record}")
        size = int(handle.info.meta.size)
        # unbuffered: each read is one read_random of exactly what the caller asks (a sniff
        # reads 64 KiB, the hashing reader 1 MiB blocks), never a larger read-ahead
        return _TskStream(handle, size, member.display), size

    def find(self, inner: str) -> Member | None:
        return next((m for m in self.members() if m.inner == inner), None)

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()
        if self._img is not None:
            self._img.close()
        self._volumes = []

    def __enter__(self) -> "Container":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_container(path: str | os.PathLike[str], kind: str | None = None) -> Container:
    """Open ``path`` read-only as the container its bytes say it is."""
    path = Path(path)
    kind = kind or container_kind(path)
    if kind is None:
        raise ContainerError(f"{path.name}: not a disk image or collection this tool opens "
                             "(E01, raw/dd, VHD, VHDX, VMDK, zip, tar)")
    container = Container(path, kind)
    try:
        container._open()
    except EvidenceError as exc:
        container.close()
        if isinstance(exc, ContainerError):
            raise
        raise ContainerError(exc.user_message) from exc
    return container
