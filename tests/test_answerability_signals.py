"""The library's signals behind answerability: coverage of a question's terms, their idf, likely
misspellings, a batch of stored vectors, and snippets that mark what the search matched."""

import numpy as np
import pytest

from indexer.layout import IndexOptions
from indexer.lexical import LexicalIndex
from indexer.snippets import make_snippet, make_snippets
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


def test_terms_held_are_each_documents_own_words_kept_in_the_cache_or_not() -> None:
    """Merged postings walked (far gaps too), buffered ones, removed documents and cached weights."""
    rng = np.random.default_rng(5)
    words = [f"w{n}" for n in range(25)]  # the last five rare: hundreds of rows apart (far gaps)
    odds = np.array([1.0] * 20 + [0.004] * 5)
    texts = {i: " ".join(rng.choice(words, size=int(rng.integers(1, 12)), p=odds / odds.sum()))
             for i in range(0, 3_000, 3)}
    lexical = LexicalIndex()
    lexical.index(list(texts)[:900], list(texts.values())[:900])  # far gaps: ids spread, rare words
    lexical.append(list(texts)[900:], list(texts.values())[900:])  # still buffered
    removed = {int(i) for i in rng.choice(list(texts), size=100, replace=False)}
    lexical.delete(removed)
    query = " ".join(words[:8] + words[20:])
    asked = [*rng.choice(list(texts), size=200, replace=False).tolist(), 4, 99_999, -1]
    for warm in (False, True):
        if warm:
            lexical.search(words[:6], 10)  # half of the terms' weights now kept
        found = lexical.terms_in(query, asked)
        for doc in asked:
            expected = set() if doc not in texts or doc in removed else set(lexical.tokens(texts[doc])) & set(
                lexical.tokens(query))
            assert found[doc] == expected, (doc, warm)


def test_query_idf_gives_a_term_no_document_holds_the_highest_idf() -> None:
    idf = index().query_idf("phonics cyberbullying secondary")
    assert idf["cyberbulli"] > idf["phonic"] and idf["cyberbulli"] > idf["secondari"]
    assert set(idf) == {"phonic", "cyberbulli", "secondari"}


def test_idf_and_terms_held_count_the_documents_as_they_stand() -> None:
    """Merged, still buffered, removed or out of the weight cache: only live documents count."""
    lexical = index()
    lexical.merge()
    lexical.append([5, 6], ["Phonics for pupils new to English.", "Attendance and phonics together."])  # buffered

    def idf(df: int, n: int) -> float:
        return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))

    for case in ("fresh", "cached"):
        got = lexical.query_idf("phonics attendances persistent")
        assert got == {"phonic": idf(4, 6), "attendance": idf(1, 6), "persist": idf(2, 6)}, case
        lexical.search("phonics attendances persistent", 10)  # now the terms' weights are kept
    lexical.delete([3])
    assert lexical.query_idf("phonics")["phonic"] == idf(3, 5)
    assert lexical.terms_in("phonics", [3, 4, 5]) == {3: frozenset(), 4: {"phonic"}, 5: {"phonic"}}


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
        for missing in (1300, 2**31, -1):  # not held, beyond the 32-bit ids an IVF index keeps, negative
            with pytest.raises(RuntimeError, match=str(missing)):  # FAISS's own message for a flat index
                vector_index.vectors_of([1000, missing])


def test_an_ivf_index_with_ids_beyond_32_bits_still_finds_their_vectors() -> None:
    vectors = np.random.default_rng(8).random((300, 8)).astype(np.float32)
    ids = [2**33 + i for i in range(300)]  # kept as 64-bit numbers: too large for 32
    vector_index = VectorIndex("m", 8, IndexOptions(kind="ivf", ivf_threshold=100))
    vector_index.index(ids, vectors)
    assert vector_index.layout.is_ivf and vector_index.ids() == set(ids)
    wanted = [ids[299], ids[0], ids[150]]
    assert np.allclose(vector_index.vectors_of(wanted), vectors[[299, 0, 150]], atol=1e-2)
    with pytest.raises(RuntimeError, match="id 5 is not in the index"):
        vector_index.vectors_of([5])


