"""BM25 ranking details measured against a reference BM25 (bench/bm25_compare.py): query word
repeats, accents and ligatures, the idf of common words, and stem overrides; the compiled
postings loop against NumPy's arithmetic."""

import math

import numpy as np
import pytest

from indexer.bm25_loops import add_weights, weigh_postings
from indexer.lexical import LexicalIndex
from indexer.sync import rebuild_lexical
from indexer.tokenize import tokenize, tokenize_each

ATTENDANCE = {"attendance": "attendance", "attendances": "attendance"}


def _weight(tf: int, length: int, average: float, df: int, n_docs: int, k1: float = 1.2, b: float = 0.75) -> float:
    idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
    return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / average))


def test_bm25_counts_a_repeated_query_word_as_often_as_it_occurs() -> None:
    """As Lucene and bm25s do: a long question that names its subject twice weighs it twice."""
    index = LexicalIndex(k1=1.2, b=0.75)
    index.index([1, 2, 3], ["phonics screening", "oracy assessment", "phonics oracy"])
    average = 2.0
    phonics = _weight(1, 2, average, 2, 3)
    oracy = _weight(1, 2, average, 2, 3)
    hits = index.search("phonics oracy phonics", 3)
    assert [h.id for h in hits] == [3, 1, 2]  # the phonics passage ahead of the oracy one: phonics was asked twice
    assert [h.score for h in hits] == pytest.approx([2 * phonics + oracy, 2 * phonics, oracy], rel=1e-6)


def test_bm25_a_word_in_almost_every_passage_still_adds_a_little() -> None:
    """Lucene's idf, log(1 + (N - df + 0.5) / (df + 0.5)), never goes negative (the classic one does over N/2)."""
    texts = ["school reading"] * 9 + ["school maths"]
    index = LexicalIndex(k1=1.2, b=0.75)
    index.index(range(10), texts)
    hits = index.search("school", 10)
    assert len(hits) == 10 and all(h.score > 0 for h in hits)
    assert hits[0].score == pytest.approx(_weight(1, 2, 2.0, 10, 10), rel=1e-6)
    reading = index.search("school reading", 10)
    assert {h.id for h in reading[:9]} == set(range(9)) and reading[9].id == 9 and reading[9].score > 0


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        ("classiﬁcation of ﬂows", "classification of flows"),  # typographic ligatures from PDF text
        ("a naïve café résumé", "a naive cafe resume"),
        ("Children’s Müller-Lyer", "children's muller-lyer"),
        ("ＫＳ２ ｐｈｏｎｉｃｓ", "KS2 phonics"),  # full-width forms
    ],
)
def test_tokens_fold_accents_and_ligatures_so_words_are_not_cut(written: str, plain: str) -> None:
    assert tokenize(written) == tokenize(plain)


def test_texts_tokenized_together_give_each_texts_own_tokens() -> None:
    texts = ["Attendance rose; pupils attended daily.", "", "the of and", "classiﬁcation of naïve readers",
             "Children’s KS2 phonics", "attendances"]
    overrides = {"attendance": "attendance", "attendances": "attendance"}
    for given in (None, overrides):
        assert tokenize_each(texts, given) == [tokenize(text, given) for text in texts]
    assert tokenize_each([]) == []


def test_bm25_finds_a_word_written_with_a_ligature_or_an_accent() -> None:
    index = LexicalIndex()
    index.index([1, 2], ["A classiﬁcation of naïve readers", "Reading for pleasure"])
    assert [h.id for h in index.search("classification naive", 5)] == [1]


def test_stem_overrides_keep_attendance_apart_from_attending() -> None:
    texts = ["A pupil attended a chess club after school", "Attendance rose to 96% after first-day calls",
             "Attendances were checked weekly"]
    assert tokenize("attendance attended") == ["attend", "attend"]  # Snowball conflates them
    assert tokenize("attendance attended Attendances", ATTENDANCE) == ["attendance", "attend", "attendance"]
    plain = LexicalIndex()
    plain.index([1, 2, 3], texts)
    assert {h.id for h in plain.search("attendance", 5)} == {1, 2, 3}
    kept = LexicalIndex(stem_overrides={"Attendance": "attendance", "attendances": "attendance"})
    kept.index([1, 2, 3], texts)
    assert {h.id for h in kept.search("attendance", 5)} == {2, 3}
    assert {h.id for h in kept.search("ATTENDANCES", 5)} == {2, 3}
    assert [h.id for h in kept.search("attending", 5)] == [1]
    assert kept.tokens("Attendance") == ["attendance"]


