"""Content classification of data strings: per-string and vectorized agree."""

from __future__ import annotations

import pyarrow as pa
import pytest

from forensics.evtx.classify import classify, fits, fits_vector

CASES = [
    ("/Inbox", "path"),
    ("/Inbox/Quarterly results", "path"),
    ("/o=Contoso/ou=Exchange Administrative Group/cn=Recipients/cn=userb", "legacy-dn"),
    ("/O=CONTOSO/OU=FIRST/cn=x", "legacy-dn"),
    ("CONTOSO\\UserB", "account"),
    ("NT AUTHORITY\\SYSTEM", "account"),
    ("user.b@contoso.com", "smtp"),
    ("10.1.2.3", "ip"),
    ("fe80::1c2d:3e4f", "ip"),
    ("::ffff:10.0.0.1", "ip"),
    ("2001:db8::1", "ip"),
    ("OUTLOOK.EXE", "exe"),
    ("w3wp.exe", "exe"),
    ("True", "bool"),
    ("false", "bool"),
    ("4321", "int"),
    ("{0a1b2c3d-1111-2222-3333-444455556666}", "guid"),
    ("0A1B2C3D-1111-2222-3333-444455556666", "guid"),
    ("User B", "text"),
    ("WKS042", "text"),
    ("", "empty"),
    ("   ", "empty"),
]


@pytest.mark.parametrize(("value", "expected"), CASES)
def test_classify(value: str, expected: str) -> None:
    assert classify(value) == expected


KINDS = ["folder-path", "message-path", "mailbox", "account", "legacy-dn", "bool", "guid", "host", "ip", "exe", "int", "text", "smtp"]


@pytest.mark.parametrize("kind", KINDS)
def test_vectorized_fits_agree_with_per_string(kind: str) -> None:
    values = [v for v, _ in CASES] + [None]
    vector = fits_vector(kind, pa.array(values, pa.string())).to_pylist()
    assert vector == [fits(kind, v) for v in values]


def test_kind_expectations() -> None:
    assert fits("folder-path", "/Inbox") and not fits("folder-path", "/o=Contoso/cn=x")
    assert fits("mailbox", "UserA") and fits("mailbox", "/o=Contoso/cn=Recipients/cn=a")
    assert not fits("mailbox", "/Inbox") and not fits("mailbox", "True")
    assert fits("host", "WKS042.contoso.com") and not fits("host", "User B")
    assert not fits("account", "UserA") and not fits("text", "")
