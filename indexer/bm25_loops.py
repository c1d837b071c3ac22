"""The lexical index's loops over postings, compiled (Numba): one pass where NumPy takes ten.

A common word in a large commons has hundreds of thousands of postings, and a question of
several such words touches them all (``bench/stages.py`` times the lexical search). Decoding a
term's rows from their one-byte gaps, its counts from the bitmap, and its BM25 weights takes
NumPy a pass over the postings for each step (widening the gaps, the running sum, the counts,
each row's length, the sum, the division, the idf, adding into the question's totals); here it
is one loop.

The arithmetic is the NumPy code's, in the same float32 steps and order (no fused or
reordered operations), so every score is the same to the last bit. Functions are compiled on
first use and the compiled code is kept beside this module, so later processes load it.
"""

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from numba import njit

Int32s = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float32]


@njit(inline="always", nogil=True)
def _next_row(gaps: npt.NDArray[np.uint8], posting: int, far: Int32s, row: int, next_far: int) -> tuple[int, int]:
    """The row of a posting from the one before, and the place of the next far gap: a gap of 0
    stands for the next of the term's far gaps (256 rows or more)."""
    gap = gaps[posting]
    if gap == 0:
        return row + far[next_far], next_far + 1
    return row + gap, next_far


def weigh_postings(gaps: npt.NDArray[np.uint8], start: int, end: int, far: Int32s, far_at: int,
                   tf_more: npt.NDArray[np.uint8], tf_extra: npt.NDArray[np.unsignedinteger], extra_at: int,
                   norms: Floats, alive: npt.NDArray[np.bool_], skip_dead: bool, factor: np.float32,
                   rows_out: Int32s, weights_out: Floats, totals: Floats, repeats: np.float32) -> int:
    """One term's merged postings ``[start, end)`` decoded and weighed: the live rows, ascending,
    into ``rows_out`` and their weights ``tf / (norm + tf) * factor`` into ``weights_out``; when
    ``totals`` is not empty, each weight (times ``repeats``) is added to its row's total.

    ``far`` and ``tf_extra`` are read from ``far_at`` and ``extra_at`` (the term's first far gap
    and first count above 1); returns how many postings were written (dead rows skipped when
    ``skip_dead``).
    """
    loop = _LOOPS[skip_dead, len(totals) > 0]
    return loop(gaps, start, end, far, far_at, tf_more, tf_extra if len(tf_extra) else _NO_COUNTS, extra_at,
                norms, alive, factor, rows_out, weights_out, totals, repeats)


_NO_COUNTS = np.ones(1, dtype=np.uint8)  # read, never used, when no posting counts more than 1


def _compiled_loop(skip_dead: bool, adding: bool) -> Callable[..., int]:
    """The loop compiled for one case: ``skip_dead`` and ``adding`` are constants to the compiler,
    so the most common case (no dead rows, adding into the totals) has no test of either."""

    @njit(cache=True, nogil=True)
    def loop(gaps: npt.NDArray[np.uint8], start: int, end: int, far: Int32s, far_at: int,
             tf_more: npt.NDArray[np.uint8], tf_extra: npt.NDArray[np.unsignedinteger], extra_at: int,
             norms: Floats, alive: npt.NDArray[np.bool_], factor: np.float32,
             rows_out: Int32s, weights_out: Floats, totals: Floats, repeats: np.float32) -> int:
        row = 0
        next_far = far_at
        next_extra = extra_at
        last_extra = len(tf_extra) - 1
        written = 0
        for posting in range(start, end):
            row, next_far = _next_row(gaps, posting, far, row, next_far)
            # the count is 1 unless the posting's bit is set (np.packbits' order: the first bit is the
            # highest); the next count above 1 is read either way, so the choice needs no branch
            more = (tf_more[posting >> 3] >> (7 - (posting & 7))) & 1
            extra = np.float32(tf_extra[min(next_extra, last_extra)])
            tf = extra if more else np.float32(1.0)
            next_extra += more
            if skip_dead and not alive[row]:
                continue
            weight = tf / (norms[row] + tf) * factor
            rows_out[written] = row
            weights_out[written] = weight
            written += 1
            if adding:
                totals[row] += weight * repeats  # times 1 is exact
        return written

    return loop


_LOOPS = {(skip_dead, adding): _compiled_loop(skip_dead, adding)
          for skip_dead in (False, True) for adding in (False, True)}


@njit(cache=True, nogil=True)
def add_weights(totals: Floats, rows: Int32s, weights: Floats, repeats: np.float32) -> None:
    """``totals[rows] += weights`` (times ``repeats`` unless it is 1); a term's rows are distinct."""
    if repeats == 1:
        for i in range(len(rows)):
            totals[rows[i]] += weights[i]
    else:
        for i in range(len(rows)):
            totals[rows[i]] += weights[i] * repeats


@njit(cache=True, nogil=True)
def rows_held(gaps: npt.NDArray[np.uint8], start: int, end: int, far: Int32s, far_at: int,
              wanted: Int32s, held_out: npt.NDArray[np.bool_]) -> None:
    """Which of ``wanted`` (rows, ascending) a term's merged postings ``[start, end)`` hold:
    ``held_out[i]`` is set for each that does. The rows are decoded as they are compared, and
    the walk stops past the last row wanted."""
    count = len(wanted)
    if count == 0:
        return
    row = 0
    next_far = far_at
    at = 0
    for posting in range(start, end):
        row, next_far = _next_row(gaps, posting, far, row, next_far)
        while at < count and wanted[at] < row:
            at += 1
        if at == count:
            return
        same = at
        while same < count and wanted[same] == row:
            held_out[same] = True
            same += 1
