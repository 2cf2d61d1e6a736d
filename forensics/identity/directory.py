"""A directory export (CSV) that links every form of each person exactly.

Typically ``Get-Mailbox | Select … | Export-Csv`` (Windows PowerShell writes a ``#TYPE`` first
line unless ``-NoTypeInformation``) or ``Get-Recipient``/``Get-User`` output. Columns, any
subset, any order, case-insensitive: DisplayName, Name, Alias, PrimarySmtpAddress,
WindowsEmailAddress, EmailAddresses / ProxyAddresses (multi-valued: ``SMTP:a@x smtp:b@y
X500:/o=…``), LegacyExchangeDN, SamAccountName, Sid, ExchangeGuid, Guid,
ExternalDirectoryObjectId, UserPrincipalName (or UPN), WindowsLiveID, DistinguishedName,
Identity. One row per person. Other columns (Database, ServerName, …) are ignored: they
are shared by many people and would link them all.

Why keys are dropped: a form two different rows share (two "John Smith"s, the local part
``pat`` of pat@contoso.com and pat@fabrikam.com) cannot tell them apart, so it links nobody;
``ambiguous`` counts such keys for the load summary.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from forensics.safe_io import MAX_SIDE_FILE, UnsafePathError, read_bounded
from forensics.errors import EvidenceError
from forensics.identity.keys import identity_keys, is_address, opaque_kind

KNOWN_COLUMNS = {
    "displayname", "alias", "primarysmtpaddress", "legacyexchangedn", "samaccountname",
    "sid", "exchangeguid", "userprincipalname", "upn", "windowsemailaddress", "name",
    "emailaddresses", "proxyaddresses", "guid", "externaldirectoryobjectid", "windowsliveid",
    "distinguishedname", "identity",
}
#: columns holding several addresses in one cell
MULTI_VALUED = {"emailaddresses", "proxyaddresses"}
_ADDRESS_PREFIX = re.compile(r"^(?:smtp|sip|x500|x400|eum|spo):", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s;,]+(?=(?:smtp|sip|x500|x400|eum|spo):)|[;,\s]+(?=[^\s;,]+@)", re.IGNORECASE)
_TYPE_NAMES = ("system.collections", "microsoft.exchange.data")


@dataclass
class Directory:
    """Maps every identity key to a person number; ``names`` gives a display label."""

    person_of: dict[str, int] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    source: str = ""
    ambiguous: int = 0  # keys shared by several rows, dropped
    with_sid: set[int] = field(default_factory=set)  # people whose row gives a SID

    def form_person(self, value: str | None) -> int | None:
        """The person one form names (the exact form first, then its derived keys)."""
        if not value:
            return None
        low = str(value).strip().lower()
        if low in self.person_of:
            return self.person_of[low]
        for key in identity_keys(str(value)):
            if key in self.person_of:
                return self.person_of[key]
        return None

    def person(self, *values: str | None) -> int | None:
        """The person the forms ``values`` (one row's actor or mailbox side) name together.

        Exact ids (SIDs, GUIDs) outrank names: when they name a person, that is the person;
        when they name two, nobody. Then addresses (``x@domain``, ``DOMAIN\\x``, ``/o=…``), then
        bare names (display name, alias), each the first the directory knows. A bare name never
        decides against the evidence: a SID the directory does not know, beside a name whose
        directory row has another SID, is another account (no merge by display name alone).
        """
        exact: list[int] = []
        address: int | None = None
        bare: int | None = None
        unknown_sid = False
        for value in values:
            if not value:
                continue
            person = self.form_person(value)
            kind = opaque_kind(str(value))
            if kind is not None:
                if person is not None:
                    exact.append(person)
                elif kind == "sid":
                    unknown_sid = True
            elif person is not None and is_address(str(value)):
                address = person if address is None else address
            elif person is not None:
                bare = person if bare is None else bare
        if exact:
            return exact[0] if all(p == exact[0] for p in exact) else None
        if address is not None:
            return address
        if bare is not None and unknown_sid and bare in self.with_sid:
            return None
        return bare


def _decode(raw: bytes) -> str:
    """BOM first (UTF-8, UTF-16 from ``-Encoding Unicode``), then UTF-8, then Windows-1252."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    if raw[:200].count(b"\x00") > 20:  # UTF-16 without a BOM
        return raw.decode("utf-16-le", errors="replace")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def cell_values(column: str, cell: str) -> list[str]:
    """The identity forms one cell holds (several for multi-valued address columns)."""
    text = cell.strip()
    if not text or text == "-" or text.lower().startswith(_TYPE_NAMES):
        return []
    if column not in MULTI_VALUED:
        return [text]
    parts = [p for p in _SEPARATORS.split(text.strip("{}")) if p.strip()]
    return [_ADDRESS_PREFIX.sub("", p.strip()) for p in parts if _ADDRESS_PREFIX.sub("", p.strip())]


def load_directory(path: str | Path) -> Directory:
    """Read a directory export; raise a one-line ``EvidenceError`` when it is not one."""
    path = Path(path)
    try:
        # bounded, regular files only: an identities path named in a case.json may be /dev/zero
        raw = read_bounded(path, MAX_SIDE_FILE, "identity file", follow=True)
    except UnsafePathError as exc:
        raise EvidenceError(str(exc)) from exc
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read identity file ({exc.strerror or exc})") from exc
    lines = _decode(raw).splitlines()
    if lines and lines[0].startswith("#TYPE"):
        lines = lines[1:]
    delimiter = ";" if lines and lines[0].count(";") > lines[0].count(",") else ","  # Export-Csv -UseCulture
    reader = csv.DictReader(io.StringIO("\n".join(lines)), delimiter=delimiter)
    columns = {c: c.strip().lower() for c in (reader.fieldnames or []) if c is not None}
    if not set(columns.values()) & KNOWN_COLUMNS:
        raise EvidenceError(
            f"{path}: not a directory export (expected columns such as DisplayName, Alias, "
            "PrimarySmtpAddress, LegacyExchangeDN, SamAccountName, Sid, ExchangeGuid)"
        )
    display = next((c for c, low in columns.items() if low == "displayname"), None)
    owners: dict[str, set[int]] = {}
    directory = Directory(source=str(path))
    for number, row in enumerate(reader):
        forms: list[str] = []
        for column, low in columns.items():
            if low in KNOWN_COLUMNS and isinstance(row.get(column), str):
                forms.extend(cell_values(low, row[column]))
        label = (row.get(display) or "").strip() if display else ""
        directory.names.append(label or (forms[0] if forms else f"row {number + 2}"))
        keys: set[str] = set()
        for value in forms:
            derived = identity_keys(value)
            if not derived:
                continue
            keys.add(value.strip().lower())
            keys |= derived
        for key in keys:
            owners.setdefault(key, set()).add(number)
        if any(opaque_kind(v) == "sid" for v in forms):
            directory.with_sid.add(number)
    for key, people in owners.items():
        if len(people) == 1:
            directory.person_of[key] = next(iter(people))
        else:
            directory.ambiguous += 1
    return directory
