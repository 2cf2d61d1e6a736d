"""Append-only, hash-chained JSON-lines custody log kept in the case folder.

Every entry carries ``prev``: the SHA-256 of the previous entry's exact line (64 zeros for
the first). Editing, deleting or reordering any entry breaks the chain at a known place,
and ``verify`` names it. Evidence entries also record the file hashes, so ``verify`` can
re-hash every file and name the ones that changed or vanished.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from forensics import __version__
from forensics.custody.hashing import FileHashes, hash_file
from forensics.errors import CustodyError, EvidenceError
from forensics.safe_io import (
    MAX_CASE_JSON, MAX_CUSTODY_LOG, UnsafePathError, append_bytes, atomic_write, open_lock_file, read_bounded,
    refuse_link,
)

LOG_NAME = "custody.jsonl"
HEAD_NAME = "custody.head.json"  # entry count + last entry hash: cutting the log's tail shows
GENESIS = "0" * 64


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def line_hash(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def default_examiner() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name on some hosts
        return "unknown"


class _FileLock:
    """An exclusive, blocking lock on a small lock file (fcntl on POSIX, msvcrt on Windows)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: Any = None

    def __enter__(self) -> "_FileLock":
        self._fh = open(open_lock_file(self.path, "custody lock file"), "a+b")  # noqa: SIM115 - closed in __exit__
        if os.name == "nt":
            import msvcrt

            self._fh.seek(0)
            msvcrt.locking(self._fh.fileno(), msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if os.name == "nt":
                import msvcrt

                self._fh.seek(0)
                msvcrt.locking(self._fh.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
        finally:
            self._fh.close()


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    chain_problems: list[str] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)
    files_ok: list[str] = field(default_factory=list)

    def describe(self) -> str:
        lines = [f"custody log: {self.entries} entries"]
        lines += [f"CHAIN BROKEN: {p}" for p in self.chain_problems]
        lines += [f"EVIDENCE MISMATCH: {p}" for p in self.file_problems]
        lines += [f"ok: {p}" for p in self.files_ok]
        lines.append("VERIFIED" if self.ok else "VERIFICATION FAILED")
        return "\n".join(lines)


class CustodyLog:
    """The custody log of one case. ``path=None`` keeps entries in memory only."""

    def __init__(self, case_dir: str | os.PathLike[str] | None, examiner: str | None = None) -> None:
        self.case_dir = Path(case_dir) if case_dir is not None else None
        self.path = self.case_dir / LOG_NAME if self.case_dir is not None else None
        self.head_path = self.case_dir / HEAD_NAME if self.case_dir is not None else None
        self.examiner = examiner or default_examiner()
        self._memory: list[str] = []

    # -- reading ----------------------------------------------------------------------
    def lines(self) -> list[str]:
        if self.path is None:
            return list(self._memory)
        if not os.path.lexists(self.path):
            return []
        try:
            text = read_bounded(self.path, MAX_CUSTODY_LOG, "custody log").decode("utf-8")
        except UnsafePathError as exc:
            raise CustodyError(str(exc)) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise CustodyError(f"cannot read custody log {self.path}: {exc}") from exc
        return [line for line in text.split("\n") if line]

    def entries(self) -> list[dict[str, Any]]:
        out = []
        for number, line in enumerate(self.lines(), start=1):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                out.append({"seq": number, "kind": "unreadable", "raw": line})
        return out

    def head(self) -> str:
        """SHA-256 of the last entry (what reports quote), or the genesis value."""
        lines = self.lines()
        return line_hash(lines[-1]) if lines else GENESIS

    # -- writing ----------------------------------------------------------------------
    def append(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Append one entry. Read-chain-write happens under a lock so two writers (GUI and
        CLI on the same case) can never fork the chain."""
        if self.path is None:
            return self._append_locked(kind, fields)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with _FileLock(self.path.with_name(LOG_NAME + ".lock")):
                return self._append_locked(kind, fields)
        except UnsafePathError as exc:  # a planted lock-file link or FIFO
            raise CustodyError(str(exc)) from exc
        except OSError as exc:
            raise CustodyError(f"cannot write custody log {self.path}: {exc}") from exc

    def _append_locked(self, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
        lines = self.lines()
        entry: dict[str, Any] = {
            "seq": len(lines) + 1,
            "kind": kind,
            "time": utc_now(),
            "examiner": self.examiner,
            "host": socket.gethostname(),
            "tool": f"mailbox-audit {__version__}",
            **fields,
            "prev": line_hash(lines[-1]) if lines else GENESIS,
        }
        line = json.dumps(entry, sort_keys=False, ensure_ascii=False, default=str)
        if self.path is None:
            self._memory.append(line)
            return entry
        try:
            refuse_link(self.head_path, "custody head file")  # refused before the log grows past its head
            append_bytes(self.path, (line + "\n").encode("utf-8"), "custody log")  # never through a link
        except UnsafePathError as exc:
            raise CustodyError(str(exc)) from exc
        self._write_head(len(lines) + 1, line_hash(line))
        return entry

    def _write_head(self, entries: int, last_hash: str) -> None:
        assert self.head_path is not None
        try:  # exclusive temp file + rename: a planted custody.head.json(.tmp) link is never followed
            atomic_write(self.head_path, (json.dumps({"entries": entries, "last_hash": last_hash}) + "\n").encode("utf-8"),
                         "custody head file")
        except UnsafePathError as exc:
            raise CustodyError(str(exc)) from exc

    def _head_problems(self, lines: list[str]) -> list[str]:
        if self.head_path is None or not os.path.lexists(self.head_path):
            return []
        try:
            head = json.loads(read_bounded(self.head_path, MAX_CASE_JSON, "custody head file"))
            count, last = int(head["entries"]), str(head["last_hash"])
        except UnsafePathError as exc:
            return [str(exc)]
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return [f"{HEAD_NAME} is unreadable (edited?)"]
        if len(lines) < count:
            return [f"custody log has {len(lines)} entries but {count} were written: entries were removed from its end"]
        if count and line_hash(lines[count - 1]) != last:
            return [f"entry {count}: differs from the last entry recorded in {HEAD_NAME}"]
        if len(lines) > count:
            return [f"custody log has {len(lines) - count} entries after entry {count} that were not written by this tool"]
        return []

    def record_open(
        self, path: Path, hashes: FileHashes, mtime: float, **fields: Any
    ) -> dict[str, Any]:
        return self.append(
            "evidence-opened",
            path=str(path.resolve()),
            size=hashes.size,
            mtime=datetime.fromtimestamp(mtime, timezone.utc).isoformat().replace("+00:00", "Z"),
            sha256=hashes.sha256,
            sha1=hashes.sha1,
            md5=hashes.md5,
            **fields,
        )

    def earlier_hashes(self, path: Path) -> set[str]:
        """SHA-256 values this case has recorded for ``path`` before."""
        resolved = str(path.resolve())
        return {
            e["sha256"]
            for e in self.entries()
            if e.get("kind") == "evidence-opened" and e.get("path") == resolved and "sha256" in e
        }

    # -- verification -----------------------------------------------------------------
    def verify_chain(self) -> list[str]:
        problems: list[str] = []
        prev = GENESIS
        for number, line in enumerate(self.lines(), start=1):
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                problems.append(f"entry {number}: not valid JSON (edited or truncated)")
                prev = line_hash(line)
                continue
            if entry.get("seq") != number:
                problems.append(f"entry {number}: sequence number {entry.get('seq')} (entries deleted or reordered)")
            if entry.get("prev") != prev:
                problems.append(
                    f"entry {number}: previous-entry hash does not match entry {number - 1} "
                    "(an earlier entry was edited, deleted or reordered)"
                )
            prev = line_hash(line)
        return problems + self._head_problems(self.lines())

    def verify(self, rehash: bool = True) -> VerifyResult:
        """Check the chain, then re-hash every evidence file against its latest entry."""
        entries = self.entries()
        result = VerifyResult(ok=True, entries=len(entries), chain_problems=self.verify_chain())
        if rehash:
            latest: dict[str, dict[str, Any]] = {}
            for e in entries:
                if e.get("kind") == "evidence-opened" and "path" in e:
                    latest[e["path"]] = e
            for path, e in latest.items():
                try:
                    now = hash_file(path)
                except EvidenceError as exc:
                    result.file_problems.append(f"{path}: {exc} (entry {e.get('seq')})")
                    continue
                if now.sha256 != e.get("sha256"):
                    result.file_problems.append(
                        f"{path}: SHA-256 {now.sha256} differs from {e.get('sha256')} recorded in entry {e.get('seq')}"
                    )
                else:
                    result.files_ok.append(f"{path} sha256 {now.sha256[:16]}…")
        result.ok = not result.chain_problems and not result.file_problems
        return result
