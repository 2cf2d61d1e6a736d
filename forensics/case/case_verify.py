"""Verify a case folder read-only: the custody log (chain, signatures, heads, every file
against its first recorded hash) and case.json's claims against that log.

This is what ``mailbox-audit verify`` runs and what the GUI's Verify can call. It never
appends to the log and never creates a key: verifying must not change what it verifies.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from forensics.case.cache import verify_caches
from forensics.custody import signing
from forensics.custody.history import histories
from forensics.custody.log import LOG_NAME, CustodyLog, VerifyResult
from forensics.errors import CustodyError
from forensics.safe_io import UnsafePathError, read_bounded

CASE_FILE = "case.json"
#: case.json is read whole; a bigger one is not a case file (bounded read of hostile input)
MAX_CASE_BYTES = 256 << 20


def _read_case_json(folder: Path) -> tuple[dict[str, Any] | None, str]:
    """(case.json as a dict or None, problem text or "")."""
    path = folder / CASE_FILE
    if not os.path.lexists(path):
        return None, ""
    try:  # bounded, never through a link, never from a FIFO or device
        raw = read_bounded(path, MAX_CASE_BYTES, "case file")
    except UnsafePathError as exc:
        return None, str(exc)
    except OSError as exc:
        return None, f"{CASE_FILE} cannot be read: {exc.strerror or exc}"
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, f"{CASE_FILE} is not valid JSON: its custody head and evidence hashes cannot be compared"
    if not isinstance(data, dict):
        return None, f"{CASE_FILE} is not a case file (not a JSON object)"
    return data, ""


def verify_case(
    folder: str | os.PathLike[str],
    *,
    rehash: bool = True,
    expect_head: str | None = None,
    expect_keys: list[str] | None = None,
) -> VerifyResult:
    """Everything ``verify`` checks, for a case folder (or a ``load --case`` folder that has
    only a custody log)."""
    folder = Path(folder)
    if not (folder / LOG_NAME).is_file():
        raise CustodyError(f"{folder}: no custody log ({LOG_NAME}) in this folder")
    data, problem = _read_case_json(folder)
    log = CustodyLog(folder, sign=False)  # read-only: never signs, never creates a key
    kwargs: dict[str, Any] = {}
    if data is not None:
        kwargs = {"recorded_head": data.get("custody_head"), "recorded_where": f"{CASE_FILE} (custody_head)"}
    result = log.verify(rehash=rehash, expect_head=expect_head, expect_keys=expect_keys, **kwargs)
    if problem:
        result.case_problems.append(problem)
    if data is not None:
        result.case_problems += _case_file_problems(data, log)
    result.signing += _own_key_note(result)
    caches = verify_caches(folder, log.entries())  # derived rows are checked like evidence
    result.cache_problems += caches.problems
    result.cache_notes += caches.notes + [f"caches: {caches.checked} file(s) checked against custody"]
    hint = f'mailbox-audit case acknowledge "{folder}"'  # the command as the examiner will type it
    result.file_problems = [p.replace("mailbox-audit case acknowledge DIR", hint) for p in result.file_problems]
    result.ok = result.status == "VERIFIED"
    return result


def _case_file_problems(data: dict[str, Any], log: CustodyLog) -> list[str]:
    """case.json evidence hashes the custody log does not back (case.json is the copy, the
    log the record)."""
    evidence = data.get("evidence")
    if not isinstance(evidence, list):
        return []
    found = histories(log.entries())
    problems: list[str] = []
    for number, item in enumerate(evidence, start=1):
        if not isinstance(item, dict):
            continue
        path, sha = item.get("path"), item.get("sha256")
        if not isinstance(path, str) or not isinstance(sha, str):
            continue
        history = found.get(path)
        if history is None or history.first is None:
            problems.append(f"{CASE_FILE} evidence {number} ({path}) has no record in the custody log: "
                            "nothing but case.json vouches for its hash")
        elif sha.lower() not in history.accepted:
            first = history.first
            problems.append(f"{CASE_FILE} evidence {number} ({path}) records SHA-256 {sha}, but the custody log "
                            f"first recorded {first.sha256} (entry {first.seq}, {first.time}): case.json was edited")
    return problems


def _own_key_note(result: VerifyResult) -> list[str]:
    """Whether this machine's examiner key signed the log: information, not a verdict (a
    colleague's case is signed by their key), but a log re-signed by someone else after
    this examiner worked on it shows here. Never creates a key."""
    try:
        own = signing.load_key(create=False)
    except CustodyError:
        return []
    if own is None or not result.entries:
        return []
    if own.fingerprint in result.keys:
        return [f"this machine's examiner key {own.fingerprint} is among the keys that signed the log"]
    return [f"this machine's examiner key {own.fingerprint} signed none of the entries "
            "(expected if the case is a colleague's; if you worked on it, the log was re-signed by someone else)"]
