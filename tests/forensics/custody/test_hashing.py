"""Evidence is hashed over exactly the bytes handed to the parser, read-only."""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path

import pytest

from forensics.custody.hashing import PARALLEL_MIN, HashingReader, hash_file
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


def test_mixed_small_and_large_reads_keep_every_digest_in_file_order(tmp_path: Path) -> None:
    """Large reads are hashed on helper threads; small ones queued behind them must not
    overtake them (a digest over reordered bytes would still look like a valid hash)."""

    rng = random.Random(7)
    data = bytes(rng.randrange(256) for _ in range(3 * 1024 * 1024 + 77))
    path = tmp_path / "evidence.bin"
    path.write_bytes(data)
    for _ in range(5):
        with HashingReader(path) as reader:
            seen = bytearray(reader.peek(10))
            seen.clear()
            while chunk := reader.read(rng.choice([1, 999, PARALLEL_MIN - 1, PARALLEL_MIN, 700_000])):
                seen += chunk
            digests = reader.finish()
        assert bytes(seen) == data
        assert (digests.sha256, digests.sha1, digests.md5) == (
            hashlib.sha256(data).hexdigest(), hashlib.sha1(data).hexdigest(), hashlib.md5(data).hexdigest()
        )
