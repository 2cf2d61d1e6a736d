"""Directory exports (--identities): the shapes PowerShell writes, any column subset."""

from __future__ import annotations

from pathlib import Path

import pytest

from forensics.errors import EvidenceError
from forensics.identity.directory import cell_values, load_directory

# Get-Mailbox | Select … | Export-Csv (Windows PowerShell 5.1: #TYPE line, every value quoted)
GET_MAILBOX = (
    '#TYPE Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox\r\n'
    '"Name","DisplayName","Alias","PrimarySmtpAddress","EmailAddresses","LegacyExchangeDN","SamAccountName",'
    '"UserPrincipalName","ExchangeGuid","Database","ServerName","RecipientTypeDetails"\r\n'
    '"Chief Exec","Chief Exec","ceo","ceo@contoso.com","SMTP:ceo@contoso.com smtp:boss@contoso.com '
    'X500:/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=oldceo",'
    '"/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=5f0e1b2c3d4e5f60718293a4b5c6d7e8-ceo",'
    '"ceo","ceo@corp.contoso.com","a3e7c1d9-5b2f-4e86-9a0c-7d4b1f3e6c25","DB01","EXCH01","UserMailbox"\r\n'
    '"Pat Assistant","Pat Assistant","passistant","pat@contoso.com","SMTP:pat@contoso.com",'
    '"/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=passistant",'
    '"pat","pat@corp.contoso.com","{0b6f2a8e-1d3c-4e5f-8a9b-0c1d2e3f4a5b}","DB01","EXCH01","UserMailbox"\r\n'
)


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "ids.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_get_mailbox_export_links_every_form(tmp_path: Path) -> None:
    d = load_directory(write(tmp_path, GET_MAILBOX))
    ceo, pat = 0, 1
    for form in ("Chief Exec", "ceo@contoso.com", "boss@contoso.com", "CONTOSO\\ceo", "ceo@corp.contoso.com",
                 "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=oldceo",
                 "/O=CONTOSO/OU=FIRST ADMINISTRATIVE GROUP/CN=RECIPIENTS/CN=CEO",
                 "A3E7C1D9-5B2F-4E86-9A0C-7D4B1F3E6C25", "a3e7c1d9-5b2f-4e86-9a0c-7d4b1f3e6c25@contoso.com"):
        assert d.person(form) == ceo, form
    for form in ("Pat Assistant", "CONTOSO\\pat", "passistant", "0b6f2a8e-1d3c-4e5f-8a9b-0c1d2e3f4a5b",
                 "{0B6F2A8E-1D3C-4E5F-8A9B-0C1D2E3F4A5B}"):
        assert d.person(form) == pat, form
    # shared, non-identity columns link nobody
    assert d.person("DB01") is None and d.person("EXCH01") is None and d.person("UserMailbox") is None
    assert d.names == ["Chief Exec", "Pat Assistant"]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252"])
def test_encodings_and_any_subset_of_columns(tmp_path: Path, encoding: str) -> None:
    text = "Sid;DisplayName\r\nS-1-5-21-1-2-3-1001;Zoë Quinn\r\nS-1-5-21-1-2-3-1002;Sam Roe\r\n"
    d = load_directory(write(tmp_path, text, encoding))
    assert d.person("s-1-5-21-1-2-3-1001") == 0 and d.person("Zoë Quinn") == 0 and d.person("Sam Roe") == 1


def test_shared_forms_are_ambiguous_and_link_nobody(tmp_path: Path) -> None:
    text = ("DisplayName,PrimarySmtpAddress\r\nJohn Smith,pat@contoso.com\r\nJohn Smith,pat@fabrikam.com\r\n"
            "Ann Lee,-\r\n")
    d = load_directory(write(tmp_path, text))
    assert d.person("John Smith") is None and d.person("CONTOSO\\pat") is None
    assert d.person("pat@contoso.com") == 0 and d.person("pat@fabrikam.com") == 1
    assert d.person("-") is None and d.ambiguous >= 2


def test_not_a_directory_export(tmp_path: Path) -> None:
    with pytest.raises(EvidenceError, match="not a directory export"):
        load_directory(write(tmp_path, "Database,ServerName\r\nDB01,EXCH01\r\n"))
    with pytest.raises(EvidenceError, match="cannot read"):
        load_directory(tmp_path / "missing.csv")


