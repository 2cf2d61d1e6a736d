"""Check a custody log's lines: hash chain, signatures, and the heads that anchor its end.

Pure functions over the exact lines of ``custody.jsonl`` (no file access), so the case,
the CLI and the GUI judge a log the same way.

A signed line is the JSON of the entry (which holds ``key``, the signer's fingerprint, and
``prev``, the hash of the previous line) with ``, "sig": "<hex>"}`` appended in place of
its closing brace; the signature covers every byte before it, so it covers the chain too.
A key is introduced by an ``examiner-key`` entry that carries the public key and is
signed by it; later entries may only be signed by keys introduced before them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from forensics.custody.signing import ALGORITHM, fingerprint, normalize_fingerprint, verify_signature

GENESIS = "0" * 64
KEY_KIND = "examiner-key"
HEAD_NAME = "custody.head.json"
_SIG_TAIL = re.compile(r', "sig": "([0-9a-f]{128})"\}$')
#: (SHA-256 of a line, public key) -> its signature verified. Validity is a pure function of
#: the line's bytes and the key, so a memo is exact; it spares re-verifying a long log on
#: every open, report and verify of one session (Ed25519 verification dominates those).
_MEMO: dict[tuple[str, str], bool] = {}
_MEMO_MAX = 200_000


def remember_signed(line: str, public: str) -> None:
    """A line this process has just signed is valid: note it so checking it later is free."""
    if len(_MEMO) < _MEMO_MAX:
        _MEMO[(line_hash(line), public)] = True


def _valid(line_sha: str, public: str, signature: str, message: bytes) -> bool:
    key = (line_sha, public)
    known = _MEMO.get(key)
    if known is None:
        if len(_MEMO) >= _MEMO_MAX:
            _MEMO.clear()
        known = _MEMO[key] = verify_signature(public, signature, message)
    return known


def line_hash(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def signed_line(body: str, signature: str) -> str:
    """The line written for an entry whose JSON is ``body`` (signed over ``body``'s bytes)."""
    return body[:-1] + f', "sig": "{signature}"}}'


def split_signature(line: str) -> tuple[bytes, str] | None:
    """(signed message, signature) of a signed line, or ``None`` for an unsigned one."""
    match = _SIG_TAIL.search(line)
    if match is None:
        return None
    return (line[: match.start()] + "}").encode("utf-8"), match.group(1)


def head_message(entries: int, last_hash: str) -> bytes:
    """What a head's signature covers: the entry count and the last entry's hash."""
    return f"mailbox-audit custody head v1\n{entries}\n{last_hash}".encode("utf-8")


@dataclass
class Signer:
    """One examiner key found in the log, and the entries it signed."""

    fingerprint: str
    public_key: str
    examiner: str
    host: str
    introduced: int  # seq of its examiner-key entry
    introduced_time: str
    signed: list[int] = field(default_factory=list)

    def describe(self) -> str:
        return (f"key {self.fingerprint} ({ALGORITHM}, examiner {self.examiner or '?'} on {self.host or '?'}, "
                f"introduced by entry {self.introduced} at {self.introduced_time}): "
                f"signed {len(self.signed)} entr{'y' if len(self.signed) == 1 else 'ies'} "
                f"({_ranges(self.signed)})")


@dataclass
class ChainCheck:
    """What the lines of a log say about themselves."""

    entries: int
    head: str  # SHA-256 of the last line (GENESIS when empty)
    problems: list[str] = field(default_factory=list)
    signers: dict[str, Signer] = field(default_factory=dict)
    unsigned: list[int] = field(default_factory=list)  # seq of unsigned entries before signing began
    first_signed: int | None = None
    hashes: list[str] = field(default_factory=list)  # line hash of every entry, in order

    @property
    def signed(self) -> bool:
        return self.first_signed is not None

    def signer_of(self, seq: int) -> Signer | None:
        for signer in self.signers.values():
            if seq in signer.signed:
                return signer
        return None

    def describe_signing(self) -> list[str]:
        """One line per key, and what the unsigned entries are (for verify and reports)."""
        lines = [f"signed by {s.describe()}" for s in self.signers.values()]
        if self.unsigned and self.signed:
            lines.append(
                f"unsigned: entries {_ranges(self.unsigned)} (written before signing began; the signature of "
                f"entry {self.first_signed} covers them as they were then, not before)"
            )
        elif self.entries and not self.signed:
            lines.append(
                f"UNSIGNED (legacy): none of the {self.entries} entries is signed; the hash chain shows edits "
                "only if nobody recomputed it, so compare the head hash with a report handed out (--expect-head)"
            )
        return lines


def _ranges(numbers: list[int]) -> str:
    """1,2,3,5 -> '1–3, 5'."""
    out: list[str] = []
    start = prev = None
    for n in numbers:
        if start is None:
            start = prev = n
        elif n == prev + 1:  # type: ignore[operator]
            prev = n
        else:
            out.append(f"{start}" if start == prev else f"{start}–{prev}")
            start = prev = n
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}–{prev}")
    return ", ".join(out)


