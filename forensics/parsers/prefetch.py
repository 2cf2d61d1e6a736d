"""Read evidence blocks one step ahead on a worker thread.

Why: the hashing reader computes SHA-256, SHA-1 and MD5 of every byte as it is read; that
is about a third of the cost of loading a large log. ``hashlib`` releases the GIL on large
buffers, so reading (and hashing) the next block while the parser works on the current
one uses the second core. Still one forward-only reader, one read in flight at a time, so
the bytes parsed are exactly the bytes hashed, in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from forensics.custody.hashing import HashingReader


def blocks(reader: HashingReader, size: int) -> Iterator[bytes]:
    """The reader's bytes in blocks of ``size`` (the last one shorter), read ahead by one."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidence-read")
    try:
        pending: Future[bytes] = pool.submit(reader.read, size)
        while True:
            data = pending.result()
            if not data:
                return
            pending = pool.submit(reader.read, size)
            yield data
    finally:
        pool.shutdown(wait=True, cancel_futures=False)