def test_cell_values_of_multi_valued_columns() -> None:
    assert cell_values("emailaddresses", "smtp:a@x.com;smtp:b@y.com") == ["a@x.com", "b@y.com"]
    assert cell_values("proxyaddresses", "{SMTP:a@x.com, smtp:b@y.com}") == ["a@x.com", "b@y.com"]
    assert cell_values("emailaddresses", "System.Collections.ArrayList") == []
    assert cell_values("displayname", "Smith, John") == ["Smith, John"]


def test_a_display_name_never_merges_across_conflicting_sids(tmp_path: Path) -> None:
    """The composite SendAs of reference/evidence-formats.md §5.3: ``assistant@contoso.com``,
    LogonUserSid S-1-5-21-…-4001, LogonUserDisplayName "Pat Assistant". The directory's
    "Pat Assistant" is an on-premises account with another SID: the same display name is
    not the same person. Exact ids outrank names; two exact ids naming two people name nobody."""
    from forensics.identity.resolve import decide

    path = tmp_path / "ids.csv"
    path.write_text(
        "DisplayName,SamAccountName,PrimarySmtpAddress,Sid\n"
        "Pat Assistant,passistant,pat.assistant@contoso.local,S-1-5-21-1111111111-2222222222-3333333333-2001\n"
        "Chief Exec,ceo,ceo@contoso.com,S-1-5-21-1111111111-2222222222-3333333333-1001\n"
        "Robin Sid,robin,robin@contoso.com,\n", encoding="utf-8")
    directory = load_directory(path)
    sid_4001 = "S-1-5-21-1111111111-2222222222-3333333333-4001"
    assert directory.person("assistant@contoso.com", sid_4001, "Pat Assistant") is None
    assert directory.person("assistant@contoso.com", "Pat Assistant") == 0  # no SID given: the name decides
    assert directory.person("Pat Assistant", "S-1-5-21-1111111111-2222222222-3333333333-1001") == 1  # the SID wins
    assert directory.person("S-1-5-21-1111111111-2222222222-3333333333-1001",
                            "S-1-5-21-1111111111-2222222222-3333333333-2001") is None  # two SIDs, two people
    assert directory.person("Robin Sid", sid_4001) == 2  # the directory gives Robin no SID: nothing contradicts
    # an address is unique in the directory: a SID from elsewhere (a hybrid user's cloud SID) does not
    # overrule it, only a bare name is vetoed
    assert directory.person("pat.assistant@contoso.local", sid_4001, "Pat Assistant") == 0
    kind, rule = decide("assistant@contoso.com", "CONTOSO\\passistant", f"{sid_4001}|Pat Assistant",
                        "S-1-5-21-1111111111-2222222222-3333333333-2001", False, directory)
    assert (kind, rule) == ("Delegate", "sid-mismatch")  # never Owner "directory" by display name
    # without a directory the shared display name is an alias-match key: conflicting SIDs veto it
    plain = decide("assistant@contoso.com", "Pat Assistant", f"{sid_4001}|Pat Assistant",
                   "S-1-5-21-1111111111-2222222222-3333333333-2001", False)
    assert plain == ("Delegate", "sid-mismatch")
    assert decide("assistant@contoso.com", "Pat Assistant", f"{sid_4001}|Pat Assistant", sid_4001, False) == (
        "Owner", "alias-match")


def test_person_keys_do_not_merge_across_conflicting_sids(tmp_path: Path) -> None:
    """Bulk path (heatmap/findings keys): the SendAs actor stays its own person."""
    import pandas as pd

    from forensics import schema
    from forensics.identity.resolve import resolve_logon_types

    path = tmp_path / "ids.csv"
    path.write_text("DisplayName,SamAccountName,Sid\nPat Assistant,passistant,S-1-5-21-1-2-3-2001\n", encoding="utf-8")
    rows = [
        {"actor": "assistant@contoso.com", "actor_ids": "S-1-5-21-1-2-3-4001|Pat Assistant", "mailbox": "ceo@contoso.com",
         "operation": "SendAs", "logon_type": "Delegate", "logon_rule": "source"},
        {"actor": "CONTOSO\\passistant", "actor_ids": "S-1-5-21-1-2-3-2001", "mailbox": "CONTOSO\\passistant",
         "operation": "Logon"},
        {"actor": "Pat Assistant", "mailbox": "Pat Assistant", "operation": "Logon"},  # names alone: the directory decides
    ]
    frame = resolve_logon_types(schema.conform(pd.DataFrame(rows)), directory=load_directory(path))
    assert frame["actor_key"].tolist() == ["assistant", "Pat Assistant", "Pat Assistant"]