def check_lines(lines: list[str]) -> ChainCheck:
    """Chain and signatures of every line; names each failing entry."""
    check = ChainCheck(entries=len(lines), head=line_hash(lines[-1]) if lines else GENESIS)
    prev = GENESIS
    for number, line in enumerate(lines, start=1):
        this_hash = line_hash(line)
        check.hashes.append(this_hash)
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict):
                raise ValueError("not an object")
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
            check.problems.append(f"entry {number}: not valid JSON (edited or truncated)")
            prev = this_hash
            continue
        if entry.get("seq") != number:
            check.problems.append(f"entry {number}: sequence number {entry.get('seq')} (entries deleted or reordered)")
        if entry.get("prev") != prev:
            check.problems.append(
                f"entry {number}: previous-entry hash does not match entry {number - 1} "
                "(an earlier entry was edited, deleted or reordered)"
            )
        _check_signature(check, number, line, entry, this_hash)
        prev = this_hash
    return check


def _check_signature(check: ChainCheck, number: int, line: str, entry: dict[str, Any], line_sha: str) -> None:
    split = split_signature(line)
    if split is None:
        if "sig" in entry or check.signed:
            check.problems.append(
                f"entry {number}: not signed, although the log is signed from entry {check.first_signed} on "
                "(an entry was inserted or rewritten without the examiner key)"
                if check.signed else f"entry {number}: malformed signature"
            )
        else:
            check.unsigned.append(number)
        return
    message, signature = split
    fpr = normalize_fingerprint(str(entry.get("key", "")))
    if entry.get("kind") == KEY_KIND and fpr not in check.signers:
        public = str(entry.get("public_key", ""))
        try:
            actual = fingerprint(bytes.fromhex(public))
        except ValueError:
            actual = ""
        if actual != fpr or not _valid(line_sha, public, signature, message):
            check.problems.append(f"entry {number}: examiner-key entry whose signature or fingerprint does not match its public key")
            return
        check.signers[fpr] = Signer(fpr, public, str(entry.get("examiner", "")), str(entry.get("host", "")),
                                    number, str(entry.get("time", "")))
    signer = check.signers.get(fpr)
    if signer is None:
        check.problems.append(
            f"entry {number}: signed by key {fpr or '(none named)'}, which no earlier examiner-key entry introduces"
        )
        return
    if not _valid(line_sha, signer.public_key, signature, message):
        check.problems.append(
            f"entry {number}: signature does not match the entry (altered after it was written, or forged "
            f"without the key {fpr[:16]}…)"
        )
        return
    signer.signed.append(number)
    if check.first_signed is None:
        check.first_signed = number


def head_problems(check: ChainCheck, head: Any, where: str, *, exact: bool = False) -> list[str]:
    """Compare a recorded head (``{"entries", "last_hash"[, "key", "sig"]}``) with the log.

    ``where`` names the head's file in messages. ``head=None`` means the file is missing,
    which fails when the log has entries: without it a cut tail would pass. ``exact``: the
    head is rewritten with every entry (``custody.head.json``), so entries after it were
    written by something else. A head that covers signed entries must itself be signed.
    """
    if head is None:
        if check.entries:
            return [f"{where} is missing: without it, entries cut from the end of the log would not show"]
        return []
    try:
        count, last = int(head["entries"]), str(head["last_hash"])
    except (KeyError, TypeError, ValueError):
        return [f"{where}: the recorded custody head is unreadable (edited?)"]
    if count < 0:
        return [f"{where}: the recorded custody head is unreadable (edited?)"]
    if check.entries < count:
        return [f"custody log has {check.entries} entries but {where} records {count}: entries were removed from its end"]
    if count and check.hashes[count - 1] != last:
        return [f"entry {count}: differs from the entry {count} recorded in {where}"]
    problems: list[str] = []
    if exact and check.entries > count:
        problems.append(f"custody log has {check.entries - count} entries after entry {count} that were not "
                        f"written by this tool ({where} records {count})")
    if check.signed and count >= (check.first_signed or 0):
        fpr = normalize_fingerprint(str(head.get("key", "")))
        signer = check.signers.get(fpr)
        if signer is None or not verify_signature(signer.public_key, str(head.get("sig", "")), head_message(count, last)):
            problems.append(f"{where}: the recorded custody head is not signed by a key of the log (rewritten without the examiner key?)")
    return problems


def expectation_problems(check: ChainCheck, expect_head: str | None, expect_keys: list[str]) -> tuple[list[str], list[str]]:
    """Check the log against what a report handed out stated: (problems, confirmations)."""
    problems: list[str] = []
    confirmed: list[str] = []
    if expect_head:
        wanted = expect_head.strip().lower()
        if wanted in check.hashes:
            seq = check.hashes.index(wanted) + 1
            confirmed.append(f"expected head {wanted} is entry {seq}: entries 1–{seq} are the ones the report saw")
        else:
            problems.append(
                f"no entry of this custody log has the SHA-256 {wanted} the report states: the log it was made "
                "from was altered or replaced (or it is another case)"
            )
    if expect_keys:
        wanted_keys = {normalize_fingerprint(k) for k in expect_keys}
        for key in sorted(wanted_keys - set(check.signers)):
            problems.append(f"expected key {key} signed no entry of this log")
        for fpr, signer in check.signers.items():
            if fpr not in wanted_keys:
                problems.append(f"entries {_ranges(signer.signed)} are signed by key {fpr}, not by an expected key")
        if check.unsigned and not check.signed:
            problems.append("the log is unsigned: no entry can be tied to an expected key")
        if not problems:
            confirmed.append(f"every signed entry is signed by an expected key ({', '.join(sorted(wanted_keys))})")
    return problems, confirmed
