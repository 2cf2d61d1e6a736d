"""A directory export (CSV) that links every form of each person exactly.

Columns, any subset, any order, case-insensitive: DisplayName, Alias, PrimarySmtpAddress,
LegacyExchangeDN, SamAccountName, Sid, ExchangeGuid, UserPrincipalName (or UPN),
WindowsEmailAddress. One row per person.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from forensics.errors import EvidenceError
from forensics.identity.keys import identity_keys

KNOWN_COLUMNS = {
    "displayname", "alias", "primarysmtpaddress", "legacyexchangedn", "samaccountname",
    "sid", "exchangeguid", "userprincipalname", "upn", "windowsemailaddress", "name",
}


@dataclass
class Directory:
    """Maps every identity key to a person number; ``names`` gives a display label."""

    person_of: dict[str, int] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    source: str = ""

    def person(self, *values: str | None) -> int | None:
        for value in values:
            if not value:
                continue
            low = value.strip().lower()
            if low in self.person_of:
                return self.person_of[low]
            for key in identity_keys(value):
                if key in self.person_of:
                    return self.person_of[key]
        return None


def load_directory(path: str | Path) -> Directory:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EvidenceError(f"{path}: cannot read identity file ({exc.strerror or exc})") from exc
    for encoding in ("utf-8-sig", "utf-16", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    lines = text.splitlines()
    if lines and lines[0].startswith("#TYPE"):
        lines = lines[1:]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    columns = {c: c.strip().lower() for c in (reader.fieldnames or [])}
    if not set(columns.values()) & KNOWN_COLUMNS:
        raise EvidenceError(
            f"{path}: not a directory export (expected columns such as DisplayName, Alias, "
            "PrimarySmtpAddress, LegacyExchangeDN, SamAccountName, Sid, ExchangeGuid)"
        )
    directory = Directory(source=str(path))
    for number, row in enumerate(reader):
        values = [v for c, v in row.items() if c in columns and columns[c] in KNOWN_COLUMNS and v]
        label = row.get(next((c for c, low in columns.items() if low == "displayname"), ""), "") or (values[0] if values else "")
        directory.names.append(label)
        for value in values:
            # exact full strings always; aliases/local parts too, unless ambiguous
            directory.person_of.setdefault(value.strip().lower(), number)
            for key in identity_keys(value):
                directory.person_of.setdefault(key, number)
    return directory
