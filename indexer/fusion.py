"""Fusing ranked lists: a normalised convex combination, and reciprocal-rank fusion."""

from indexer.vector_index import Hit


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
    """``w * minmax(dense) + (1 - w) * minmax(lexical)``; an id missing from a list scores 0 there."""
    d, s = min_max(dense), min_max(lexical)
    fused = {i: dense_weight * d.get(i, 0.0) + (1.0 - dense_weight) * s.get(i, 0.0) for i in d.keys() | s.keys()}
    return sorted((Hit(i, v) for i, v in fused.items()), key=lambda h: (-h.score, h.id))


def reciprocal_rank(lists: list[list[Hit]], k: int = 60) -> list[Hit]:
    """Reciprocal-rank fusion: the sum of ``1 / (k + rank)`` over the lists."""
    fused: dict[int, float] = {}
    for hits in lists:
        for rank, hit in enumerate(hits, start=1):
            fused[hit.id] = fused.get(hit.id, 0.0) + 1.0 / (k + rank)
    return sorted((Hit(i, v) for i, v in fused.items()), key=lambda h: (-h.score, h.id))
