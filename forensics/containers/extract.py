"""``load --extract``: copies of the inner files, into the case folder, when the examiner
asks for them (to open in another tool). Nothing else is ever extracted.

Each copy goes to ``<case>/extracted/<container file name>/<server path>`` (every part of
the path sanitised: no ``..``, no drive, no absolute root, no link followed), is written
through an exclusively created file, hashed as it is written, compared with the hash the
load recorded for that inner file, and logged (``member-extracted``) with both paths.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from forensics.containers.recheck import locate
from forensics.containers.session import open_container
from forensics.custody.log import CustodyLog
from forensics.errors import EvidenceError
from forensics.safe_io import UnsafePathError, refuse_linked_folder

EXTRACTED = "extracted"
_UNSAFE = re.compile(r'[<>:"|?*\x00-\x1f]')


def _safe_parts(text: str) -> list[str]:
    parts = [p for p in text.replace("\\", "/").split("/") if p not in ("", ".", "..")]
    return [_UNSAFE.sub("_", p).rstrip(" .") or "_" for p in parts]


def target_path(case_dir: Path, container: str, logical: str) -> Path:
    return case_dir.joinpath(EXTRACTED, *_safe_parts(Path(container).name), *_safe_parts(logical))


def extract_loaded(case_dir: Path, custody: CustodyLog, reports: list[Any]) -> list[str]:
    """Copy every inner file ``reports`` loaded from a container; one line per file."""
    lines: list[str] = []
    for report in reports:
        if not report.container or report.hashes is None or report.status not in ("loaded", "duplicate"):
            continue
        container_path, inner = str(report.path).split("!", 1)
        try:
            lines.append(_extract_one(case_dir, custody, Path(report.container), inner, report.hashes.sha256))
        except (EvidenceError, UnsafePathError, OSError) as exc:
            message = exc.user_message if isinstance(exc, EvidenceError) else str(exc)
            lines.append(f"not extracted: {report.path}: {message}")
    return lines


def _extract_one(case_dir: Path, custody: CustodyLog, container_path: Path, inner: str, expected: str) -> str:
    with open_container(container_path) as container:
        member = container.find(inner) if container.kind in ("zip", "tar") else locate(inner, container.path.name)
        if member is None:
            raise EvidenceError(f"{inner}: no longer in {container_path.name}")
        target = target_path(case_dir, container_path.name, member.logical or inner)
        folder = case_dir / EXTRACTED
        for parent in [folder, *reversed(target.parents)]:
            if case_dir in parent.parents or parent == folder:
                refuse_linked_folder(parent, "extraction folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(target):
            raise EvidenceError(f"{target}: already exists; not overwritten")
        stream, _ = container.open_member(member)
        sha256 = hashlib.sha256()
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        with stream, open(os.open(target, flags, 0o600), "wb") as out:
            while block := stream.read(1 << 20):
                sha256.update(block)
                out.write(block)
    digest = sha256.hexdigest()
    if digest != expected:
        target.unlink()
        raise EvidenceError(f"{inner}: read {digest} while extracting, not the {expected} the load recorded; copy removed")
    custody.append("member-extracted", path=f"{container_path.resolve()}!{inner}", copy=str(target.resolve()),
                   sha256=digest, note="copy made at the examiner's request (load --extract); rows were read from "
                                       "the container, not from this copy")
    return f"extracted: {target} (sha256 {digest[:16]}…, equal to the inner file's)"
