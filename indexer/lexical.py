"""An incremental BM25 index over passages, held in memory.

Postings are kept per term and turned into NumPy arrays for scoring, so a query touches only
the postings of its own terms. Documents can be added and removed one at a time, which is
what keeping in step with the change log needs. The same code runs whatever database the
application uses, because the application hands it plain text.
"""

import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from indexer.tokenize import tokenize
from indexer.vector_index import Hit

DEFAULT_K1 = 1.2
DEFAULT_B = 0.75


@dataclass
class _Postings:
    ids: list[int]
    tfs: list[int]
    weights: tuple[np.ndarray, np.ndarray] | None = None  # ids and BM25 weights, for one generation
    generation: int = -1


class LexicalIndex:
    """BM25 (Robertson/Sparck Jones idf, Lucene-style saturation) with stemming."""

    def __init__(self, k1: float = DEFAULT_K1, b: float = DEFAULT_B) -> None:
        self.k1 = k1
        self.b = b
        self.last_change = 0
        self._postings: dict[str, _Postings] = {}
        self._doc_terms: dict[int, Counter[str]] = {}
        self._doc_len: dict[int, int] = {}
        self._total_len = 0
        self._length_by_id = np.zeros(1024, dtype=np.float32)
        self._generation = 0
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._doc_len)

    def ids(self) -> set[int]:
        with self._lock:
            return set(self._doc_len)

    def index(self, ids: Iterable[int], texts: Iterable[str], last_change: int = 0) -> None:
        """Replace the whole content."""
        with self._lock:
            self._postings.clear()
            self._doc_terms.clear()
            self._doc_len.clear()
            self._total_len = 0
            self.append(ids, texts)
            self.last_change = last_change

    def append(self, ids: Iterable[int], texts: Iterable[str]) -> None:
        """Add documents; an id already present is replaced."""
        with self._lock:
            for id_, text in zip(ids, texts):
                id_ = int(id_)
                if id_ in self._doc_len:
                    self._remove_one(id_)
                terms = Counter(tokenize(text))
                self._doc_terms[id_] = terms
                self._doc_len[id_] = sum(terms.values())
                self._set_length(id_, self._doc_len[id_])
                self._total_len += self._doc_len[id_]
                for term, tf in terms.items():
                    postings = self._postings.get(term)
                    if postings is None:
                        postings = self._postings[term] = _Postings([], [])
                    postings.ids.append(id_)
                    postings.tfs.append(tf)
            self._generation += 1

    def delete(self, ids: Iterable[int]) -> int:
        """Remove documents (absent ids are ignored); returns how many were removed."""
        removed = 0
        with self._lock:
            for id_ in ids:
                if int(id_) in self._doc_len:
                    self._remove_one(int(id_))
                    removed += 1
            self._generation += 1
        return removed

    def search(self, query: str, k: int, allowed: Iterable[int] | None = None) -> list[Hit]:
        """The k best-scoring documents for a query, optionally only among ``allowed``."""
        terms = list(dict.fromkeys(tokenize(query)))
        with self._lock:
            if not terms or not self._doc_len or k <= 0:
                return []
            matched = [self._weights(p) for p in map(self._postings.get, terms) if p is not None]
            if not matched:
                return []
            size = max(int(ids[-1]) for ids, _ in matched) + 1  # ids ascend; empty postings are dropped
        totals = np.zeros(size, dtype=np.float32)
        for ids, weights in matched:
            totals[ids] += weights  # ids are unique within one term's postings
        if allowed is not None:
            mask = np.zeros(size, dtype=bool)
            wanted = np.fromiter((int(a) for a in allowed), dtype=np.int64)
            mask[wanted[(wanted >= 0) & (wanted < size)]] = True
            totals[~mask] = 0.0
        candidates = np.flatnonzero(totals)
        if not len(candidates):
            return []
        k = min(k, len(candidates))
        scores = totals[candidates]
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((candidates[top], -scores[top]))]
        return [Hit(int(candidates[i]), float(scores[i])) for i in top]

    def _weights(self, postings: _Postings) -> tuple[np.ndarray, np.ndarray]:
        """The postings' ids (ascending) and their BM25 weights, idf included.

        Weights depend on the collection (document count, average length), so they are
        computed once per change of the collection and term, not once per query: every
        append or delete starts a new generation.
        """
        if postings.weights is None or postings.generation != self._generation:
            order = np.argsort(np.asarray(postings.ids, dtype=np.int64), kind="stable")
            ids = np.asarray(postings.ids, dtype=np.int64)[order]
            tfs = np.asarray(postings.tfs, dtype=np.float32)[order]
            lengths = self._length_by_id[ids]
            n_docs, df = len(self._doc_len), len(ids)
            avg_len = self._total_len / n_docs
            idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
            norm = self.k1 * (1.0 - self.b + self.b * lengths / avg_len)
            postings.weights = (ids, (idf * tfs * (self.k1 + 1.0) / (tfs + norm)).astype(np.float32))
            postings.generation = self._generation
        return postings.weights

    def _set_length(self, id_: int, length: int) -> None:
        if id_ >= len(self._length_by_id):
            grown = np.zeros(max(id_ + 1, 2 * len(self._length_by_id)), dtype=np.float32)
            grown[: len(self._length_by_id)] = self._length_by_id
            self._length_by_id = grown
        self._length_by_id[id_] = length

    def _remove_one(self, id_: int) -> None:
        terms = self._doc_terms.pop(id_)
        self._total_len -= self._doc_len.pop(id_)
        self._length_by_id[id_] = 0.0
        for term in terms:
            postings = self._postings[term]
            position = postings.ids.index(id_)
            del postings.ids[position]
            del postings.tfs[position]
            if not postings.ids:
                del self._postings[term]
