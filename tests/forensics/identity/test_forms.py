"""The bulk paths (forms.analyse, sides, decide_rows) give what the scalar rules give.

``decide``, ``person_label``, ``identity_keys``, ``alias_of`` and ``Directory.person`` state
the rules one value at a time; ``resolve_logon_types`` and ``add_person_keys`` apply them in
bulk (pyarrow kernels for printable ASCII, the scalar functions for the rest). Every row of a
frame with owner / delegate / admin / unknown / admin-command cases, ids lists, quotes,
blanks, SIDs, GUIDs, DNs, built-in accounts and non-ASCII names must come out the same.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from forensics import schema
from forensics.identity.directory import Directory, load_directory
from forensics.identity.forms import analyse
from forensics.identity.keys import alias_of, id_like, identity_keys, is_address, opaque_kind
from forensics.identity.people import add_person_keys, person_labels
from forensics.identity.resolve import ADMIN_OPERATIONS, decide, resolve_logon_types

IDS = (
    "DisplayName,Alias,PrimarySmtpAddress,LegacyExchangeDN,SamAccountName,Sid,ExchangeGuid\n"
    "Chief Exec,ceo,ceo@contoso.com,/o=Contoso/cn=Recipients/cn=ceo,ceo,S-1-5-21-9-1001,a3e7c1d9-5b2f-4e86-9a0c-7d4b1f3e6c25\n"
    "Pat Assistant,passistant,pat@contoso.com,/o=Contoso/cn=Recipients/cn=passistant,pat,S-1-5-21-9-4001,"
    "0b6f2a8e-1d3c-4e5f-8a9b-0c1d2e3f4a5b\n"
    ",amorgan,amorgan@contoso.com,,,,\n"  # no display name: labelled by alias
    "Jordan Lee,jlee,jlee@fabrikam.com,,,,\n"
)
ATOMS = ["amorgan", "AMorgan", "pat", "passistant", "ceo", "Chief Exec", "Pat Assistant", "jlee", "x", ""]


def forms_of(atom: str) -> list[str]:
    """Every shape of identity form the evidence uses, around one name."""
    return [
        atom, f"CONTOSO\\{atom}", f"{atom}@contoso.com", f"{atom}@fabrikam.com",
        f"/o=Contoso/ou=X/cn=Recipients/cn={atom}", f"/o=Contoso/cn=Recipients/cn=0123456789abcdef0123456789ABCDEF-{atom}",
        "NT AUTHORITY\\SYSTEM", "nt service\\Foo Bar", "S-1-5-21-9-1001", "s-1-5-21-9-4001", "S-1-5-21-9-7777",
        "{A3E7C1D9-5B2F-4E86-9A0C-7D4B1F3E6C25}", "a3e7c1d9-5b2f-4e86-9a0c-7d4b1f3e6c25@contoso.com",
        f"  '{atom}@contoso.com' ", f'"CONTOSO\\{atom}"', "-", "  ", "'", f"{atom} smith@contoso.com",
        f"Ünïcode {atom}", f"{atom}\tx@contoso.com", "/o=Contoso/ou=X/cn=", "CONTOSO\\", f"İstanbul\\{atom}",
        f"/O=CONTOSO/CN={atom.upper()}", "/o=Contoso/ou=X", "/o=", f"a@b@{atom}", f"{atom}\\{atom}\\y", "\x1cpat\x1c",
    ]


ALL_FORMS = sorted({form for atom in ATOMS for form in forms_of(atom)})


@pytest.fixture()
def directory(tmp_path: Path) -> Directory:
    path = tmp_path / "ids.csv"
    path.write_text(IDS, encoding="utf-8")
    return load_directory(path)


def torn_directory() -> Directory:
    """A hand-built directory where one form's two keys name two people."""
    return Directory(person_of={"pat@contoso.com": 0, "pat": 1, "ceo": 0}, names=["Chief Exec", "Pat"])


@pytest.mark.parametrize("which", ["none", "export", "torn"])
def test_analyse_matches_the_scalar_functions(which: str, directory: Directory) -> None:
    chosen = {"none": None, "export": directory, "torn": torn_directory()}[which]
    forms = ALL_FORMS + ["  'pat@contoso.com' "]
    out = analyse(pa.array(forms), chosen)
    for i, form in enumerate(forms):
        keys = {k for k in (out.key_a[i].as_py(), out.key_b[i].as_py()) if k is not None}
        assert keys == set(identity_keys(form)), form
        assert out.alias[i].as_py() == alias_of(form), form
        assert out.low[i].as_py() == form.strip().lower(), form
        assert out.truthy[i] == bool(form) and out.nonblank[i] == bool(form.strip()), form
        expected = chosen.person(form) if chosen is not None and form else None
        assert out.person[i] == (-1 if expected is None else expected), form
        kind = opaque_kind(form)
        assert (out.opaque[i], out.sid[i]) == (kind is not None, kind == "sid"), form
        assert (out.idlike[i], out.address[i]) == (id_like(form), is_address(form)), form


