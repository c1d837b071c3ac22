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

import numpy as np
import numpy.typing as npt
from numba import njit

Int32s = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float32]


@njit(cache=True, nogil=True)
def weigh_postings(gaps: npt.NDArray[np.uint8], start: int, end: int, far: Int32s, far_at: int,
                   tf_more: npt.NDArray[np.uint8], tf_extra: npt.NDArray[np.unsignedinteger], extra_at: int,
                   norms: Floats, alive: npt.NDArray[np.bool_], skip_dead: bool, factor: np.float32,
                   rows_out: Int32s, weights_out: Floats, totals: Floats, repeats: np.float32) -> int:
    """One term's merged postings ``[start, end)`` decoded and weighed: the live rows, ascending,
    into ``rows_out`` and their weights ``tf / (norm + tf) * factor`` into ``weights_out``; when
    ``totals`` is not empty, each weight (times ``repeats`` unless it is 1) is added to its row's total.

    ``far`` and ``tf_extra`` are read from ``far_at`` and ``extra_at`` (the term's first far gap
    and first count above 1); returns how many postings were written (dead rows skipped when
    ``skip_dead``).
    """
    adding = len(totals) > 0
    row = 0
    next_far = far_at
    next_extra = extra_at
    written = 0
    for posting in range(start, end):
        gap = gaps[posting]
        if gap == 0:
            row += far[next_far]
            next_far += 1
        else:
            row += gap
        tf = np.float32(1.0)
        if (tf_more[posting >> 3] >> (7 - (posting & 7))) & 1:  # np.packbits' order: the first bit is the highest
            tf = np.float32(tf_extra[next_extra])
            next_extra += 1
        if skip_dead and not alive[row]:
            continue
        weight = tf / (norms[row] + tf) * factor
        rows_out[written] = row
        weights_out[written] = weight
        written += 1
        if adding:
            totals[row] += weight if repeats == 1 else weight * repeats
    return written


@njit(cache=True, nogil=True)
def add_weights(totals: Floats, rows: Int32s, weights: Floats, repeats: np.float32) -> None:
    """``totals[rows] += weights`` (times ``repeats`` unless it is 1); a term's rows are distinct."""
    if repeats == 1:
        for i in range(len(rows)):
            totals[rows[i]] += weights[i]
    else:
        for i in range(len(rows)):
            totals[rows[i]] += weights[i] * repeats
