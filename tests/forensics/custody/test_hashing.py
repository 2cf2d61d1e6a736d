"""Evidence is hashed over exactly the bytes handed to the parser, read-only."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from forensics.custody.hashing import HashingReader, hash_file
from forensics.errors import EvidenceError


def test_digests_cover_whole_file_even_if_parser_stops_early(tmp_path: Path) -> None:
    data = bytes(range(256)) * 10_000
    path = tmp_path / "e.bin"
    path.write_bytes(data)
    with HashingReader(path) as reader:
        assert reader.peek(10) == data[:10]
        assert reader.read(5) == data[:5]
        assert reader.read(20) == data[5:25]
        hashes = reader.finish()
    assert hashes.sha256 == hashlib.sha256(data).hexdigest()
    assert hashes.sha1 == hashlib.sha1(data).hexdigest()  # noqa: S324
    assert hashes.md5 == hashlib.md5(data).hexdigest()  # noqa: S324
    assert hashes.size == len(data)
    assert hash_file(path) == hashes


def test_reader_is_forward_only(tmp_path: Path) -> None:
    path = tmp_path / "e.bin"
    path.write_bytes(b"abcdef")
    with HashingReader(path) as reader:
        reader.read(3)
        assert reader.seek(0, io.SEEK_CUR) == 3
        with pytest.raises(io.UnsupportedOperation):
            reader.seek(0)


def test_readinto_and_readall(tmp_path: Path) -> None:
    path = tmp_path / "e.bin"
    path.write_bytes(b"0123456789")
    with HashingReader(path) as reader:
        buf = bytearray(4)
        assert reader.readinto(buf) == 4 and bytes(buf) == b"0123"
        assert reader.read() == b"456789"
        assert reader.read(3) == b""


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_user_errors_are_clear(tmp_path: Path, make: str) -> None:
    path = tmp_path / "x"
    if make == "directory":
        path.mkdir()
    with pytest.raises(EvidenceError) as info:
        HashingReader(path)
    assert str(path) in str(info.value)
