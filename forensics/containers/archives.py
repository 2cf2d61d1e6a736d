"""Triage collections: zip (KAPE, Velociraptor, a plain zip of the log folders) and tar.

Members are read with the standard library's ``zipfile``/``tarfile`` as streams, never
extracted. Hostile archives are refused member by member: an encrypted member (flag bit 0,
APPNOTE 4.4.4) is named, not guessed at; a member whose declared size or compression ratio
looks like a zip bomb is refused before a byte is inflated, and the stream stops at the
declared size in any case (``zipfile`` enforces it and checks the CRC).
"""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path
from typing import IO, Any

from forensics.containers.members import Member, logical_path, unsafe_name

#: one member may not inflate past this (the largest Exchange logs are a few GiB)
MAX_MEMBER_BYTES = 16 << 30
#: above this size, a member compressed more than MAX_RATIO:1 is taken for a bomb
RATIO_MIN_BYTES = 64 << 20
MAX_RATIO = 200  # real logs deflate 5-30:1; zero-filled unflushed evtx pages more, but rarely past 64 MiB
#: all members together (what a load could inflate)
MAX_TOTAL_BYTES = 256 << 30
MAX_MEMBERS = 1_000_000


def _bomb(size: int, packed: int) -> str:
    if size > MAX_MEMBER_BYTES:
        return f"declares {size:,} bytes uncompressed, over the {MAX_MEMBER_BYTES:,}-byte limit (zip bomb?); not read"
    if size > RATIO_MIN_BYTES and size > MAX_RATIO * max(packed, 1):
        return (f"compressed {size / max(packed, 1):,.0f}:1 ({packed:,} bytes to {size:,}), over the {MAX_RATIO}:1 "
                "limit (zip bomb?); not read")
    return ""


class ZipCollection:
    """A zip's regular members, readable one stream at a time."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self._fh = open(path, "rb")  # noqa: SIM115 - closed in close()
        try:
            self._zip = zipfile.ZipFile(self._fh)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            self._fh.close()
            raise OSError(f"not a readable zip (truncated or damaged central directory): {exc}") from exc
        self._infos: dict[str, zipfile.ZipInfo] = {}

    def members(self, problems: list[str]) -> list[Member]:
        out: list[Member] = []
        total = 0
        infos = self._zip.infolist()
        if len(infos) > MAX_MEMBERS:
            problems.append(f"{len(infos):,} members; only the first {MAX_MEMBERS:,} were listed")
        for info in infos[:MAX_MEMBERS]:
            if info.is_dir():
                continue
            member = Member(container=self.path.name, inner=info.filename, logical=logical_path(info.filename),
                            size=info.file_size)
            odd = unsafe_name(info.filename)
            if odd:
                member.notes.append(f"unsafe member name ({odd}); read in place, nothing extracted")
            if info.flag_bits & 0x1:
                member.problem = "encrypted (password-protected zip member); not read"
            else:
                member.problem = _bomb(info.file_size, info.compress_size)
                if not member.problem:
                    total += info.file_size
                    if total > MAX_TOTAL_BYTES:
                        member.problem = f"the archive's members inflate past {MAX_TOTAL_BYTES:,} bytes in all (zip bomb?); not read"
            self._infos[info.filename] = info
            out.append(member)
        return out

    def open(self, member: Member) -> tuple[IO[bytes], int]:
        info = self._infos[member.inner]
        return self._zip.open(info, "r"), info.file_size

    def close(self) -> None:
        self._zip.close()
        self._fh.close()


class TarCollection:
    """A tar (plain or compressed, as ``tarfile`` detects) read as a random-access list."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        try:
            self._tar = tarfile.open(path, "r:*")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise OSError(f"not a readable tar: {exc}") from exc
        self._infos: dict[str, tarfile.TarInfo] = {}

    def members(self, problems: list[str]) -> list[Member]:
        out: list[Member] = []
        try:
            infos = self._tar.getmembers()
        except (tarfile.TarError, OSError, EOFError) as exc:  # truncated: keep what was listed
            problems.append(f"tar listing stopped early (truncated or damaged): {exc}")
            infos = list(self._tar.members)
        for info in infos[:MAX_MEMBERS]:
            if not info.isfile():
                continue
            member = Member(container=self.path.name, inner=info.name, logical=logical_path(info.name), size=info.size)
            odd = unsafe_name(info.name)
            if odd:
                member.notes.append(f"unsafe member name ({odd}); read in place, nothing extracted")
            self._infos[info.name] = info
            out.append(member)
        return out

    def open(self, member: Member) -> tuple[Any, int]:
        info = self._infos[member.inner]
        stream = self._tar.extractfile(info)  # a read-only view of the archive, not a file on disk
        if stream is None:
            raise OSError("not a regular member")
        return stream, info.size

    def close(self) -> None:
        self._tar.close()
