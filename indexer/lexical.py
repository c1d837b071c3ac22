"""An incremental BM25 index over passages, held in memory as NumPy arrays.

Postings are stored term by term in compressed rows: for each term, the rows (documents)
it occurs in, ascending, as the gap from the row before (the first from row 0) in one byte.
A gap that does not fit in a byte (or is 0: only a first row can be) is written as byte 0
and kept whole in a short ``int32`` list of the term's far gaps. Most words occur once in a
passage of a few sentences, so the counts are one bit per posting (set
where the count is above 1) and, for those only, the count as ``uint8`` (``uint16`` once some
word occurs more than 255 times in one passage). So the index costs a little over one byte
per distinct word of a passage rather than Python objects, and a term's rows are decoded
with one running sum. Each term's string is
held once, in the vocabulary. New documents go to a small buffer that is merged in blocks;
a removed document's row is marked dead and its postings are dropped when dead rows make
up a quarter of the index. Collection statistics (document count, document frequency,
average length) always count live documents only, so scores are exactly BM25 over the
live collection after every change. A query touches only the postings of its own terms.
"""

import threading
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from indexer.bm25_loops import add_weights, rows_held, weigh_postings
from indexer.tokenize import tokenize
from indexer.types import Hit

DEFAULT_K1 = 1.2
DEFAULT_B = 0.75
MAX_TF = np.iinfo(np.uint16).max  # passages are far shorter; a longer run would saturate here
MAX_ID = np.iinfo(np.int32).max  # document ids are kept as 32-bit numbers (a database's integer key)
MIN_MERGE = 200_000  # buffered postings merged once there are this many, or a quarter of the merged ones
MIN_COMPACT = 1_000  # dead rows are dropped once there are this many and they are a quarter of all rows
WEIGHT_CACHE_SHARE = 4  # cached term weights: at most this many entries per live document
_NO_TOTALS = np.zeros(0, dtype=np.float32)  # weigh_postings' totals when it is not to add

Int32s = npt.NDArray[np.int32]
Bytes = npt.NDArray[np.uint8]
Floats = npt.NDArray[np.float32]
Counts = npt.NDArray[np.unsignedinteger[Any]]
Scalar = TypeVar("Scalar", bound=np.generic)


