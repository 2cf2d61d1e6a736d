"""The examiner key: created once with owner-only permissions, outside every case folder."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from forensics.custody import signing
from forensics.custody.log import CustodyLog
from forensics.errors import CustodyError


def test_key_is_created_once_with_owner_only_permissions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "keys"
    monkeypatch.setenv(signing.KEY_DIR_ENV, str(folder))
    assert signing.key_dir() == folder
    assert signing.load_key(create=False) is None and not folder.exists()
    key = signing.load_key()
    assert key is not None
    path = folder / signing.KEY_FILE
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = key.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert key.fingerprint == hashlib.sha256(raw).hexdigest() and key.public_hex == raw.hex()
    signing._CACHE.clear()
    again = signing.load_key()
    assert again is not None and again.fingerprint == key.fingerprint  # read back, not replaced
    assert signing.verify_signature(key.public_hex, key.sign(b"entry"), b"entry")
    assert not signing.verify_signature(key.public_hex, key.sign(b"entry"), b"entry, edited")


def test_default_key_folder_is_the_users_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(signing.KEY_DIR_ENV, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    if os.name == "posix" and not str(signing.key_dir()).startswith(str(Path.home() / "Library")):
        assert signing.key_dir() == tmp_path / "data" / "mailbox-audit" / "keys"


def test_key_folder_inside_the_case_is_refused(tmp_path: Path) -> None:
    case = tmp_path / "case"
    log = CustodyLog(case, key_dir=case / "keys")
    with pytest.raises(CustodyError) as caught:
        log.append("note", text="x")
    assert caught.value.user_message == (
        f"the examiner key folder {(case / 'keys').resolve()} is inside the case folder {case.resolve()}; keep the "
        f"key outside every case folder (set {signing.KEY_DIR_ENV} to another folder)")
    assert not (case / "keys").exists()


def test_a_damaged_key_file_is_a_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    folder.mkdir()
    (folder / signing.KEY_FILE).write_text("not a key")
    with pytest.raises(CustodyError, match="examiner-ed25519.pem: not a readable examiner key"):
        signing.load_key(directory=folder)
