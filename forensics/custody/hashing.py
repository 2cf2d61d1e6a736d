"""Hash evidence with SHA-256, SHA-1 and MD5 over exactly the bytes the parser reads.

Parsers never open evidence themselves: they read through a ``HashingReader``, which opens
the file read-only and updates all three digests as bytes pass. Reads must be sequential;
at ``finish()`` whatever the parser did not consume is read and hashed too, so the digest
always covers the whole file from one single read.
"""

from __future__ import annotations

import hashlib
import io
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
import os
from dataclasses import dataclass
from pathlib import Path

from forensics.errors import EvidenceError, LoadCancelled
from forensics.safe_io import UnsafePathError, open_regular_readonly

BLOCK = 1 << 20
PARALLEL_MIN = 256 << 10  # below this a thread hand-off costs more than it saves
#: large reads handed to the hashing threads and not yet hashed (bounds the memory they hold)
MAX_IN_FLIGHT = 3
_LANES: tuple[ThreadPoolExecutor, ThreadPoolExecutor] | None = None


def _lanes() -> tuple[ThreadPoolExecutor, ThreadPoolExecutor]:
    """Two hashing threads: MD5 on one, SHA-256 then SHA-1 on the other.

    Each is a single worker, so the updates of a digest run in the order the bytes were
    read. MD5 has no CPU acceleration and costs as much as the other two together, hence
    its own lane; hashlib releases the GIL on large buffers, so both run beside the parser.
    """
    global _LANES
    if _LANES is None:
        _LANES = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="md5"),
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha"),
        )
    return _LANES


def _sha_update(sha256: "hashlib._Hash", sha1: "hashlib._Hash", data: bytes) -> None:
    sha256.update(data)
    sha1.update(data)


@dataclass(frozen=True)
class FileHashes:
    sha256: str
    sha1: str
    md5: str
    size: int


class HashingReader(io.RawIOBase):
    """A read-only, forward-only binary stream that hashes what it yields.

    ``peek(n)`` lets a format sniffer look at the head without losing those bytes.
    ``tell()`` is the count of bytes handed out; ``seek`` is allowed only to the current
    position (pandas and csv probe it).
    """

    def __init__(self, path: str | os.PathLike[str], progress: "callable | None" = None, *,
                 stream: "io.RawIOBase | io.BufferedIOBase | None" = None, size: int = 0, mtime: float = 0.0) -> None:
        """``stream`` (with its ``size`` and ``mtime``) reads a file inside a container
        (``forensics.containers``) instead of opening ``path``, which then only names it."""
        super().__init__()
        self.path = Path(path)
        if stream is not None:
            self._init_digests(stream, size, mtime, progress)
            return
        try:
            # only a regular file, opened non-blocking: a FIFO or device named as evidence
            # (e.g. by a hostile case.json) is refused instead of hanging or reading forever
            self._fh = open(open_regular_readonly(self.path), "rb", buffering=0)  # noqa: SIM115 - closed in close()
        except UnsafePathError as exc:
            raise EvidenceError(str(exc)) from exc
        except FileNotFoundError as exc:
            raise EvidenceError(f"{self.path}: no such file") from exc
        except IsADirectoryError as exc:
            raise EvidenceError(f"{self.path}: is a directory, not a file") from exc
        except PermissionError as exc:
            raise EvidenceError(f"{self.path}: permission denied") from exc
        except OSError as exc:
            raise EvidenceError(f"{self.path}: cannot open ({exc.strerror or exc})") from exc
        stat = os.fstat(self._fh.fileno())
        self._init_digests(self._fh, stat.st_size, stat.st_mtime, progress)

    def _init_digests(self, fh: "io.RawIOBase | io.BufferedIOBase", size: int, mtime: float,
                      progress: "callable | None") -> None:
        self._fh = fh
        self.size = size
        self.mtime = mtime
        self._sha256 = hashlib.sha256()
        self._sha1 = hashlib.sha1()  # noqa: S324 - acquisition hashes are often SHA-1/MD5
        self._md5 = hashlib.md5()  # noqa: S324
        self._buffer = b""  # peeked, hashed, not yet handed out
        self._pos = 0
        self._progress = progress
        #: polled before each block is read (a load's cancel): bounds how long a parser that
        #: is reading can run on after a cancel by one block's read, whatever the format
        self.cancelled: Callable[[], bool] | None = None
        self._hashes: FileHashes | None = None
        self._in_flight: deque[tuple[Future[None], Future[None]]] = deque()

    # -- raw reading -------------------------------------------------------------------
    def _read_file(self, n: int) -> bytes:
        if self.cancelled is not None and self.cancelled():
            raise LoadCancelled(f"load cancelled while reading {self.path.name}")
        data = self._fh.read(n)
        if len(data) >= PARALLEL_MIN or self._in_flight:
            # hashed on the two lanes while reading and parsing go on (the same immutable
            # bytes the parser gets, in file order); small reads behind them queue too
            md5_lane, sha_lane = _lanes()
            self._in_flight.append((
                md5_lane.submit(self._md5.update, data),
                sha_lane.submit(_sha_update, self._sha256, self._sha1, data),
            ))
            while len(self._in_flight) > MAX_IN_FLIGHT:
                for done in self._in_flight.popleft():
                    done.result()
        elif data:
            self._sha256.update(data)
            self._sha1.update(data)
            self._md5.update(data)
        return data

    def _wait_for_hashing(self) -> None:
        while self._in_flight:
            for done in self._in_flight.popleft():
                done.result()

    def peek(self, n: int) -> bytes:
        while len(self._buffer) < n:
            more = self._read_file(max(n - len(self._buffer), BLOCK))
            if not more:
                break
            self._buffer += more
        return self._buffer[:n]

    def read(self, n: int = -1) -> bytes:  # type: ignore[override]
        if n is None or n < 0:
            parts = [self._buffer]
            self._buffer = b""
            while chunk := self._read_file(BLOCK):
                parts.append(chunk)
            data = b"".join(parts)
        else:
            if len(self._buffer) >= n:
                data, self._buffer = self._buffer[:n], self._buffer[n:]
            else:
                data = self._buffer + self._read_file(n - len(self._buffer))
                self._buffer = b""
        self._pos += len(data)
        if self._progress is not None and self.size:
            self._progress(self._pos, self.size)
        return data

    def readinto(self, buffer: "bytearray | memoryview") -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = {io.SEEK_SET: offset, io.SEEK_CUR: self._pos + offset}.get(whence)
        if target != self._pos:
            raise io.UnsupportedOperation("evidence streams are forward-only")
        return self._pos

    # -- completion --------------------------------------------------------------------
    def finish(self) -> FileHashes:
        """Hash the unread rest of the file and return the digests of the whole file."""
        if self._hashes is None:
            self._buffer = b""
            while self._read_file(BLOCK):
                pass
            self._wait_for_hashing()
            self._hashes = FileHashes(
                sha256=self._sha256.hexdigest(),
                sha1=self._sha1.hexdigest(),
                md5=self._md5.hexdigest(),
                size=self.size,
            )
        return self._hashes

    def close(self) -> None:
        if not self.closed:
            self._fh.close()
        super().close()


def hash_file(path: str | os.PathLike[str]) -> FileHashes:
    """Hash a whole file read-only (used by ``verify`` and for reports)."""
    with HashingReader(path) as reader:
        return reader.finish()