class LexicalIndex:
    """BM25 (Robertson/Sparck Jones idf, Lucene-style saturation) with stemming.

    A query's repeated words count as often as they occur, as in Lucene and bm25s: a long
    question that names its subject twice weighs it twice. ``stem_overrides`` maps words to the
    token they stand for instead of their stem (see :func:`indexer.tokenize.tokenize`); it
    applies to passages and queries alike, so it is fixed for the life of the index.
    """

    def __init__(self, k1: float = DEFAULT_K1, b: float = DEFAULT_B,
                 stem_overrides: Mapping[str, str] | None = None) -> None:
        self.k1 = k1
        self.b = b
        self.stem_overrides: dict[str, str] = {w.lower(): t for w, t in (stem_overrides or {}).items()}
        self.last_change = 0
        self._lock = threading.RLock()
        self._reset()

    def _reset(self) -> None:
        self._terms: dict[str, int] = {}  # term -> term number
        self._starts = np.zeros(1, dtype=np.int64)  # term t's merged postings: [starts[t], starts[t + 1])
        self._gaps: Bytes = np.zeros(0, dtype=np.uint8)  # merged postings' row gaps, 0 where the gap is far
        self._far: Int32s = np.zeros(0, dtype=np.int32)  # the far gaps, term by term, in order
        self._far_starts = np.zeros(1, dtype=np.int64)  # term t's far gaps: [far_starts[t], far_starts[t + 1])
        # term counts: most are 1, so only the others are kept, flagged in a bitmap of the merged postings
        self._tf_more: Bytes = np.zeros(0, dtype=np.uint8)  # bit i: merged posting i's count is above 1
        self._tf_extra: Counts = np.zeros(0, dtype=np.uint8)  # those counts, term by term, in order
        self._tf_starts = np.zeros(1, dtype=np.int64)  # term t's counts above 1: [tf_starts[t], tf_starts[t + 1])
        self._buffer: tuple[array[int], array[int], array[int]] = (array("i"), array("i"), array("H"))
        self._buffer_sorted: tuple[npt.NDArray[np.int64], Int32s, Counts] | None = None
        self._row_id: Int32s = np.zeros(1024, dtype=np.int32)  # row -> document id (below 2**31, as _row_of)
        self._row_len: Floats = np.zeros(1024, dtype=np.float32)
        self._alive = np.zeros(1024, dtype=bool)
        self._row_of: Int32s = np.full(1024, -1, dtype=np.int32)  # document id -> row, -1 when absent
        self._n_rows = 0
        self._live = 0
        self._total_len = 0
        self._generation = 0
        self._weights: OrderedDict[int, tuple[int, Int32s, Floats]] = OrderedDict()
        self._norms: tuple[int, Floats] = (-1, np.zeros(0, dtype=np.float32))
        self._last_allowed: tuple[object, int, npt.NDArray[np.bool_]] | None = None
        self._cached_entries = 0
        self._spelling: tuple[int, dict[tuple[str, int], list[tuple[str, int]]]] = (-1, {})

    def __len__(self) -> int:
        return self._live

    def ids(self) -> set[int]:
        with self._lock:
            n = self._n_rows
            return set(self._row_id[:n][self._alive[:n]].tolist())

    def index(self, ids: Iterable[int], texts: Iterable[str], last_change: int = 0) -> None:
        """Replace the whole content."""
        with self._lock:
            self._reset()
            self.append(ids, texts)
            self.merge()
            self.last_change = last_change

    def merge(self) -> None:
        """Merge buffered postings now (after a bulk load: the merged form is the compact one)."""
        with self._lock:
            self._merge()

    def append(self, ids: Iterable[int], texts: Iterable[str]) -> None:
        """Add documents; an id already present is replaced."""
        with self._lock:
            terms, rows, tfs = self._buffer
            vocabulary = self._terms
            for id_, text in zip(ids, texts, strict=False):  # iterables: their lengths are not known here
                id_ = int(id_)
                if not 0 <= id_ <= MAX_ID:
                    raise ValueError(f"document ids must be from 0 to {MAX_ID}, not {id_}")
                self._remove_one(id_)
                counts = Counter(self.tokens(text))
                row = self._new_row(id_, sum(counts.values()))
                for term, tf in counts.items():
                    number = vocabulary.get(term)
                    if number is None:
                        number = vocabulary[term] = len(vocabulary)
                    terms.append(number)
                    tfs.append(min(tf, MAX_TF))
                rows.extend([row] * len(counts))
            self._buffer_sorted = None
            self._generation += 1
            if len(terms) >= max(MIN_MERGE, len(self._gaps) // 4):
                self._merge()

    def delete(self, ids: Iterable[int]) -> int:
        """Remove documents (absent ids are ignored); returns how many were removed."""
        with self._lock:
            removed = sum(self._remove_one(int(id_)) for id_ in ids)
            self._generation += 1
            dead = self._n_rows - self._live
            if dead > MIN_COMPACT and dead * 4 > self._n_rows:
                self._compact()
        return removed

    def tokens(self, text: str) -> list[str]:
        """The index's tokens of a text (its stem overrides applied), in order."""
        return tokenize(text, self.stem_overrides)

    def _query_tokens(self, query: str | Sequence[str]) -> list[str]:
        """A query as text, tokenized here, or as tokens already (never stemmed twice: "earli" is not "ear")."""
        return self.tokens(query) if isinstance(query, str) else list(query)

    def search(self, query: str | Sequence[str], k: int, allowed: Iterable[int] | None = None) -> list[Hit]:
        """The k best-scoring documents for a query (text, or the index's tokens), optionally only among ``allowed``.

        Each term's weight counts once for every time the query holds it (query term frequency).
        As for :meth:`VectorIndex.search`, an ``allowed`` array must not be changed in place.
        """
        repeats = Counter(self._query_tokens(query))
        with self._lock:
            if not repeats or not self._live or k <= 0:
                return []
            numbers = [(self._terms[t], n) for t, n in repeats.items() if t in self._terms]
            totals = np.zeros(self._n_rows, dtype=np.float32)  # pages never written cost nothing
            size = 0  # one past the highest row with a score
            for term, n in numbers:
                rows, _ = self._term_weights(term, totals, n)
                if len(rows):
                    size = max(size, int(rows[-1]) + 1)  # rows ascend
            if not size:
                return []
            row_id = self._row_id  # rows below n_rows never change in place; a compaction makes new arrays
            keep = None if allowed is None else self._allowed_rows(allowed)[:size]
        totals = totals[:size]
        if keep is not None:
            np.multiply(totals, keep, out=totals)
        candidates = _candidate_rows(totals, k)
        if not len(candidates):
            return []
        k = min(k, len(candidates))
        scores = totals[candidates]
        ids = row_id[candidates]
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.lexsort((ids[top], -scores[top]))]
        return [Hit(int(i), float(s)) for i, s in zip(ids[top].tolist(), scores[top].tolist(), strict=True)]

    def query_idf(self, query: str | Sequence[str]) -> dict[str, float]:
        """The idf of each distinct term of the query; a term no document holds gets the highest idf.

        With :meth:`terms_in`, it says how much of a query a document covers, a signal that
        does not depend on the other documents found (unlike a share of the best score).
        """
        terms = list(dict.fromkeys(self._query_tokens(query)))
        with self._lock:
            n_docs = self._live
            result = {}
            for term in terms:
                number = self._terms.get(term)
                df = self._live_count(number) if number is not None else 0
                result[term] = float(np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5)))
        return result

    def _live_rows(self, term: int) -> Int32s:
        """A term's live rows, ascending: kept with its weights, else decoded (its weights are not needed)."""
        kept = self._kept(term)
        return kept[0] if kept is not None else self._live_postings(term)[0]

    def _live_count(self, term: int) -> int:
        """How many live documents hold a term, without computing its weights when they are not kept.

        A question's words have usually just been weighed by :meth:`search`, but a question of
        many common words can push the first out of the cache before this asks.
        """
        if self._live < self._n_rows or self._kept(term) is not None:  # kept; or dead rows, which decoding tells
            return len(self._live_rows(term))
        count = int(self._starts[term + 1] - self._starts[term]) if term + 1 < len(self._starts) else 0
        if len(self._buffer[0]):
            buffered_terms = self._sorted_buffer()[0]
            start, end = np.searchsorted(buffered_terms, [term, term + 1])
            count += int(end - start)
        return count

    def corrections(self, query: str, max_candidates: int = 2000) -> dict[str, str]:
        """Query terms no document holds, each with the known term it most likely misspells.

        A known term is a candidate when it starts with the same letter (or "ph" for an "f"), is within two letters
        of the same length, is held by at least two documents and is at least 0.8 alike
        (``difflib``'s ratio); the most alike wins, then the most common. Terms shorter than
        four letters, and numbers, are left alone. The candidates are grouped once per change
        of the collection, so a question costs a few thousand comparisons at most.
        """
        unknown = [t for t in dict.fromkeys(self.tokens(query))
                   if len(t) >= 4 and not t.isdigit() and t not in self._terms]
        if not unknown:
            return {}
        with self._lock:
            groups = self._spelling_groups()
        found: dict[str, str] = {}
        for term in unknown:
            best: tuple[float, int, str] | None = None
            # "fonics" is "phonics" as it sounds: the one spelling of a sound that changes the first letter
            for spelled in (term, "ph" + term[1:]) if term.startswith("f") else (term,):
                for size in range(len(spelled) - 2, len(spelled) + 3):
                    for known, df in groups.get((spelled[0], size), ())[:max_candidates]:
                        matcher = SequenceMatcher(None, spelled, known)
                        if matcher.real_quick_ratio() < 0.8 or matcher.quick_ratio() < 0.8:
                            continue
                        ratio = matcher.ratio()
                        if ratio >= 0.8 and (best is None or (ratio, df) > best[:2]):
                            best = (ratio, df, known)
            if best is not None:
                found[term] = best[2]
        return found

    def _spelling_groups(self) -> dict[tuple[str, int], list[tuple[str, int]]]:
        """Known terms held by two documents or more, by first letter and length, most common first."""
        if self._spelling[0] == self._generation:
            return self._spelling[1]
        groups: dict[tuple[str, int], list[tuple[str, int]]] = {}
        self._merge()
        counts = np.diff(self._starts)  # postings per term, dead rows included: close enough to rank spellings
        for term, number in self._terms.items():
            df = int(counts[number]) if number < len(counts) else 0
            if df >= 2 and len(term) >= 2 and not term.isdigit():
                groups.setdefault((term[0], len(term)), []).append((term, df))
        for members in groups.values():
            members.sort(key=lambda item: -item[1])
        self._spelling = (self._generation, groups)
        return groups

    def terms_in(self, query: str | Sequence[str], ids: Iterable[int]) -> dict[int, frozenset[str]]:
        """Which distinct terms of the query each of these documents holds (absent documents hold none)."""
        wanted = np.fromiter((int(i) for i in ids), dtype=np.int64)
        terms = list(dict.fromkeys(self._query_tokens(query)))
        found: dict[int, set[str]] = {int(i): set() for i in wanted.tolist()}
        with self._lock:
            inside = wanted[(wanted >= 0) & (wanted < len(self._row_of))]
            rows_of = self._row_of[inside]
            known = rows_of >= 0
            inside, rows_of = inside[known], rows_of[known]
            order = np.argsort(rows_of, kind="stable")
            inside, rows_of = inside[order], rows_of[order]
            for term in terms:
                number = self._terms.get(term)
                if number is None or not len(rows_of):
                    continue
                for doc in inside[self._holds(number, rows_of)].tolist():
                    found[int(doc)].add(term)
        return {doc: frozenset(terms_found) for doc, terms_found in found.items()}

    def _holds(self, term: int, rows: Int32s) -> npt.NDArray[np.bool_]:
        """Which of these live rows (ascending) hold a term: from its kept rows, else by walking its postings
        (only the rows are decoded, up to the last one asked about; a dead row is never asked about)."""
        kept = self._kept(term)
        if kept is not None:
            live = kept[0]
            if not len(live):
                return np.zeros(len(rows), dtype=bool)
            found: npt.NDArray[np.bool_] = live[np.minimum(np.searchsorted(live, rows), len(live) - 1)] == rows
            return found
        held = np.zeros(len(rows), dtype=bool)
        if term + 1 < len(self._starts) and self._starts[term + 1] > self._starts[term]:
            rows_held(self._gaps, int(self._starts[term]), int(self._starts[term + 1]), self._far,
                      int(self._far_starts[term]), rows, held)
        buffered_rows, _ = self._buffered_postings(term)
        if len(buffered_rows):
            held |= np.isin(rows, buffered_rows)
        return held

    def _allowed_rows(self, allowed: Iterable[int]) -> npt.NDArray[np.bool_]:
        """A mask over rows of the allowed documents.

        The application passes the same id array for the same filter until the commons
        changes, so the mask of the last array is kept for the current generation.
        """
        last = self._last_allowed
        if last is not None and last[0] is allowed and last[1] == self._generation:
            return last[2]
        wanted = allowed if isinstance(allowed, np.ndarray) else np.fromiter((int(a) for a in allowed), dtype=np.int64)
        wanted = wanted[(wanted >= 0) & (wanted < len(self._row_of))]
        rows = self._row_of[wanted]
        keep = np.zeros(self._n_rows, dtype=bool)
        keep[rows[rows >= 0]] = True
        if isinstance(allowed, np.ndarray):
            self._last_allowed = (allowed, self._generation, keep)
        return keep

    def _term_weights(self, term: int, totals: Floats | None = None, repeats: int = 1) -> tuple[Int32s, Floats]:
        """One term's live rows (ascending) and their BM25 weights, idf included; with ``totals``,
        also added into them (times ``repeats``: how often the query holds the term).

        Weights depend on the collection (document count, average length), so they are
        kept for the current generation of the collection only: every append or delete
        starts a new one. The cache holds a bounded number of entries, least recent out.
        """
        times = np.float32(repeats)
        kept = self._kept(term)
        if kept is not None:
            self._weights.move_to_end(term)
            if totals is not None:
                add_weights(totals, kept[0], kept[1], times)
            return kept
        # idf * (k1 + 1) * tf / (tf + norm), in float32: a common word has a weight for hundreds
        # of thousands of rows, computed again whenever it has left the cache
        norms = self._length_norms()
        start, end = (int(self._starts[term]), int(self._starts[term + 1])) if term + 1 < len(self._starts) else (0, 0)
        buffered_rows, buffered_tfs = self._buffered_postings(term)
        skip_dead = self._live < self._n_rows
        if skip_dead and len(buffered_rows):
            live = self._alive[buffered_rows]
            buffered_rows, buffered_tfs = buffered_rows[live], buffered_tfs[live]
        # with no dead rows the document frequency is known before decoding, and the weights are
        # added into the totals in the same pass; else it is counted first
        factor = np.float32(1.0) if skip_dead else self._weight_factor(end - start + len(buffered_rows))
        adding = _NO_TOTALS if totals is None or skip_dead else totals
        rows = np.empty(end - start, dtype=np.int32)
        weights = np.empty(end - start, dtype=np.float32)
        written = weigh_postings(self._gaps, start, end, self._far, int(self._far_starts[term]), self._tf_more,
                                 self._tf_extra, int(self._tf_starts[term]), norms, self._alive, skip_dead, factor,
                                 rows, weights, adding, times) if end > start else 0
        rows, weights = rows[:written], weights[:written]
        if skip_dead:
            factor = self._weight_factor(written + len(buffered_rows))
            weights *= factor
            if totals is not None:
                add_weights(totals, rows, weights, times)
        if len(buffered_rows):
            tf = buffered_tfs.astype(np.float32)
            more = norms[buffered_rows]
            more += tf
            np.divide(tf, more, out=more)
            more *= factor
            if totals is not None:
                add_weights(totals, buffered_rows, more, times)
            rows, weights = np.concatenate([rows, buffered_rows]), np.concatenate([weights, more])
        self._remember(term, rows, weights)
        return rows, weights

    def _weight_factor(self, df: int) -> np.float32:
        """``idf * (k1 + 1)`` of a term that ``df`` live documents hold."""
        return np.float32(np.log(1.0 + (self._live - df + 0.5) / (df + 0.5)) * (self.k1 + 1.0))

    def _kept(self, term: int) -> tuple[Int32s, Floats] | None:
        """A term's live rows and weights when the cache holds them for the current generation."""
        cached = self._weights.get(term)
        return (cached[1], cached[2]) if cached is not None and cached[0] == self._generation else None

    def _live_postings(self, term: int) -> tuple[Int32s, Counts]:
        """A term's postings without the rows of removed documents."""
        rows, tfs = self._postings(term)
        if self._live < self._n_rows:  # some rows are dead
            live = self._alive[rows]
            rows, tfs = rows[live], tfs[live]
        return rows, tfs

    def _length_norms(self) -> Floats:
        """Every row's ``k1 * (1 - b + b * length / average length)``, for the current generation."""
        if self._norms[0] != self._generation:
            lengths = self._row_len[: self._n_rows]
            average = (self._total_len / self._live) if self._live else 1.0  # every row removed
            norms = self.k1 * (1.0 - self.b + self.b * lengths / average)
            self._norms = (self._generation, norms.astype(np.float32))
        return self._norms[1]

    def _remember(self, term: int, rows: Int32s, weights: Floats) -> None:
        old = self._weights.pop(term, None)
        if old is not None:
            self._cached_entries -= len(old[1])
        self._weights[term] = (self._generation, rows, weights)
        self._cached_entries += len(rows)
        budget = max(100_000, WEIGHT_CACHE_SHARE * self._live)
        while self._cached_entries > budget and len(self._weights) > 1:
            _, (_, dropped, _) = self._weights.popitem(last=False)
            self._cached_entries -= len(dropped)

    def _postings(self, term: int) -> tuple[Int32s, Counts]:
        """Merged and buffered postings of a term (dead rows included), rows ascending."""
        rows: Int32s = np.zeros(0, dtype=np.int32)
        tfs: Counts = np.zeros(0, dtype=np.uint8)
        if term + 1 < len(self._starts):
            start, end = int(self._starts[term]), int(self._starts[term + 1])
            rows, tfs = self._decoded(term, start, end), self._term_tfs(term, start, end)
        buffered_rows, buffered_tfs = self._buffered_postings(term)
        if len(buffered_rows):
            rows = np.concatenate([rows, buffered_rows])
            tfs = np.concatenate([tfs, buffered_tfs])
        return rows, tfs

    def _buffered_postings(self, term: int) -> tuple[Int32s, Counts]:
        """A term's buffered postings (dead rows included), rows ascending (all above the merged rows)."""
        if not len(self._buffer[0]):
            return np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.uint16)
        buffered_terms, buffered_rows, buffered_tfs = self._sorted_buffer()
        start, end = np.searchsorted(buffered_terms, [term, term + 1])
        return buffered_rows[start:end], buffered_tfs[start:end]

    def _decoded(self, term: int, start: int, end: int) -> Int32s:
        """One term's merged rows, from their gaps."""
        gaps = self._gaps[start:end]
        rows = gaps.astype(np.int32)
        far_start, far_end = int(self._far_starts[term]), int(self._far_starts[term + 1])
        if far_end > far_start:
            rows[gaps == 0] = self._far[far_start:far_end]
        return np.cumsum(rows, dtype=np.int32, out=rows)  # a term's rows are below 2**31: no overflow

    def _term_tfs(self, term: int, start: int, end: int) -> Counts:
        """One term's merged postings' counts, from the bitmap and the counts above 1."""
        tfs = np.ones(end - start, dtype=self._tf_extra.dtype)
        extra_start, extra_end = int(self._tf_starts[term]), int(self._tf_starts[term + 1])
        if extra_end > extra_start:
            bits = np.unpackbits(self._tf_more[start >> 3:(end + 7) >> 3])[start & 7:(start & 7) + end - start]
            tfs[bits.view(bool)] = self._tf_extra[extra_start:extra_end]
        return tfs

    def _all_tfs(self) -> Counts:
        """Every merged posting's count, term by term (for a merge or a compaction)."""
        total = int(self._starts[-1])
        tfs = np.ones(total, dtype=self._tf_extra.dtype)
        tfs[np.unpackbits(self._tf_more, count=total).view(bool)] = self._tf_extra
        return tfs

    def _store_tfs(self, starts: npt.NDArray[np.int64], tfs: Counts) -> None:
        """Keep the counts (term by term, as the merged postings) as a bitmap and the counts above 1."""
        more = tfs > 1
        self._tf_more = np.packbits(more)
        self._tf_extra = tfs[more]
        above = np.zeros(len(tfs) + 1, dtype=np.int64)
        np.cumsum(more, out=above[1:])
        self._tf_starts = above[starts]

    def _all_rows(self) -> Int32s:
        """Every merged posting's row, term by term (for a merge or a compaction)."""
        values = self._gaps.astype(np.int64)
        values[self._gaps == 0] = self._far
        ends = np.cumsum(values)
        counts = np.diff(self._starts)
        firsts = self._starts[:-1][counts > 0]
        before = np.repeat(ends[firsts] - values[firsts], counts[counts > 0])  # the running sum before each term
        return (ends - before).astype(np.int32)

    def _store_rows(self, starts: npt.NDArray[np.int64], rows: Int32s) -> None:
        """Keep the rows of each term (ascending within it) as gaps, with the far ones whole."""
        gaps = np.diff(rows, prepend=np.int32(0))
        firsts = starts[:-1][np.diff(starts) > 0]
        gaps[firsts] = rows[firsts]
        far = (gaps == 0) | (gaps > np.iinfo(np.uint8).max)
        far_at = np.flatnonzero(far)
        far_counts = np.bincount(np.searchsorted(starts, far_at, side="right") - 1, minlength=len(starts) - 1)
        far_starts = np.zeros(len(starts), dtype=np.int64)
        np.cumsum(far_counts, out=far_starts[1:])
        small = gaps.astype(np.uint8)
        small[far_at] = 0
        self._starts, self._gaps, self._far, self._far_starts = starts, small, gaps[far_at], far_starts

    def _sorted_buffer(self) -> tuple[npt.NDArray[np.int64], Int32s, Counts]:
        if self._buffer_sorted is None:
            dtypes = (np.int32, np.int32, np.uint16)
            terms, rows, tfs = (np.frombuffer(a, dtype=d) for a, d in zip(self._buffer, dtypes, strict=True))
            order = np.argsort(terms, kind="stable")  # rows ascend within a term: they were added in order
            self._buffer_sorted = (terms[order].astype(np.int64), rows[order], tfs[order])
        return self._buffer_sorted

    def _merge(self) -> None:
        """Move the buffered postings into the merged arrays (one linear pass)."""
        if not len(self._buffer[0]):
            return
        terms, rows, tfs = self._sorted_buffer()
        n_terms = len(self._terms)
        old_counts = np.diff(self._starts)
        old_counts = np.concatenate([old_counts, np.zeros(n_terms - len(old_counts), dtype=np.int64)])
        new_counts = np.bincount(terms, minlength=n_terms)
        starts = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(old_counts + new_counts, out=starts[1:])
        total = int(starts[-1])
        merged_rows = np.empty(total, dtype=np.int32)
        small = self._tf_extra.dtype == np.uint8 and (not len(tfs) or int(tfs.max()) <= np.iinfo(np.uint8).max)
        merged_tfs: Counts = np.empty(total, dtype=np.uint8 if small else np.uint16)
        old_terms = np.repeat(np.arange(len(old_counts), dtype=np.int64), old_counts)
        within = np.arange(len(self._gaps)) - self._starts[old_terms] if len(old_terms) else 0
        old_positions = starts[old_terms] + within
        merged_rows[old_positions] = self._all_rows()
        merged_tfs[old_positions] = self._all_tfs()
        buffer_starts = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(new_counts, out=buffer_starts[1:])
        new_positions = starts[terms] + old_counts[terms] + (np.arange(len(terms)) - buffer_starts[terms])
        merged_rows[new_positions] = rows
        merged_tfs[new_positions] = tfs
        self._store_rows(starts, merged_rows)
        self._store_tfs(starts, merged_tfs)
        self._buffer = (array("i"), array("i"), array("H"))
        self._buffer_sorted = None

    def _compact(self) -> None:
        """Drop the postings and rows of removed documents and number the rows again."""
        self._merge()
        n = self._n_rows
        alive = self._alive[:n]
        renumber = np.cumsum(alive, dtype=np.int64) - 1
        old_rows = self._all_rows()
        keep = alive[old_rows]
        term_of = np.repeat(np.arange(len(self._starts) - 1, dtype=np.int64), np.diff(self._starts))
        counts = np.bincount(term_of[keep], minlength=len(self._starts) - 1)
        starts = np.zeros(len(counts) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        rows = renumber[old_rows[keep]].astype(np.int32)
        tfs = self._all_tfs()[keep]
        live = int(alive.sum())
        capacity = max(1024, 2 * live)
        row_id = np.zeros(capacity, dtype=np.int32)
        row_id[:live] = self._row_id[:n][alive]
        row_len = np.zeros(capacity, dtype=np.float32)
        row_len[:live] = self._row_len[:n][alive]
        alive_now = np.zeros(capacity, dtype=bool)
        alive_now[:live] = True
        row_of = np.full(len(self._row_of), -1, dtype=np.int32)
        row_of[row_id[:live]] = np.arange(live, dtype=np.int32)
        self._store_rows(starts, rows)
        self._store_tfs(starts, tfs)
        self._row_id, self._row_len, self._alive, self._row_of = row_id, row_len, alive_now, row_of
        self._n_rows = live
        self._weights.clear()
        self._cached_entries = 0
        self._generation += 1

    def _new_row(self, id_: int, length: int) -> int:
        row = self._n_rows
        if row >= len(self._row_id):
            capacity = 2 * len(self._row_id)
            self._row_id = _grown(self._row_id, capacity, 0)
            self._row_len = _grown(self._row_len, capacity, 0)
            self._alive = _grown(self._alive, capacity, False)
        if id_ >= len(self._row_of):
            self._row_of = _grown(self._row_of, max(id_ + 1, 2 * len(self._row_of)), -1)
        self._row_id[row] = id_
        self._row_len[row] = length
        self._alive[row] = True
        self._row_of[id_] = row
        self._n_rows += 1
        self._live += 1
        self._total_len += length
        return row

    def _remove_one(self, id_: int) -> bool:
        if not 0 <= id_ < len(self._row_of):
            return False
        row = int(self._row_of[id_])
        if row < 0:
            return False
        self._row_of[id_] = -1
        self._alive[row] = False
        self._live -= 1
        self._total_len -= int(self._row_len[row])
        return True


SAMPLE_STRIDE = 16


def _candidate_rows(totals: Floats, k: int) -> npt.NDArray[np.intp]:
    """Rows that surely hold the k best scores: every row with a score, or fewer when many do.

    In a large collection a common word gives hundreds of thousands of rows a score. A
    threshold is then taken from the scores of every 16th row (one that about 4k rows, then
    16k, should reach), and if at least k rows reach it, they are the candidates: the k best
    all score at least that much, so nothing is lost. Otherwise every row with a score is.
    """
    sample = totals[::SAMPLE_STRIDE]
    sample = sample[sample > 0]
    for share in (4, 16):
        wanted = share * k // SAMPLE_STRIDE + 1
        if len(sample) <= 2 * wanted:
            break
        threshold = np.partition(sample, len(sample) - wanted)[len(sample) - wanted]
        rows = np.flatnonzero(totals >= threshold)
        if len(rows) >= k:
            return rows
    return np.flatnonzero(totals)


def _grown(values: npt.NDArray[Scalar], size: int, fill: object) -> npt.NDArray[Scalar]:
    """A copy of ``values`` extended to ``size`` with ``fill`` (a new array: readers keep the old one)."""
    out = np.full(size, fill, dtype=values.dtype)
    out[: len(values)] = values
    return out
