"""Read-ahead keeps the bytes, their order and the custody hashes exactly as a plain read."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from forensics.custody.hashing import HashingReader
from forensics.parsers.prefetch import blocks


def test_blocks_are_the_file_in_order_and_hashed(tmp_path: Path) -> None:
    data = os.urandom(100_003)
    path = tmp_path / "evidence.bin"
    path.write_bytes(data)
    with HashingReader(path) as reader:
        head = reader.peek(10)
        parts = list(blocks(reader, 4096))
        hashes = reader.finish()
    assert head == data[:10]
    assert b"".join(parts) == data and all(len(p) == 4096 for p in parts[:-1])
    assert hashes.sha256 == hashlib.sha256(data).hexdigest() and hashes.md5 == hashlib.md5(data).hexdigest()


def test_consumer_may_stop_early(tmp_path: Path) -> None:
    path = tmp_path / "e.bin"
    path.write_bytes(b"x" * 50_000)
    with HashingReader(path) as reader:
        for _ in blocks(reader, 1000):
            break
        assert reader.finish().size == 50_000


def test_finish_while_a_block_is_read_ahead_waits_for_it(tmp_path: Path) -> None:
    """A cancel mid-load leaves the generator suspended with a read in flight; custody's
    finish() must still hash every byte exactly once, in order."""
    data = os.urandom(300_000)
    path = tmp_path / "e.bin"
    path.write_bytes(data)
    with HashingReader(path) as reader:
        stream = blocks(reader, 10_000)
        next(stream)  # suspended: the next block is being read on the worker thread
        hashes = reader.finish()
        stream.close()
    assert hashes.sha256 == hashlib.sha256(data).hexdigest() and hashes.size == len(data)
    assert "finish" not in reader.__dict__
