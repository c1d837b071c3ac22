"""The library's signals behind answerability: coverage of a question's terms, their idf, likely
misspellings, a batch of stored vectors, and snippets that mark what the search matched."""

import numpy as np

from indexer.layout import IndexOptions
from indexer.lexical import LexicalIndex
from indexer.snippets import make_snippet
from indexer.vector_index import VectorIndex

OVERRIDES = {"attendance": "attendance", "attendances": "attendance"}
TEXTS = {
    1: "Persistent absence fell after we mapped the journeys to school.",
    2: "Persistent absence in secondary schools after the pandemic.",
    3: "Phonics catch-up in Year 3 for pupils who cannot decode.",
    4: "Secondary phonics for older pupils.",
}


def index() -> LexicalIndex:
    lexical = LexicalIndex(stem_overrides=OVERRIDES)
    lexical.index(TEXTS.keys(), TEXTS.values())
    return lexical


def test_terms_in_says_which_question_terms_each_document_holds() -> None:
    found = index().terms_in("persistent absence in secondary schools", [1, 2, 3, 99])
    assert found[1] == {"persist", "absenc", "school"}
    assert found[2] == {"persist", "absenc", "secondari", "school"}
    assert found[3] == frozenset() and found[99] == frozenset()


def test_query_idf_gives_a_term_no_document_holds_the_highest_idf() -> None:
    idf = index().query_idf("phonics cyberbullying secondary")
    assert idf["cyberbulli"] > idf["phonic"] and idf["cyberbulli"] > idf["secondari"]
    assert set(idf) == {"phonic", "cyberbulli", "secondari"}


def test_likely_misspellings_are_matched_to_a_known_term() -> None:
    fixes = index().corrections("persistant absense secondry phonix qwertyuiop")
    assert fixes == {"absens": "absenc", "secondri": "secondari", "phonix": "phonic"}


def test_a_batch_of_stored_vectors_matches_them_one_by_one() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.random((300, 8)).astype(np.float32)
    ids = list(range(1000, 1300))
    for options in (IndexOptions(), IndexOptions(vectors="float16"), IndexOptions(kind="ivf", ivf_threshold=100)):
        vector_index = VectorIndex("m", 8, options)
        vector_index.index(ids, vectors)
        wanted = [1299, 1000, 1150]
        batch = vector_index.vectors_of(wanted)
        assert np.allclose(batch, np.vstack([vector_index.vector(i) for i in wanted]))
        assert vector_index.vectors_of([]).shape == (0, 8)


def test_a_snippet_marks_attendance_but_not_attended_when_the_index_keeps_them_apart() -> None:
    snippet = make_snippet("Pupils attended a club. Attendance rose to 95%.", "attendance", stem_overrides=OVERRIDES)
    assert [f.text for f in snippet.fragments if f.marked] == ["Attendance"]
    plain = make_snippet("Pupils attended a club. Attendance rose to 95%.", "attendance")
    assert [f.text for f in plain.fragments if f.marked] == ["attended", "Attendance"]
