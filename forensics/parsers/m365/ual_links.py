"""Ids that one Unified Audit Log export shows to belong to one person, and rows they explain.

Why: an Exchange Online inbox-rule record names its mailbox by the owner's Entra object id
(``…/contoso.onmicrosoft.com/<guid>\\Rule``: ``ual_targets``), and nothing in that record says
whose id it is. The same export says it elsewhere: each record carries ``UserId`` (the UPN)
beside ``UserKey`` (Entra ID sign-ins: the object id; Exchange records: the PUID), and
mailbox records carry ``MailboxOwnerUPN`` beside ``MailboxGuid``/``MailboxOwnerSid``
(management activity API schema, reference/evidence-formats.md §5.2). Those pairs, read from
every record of the file (skipped workloads too), link an id to the one UPN it was seen with.

Rules that keep a link honest: only opaque ids are linked (GUID, SID, 16-hex PUID), never a
name; an id seen with two different UPNs links nobody (counted and named in a warning); each
linked row says which field of which record made the link (``linked:`` in details), and a row
linked to its own actor is Owner by rule ``linked:<field>`` (never over a ``LogonType`` the
record states).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from forensics.parsers.base import FileReport

#: (person column, id column) pairs of the same record that name one person
PAIRS = (("UserId", "UserKey"), ("UserId", "LogonUserSid"), ("MailboxOwnerUPN", "MailboxGuid"),
         ("MailboxOwnerUPN", "MailboxOwnerSid"))
_OPAQUE = r"(?i)^(?:\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?|s-1-\d+(?:-\d+)+|[0-9a-f]{16})$"
_OPAQUE_RE = re.compile(_OPAQUE)


@dataclass
class _Link:
    person: str  # the UPN as first written
    how: str  # "<id field> of <UPN> (record <n>)"


@dataclass
class IdentityLinks:
    """Collects id → UPN links over a whole export (``add`` per slice), then ``apply``."""

    links: dict[str, _Link] = field(default_factory=dict)
    torn: dict[str, set[str]] = field(default_factory=dict)  # ids seen with several UPNs

    def add(self, records: pa.Table, numbers: np.ndarray) -> None:
        """Remember the (UPN, id) pairs of one slice of parsed records."""
        for person_col, id_col in PAIRS:
            if person_col not in records.column_names or id_col not in records.column_names:
                continue
            person = _array(records, person_col)
            ident = _array(records, id_col)
            ok = pc.and_(pc.and_(pc.is_valid(person), pc.match_substring(person, "@")),
                         pc.match_substring_regex(pc.utf8_trim_whitespace(ident), _OPAQUE))
            ok = np.asarray(pc.fill_null(ok, False).to_numpy(zero_copy_only=False), dtype=bool)
            if not ok.any():
                continue
            table = pa.table({"p": person.filter(pa.array(ok)), "i": pc.utf8_trim_whitespace(ident.filter(pa.array(ok))),
                              "n": pa.array(np.asarray(numbers)[ok].astype(np.int64))})
            distinct = table.group_by(["p", "i"]).aggregate([("n", "min")])
            for upn, key, number in zip(*(distinct.column(c).to_pylist() for c in ("p", "i", "n_min"))):
                self._remember(key.strip("{}").lower(), upn, f"{id_col} of {upn} (record {number})")

    def _remember(self, key: str, upn: str, how: str) -> None:
        if key in self.torn:
            self.torn[key].add(upn.lower())
            return
        known = self.links.get(key)
        if known is None:
            self.links[key] = _Link(upn, how)
        elif known.person.lower() != upn.lower():
            self.torn[key] = {known.person.lower(), upn.lower()}
            del self.links[key]

    def apply(self, frame: pd.DataFrame, report: FileReport | None = None) -> pd.DataFrame:
        """Add the linked UPN to ``mailbox_ids`` of rows whose mailbox is a linked id, say
        why in ``details``, and make rows linked to their own actor Owner (``linked:…``)."""
        if report is not None:
            for key, people in sorted(self.torn.items())[:20]:
                report.warn("identity", f"{key} is seen with {len(people)} different users ({', '.join(sorted(people))}): "
                            "not linked to any of them")
        if not self.links or not len(frame) or "mailbox" not in frame.columns:
            return frame
        mailbox = frame["mailbox"].astype("category") if not isinstance(frame["mailbox"].dtype, pd.CategoricalDtype) else frame["mailbox"]
        categories = [str(c) for c in mailbox.cat.categories]
        linked = [self.links.get(_id_of(c)) for c in categories]
        if not any(linked):
            return frame
        codes = mailbox.cat.codes.to_numpy()
        hit_of = np.array([link is not None for link in linked] + [False])
        rows = np.flatnonzero(hit_of[codes])
        frame = frame.copy(deep=False)  # whole columns are replaced below
        at = frame.index[rows]
        per_category = {  # one value per distinct mailbox, spread to rows by code (no per-row Python)
            "person": [link.person if link else None for link in linked],
            "note": [f"linked: {c} = {link.person} ({link.how})" if link else None for c, link in zip(categories, linked)],
            "rule": ["linked:" + link.how.split(" ", 1)[0] if link else None for link in linked],
        }
        picked = {k: pd.Series(np.asarray(v, dtype=object)[codes[rows]], index=at, dtype="string") for k, v in per_category.items()}
        frame["mailbox_ids"] = _append(frame["mailbox_ids"], picked["person"], "|")
        frame["details"] = _append(frame["details"], picked["note"], "; ")
        actor = frame["actor"].iloc[rows].astype("string").str.lower()
        rule = frame["logon_rule"].iloc[rows].astype("string")
        own = ((actor == picked["person"].str.lower()) & (rule.isna() | (rule == "source:UserType"))).fillna(False)
        own_rows = own.index[own.to_numpy(dtype=bool)]
        if len(own_rows):
            frame["logon_type"] = _set(frame["logon_type"], own_rows, pd.Series("Owner", index=own_rows))
            frame["logon_rule"] = _set(frame["logon_rule"], own_rows, picked["rule"].loc[own_rows])
        return frame


def _id_of(value: str) -> str:
    """A mailbox value as a link key: an opaque id (braces and case dropped), else ''."""
    text = value.strip()
    return text.strip("{}").lower() if _OPAQUE_RE.match(text) else ""


def _array(records: pa.Table, name: str) -> pa.Array:
    column = records.column(name)
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _append(column: pd.Series, parts: pd.Series, sep: str) -> pd.Series:
    """``column`` (string) with ``parts`` appended on their rows (or set where empty)."""
    out = column.astype("string").copy()
    current = out.loc[parts.index]
    out.loc[parts.index] = (current + sep + parts).fillna(parts)
    return out


def _set(column: pd.Series, rows: pd.Index, values: pd.Series) -> pd.Series:
    out = column.astype("string").copy()
    out.loc[rows] = values.astype("string")
    return out.astype("category")