def random_frame(seed: int, n: int) -> pd.DataFrame:
    """Rows mixing every form, ids lists (with empty parts), admin flags and given types."""
    rng = random.Random(seed)

    def form() -> str:
        return rng.choice(forms_of(rng.choice(ATOMS)))

    def ids() -> str:
        return "|".join(form() for _ in range(rng.randrange(1, 4))) + rng.choice(["", "|", "||x"])

    rows = []
    for _ in range(n):
        row = {
            "actor": rng.choice([form(), form(), None]),
            "mailbox": rng.choice([form(), form(), None]),
            "operation": rng.choice(["FolderOpen", "AdminCommand", "MailboxExport", "Logon"]),
        }
        if rng.random() < 0.3:
            row["actor_ids"] = ids()
        if rng.random() < 0.3:
            row["mailbox_ids"] = ids()
        if rng.random() < 0.4:
            row["admin_rights"] = rng.random() < 0.5
        if rng.random() < 0.1:
            row["logon_type"] = rng.choice(["Owner", "Admin"])
        if rng.random() < 0.1:
            row["logon_rule"] = "source:UserType"
        rows.append(row)
    return schema.conform(rows)


def scalar(value: object) -> object:
    return None if pd.isna(value) else value


@pytest.mark.parametrize("with_directory", [False, True])
def test_bulk_resolution_matches_decide_and_person_label_row_by_row(with_directory: bool, directory: Directory) -> None:
    chosen = directory if with_directory else None
    frame = random_frame(7, 1500)
    out = resolve_logon_types(frame, directory=chosen)
    keys = add_person_keys(frame, chosen)
    pairs = [(scalar(a), scalar(i)) for a, i in zip(frame["actor"], frame["actor_ids"])]
    pairs += [(scalar(m), scalar(i)) for m, i in zip(frame["mailbox"], frame["mailbox_ids"])]
    labels = person_labels(pairs, chosen)  # the SIDs of both sides' forms split labels
    actor_labels, mailbox_labels = labels[: len(frame)], labels[len(frame) :]
    assert any(label and "[S-1-5-21-9-" in label for label in labels)  # the frame has such splits
    seen = set()
    for n, (row, got, keyed) in enumerate(zip(frame.itertuples(), out.itertuples(), keys.itertuples())):
        actor, mailbox, actor_ids, mailbox_ids = map(scalar, (row.actor, row.mailbox, row.actor_ids, row.mailbox_ids))
        if pd.isna(row.logon_type):
            kind, rule = decide(actor, mailbox, actor_ids, mailbox_ids, scalar(row.admin_rights), chosen)
            if kind == "Delegate" and row.operation in ADMIN_OPERATIONS:
                kind, rule = "Admin", "admin-command"
        else:
            kind, rule = row.logon_type, scalar(row.logon_rule) or "source"
        assert (got.logon_type, got.logon_rule) == (kind, rule), row
        seen.add(rule)
        for label in (scalar(got.actor_key), scalar(keyed.actor_key)):
            assert label == actor_labels[n], row
        for label in (scalar(got.mailbox_key), scalar(keyed.mailbox_key)):
            assert label == mailbox_labels[n], row
    expected = {"missing-identity", "alias-match", "admin-flag", "no-match", "admin-command", "source", "source:UserType"}
    if with_directory:
        expected |= {"directory", "directory+admin-flag"}
    assert expected <= seen


def test_key_categories_are_what_pandas_makes_of_the_labels() -> None:
    frame = random_frame(3, 300)
    out = add_person_keys(frame)
    pairs = [(scalar(a), scalar(i)) for a, i in zip(frame["actor"], frame["actor_ids"])]
    pairs += [(scalar(m), scalar(i)) for m, i in zip(frame["mailbox"], frame["mailbox_ids"])]
    labels = person_labels(pairs)[len(frame) :]
    expected = pd.Categorical(pd.array(labels, dtype=object).to_numpy())
    assert out["mailbox_key"].cat.categories.equals(expected.categories)
    assert out["mailbox_key"].dtype == expected.dtype
