"""``verify``: does the log vouch for itself, and does every file still equal what was first
acquired?

Fails (``VERIFICATION FAILED``) on any chain, signature or head problem, on any file whose
SHA-256 is neither its first recorded hash nor one an examiner acknowledged, and on any
``evidence-mismatch`` (or later differing hash) no acknowledgement covers. A log with no
signature at all (written before signing existed) is never reported as verified: its best
verdict is ``UNSIGNED (legacy)``, because anyone could have recomputed its chain.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from typing import Any

from forensics.custody.chain import HEAD_NAME, check_lines, expectation_problems, head_problems
from forensics.custody.hashing import hash_file
from forensics.safe_io import file_kind
from forensics.custody.history import FileHistory, histories
from forensics.errors import EvidenceError

VERIFIED = "VERIFIED"
UNSIGNED = "UNSIGNED (legacy)"
FAILED = "VERIFICATION FAILED"


@dataclass
class VerifyResult:
    ok: bool
    entries: int
    chain_problems: list[str] = field(default_factory=list)
    file_problems: list[str] = field(default_factory=list)
    case_problems: list[str] = field(default_factory=list)  # case.json claims the log does not back
    #: derived row caches whose bytes differ from the SHA-256 custody recorded (``case.cache``)
    cache_problems: list[str] = field(default_factory=list)
    cache_notes: list[str] = field(default_factory=list)
    files_ok: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # files a logged entry took out of the case
    acknowledgements: list[str] = field(default_factory=list)
    signing: list[str] = field(default_factory=list)  # who signed which entries
    confirmations: list[str] = field(default_factory=list)  # --expect-head / --expect-key that held
    head: str = ""
    signed: bool = False
    keys: list[str] = field(default_factory=list)  # fingerprints of every key that signed

    @property
    def status(self) -> str:
        if self.chain_problems or self.file_problems or self.case_problems or self.cache_problems:
            return FAILED
        if self.entries and not self.signed:
            return UNSIGNED
        return VERIFIED

    def describe(self) -> str:
        lines = [f"custody log: {self.entries} entries; head (SHA-256 of the last entry) {self.head}"]
        lines += self.signing
        lines += [f"CHAIN BROKEN: {p}" for p in self.chain_problems]
        lines += [f"EVIDENCE MISMATCH: {p}" for p in self.file_problems]
        lines += [f"CASE FILE: {p}" for p in self.case_problems]
        lines += [f"CACHE MISMATCH: {p}" for p in self.cache_problems]
        lines += [f"cache note: {n}" for n in self.cache_notes]
        lines += [f"acknowledged: {a}" for a in self.acknowledgements]
        lines += [f"confirmed: {c}" for c in self.confirmations]
        lines += [f"ok: {p}" for p in self.files_ok]
        lines += [f"removed: {p}" for p in self.removed]
        lines.append(self.status)
        return "\n".join(lines)


def verify_log(
    lines: list[str],
    head_file: Any,
    *,
    rehash: bool = True,
    files: bool = True,
    head_kept: bool = True,
    recorded_head: Any = None,
    recorded_where: str | None = None,
    expect_head: str | None = None,
    expect_keys: list[str] | None = None,
) -> VerifyResult:
    """Judge a log from its lines, its head file (``None`` = missing) and optionally a
    second recorded head (case.json's) and what a report handed out stated. ``head_kept``
    is False for an in-memory log, which has no head file; ``files=False`` checks the log
    alone (no evidence history, no re-hash)."""
    chain = check_lines(lines)
    problems = list(chain.problems)
    if head_kept:
        problems += head_problems(chain, head_file, HEAD_NAME, exact=True)
    if recorded_where is not None:
        problems += head_problems(chain, recorded_head, recorded_where)
    expected, confirmed = expectation_problems(chain, expect_head, list(expect_keys or []))
    problems += expected
    result = VerifyResult(ok=False, entries=chain.entries, chain_problems=problems, head=chain.head,
                          signed=chain.signed, signing=chain.describe_signing(), confirmations=confirmed,
                          keys=list(chain.signers))
    found = histories(_parse(lines)) if files else {}
    for history in found.values():
        result.acknowledgements += [a.describe() for a in history.acks]
        for record in history.open_changes:
            result.file_problems.append(
                f"{history.path}: {record.describe(history.first)}; not acknowledged "
                f"(mailbox-audit case acknowledge DIR --entry {record.seq} --reason TEXT)"
            )
        if history.removed is not None and history.first is not None:
            # taken out of the case by a logged entry: not re-hashed (it may be gone), but a
            # mismatch logged before the removal still stands (above)
            result.removed.append(f"{history.path}: removed from the case in entry {history.removed}; not re-hashed")
        elif rehash and history.first is not None:
            _rehash(history, result)
    result.ok = result.status == VERIFIED
    return result


def _parse(lines: list[str]) -> list[dict[str, Any]]:
    out = []
    for line in lines:
        try:
            entry = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if isinstance(entry, dict):
            out.append(entry)
    return out


def _rehash(history: FileHistory, result: VerifyResult) -> None:
    """Re-hash one file (regular files only: a FIFO or device named in a hostile log would
    hang or never end) and compare with the first and acknowledged hashes."""
    first = history.first
    assert first is not None
    path = history.path
    basis = f"first recorded {first.sha256} in entry {first.seq} ({first.time})"
    if history.container is not None:  # a file inside an image or collection: re-read from it
        from forensics.containers.recheck import rehash_member

        now, problem = rehash_member(*history.container)
        if problem:
            result.file_problems.append(f"{path}: {problem} ({basis})")
            return
        assert now is not None
        _compare(history, now, basis, result)
        return
    try:
        info = os.stat(path)
    except FileNotFoundError:
        result.file_problems.append(f"{path}: no such file ({basis})")
        return
    except OSError as exc:
        result.file_problems.append(f"{path}: cannot be read: {exc.strerror or exc} ({basis})")
        return
    if not stat.S_ISREG(info.st_mode):
        result.file_problems.append(f"{path}: is {file_kind(info.st_mode)}, not a regular file; not read ({basis})")
        return
    try:
        now = hash_file(path)
    except EvidenceError as exc:
        result.file_problems.append(f"{path}: {exc.user_message} ({basis})")
        return
    _compare(history, now, basis, result)


def _compare(history: FileHistory, now: Any, basis: str, result: VerifyResult) -> None:
    """Judge a fresh hash against the first and the acknowledged ones."""
    first = history.first
    assert first is not None
    path = history.path
    if now.sha256 == first.sha256:
        if not history.open_changes:
            result.files_ok.append(f"{path} sha256 {now.sha256[:16]}… equals the hash first recorded in entry {first.seq}")
        return
    ack = history.accepted_by(now.sha256)
    if ack is None:
        result.file_problems.append(f"{path}: SHA-256 is now {now.sha256}, which differs from the {basis}")
    elif not history.open_changes:
        result.files_ok.append(
            f"{path} sha256 {now.sha256[:16]}… differs from the {basis}, accepted by acknowledgement entry {ack.seq}"
        )
