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
    arrays: tuple[np.ndarray, np.ndarray] | None = None

    def as_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self.arrays is None:
            self.arrays = (np.asarray(self.ids, dtype=np.int64), np.asarray(self.tfs, dtype=np.float32))
        return self.arrays


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
        self._lengths: np.ndarray | None = None
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
                self._total_len += self._doc_len[id_]
                for term, tf in terms.items():
                    postings = self._postings.get(term)
                    if postings is None:
                        postings = self._postings[term] = _Postings([], [])
                    postings.ids.append(id_)
                    postings.tfs.append(tf)
                    postings.arrays = None
            self._lengths = None

    def delete(self, ids: Iterable[int]) -> int:
        """Remove documents (absent ids are ignored); returns how many were removed."""
        removed = 0
        with self._lock:
            for id_ in ids:
                if int(id_) in self._doc_len:
                    self._remove_one(int(id_))
                    removed += 1
            self._lengths = None
        return removed

    def search(self, query: str, k: int, allowed: Iterable[int] | None = None) -> list[Hit]:
        """The k best-scoring documents for a query, optionally only among ``allowed``."""
        terms = list(dict.fromkeys(tokenize(query)))
        with self._lock:
            n_docs = len(self._doc_len)
            if not terms or n_docs == 0 or k <= 0:
                return []
            avg_len = self._total_len / n_docs
            id_parts: list[np.ndarray] = []
            score_parts: list[np.ndarray] = []
            for term in terms:
                postings = self._postings.get(term)
                if postings is None or not postings.ids:
                    continue
                ids, tfs = postings.as_arrays()
                df = len(ids)
                idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
                lengths = self._length_of(ids)
                norm = self.k1 * (1.0 - self.b + self.b * lengths / avg_len)
                id_parts.append(ids)
                score_parts.append((idf * tfs * (self.k1 + 1.0) / (tfs + norm)).astype(np.float32))
        if not id_parts:
            return []
        all_ids = np.concatenate(id_parts)
        all_scores = np.concatenate(score_parts)
        if allowed is not None:
            keep = np.isin(all_ids, np.fromiter((int(a) for a in allowed), dtype=np.int64))
            all_ids, all_scores = all_ids[keep], all_scores[keep]
            if not len(all_ids):
                return []
        unique, inverse = np.unique(all_ids, return_inverse=True)
        totals = np.bincount(inverse, weights=all_scores)
        k = min(k, len(unique))
        top = np.argpartition(-totals, k - 1)[:k]
        top = top[np.argsort(-totals[top], kind="stable")]
        return [Hit(int(unique[i]), float(totals[i])) for i in top]

    def _length_of(self, ids: np.ndarray) -> np.ndarray:
        if self._lengths is None or len(self._lengths) <= int(max(self._doc_len, default=0)):
            size = int(max(self._doc_len, default=0)) + 1
            lengths = np.zeros(size, dtype=np.float32)
            for id_, length in self._doc_len.items():
                lengths[id_] = length
            self._lengths = lengths
        return self._lengths[ids]

    def _remove_one(self, id_: int) -> None:
        terms = self._doc_terms.pop(id_)
        self._total_len -= self._doc_len.pop(id_)
        for term in terms:
            postings = self._postings[term]
            position = postings.ids.index(id_)
            del postings.ids[position]
            del postings.tfs[position]
            postings.arrays = None
            if not postings.ids:
                del self._postings[term]