def test_a_snippet_marks_attendance_but_not_attended_when_the_index_keeps_them_apart() -> None:
    snippet = make_snippet("Pupils attended a club. Attendance rose to 95%.", "attendance", stem_overrides=OVERRIDES)
    assert [f.text for f in snippet.fragments if f.marked] == ["Attendance"]
    plain = make_snippet("Pupils attended a club. Attendance rose to 95%.", "attendance")
    assert [f.text for f in plain.fragments if f.marked] == ["attended", "Attendance"]


def test_snippets_made_together_for_one_question_do_not_depend_on_each_other() -> None:
    texts = ["Pupils attended a club. Attendance rose to 95%.", *TEXTS.values(), ""]
    for question in ("attendance", "persistent absence after the pandemic", "phonics Year 3"):
        together = make_snippets(texts, question, max_words=8, stem_overrides=OVERRIDES)
        assert together == [make_snippets([text], question, 8, OVERRIDES)[0] for text in texts]
        assert make_snippets(texts[::-1], question, 8, OVERRIDES) == together[::-1]
    made = make_snippets(texts, "attendance", 8, OVERRIDES)
    marked = [[f.text for f in snippet.fragments if f.marked] for snippet in made]
    assert marked[0] == ["Attendance"] and not any(marked[1:])
    assert make_snippets([], "attendance") == []


def test_relevances_of_many_candidates_at_once_are_each_ones_relevance() -> None:
    from commons.search.answerability import default_calibration

    calibration = default_calibration()
    names = [*calibration.weights, *calibration.question_weights]
    rows = [{name: float(v) for name, v in zip(names, values, strict=True)}
            for values in np.random.default_rng(7).normal(0, 3, (40, len(names)))]
    rows.append({})  # a candidate without signals counts them as 0
    assert np.allclose(calibration.relevances(rows), [calibration.relevance(row) for row in rows], rtol=0, atol=1e-12)
    assert calibration.relevances([]) == [] and calibration.answerable([]) == 0.0


def test_a_real_word_the_commons_does_not_hold_is_not_corrected_into_one_it_does() -> None:
    """"choir" is not a misspelling of "choice", nor "insurance" of "insecurity": a question about
    them must not look answered by case studies about choices and insecurity."""
    from commons.search.words import misspellings

    lexical = LexicalIndex()
    lexical.index([1, 2, 3, 4], ["Parents had a choice of clubs and spoke of insecurity.",
                                 "Food insecurity and choices at lunch.",
                                 "Phonics and absence in a secondary school.", "Secondary phonics; absence fell."])
    proposed = lexical.corrections("school choir insurance phonix absense secondry")
    assert proposed["choir"] == "choic" and "insur" in proposed  # what the index alone would do
    assert misspellings(proposed) == {"phonix": "phonic", "absens": "absenc", "secondri": "secondari"}


def test_fitting_puts_the_question_floor_above_every_question_without_an_answer() -> None:
    from commons.ops.judged import JudgedQuestion, Outcome, fit_calibration

    def outcome(qid: str, judgements: dict[str, int], candidates: list[tuple[str, float, float]]) -> Outcome:
        rows = [(slug, {"dense_best": dense, "dense_second": dense - 0.05, "lexical_best": lexical,
                        "lexical_study": lexical, "topic_tag": 0.0}) for slug, dense, lexical in candidates]
        from commons.search.answerability import with_gaps

        with_gaps([features for _, features in rows])
        return Outcome(JudgedQuestion(qid, "natural" if judgements else "none", qid, judgements), [], 0.0,
                       None, 0, None, candidates=rows)

    rng = np.random.default_rng(3)
    outcomes = []
    for n in range(30):
        strong = 0.55 + 0.3 * rng.random()
        outcomes.append(outcome(f"a{n}", {f"s{n}": 3}, [(f"s{n}", strong, strong), *(
            (f"o{n}-{k}", 0.2 + 0.25 * rng.random(), 0.3 * rng.random()) for k in range(8))]))
    for n in range(10):
        outcomes.append(outcome(f"n{n}", {}, [(f"x{n}-{k}", 0.3 + 0.2 * rng.random(), 0.4 * rng.random())
                                              for k in range(8)]))
    calibration = fit_calibration(outcomes, "synthetic")
    for item in outcomes:
        features = [f for _, f in item.candidates]
        anything = calibration.anything_answers(calibration.answerable(features))
        if not item.question.judgements:
            assert not anything
    answered = [item for item in outcomes if item.question.judgements
                and calibration.anything_answers(calibration.answerable([f for _, f in item.candidates]))]
    assert len(answered) >= 27  # at most 1 in 10 answerable questions gated out on data this separable
    best = [calibration.answers(calibration.relevance(dict(item.candidates)[f"s{item.question.id[1:]}"]))
            for item in answered]
    assert sum(best) >= len(best) - 1


