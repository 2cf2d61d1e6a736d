"""The raw record behind a row read from inside a container (the detail view).

Parsers fetch raw records by path; an inner file has none, so it is copied to a private
temporary folder (owner-only, outside the case and the evidence), read there, and deleted
at once. Documented in docs/containers.md: this is the one place bytes of an inner file
touch the disk, and only for the file whose record is shown.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from forensics.containers.recheck import locate
from forensics.containers.session import open_container


def member_raw_record(container_path: Path, inner: str, parser: Any, raw_ref: int | None,
                      record_id: int | None) -> str:
    with open_container(container_path) as container:
        member = container.find(inner) if container.kind in ("zip", "tar") else locate(inner, container.path.name)
        if member is None:
            raise FileNotFoundError(inner)
        stream, _ = container.open_member(member)
        with tempfile.TemporaryDirectory(prefix="mailbox-audit-raw-") as folder:
            spool = Path(folder) / Path(member.logical).name
            with stream, open(spool, "wb") as out:
                shutil.copyfileobj(stream, out, 1 << 20)
            return parser.raw_record(spool, raw_ref, record_id)
