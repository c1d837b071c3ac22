"""The lexical search skips a common word's rows only where that cannot change the k best.

With many postings, the rarer words find the candidates and the common words are looked up
for those alone (MaxScore). The results must be exactly those of scoring every row: the same
ids, in the same order, with the same float32 scores, with and without a filter, for repeated
words, and when the skip cannot apply.
"""

import random

import numpy as np
import pytest

from indexer import lexical
from indexer.lexical import LexicalIndex

COMMON = ["pupil", "school", "teacher", "improve", "learning", "staff"]
RARE = [f"topic{i}" for i in range(400)]


def _corpus(n: int, seed: int) -> list[str]:
    """Passages that all share common words and hold a few of many rare ones (a Zipf-like spread)."""
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        words = [rng.choice(COMMON) for _ in range(rng.randint(3, 12))]
        words += [RARE[min(int(rng.paretovariate(1.1)) - 1, len(RARE) - 1)] for _ in range(rng.randint(0, 6))]
        rng.shuffle(words)
        texts.append(" ".join(words))
    return texts


def _queries(seed: int) -> list[str]:
    rng = random.Random(seed)
    asked = []
    for _ in range(60):
        words = rng.sample(COMMON, rng.randint(1, 4)) + rng.sample(RARE[:60], rng.randint(1, 3))
        if rng.random() < 0.3:
            words.append(words[-1])  # a repeated word counts twice
        asked.append(" ".join(words))
    return asked


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    built = LexicalIndex()
    built.index(range(1, 20_001), _corpus(20_000, seed=7))
    return built


def _both_ways(index: LexicalIndex, query: str, k: int, allowed: np.ndarray | None,
               monkeypatch: pytest.MonkeyPatch) -> tuple[list[tuple[int, float]], list[tuple[int, float]], int]:
    skipped = 0
    original = lexical._skip_common

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal skipped
        found = original(*args, **kwargs)
        skipped += found is not None
        return found

    with monkeypatch.context() as patch:
        patch.setattr(lexical, "PRUNE_FROM", 1)
        patch.setattr(lexical, "_skip_common", counting)
        fast = [(h.id, h.score) for h in index.search(query, k, allowed)]
    with monkeypatch.context() as patch:
        patch.setattr(lexical, "PRUNE_FROM", 10**12)
        whole = [(h.id, h.score) for h in index.search(query, k, allowed)]
    return fast, whole, skipped


@pytest.mark.parametrize("k", [1, 10, 200])
def test_skipping_common_words_finds_exactly_what_scoring_every_row_finds(
        index: LexicalIndex, k: int, monkeypatch: pytest.MonkeyPatch) -> None:
    skips = 0
    for query in _queries(seed=k):
        fast, whole, skipped = _both_ways(index, query, k, None, monkeypatch)
        assert fast == whole, query  # same ids, same order, the same float32 scores
        skips += skipped
    assert skips >= 30  # most of these questions did skip, so the comparison means something


def test_skipping_keeps_to_the_filter(index: LexicalIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    allowed = np.arange(1, 20_001, 3, dtype=np.int64)
    skips = 0
    for query in _queries(seed=99):
        fast, whole, skipped = _both_ways(index, query, 10, allowed, monkeypatch)
        assert fast == whole, query
        assert all((i - 1) % 3 == 0 for i, _ in fast)
        skips += skipped
    assert skips >= 30


def test_common_words_alone_give_the_same_results_and_one_word_is_scored_in_full(
        index: LexicalIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, whole, _ = _both_ways(index, "pupil school teacher", 10, None, monkeypatch)
    assert fast == whole and len(fast) == 10
    fast, whole, skipped = _both_ways(index, "pupil", 10, None, monkeypatch)
    assert fast == whole and len(fast) == 10
    assert skipped == 0  # nothing to skip with one word


def test_ties_at_the_last_place_go_to_the_lower_ids() -> None:
    index = LexicalIndex()
    index.index([5, 3, 9, 1], ["phonics"] * 4)
    assert [h.id for h in index.search("phonics", 2)] == [1, 3]