def test_rebuild_lexical_passes_the_stem_overrides_on() -> None:
    class Source:
        def last_change(self) -> int:
            return 0

        def changes_since(self, seq: int) -> list[object]:
            return []

        def live_texts(self, batch_size: int) -> list[dict[int, str]]:
            return [{1: "A pupil attended a chess club", 2: "Attendance rose"}]

    index = rebuild_lexical(Source(), 1.2, 0.75, stem_overrides=ATTENDANCE)  # type: ignore[arg-type]
    assert [h.id for h in index.search("attendance", 5)] == [2]
    plain = rebuild_lexical(Source(), 1.2, 0.75)  # type: ignore[arg-type]
    assert {h.id for h in plain.search("attendance", 5)} == {1, 2}


def test_passages_far_apart_in_the_index_are_found_with_their_exact_scores() -> None:
    """A word's rows are kept as one-byte gaps; a gap of 256 rows or more, or a first row of 0, is kept whole.

    "oracy" is in row 0 and then at gaps of 1, 255, 256 and 70,000 rows (past any 16-bit gap),
    and it stays found with the same scores after removals are compacted away and the rows
    renumbered, and after more passages are merged in.
    """
    n = 71_000
    oracy_rows = [0, 1, 256, 512, 70_512]
    texts = ["school reading"] * n
    for row in oracy_rows:
        texts[row] = "school oracy oracy"
    index = LexicalIndex(k1=1.2, b=0.75)
    index.index(range(n), texts)

    def expected(n_docs: int, total_length: int) -> float:
        return _weight(2, 3, total_length / n_docs, len(oracy_rows), n_docs)

    hits = index.search("oracy", 10)
    assert [h.id for h in hits] == oracy_rows
    assert [h.score for h in hits] == pytest.approx([expected(n, 2 * n + len(oracy_rows))] * 5, rel=1e-6)
    assert index.terms_in("oracy", [70_512, 70_511]) == {70_512: frozenset({"oraci"}), 70_511: frozenset()}  # the stem

    removed = [i for i in range(2, 40_000) if i not in oracy_rows]  # a quarter of the rows and more: compacted
    index.delete(removed)
    live = n - len(removed)
    assert [h.id for h in index.search("oracy", 10)] == oracy_rows
    assert index.search("oracy", 10)[0].score == pytest.approx(expected(live, 2 * live + 5), rel=1e-6)

    index.append(range(n, n + 300), ["school reading"] * 299 + ["oracy"])
    index.merge()
    oracy_rows.append(n + 299)
    hits = index.search("oracy", 10)
    assert sorted(h.id for h in hits) == oracy_rows
    live += 300
    total = 2 * live + 5 - 1  # the last passage is one word long
    weights = {h.id: h.score for h in hits}
    assert weights[0] == pytest.approx(_weight(2, 3, total / live, 6, live), rel=1e-6)
    assert weights[n + 299] == pytest.approx(_weight(1, 1, total / live, 6, live), rel=1e-6)


