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


SKIP = 1 << 7  # postings per skip block (the shifts by 7 below): a seek jumps whole blocks, then decodes within one


@njit(inline="always", nogil=True)
def _seek_block(posting: int, end: int, wanted: int, skip_rows: Int32s) -> int:
    """The last block past ``posting`` (within ``end``) that a seek for the row ``wanted`` can
    jump to, or -1: ``skip_rows[b]`` is the row of posting ``SKIP * b - 1``, and when it is
    below ``wanted`` so is every posting of the term before block ``b``. The blocks are counted
    over all terms' postings, so one set of skips serves every term."""
    block = (posting >> 7) + 1
    found = -1
    while (block << 7) <= end and skip_rows[block] < wanted:
        found = block
        block += 1
    return found


def weigh_rows(gaps: npt.NDArray[np.uint8], start: int, end: int, far: Int32s, far_at: int,
               tf_more: npt.NDArray[np.uint8], tf_extra: npt.NDArray[np.unsignedinteger], extra_at: int,
               skip_rows: Int32s, skip_far: Int32s, skip_extra: Int32s,
               norms: Floats, factor: np.float32, wanted: Int32s, totals: Floats, repeats: np.float32) -> int:
    """One term's weights for some rows only: for each of ``wanted`` (rows, ascending) that the
    term's merged postings ``[start, end)`` hold, ``tf / (norm + tf) * factor`` (times
    ``repeats``) is added to its total, the same arithmetic as :func:`weigh_postings`.

    Whole blocks of postings below the next row wanted are jumped over (``skip_*``: each
    block start's row before, far gap and count above 1), so a common word costs about one
    block per row wanted rather than all its postings. Returns how many rows it held.
    """
    return _weigh_rows(gaps, start, end, far, far_at, tf_more, tf_extra if len(tf_extra) else _NO_COUNTS, extra_at,
                       skip_rows, skip_far, skip_extra, norms, factor, wanted, totals, repeats)


@njit(cache=True, nogil=True)
def _weigh_rows(gaps: npt.NDArray[np.uint8], start: int, end: int, far: Int32s, far_at: int,
                tf_more: npt.NDArray[np.uint8], tf_extra: npt.NDArray[np.unsignedinteger], extra_at: int,
                skip_rows: Int32s, skip_far: Int32s, skip_extra: Int32s,
                norms: Floats, factor: np.float32, wanted: Int32s, totals: Floats, repeats: np.float32) -> int:
    row = 0
    posting = start
    next_far = far_at
    next_extra = extra_at
    last_extra = len(tf_extra) - 1
    held = 0
    for i in range(len(wanted)):
        target = wanted[i]
        block = _seek_block(posting, end, target, skip_rows)
        if block >= 0:
            posting = block << 7
            row = skip_rows[block]
            next_far = skip_far[block]
            next_extra = skip_extra[block]
        while posting < end:
            gap = gaps[posting]
            following = row + (far[next_far] if gap == 0 else gap)
            if following > target:
                break
            row = following
            if gap == 0:
                next_far += 1
            more = (tf_more[posting >> 3] >> (7 - (posting & 7))) & 1
            extra = np.float32(tf_extra[min(next_extra, last_extra)])
            next_extra += more
            posting += 1
            if row == target:
                tf = extra if more else np.float32(1.0)
                weight = tf / (norms[row] + tf) * factor
                totals[row] += weight * repeats  # times 1 is exact
                held += 1
                break
        if posting >= end:
            break
    return held


@njit(cache=True, nogil=True)
def count_alive(gaps: npt.NDArray[np.uint8], start: int, end: int, far: Int32s, far_at: int,
                alive: npt.NDArray[np.bool_]) -> int:
    """How many of a term's merged postings ``[start, end)`` are of live rows."""
    row = 0
    next_far = far_at
    count = 0
    for posting in range(start, end):
        row, next_far = _next_row(gaps, posting, far, row, next_far)
        if alive[row]:
            count += 1
    return count


@njit(cache=True, nogil=True)
def rows_held(gaps: npt.NDArray[np.uint8], start: int, end: int, far: Int32s, far_at: int,
              skip_rows: Int32s, skip_far: Int32s, wanted: Int32s, held_out: npt.NDArray[np.bool_]) -> None:
    """Which of ``wanted`` (rows, ascending) a term's merged postings ``[start, end)`` hold:
    ``held_out[i]`` is set for each that does. Blocks of postings below the next row wanted
    are jumped over (as in :func:`weigh_rows`), the rest decoded as they are compared."""
    row = 0
    posting = start
    next_far = far_at
    for i in range(len(wanted)):
        target = wanted[i]
        if i and target == wanted[i - 1]:  # the same row asked twice
            held_out[i] = held_out[i - 1]
            continue
        block = _seek_block(posting, end, target, skip_rows)
        if block >= 0:
            posting = block << 7
            row = skip_rows[block]
            next_far = skip_far[block]
        while posting < end:
            gap = gaps[posting]
            following = row + (far[next_far] if gap == 0 else gap)
            if following > target:
                break
            row = following
            if gap == 0:
                next_far += 1
            posting += 1
            if row == target:
                held_out[i] = True
                break
