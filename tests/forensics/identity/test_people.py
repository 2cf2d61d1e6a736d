"""Every form of one person gets one label, so the heatmap and findings count them once."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics import schema
from forensics.aggregate import findings, mailbox_by_actor
from forensics.identity.directory import load_directory
from forensics.identity.people import add_person_keys, alias_of, person_label
from forensics.identity.resolve import resolve_logon_types
from forensics.query import compile_query


@pytest.mark.parametrize(
    "form, alias",
    [
        ("CONTOSO\\AMorgan", "amorgan"),
        ("amorgan@contoso.com", "amorgan"),
        ("/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=amorgan", "amorgan"),
        ("/o=Contoso/ou=X/cn=Recipients/cn=0123456789abcdef0123456789abcdef-amorgan", "amorgan"),
        ("NT AUTHORITY\\SYSTEM", "NT AUTHORITY\\SYSTEM"),
        ("Alex Morgan", None),
        ("S-1-5-21-1-2-3-1001", None),
    ],
)
def test_alias_of(form: str, alias: str | None) -> None:
    assert alias_of(form) == alias


def test_display_name_uses_its_other_forms() -> None:
    assert person_label("Alex Morgan", "/o=C/ou=X/cn=Recipients/cn=amorgan") == "amorgan"
    assert person_label("Alex Morgan", None) == "alex morgan"
    assert person_label(None, None) is None


ROWS = [
    {"time": "2024-03-05T22:00:00Z", "operation": "FolderOpen", "actor": "CONTOSO\\pquinn", "mailbox": "amorgan"},
    {"time": "2024-03-05T22:01:00Z", "operation": "MailItemsAccessed", "actor": "pquinn@contoso.com",
     "mailbox": "amorgan@contoso.com"},
    {"time": "2024-03-05T22:02:00Z", "operation": "Logon", "actor": "CONTOSO\\pquinn",
     "mailbox": "/o=Contoso/ou=X/cn=Recipients/cn=amorgan"},
    {"time": "2024-03-05T09:00:00Z", "operation": "FolderOpen", "actor": "CONTOSO\\amorgan", "mailbox": "Alex Morgan",
     "mailbox_ids": "/o=Contoso/ou=X/cn=Recipients/cn=amorgan"},
]


def test_heatmap_and_findings_count_one_mailbox_once() -> None:
    frame = resolve_logon_types(schema.conform(ROWS))
    assert frame["mailbox_key"].tolist() == ["amorgan"] * 4
    assert frame["logon_type"].tolist() == ["Delegate", "Delegate", "Delegate", "Owner"]
    pivot = mailbox_by_actor(frame)
    assert list(pivot.row_labels) == ["amorgan"]
    result = findings(frame).pairs
    assert len(result) == 1 and result.iloc[0]["events"] == 3
    assert result.iloc[0]["actor"] == "pquinn"
    assert int(compile_query(result.iloc[0]["query"]).mask(frame).sum()) == 3


def test_directory_labels_people_by_display_name(tmp_path: Path) -> None:
    export = tmp_path / "people.csv"
    export.write_text(
        "DisplayName,Alias,PrimarySmtpAddress\n"
        "Alex Morgan,amorgan,alex.morgan@contoso.com\n"
        "Pat Quinn,pquinn,pat.quinn@contoso.com\n"
    )
    frame = add_person_keys(schema.conform([
        {"actor": "CONTOSO\\pquinn", "mailbox": "alex.morgan@contoso.com"},
        {"actor": "pat.quinn@contoso.com", "mailbox": "amorgan"},
    ]), load_directory(export))
    assert frame["actor_key"].tolist() == ["Pat Quinn", "Pat Quinn"]
    assert frame["mailbox_key"].tolist() == ["Alex Morgan", "Alex Morgan"]