def test_every_score_stays_exact_bm25_through_appends_removals_merges_and_compactions() -> None:
    """Counts are kept as a bitmap of those above 1 and their values: every word's score in every
    passage must still be BM25 over the live passages, counts of 1, a few, and over 255 alike."""
    import random

    rng = random.Random(7)
    words = ["oracy", "phonics", "attendance", "governors", "tutoring", "behaviour", "fluency", "maths"]
    index = LexicalIndex(k1=1.2, b=0.75)
    live: dict[int, str] = {}

    def text() -> str:
        counts = {w: rng.choice([1, 1, 1, 1, 2, 3, 7, 300]) for w in rng.sample(words, rng.randint(1, 5))}
        return " ".join(w for w, c in counts.items() for _ in range(c))

    def check() -> None:
        tokens = {i: index.tokens(t) for i, t in live.items()}
        average = sum(len(t) for t in tokens.values()) / len(tokens)
        for word in words:
            term = index.tokens(word)[0]
            holding = {i: t.count(term) for i, t in tokens.items() if term in t}
            hits = {h.id: h.score for h in index.search(word, len(live))}
            assert hits == pytest.approx({i: _weight(tf, len(tokens[i]), average, len(holding), len(live))
                                          for i, tf in holding.items()}, rel=1e-5)

    next_id = 0
    for _ in range(6):
        batch = {next_id + i: text() for i in range(400)}
        next_id += 400
        index.append(batch.keys(), batch.values())
        live.update(batch)
        if rng.random() < 0.5:
            index.merge()
        check()
        gone = rng.sample(sorted(live), len(live) // 3)  # a third: compacted
        index.delete(gone)
        for i in gone:
            del live[i]
        check()
        replaced = rng.sample(sorted(live), 50)
        again = {i: text() for i in replaced}
        index.append(again.keys(), again.values())
        live.update(again)
        check()


@pytest.mark.parametrize("counts", [np.uint8, np.uint16])
def test_the_compiled_postings_loop_gives_numpys_weights_to_the_last_bit(counts: type) -> None:
    """One pass over a term's postings (rows from one-byte and far gaps, counts from the bitmap,
    dead rows skipped) gives exactly the rows and float32 weights of NumPy's step-by-step code."""
    rng = np.random.default_rng(3)
    n = 5_000
    gaps = rng.choice([1, 2, 3, 200, 1_000], size=n, p=[0.5, 0.2, 0.1, 0.1, 0.1])
    rows = np.cumsum(gaps).astype(np.int32)
    stored = np.where(gaps < 256, gaps, 0).astype(np.uint8)
    far = gaps[gaps >= 256].astype(np.int32)
    tfs = rng.choice([1, 1, 1, 2, 5, 300 if counts is np.uint16 else 9], size=n).astype(counts)
    more = np.packbits(tfs > 1)
    norms = rng.uniform(0.3, 3.0, size=int(rows[-1]) + 1).astype(np.float32)
    alive = rng.random(len(norms)) > 0.2
    factor = np.float32(math.log(1 + (90_000 + 0.5) / (n + 0.5)) * 2.2)
    for skip_dead in (False, True):
        keep = alive[rows] if skip_dead else np.ones(n, dtype=bool)
        tf = tfs[keep].astype(np.float32)
        expected = norms[rows[keep]]
        expected += tf
        np.divide(tf, expected, out=expected)
        expected *= factor
        for repeats in (1, 3):
            got_rows = np.empty(n, dtype=np.int32)
            got = np.empty(n, dtype=np.float32)
            totals, expected_totals = norms.copy(), norms.copy()  # added into: any start will do
            written = weigh_postings(stored, 0, n, far, 0, more, tfs[tfs > 1], 0, norms, alive, skip_dead, factor,
                                     got_rows, got, totals, np.float32(repeats))
            assert written == int(keep.sum())
            assert np.array_equal(got_rows[:written], rows[keep])
            assert got[:written].tobytes() == expected.tobytes()
            expected_totals[rows[keep]] += expected if repeats == 1 else expected * np.float32(repeats)
            assert totals.tobytes() == expected_totals.tobytes()
            again = norms.copy()
            add_weights(again, rows[keep], expected, np.float32(repeats))  # a cached term's weights added
            assert again.tobytes() == expected_totals.tobytes()
        got = np.empty(n, dtype=np.float32)  # no totals to add into: only weighed
        weigh_postings(stored, 0, n, far, 0, more, tfs[tfs > 1], 0, norms, alive, skip_dead, factor,
                       got_rows, got, np.zeros(0, dtype=np.float32), np.float32(1))
        assert got[:written].tobytes() == expected.tobytes()


def test_a_document_id_outside_32_bits_is_refused_with_the_range_allowed() -> None:
    lexical = LexicalIndex()
    for bad in (-1, 2**31):
        with pytest.raises(ValueError, match=rf"document ids must be from 0 to 2147483647, not {bad}"):
            lexical.append([bad], ["attendance"])
    lexical.append([2**31 - 1], ["attendance"])
    assert [hit.id for hit in lexical.search("attendance", 5)] == [2**31 - 1]
