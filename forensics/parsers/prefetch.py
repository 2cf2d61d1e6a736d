"""Read evidence blocks one step ahead on a worker thread.

Why: the hashing reader computes SHA-256, SHA-1 and MD5 of every byte as it is read; that
is about a third of the cost of loading a large log. ``hashlib`` releases the GIL on large
buffers, so reading (and hashing) the next block while the parser works on the current
one uses the second core. Still one forward-only reader, one read in flight at a time, so
the bytes parsed are exactly the bytes hashed, in order.

The read in flight must never overlap another use of the reader: if the load stops while
a block is being read ahead (a cancel, an error further up), ``reader.finish()`` — which
hashes the rest of the file for custody — first waits for that read to end.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait

from forensics.custody.hashing import FileHashes, HashingReader


def blocks(reader: HashingReader, size: int) -> Iterator[bytes]:
    """The reader's bytes in blocks of ``size`` (the last one shorter), read ahead by one."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidence-read")
    inflight: list[Future[bytes]] = []
    finish = reader.finish

    def finish_after_read_ahead() -> FileHashes:
        wait(inflight)
        return finish()

    reader.finish = finish_after_read_ahead  # type: ignore[method-assign]
    try:
        inflight.append(pool.submit(reader.read, size))
        while True:
            data = inflight[-1].result()
            if not data:
                return
            inflight[:] = [pool.submit(reader.read, size)]
            yield data
    finally:
        pool.shutdown(wait=True)
        reader.__dict__.pop("finish", None)
