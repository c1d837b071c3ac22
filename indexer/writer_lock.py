"""One index writer at a time across processes: an exclusive lock on a file in the index folder.

Readers never take it: they use their in-memory replica, and a saved index only becomes
visible when its manifest is renamed into place. The lock only keeps two writers from
interleaving their saves (and an older replica from overwriting a newer save).
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_NAME = ".writer.lock"

try:
    import fcntl

    HAS_FLOCK = True
except ImportError:  # Windows: one process per index folder is assumed there
    HAS_FLOCK = False


@contextmanager
def writer_lock(directory: Path) -> Iterator[None]:
    """Hold the index folder's writer lock (blocking) for the ``with`` block."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if HAS_FLOCK:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
