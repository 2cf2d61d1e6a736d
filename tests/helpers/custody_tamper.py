"""What an attacker with write access to a case folder, but without the examiner's private
key, can do to its custody log: rewrite entries and recompute the whole hash chain, the
head file and case.json's head, either leaving signatures off (posing as a legacy log) or
signing with a key of their own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from forensics.custody.chain import GENESIS, HEAD_NAME, KEY_KIND, head_message, line_hash, signed_line
from forensics.custody.signing import ALGORITHM, ExaminerKey

LOG = "custody.jsonl"


def read_entries(case: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (case / LOG).read_text(encoding="utf-8").splitlines() if line]


def rechain(case: Path, entries: list[dict[str, Any]], key: ExaminerKey | None = None) -> list[str]:
    """Write ``entries`` as a perfectly chained log (seq, prev recomputed; the examiner's key
    entries and signatures dropped; signed with ``key`` when given), with a matching head
    file and case.json head. Returns the lines."""
    body = [{k: v for k, v in e.items() if k not in ("seq", "prev", "key", "sig")}
            for e in entries if e.get("kind") != KEY_KIND]
    if key is not None:
        body.insert(0, {"kind": KEY_KIND, "time": body[0].get("time", ""), "examiner": "mallory", "host": "attacker",
                        "tool": body[0].get("tool", ""), "algorithm": ALGORITHM, "public_key": key.public_hex})
    lines: list[str] = []
    for number, fields in enumerate(body, start=1):
        entry = {"seq": number, **fields}
        if key is not None:
            entry["key"] = key.fingerprint
        entry["prev"] = line_hash(lines[-1]) if lines else GENESIS
        text = json.dumps(entry, ensure_ascii=False)
        lines.append(signed_line(text, key.sign(text.encode("utf-8"))) if key is not None else text)
    (case / LOG).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    write_heads(case, lines, key)
    return lines


def write_heads(case: Path, lines: list[str], key: ExaminerKey | None = None) -> dict[str, Any]:
    """Rewrite custody.head.json and case.json's custody_head to match ``lines``."""
    head: dict[str, Any] = {"entries": len(lines), "last_hash": line_hash(lines[-1]) if lines else GENESIS}
    if key is not None:
        head["key"] = key.fingerprint
        head["sig"] = key.sign(head_message(head["entries"], head["last_hash"]))
    (case / HEAD_NAME).write_text(json.dumps(head) + "\n", encoding="utf-8")
    case_file = case / "case.json"
    if case_file.exists():
        data = json.loads(case_file.read_text(encoding="utf-8"))
        data["custody_head"] = head
        case_file.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return head
