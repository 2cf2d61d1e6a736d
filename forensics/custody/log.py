"""Append-only, hash-chained, signed JSON-lines custody log kept in the case folder.

Every entry carries ``prev``: the SHA-256 of the previous entry's exact line (64 zeros for
the first). Editing, deleting or reordering any entry breaks the chain at a known place,
and ``verify`` names it. A case-folder log also signs every entry, and its head, with the
examiner's Ed25519 key (``signing``), so a chain recomputed without that key fails too;
the first entry a key signs is an ``examiner-key`` entry carrying its public key. Evidence
entries record the file hashes, so ``verify`` can re-hash every file against the first
hash recorded for it (``history``).
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from forensics import __version__
from forensics.custody import signing
from forensics.custody.chain import (
    GENESIS,
    HEAD_NAME,
    KEY_KIND,
    head_message,
    line_hash,
    remember_signed,
    signed_line,
)
from forensics.custody.hashing import FileHashes
from forensics.custody.history import ACKNOWLEDGED, FileHistory, acknowledgeable, histories
from forensics.custody.verify import VerifyResult, verify_log
from forensics.errors import CustodyError
from forensics.safe_io import (
    MAX_CUSTODY_LOG, UnsafePathError, append_bytes, atomic_write, open_lock_file, read_bounded, refuse_link,
)

LOG_NAME = "custody.jsonl"
#: bounds the head file read (it holds two numbers, a fingerprint and a signature)
MAX_HEAD_BYTES = 4096

__all__ = ["GENESIS", "HEAD_NAME", "LOG_NAME", "CustodyLog", "VerifyResult", "line_hash", "utc_now"]


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


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


class CustodyLog:
    """The custody log of one case. ``path=None`` keeps entries in memory only."""

    def __init__(
        self,
        case_dir: str | os.PathLike[str] | None,
        examiner: str | None = None,
        *,
        sign: bool = True,
        key_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        self.case_dir = Path(case_dir) if case_dir is not None else None
        self.path = self.case_dir / LOG_NAME if self.case_dir is not None else None
        self.head_path = self.case_dir / HEAD_NAME if self.case_dir is not None else None
        self.examiner = examiner or default_examiner()
        self._memory: list[str] = []
        #: case-folder logs are signed; an in-memory log (no case) is not kept, so not signed
        self.sign = sign and self.case_dir is not None
        self._key_dir = Path(key_dir) if key_dir is not None else None
        self._key: signing.ExaminerKey | None = None

    # -- the examiner key ---------------------------------------------------------------
    def signing_key(self) -> signing.ExaminerKey | None:
        """The key this log signs with (created on first use), ``None`` when unsigned."""
        if not self.sign or self.case_dir is None:
            return None
        if self._key is None:
            signing.check_outside(self.case_dir, self._key_dir)
            self._key = signing.load_key(create=True, directory=self._key_dir)
        return self._key

    @property
    def key_fingerprint(self) -> str:
        """Fingerprint of the key new entries are signed with ("" when unsigned)."""
        key = self.signing_key()
        return key.fingerprint if key is not None else ""

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
                entry = json.loads(line)
                if not isinstance(entry, dict):
                    raise ValueError("not an object")
                out.append(entry)
            except (ValueError, RecursionError):  # edited: a hostile line is data, never a crash
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
        key = self.signing_key()
        new: list[str] = []
        if key is not None and not _introduces(lines, key.fingerprint):
            # the key's public half goes into the log first, signed by itself, so every
            # later signature can be checked by anyone holding only the case folder
            new.append(self._line(KEY_KIND, {"algorithm": signing.ALGORITHM, "public_key": key.public_hex,
                                             "note": "examiner key: entries from here on signed with it"},
                                  lines, key)[1])
        entry, line = self._line(kind, fields, lines + new, key)
        new.append(line)
        if self.path is None:
            self._memory.extend(new)
            return entry
        try:
            refuse_link(self.head_path, "custody head file")  # refused before the log grows past its head
            append_bytes(self.path, "".join(n + "\n" for n in new).encode("utf-8"), "custody log")  # never through a link
        except UnsafePathError as exc:
            raise CustodyError(str(exc)) from exc
        self._write_head(len(lines) + len(new), line_hash(line))
        return entry

    def _line(self, kind: str, fields: dict[str, Any], lines: list[str],
              key: signing.ExaminerKey | None) -> tuple[dict[str, Any], str]:
        """One entry and its exact line (signed over every byte before the signature)."""
        entry: dict[str, Any] = {
            "seq": len(lines) + 1,
            "kind": kind,
            "time": utc_now(),
            "examiner": self.examiner,
            "host": socket.gethostname(),
            "tool": f"mailbox-audit {__version__}",
            **fields,
        }
        if key is not None:
            entry["key"] = key.fingerprint
        entry["prev"] = line_hash(lines[-1]) if lines else GENESIS
        body = json.dumps(entry, sort_keys=False, ensure_ascii=False, default=str)
        if key is None:
            return entry, body
        signature = key.sign(body.encode("utf-8"))
        entry["sig"] = signature
        line = signed_line(body, signature)
        remember_signed(line, key.public_hex)
        return entry, line

    def signed_head(self, lines: list[str] | None = None) -> dict[str, Any]:
        """Entry count and last entry hash, signed when the log is: what ``custody.head.json``
        and ``case.json`` record, so a cut tail or a rewritten head shows."""
        lines = self.lines() if lines is None else lines
        head: dict[str, Any] = {"entries": len(lines), "last_hash": line_hash(lines[-1]) if lines else GENESIS}
        key = self.signing_key() if lines else None
        if key is not None and _introduces(lines, key.fingerprint):
            head["key"] = key.fingerprint
            head["sig"] = key.sign(head_message(head["entries"], head["last_hash"]))
        return head

    def _write_head(self, entries: int, last_hash: str) -> None:
        assert self.head_path is not None
        head: dict[str, Any] = {"entries": entries, "last_hash": last_hash}
        key = self.signing_key()
        if key is not None:
            head["key"] = key.fingerprint
            head["sig"] = key.sign(head_message(entries, last_hash))
        try:  # exclusive temp file + rename: a planted custody.head.json(.tmp) link is never followed
            atomic_write(self.head_path, (json.dumps(head) + "\n").encode("utf-8"), "custody head file")
        except UnsafePathError as exc:
            raise CustodyError(str(exc)) from exc

    def read_head(self) -> Any:
        """The parsed ``custody.head.json``; ``None`` when missing, ``{}`` when unreadable."""
        if self.head_path is None or not os.path.lexists(self.head_path):
            return None
        try:  # bounded, never through a link or from a FIFO/device
            data = read_bounded(self.head_path, MAX_HEAD_BYTES, "custody head file")
            head = json.loads(data.decode("utf-8"))
        except (OSError, ValueError, RecursionError, UnsafePathError):
            return {}
        return head if isinstance(head, dict) else {}

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


    def histories(self) -> dict[str, FileHistory]:
        """Per evidence path: first recorded hash, later changes, acknowledgements."""
        return histories(self.entries())

    def acknowledge(self, entry: int, reason: str) -> dict[str, Any]:
        """Record the examiner's explicit acknowledgement of a mismatch entry (or of a later
        entry that recorded a different hash). Reports print it; ``verify`` then accepts
        that entry's hash for that file. Refused for any other entry, or without a reason."""
        reason = reason.strip()
        if not reason:
            raise CustodyError("an acknowledgement needs a reason (what happened to the evidence, and why it is accepted)")
        entries = self.entries()
        if not 1 <= entry <= len(entries):
            raise CustodyError(f"the custody log has no entry {entry} (it has {len(entries)})")
        target = entries[entry - 1]
        path = target.get("path")
        history = self.histories().get(path) if isinstance(path, str) else None
        if history is None or not acknowledgeable(target, history.first):
            raise CustodyError(
                f"entry {entry} ({target.get('kind', '?')}) is not an evidence mismatch; only evidence-mismatch "
                "entries, and evidence entries that recorded a hash other than the first, can be acknowledged"
            )
        sha = target.get("current_sha256") if target.get("kind") == "evidence-mismatch" else target.get("sha256")
        already = [a for a in history.acks if a.entry == entry]
        if already:
            raise CustodyError(f"entry {entry} was already acknowledged by entry {already[0].seq}")
        return self.append(ACKNOWLEDGED, entry=entry, entry_time=target.get("time"), entry_kind=target.get("kind"),
                           path=path, sha256=sha or None, first_sha256=history.first.sha256 if history.first else None,
                           reason=reason)

    # -- verification -----------------------------------------------------------------
    def verify_chain(self, recorded_head: Any = None, where: str = "") -> list[str]:
        """Chain, signatures and head file; ``recorded_head`` (case.json's) is checked too
        when given, under the name ``where``."""
        result = verify_log(self.lines(), self.read_head(), rehash=False, files=False,
                            head_kept=self.head_path is not None,
                            recorded_head=recorded_head, recorded_where=where or None)
        return result.chain_problems

    def verify(
        self,
        rehash: bool = True,
        *,
        recorded_head: Any = None,
        recorded_where: str | None = None,
        expect_head: str | None = None,
        expect_keys: list[str] | None = None,
    ) -> VerifyResult:
        """Chain, signatures, heads, then every evidence file against its first recorded hash."""
        return verify_log(self.lines(), self.read_head(), rehash=rehash, head_kept=self.head_path is not None,
                          recorded_head=recorded_head,
                          recorded_where=recorded_where, expect_head=expect_head, expect_keys=expect_keys or [])


def _introduces(lines: list[str], fingerprint: str) -> bool:
    """Whether an examiner-key entry for ``fingerprint`` is already in the log (a cheap text
    test; ``verify`` checks the entry properly)."""
    needle = f'"key": "{fingerprint}"'
    kind = f'"kind": "{KEY_KIND}"'
    return any(kind in line and needle in line for line in lines)
