"""Handing freed memory back to the operating system after a bulk build.

Building an index from every passage makes and drops many short-lived objects; the C
allocator keeps the freed pages for reuse, so a serving process would otherwise stay as
large as the build's peak.
"""

import ctypes
import sys


def release_free_memory() -> None:
    """Ask the C allocator to return its free pages (glibc's ``malloc_trim``; elsewhere a no-op)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
