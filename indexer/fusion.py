"""Fusing ranked lists: a normalised convex combination, and reciprocal-rank fusion."""

import numpy as np
import numpy.typing as npt

from indexer.types import Hit


def min_max(hits: list[Hit]) -> dict[int, float]:
    """Scores rescaled to [0, 1] within one list (all 1.0 when every score is equal)."""
    if not hits:
        return {}
    scores = [h.score for h in hits]
    low, high = min(scores), max(scores)
    if high == low:
        return {h.id: 1.0 for h in hits}
    return {h.id: (h.score - low) / (high - low) for h in hits}


def convex(dense: list[Hit], lexical: list[Hit], dense_weight: float) -> list[Hit]:
    """``w * minmax(dense) + (1 - w) * minmax(lexical)``; an id missing from a list scores 0 there.

    Ties are broken by id. Computed on arrays (in double precision, as :func:`min_max` does).
    """
    ids, fused = convex_arrays(dense, lexical, dense_weight)
    return [Hit(i, v) for i, v in zip(ids.tolist(), fused.tolist(), strict=True)]


def convex_arrays(dense: list[Hit], lexical: list[Hit],
                  dense_weight: float) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """:func:`convex` as two arrays in the fused order, the ids and their scores (no object per hit)."""
    d_ids, d = _min_max_arrays(dense)
    s_ids, s = _min_max_arrays(lexical)
    ids = np.union1d(d_ids, s_ids)
    d_all = np.zeros(len(ids))
    s_all = np.zeros(len(ids))
    d_all[np.searchsorted(ids, d_ids)] = d
    s_all[np.searchsorted(ids, s_ids)] = s
    fused = dense_weight * d_all + (1.0 - dense_weight) * s_all
    order = np.lexsort((ids, -fused))
    return ids[order], fused[order]


def _min_max_arrays(hits: list[Hit]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Ids (unique) and min-max scores of one list, as :func:`min_max` computes them."""
    scores = {h.id: h.score for h in hits}
    ids = np.fromiter(scores.keys(), dtype=np.int64, count=len(scores))
    values = np.fromiter(scores.values(), dtype=np.float64, count=len(scores))
    if not len(values):
        return ids, values
    low, high = float(values.min()), float(values.max())
    if high == low:
        return ids, np.ones(len(values))
    return ids, (values - low) / (high - low)


def reciprocal_rank(lists: list[list[Hit]], k: int = 60) -> list[Hit]:
    """Reciprocal-rank fusion: the sum of ``1 / (k + rank)`` over the lists."""
    fused: dict[int, float] = {}
    for hits in lists:
        for rank, hit in enumerate(hits, start=1):
            fused[hit.id] = fused.get(hit.id, 0.0) + 1.0 / (k + rank)
    return sorted((Hit(i, v) for i, v in fused.items()), key=lambda h: (-h.score, h.id))
