"""The lexical index's loops over postings, compiled (Numba): one pass where NumPy takes ten.

A common word in a large commons has hundreds of thousands of postings, and a question of
nine words touches about a million at a million passages (``bench/stages.py``). Decoding a
term's rows from their one-byte gaps, its counts from the bitmap, and its BM25 weights takes
NumPy a pass over the postings for each step (widening the gaps, the running sum, the counts,
each row's length, the sum, the division, the idf); here it is one loop. Adding a term's
weights into the question's totals is another.

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
                   rows_out: Int32s, weights_out: Floats) -> int:
    """One term's merged postings ``[start, end)`` decoded and weighed: the live rows, ascending,
    into ``rows_out`` and their weights ``factor * tf / (norm + tf)`` into ``weights_out``.

    ``far`` and ``tf_extra`` are read from ``far_at`` and ``extra_at`` (the term's first far gap
    and first count above 1); returns how many postings were written (dead rows skipped when
    ``skip_dead``).
    """
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
        rows_out[written] = row
        weights_out[written] = tf / (norms[row] + tf) * factor
        written += 1
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
