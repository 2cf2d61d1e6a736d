"""Groups the loaded Security records show nested into an Exchange privileged group.

Why: "add mallory to IT-Admins" grants every mailbox when IT-Admins is itself a member of
Organization Management, and the 4728/4732/4756 record of that add names only IT-Admins.
When a loaded record shows IT-Admins being added to a privileged group (directly or
through further groups), the adds to IT-Admins become ``PermissionChange`` rows that name
the nesting record. A member is matched to a group by SID (MemberSid = the group's
TargetSid: exact) or, where a record carries no SID, by the DN's CN = the group name
(stated as "by name"). Removals of the nesting are not subtracted: the rows say when the
nesting was recorded, the examiner weighs the order.

Few rows (group changes are rare): plain Python over them, once per load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forensics.evtx.groups import ADDED, MEMBERSHIP_CHANGE, PROVIDER

_FIELD = {name: re.compile(rf"(?:^|; ){name}=(?P<v>[^;]*)") for name in ("Group", "TargetSid", "MemberSid")}
_MEMBER = re.compile(r"(?:^|; )Member=(?P<v>.*?); MemberSid=")
_CN = re.compile(r"^\s*CN=(?P<cn>(?:\\.|[^,\\])+)", re.I)


@dataclass(frozen=True)
class _Change:
    row: int
    added: bool
    group: str       # lower-case name without domain
    group_sid: str
    member_cn: str   # lower-case CN of the member's DN
    member_sid: str
    label: str       # "DOMAIN\\Group"
    where: str       # "record N" (with the evidence id when known)


def _value(pattern: re.Pattern[str], text: str) -> str:
    hit = pattern.search(text)
    return hit.group("v").strip() if hit else ""


def _changes(frame: pd.DataFrame) -> list[_Change]:
    is_group = (frame["provider"].astype(object) == PROVIDER) & frame["operation"].isin(["PermissionChange", MEMBERSHIP_CHANGE])
    rows = np.flatnonzero(is_group.fillna(False).to_numpy(bool))
    out = []
    for row in rows.tolist():
        details = str(frame["details"].iat[row] or "")
        label = _value(_FIELD["Group"], details)
        if not label:
            continue
        member = _value(_MEMBER, details)
        cn = _CN.match(member)
        record = frame["record_id"].iat[row]
        evidence = frame["evidence"].iat[row] if "evidence" in frame.columns else None
        where = f"record {int(record)}" if pd.notna(record) else f"row {row + 1}"
        if evidence is not None and pd.notna(evidence):
            where += f" of evidence {evidence}"
        out.append(_Change(
            row=row, added=int(frame["event_id"].iat[row]) in ADDED, group=label.rsplit("\\", 1)[-1].lower(),
            group_sid=_value(_FIELD["TargetSid"], details).upper(),
            member_cn=cn.group("cn").replace("\\", "").strip().lower() if cn else "",
            member_sid=_value(_FIELD["MemberSid"], details).upper(), label=label, where=where,
        ))
    return out


def promote_nested(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the membership changes of nested privileged groups made PermissionChange."""
    if not len(frame) or not {"provider", "operation", "details", "event_id", "record_id"} <= set(frame.columns):
        return frame
    if not frame["operation"].isin([MEMBERSHIP_CHANGE]).any():
        return frame
    changes = _changes(frame)
    privileged_by_name: dict[str, str] = {}  # group name -> why
    privileged_by_sid: dict[str, str] = {}
    for c in changes:
        if frame["operation"].iat[c.row] == "PermissionChange":
            privileged_by_name.setdefault(c.group, c.label)
            if c.group_sid:
                privileged_by_sid.setdefault(c.group_sid, c.label)
    why: dict[int, str] = {}  # row -> nesting explanation
    grown = True
    while grown:  # nesting at any depth: repeat until no group joins
        grown = False
        nested: list[tuple[str, str, str]] = []  # (sid, name, reason)
        for c in changes:
            if not c.added:
                continue
            parent = privileged_by_sid.get(c.group_sid) if c.group_sid else None
            parent = parent or privileged_by_name.get(c.group)
            if parent is None:
                continue
            if c.member_sid and c.member_sid not in privileged_by_sid:
                nested.append((c.member_sid, "", f"{c.member_cn or c.member_sid} was added to {c.label} ({c.where})"))
            elif not c.member_sid and c.member_cn and c.member_cn not in privileged_by_name:
                nested.append(("", c.member_cn, f"{c.member_cn} was added to {c.label} ({c.where}; matched by name)"))
        for sid, name, reason in nested:
            if sid and sid not in privileged_by_sid:
                privileged_by_sid[sid] = reason
                grown = True
            if name and name not in privileged_by_name:
                privileged_by_name[name] = reason
                grown = True
    for c in changes:
        if frame["operation"].iat[c.row] != MEMBERSHIP_CHANGE:
            continue
        reason = privileged_by_sid.get(c.group_sid) if c.group_sid else None
        reason = reason or privileged_by_name.get(c.group)
        if reason is not None:
            why[c.row] = reason
    if not why:
        return frame
    out = frame.copy()
    rows = np.array(sorted(why))
    operation = out["operation"].astype(object).to_numpy(copy=True)
    operation[rows] = "PermissionChange"
    out["operation"] = pd.Categorical(operation)
    details = out["details"].astype(object).to_numpy(copy=True)
    for row in rows.tolist():
        details[row] = f"{details[row]}; privileged through nesting: {why[row]}"
    out["details"] = pd.array(details, dtype=frame["details"].dtype)
    return out