def test_a_question_about_what_the_rules_require_is_told_apart_from_one_about_improving() -> None:
    from commons.search.rules import asks_about_rules

    asked = {
        "Can teachers be required to do lunchtime duty?": "Can teachers be required",
        "Which pupils can be left out of the multiplication tables check?": "can be left out",
        "Service pupil premium: who is eligible and what can it be spent on?": "who is eligible",
        "Are job-share teachers paid for INSET days?": "Are job-share teachers paid",
        "What has to go in the SEN information report?": "What has to go in",
        "Do we need to see DBS certificates for agency tutors?": "Do we need to see",
        "Which attendance register code do we use for a part-time timetable?": "Which attendance register code do",
        "Which pupils qualify for service pupil premium?": "Which pupils qualify",
        "Who qualifies for free school meals?": "Who qualifies",
        "Is it lawful to fine parents for term-time holidays?": "Is it lawful",
        "Can a head make teachers do lunch duty?": "Can a head make teachers do",
        "How many days can a pupil be on a part-time timetable?": "How many days can",
        "Does TUPE apply when a federation converts?": "Does TUPE apply",
        "What are our legal powers to search pupils?": "legal powers",
    }
    for question, words in asked.items():
        assert asks_about_rules(question) == words, question
    # a topic the Commons holds is not a rule, however its words look
    for question in ("zones of regulation", "ELSA and Zones of Regulation in a 1FE primary",
                     "Letters and legal referrals take months and change nothing. What has worked in PRUs?",
                     "how did a small rural primary improve attendance of disadvantaged pupils?",
                     "reducing exclusions in year 9", "can a nurture group help Y3 outbursts?",
                     # words a question about improving may hold, found asked that way in use
                     "how did a primary improve attendance of pupils eligible for free school meals",
                     "how did a school improve attendance of FSM-eligible pupils",
                     "phonics catch-up for pupils who failed the statutory phonics check",
                     "getting disadvantaged pupils entitled to free early education into nursery",
                     "improving attendance without legally prosecuting parents",
                     "what must we do to improve reading in year 7",
                     "how did we cut exclusion appeals by improving behaviour support",
                     "how did staff meet the EHCP annual review deadline",
                     "how do we remove barriers to learning", "can we make reading more fun for boys?",
                     "do we need to change our phonics scheme?"):
        assert asks_about_rules(question) is None, question


def test_lifts_measure_how_far_a_candidate_stands_out_and_a_short_list_is_filled_from_the_commons() -> None:
    from commons.search.answerability import with_gaps

    def candidates(values: list[float]) -> list[dict[str, float]]:
        return [{"dense_best": v, "lexical_best": v, "lexical_study": v} for v in values]

    one_stands_out = candidates([0.7, 0.3, 0.31, 0.29, 0.3, 0.32])
    none_does = candidates([0.33, 0.3, 0.31, 0.29, 0.3, 0.32])
    with_gaps(one_stands_out)
    with_gaps(none_does)
    assert one_stands_out[0]["dense_lift"] > 2.0 > none_does[0]["dense_lift"]
    assert one_stands_out[0]["dense_gap"] == 0.0 and one_stands_out[1]["dense_gap"] < 0
    # two candidates, both on the topic (a filter left only them): beside passages from the whole
    # commons the better one stands out; between themselves alone it could not
    alone, filled = candidates([0.7, 0.65]), candidates([0.7, 0.65])
    with_gaps(alone)
    with_gaps(filled, [(0.2 + 0.01 * k, 0.0) for k in range(20)])
    assert alone[0]["dense_lift"] < 1.0 < 2.0 < filled[0]["dense_lift"]
