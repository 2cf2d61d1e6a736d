"""``verify`` for a file inside a container: open the container read-only again, re-read
the inner file by the path custody recorded, and hash it (nothing extracted)."""

from __future__ import annotations

import os

from forensics.containers.members import Member
from forensics.containers.session import open_container
from forensics.custody.hashing import BLOCK, FileHashes, HashingReader
from forensics.errors import EvidenceError


def locate(inner: str, container_name: str) -> Member:
    """A member from its recorded inner path (``p2:/Windows/...``, ``/Windows/...`` or an
    archive member name), without walking the whole container."""
    partition = None
    path = inner
    if inner.startswith("p") and ":" in inner and inner[1:inner.index(":")].isdigit():
        partition, path = int(inner[1:inner.index(":")]), inner.split(":", 1)[1]
    elif inner.startswith("/"):
        partition = 0
    return Member(container=container_name, inner=inner, logical=path.lstrip("/"), size=0, partition=partition)


def rehash_member(container_path: str, inner: str) -> tuple[FileHashes | None, str]:
    """(hashes, "") or (None, why it could not be re-read)."""
    if not os.path.isfile(container_path):
        return None, f"its container {container_path} is missing"
    try:
        with open_container(container_path) as container:
            if container.kind in ("zip", "tar"):
                member = container.find(inner)
                if member is None:
                    return None, f"no member {inner!r} in {container.path.name} any more"
            else:
                member = locate(inner, container.path.name)
            stream, size = container.open_member(member)
            with HashingReader(member.display, stream=stream, size=size) as reader:
                while reader.read(BLOCK):
                    pass
                return reader.finish(), ""
    except EvidenceError as exc:
        return None, f"cannot be re-read from its container: {exc.user_message}"
