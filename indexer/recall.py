"""Recall of an approximate index against exact search, and tuning ``nprobe`` to a target.

Ground truth is exact inner product over the float32 vectors, computed in blocks so that
no second copy of a large corpus is held. Calibration queries are stored vectors pushed
in a random direction twice as far as their own length (cosine 0.45 with the vector they
came from, about what a question has with the passage that answers it): such a point is
near passages but on none of them, which is harder for an inverted file than a stored
vector would be.
"""

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from indexer.types import Vectors

SearchFn = Callable[[Vectors, int, int], npt.NDArray[np.int64]]  # queries, k, nprobe -> ids
NPROBES = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)


def exact_top_k(
    vectors: Vectors, ids: npt.NDArray[np.int64], queries: Vectors, k: int, block: int = 65_536
) -> npt.NDArray[np.int64]:
    """The ids of the k best inner products of each query, by brute force."""
    k = min(k, len(vectors))
    best_scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    best_ids = np.full((len(queries), k), -1, dtype=np.int64)
    for start in range(0, len(vectors), block):
        scores = queries @ vectors[start : start + block].T
        block_ids = np.broadcast_to(ids[start : start + block], scores.shape)
        scores = np.concatenate([best_scores, scores], axis=1)
        all_ids = np.concatenate([best_ids, block_ids], axis=1)
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(scores, top, axis=1)
        best_ids = np.take_along_axis(all_ids, top, axis=1)
    return best_ids


def recall_at_k(found: npt.NDArray[np.int64], truth: npt.NDArray[np.int64]) -> float:
    """Mean share of each query's true top k that the approximate search returned."""
    if not len(truth):
        return 1.0
    hits = sum(len(set(f.tolist()) & set(t.tolist())) for f, t in zip(found, truth, strict=True))
    return hits / truth.size


def calibration_queries(vectors: Vectors, count: int, seed: int = 0, spread: float = 2.0) -> Vectors:
    """Random stored vectors moved ``spread`` times their length in a random direction."""
    rng = np.random.default_rng(seed)
    base = vectors[rng.integers(0, len(vectors), count)]
    noise = rng.normal(size=base.shape)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    mid = (base + spread * noise).astype(np.float32)
    norms = np.linalg.norm(mid, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(mid / norms, dtype=np.float32)


def tune_nprobe(
    search: SearchFn, queries: Vectors, truth: npt.NDArray[np.int64], nlist: int, target: float, k: int = 10
) -> tuple[int, float]:
    """The smallest nprobe whose recall@k reaches ``target`` (or all lists), with that recall."""
    recall = 0.0
    for nprobe in [p for p in NPROBES if p < nlist] + [nlist]:
        recall = recall_at_k(search(queries, k, nprobe), truth)
        if recall >= target:
            return nprobe, recall
    return nlist, recall
