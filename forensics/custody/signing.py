"""The examiner's Ed25519 key: custody entries and heads are signed with it.

The hash chain alone shows that an entry was edited only if nobody recomputed the chain;
anyone with write access to the case folder can recompute it. A signature by a private key
kept outside every case folder (in the examiner's own data directory) cannot be recomputed
without that key. The case records the public key (a signed ``examiner-key`` entry), so
anyone can check the signatures; reports print the key's fingerprint so a case can be
checked later against a report already handed out.

The signature proves that an entry was written by a holder of the key and not altered
since. It does not prove that the examiner is honest, that the clock was right, or that
the key was never copied off the examiner's machine.

``cryptography`` (the PyCA library, OpenSSL-backed) does the Ed25519 work; nothing here is
hand-rolled cryptography.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from forensics.errors import CustodyError

KEY_DIR_ENV = "MAILBOX_AUDIT_KEY_DIR"
KEY_FILE = "examiner-ed25519.pem"
ALGORITHM = "Ed25519"
#: a key file larger than this is not a key (bounded read of a file we did not necessarily write)
MAX_KEY_FILE = 4096


def key_dir() -> Path:
    """Where the examiner key lives: ``$MAILBOX_AUDIT_KEY_DIR``, else the user's data folder."""
    override = os.environ.get(KEY_DIR_ENV)
    if override:
        return Path(override).expanduser()
    if os.name == "nt":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
        return base / "Mailbox Audit" / "keys"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Mailbox Audit" / "keys"
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "mailbox-audit" / "keys"


def fingerprint(public_raw: bytes) -> str:
    """SHA-256 of the raw 32-byte public key, in hex: what reports print and
    ``verify --expect-key`` takes."""
    return hashlib.sha256(public_raw).hexdigest()


def normalize_fingerprint(text: str) -> str:
    """Accept a fingerprint as printed, with or without colons, spaces or upper case."""
    return "".join(ch for ch in text.strip().lower() if ch not in ": -")


@lru_cache(maxsize=64)
def _public_key(public_hex: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))


def verify_signature(public_hex: str, signature_hex: str, message: bytes) -> bool:
    """True when ``signature_hex`` is a valid Ed25519 signature of ``message``."""
    try:
        _public_key(public_hex).verify(bytes.fromhex(signature_hex), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


@dataclass(frozen=True)
class ExaminerKey:
    """A loaded private key, with the public half as the case records it."""

    private: Ed25519PrivateKey
    public_hex: str
    fingerprint: str
    path: Path

    def sign(self, message: bytes) -> str:
        return self.private.sign(message).hex()


_CACHE: dict[Path, ExaminerKey] = {}


def _from_pem(data: bytes, path: Path) -> ExaminerKey:
    try:
        private = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise CustodyError(f"{path}: not a readable examiner key ({exc})") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise CustodyError(f"{path}: is not an Ed25519 key")
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return ExaminerKey(private, raw.hex(), fingerprint(raw), path)


def _read_key(path: Path) -> ExaminerKey:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise CustodyError(f"cannot read the examiner key {path}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(MAX_KEY_FILE + 1)
    if len(data) > MAX_KEY_FILE:
        raise CustodyError(f"{path}: too large to be an examiner key")
    return _from_pem(data, path)


def _create_key(path: Path) -> ExaminerKey:
    """Write a new key with owner-only permissions; O_EXCL so two first uses cannot race."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())
    return _from_pem(pem, path)


def load_key(create: bool = True, directory: Path | None = None) -> ExaminerKey | None:
    """The examiner's key, created (0600) on first use. ``create=False`` returns ``None``
    when there is none yet (``verify`` must not leave a key behind)."""
    path = (directory or key_dir()).resolve() / KEY_FILE
    cached = _CACHE.get(path)
    if cached is not None and path.is_file():
        return cached
    try:
        if path.is_file():
            key = _read_key(path)
        elif not create:
            return None
        else:
            try:
                key = _create_key(path)
            except FileExistsError:  # another process created it between the two looks
                key = _read_key(path)
    except OSError as exc:
        raise CustodyError(f"cannot create the examiner key in {path.parent}: {exc.strerror or exc}") from exc
    _CACHE[path] = key
    return key


def check_outside(case_dir: Path, directory: Path | None = None) -> None:
    """Refuse a key folder inside the case folder: whoever receives the case would get the key."""
    keys = (directory or key_dir()).resolve()
    case = case_dir.resolve()
    if keys == case or case in keys.parents:
        raise CustodyError(
            f"the examiner key folder {keys} is inside the case folder {case}; keep the key outside "
            f"every case folder (set {KEY_DIR_ENV} to another folder)"
        )
