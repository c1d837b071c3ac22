"""Hybrid retrieval: lexical and dense together, snippets, more like this, and `commons eval`."""

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from commons.db import db
from commons.models import CaseStudy
from commons.search.engine import QuestionProblem, search
from commons.search.extension import search_index
from indexer.fusion import convex, reciprocal_rank
from indexer.lexical import LexicalIndex
from indexer.snippets import make_snippet
from indexer.types import Hit

pytestmark = pytest.mark.slow  # search behaviour: the real model

MINI = Path(__file__).parent / "data" / "beir-mini"


def test_bm25_stems_keeps_acronyms_and_follows_deletes() -> None:
    index = LexicalIndex()
    index.index([1, 2, 3], ["Pupils attending school daily", "EHCP reviews for SEND", "Maths mastery"])
    assert [h.id for h in index.search("attendance", 5)] == [1]
    assert [h.id for h in index.search("ehcp", 5)] == [2]
    assert index.search("ehcp", 5, allowed=[1, 3]) == []
    index.delete([2])
    assert index.search("EHCP", 5) == []
    index.append([1], ["maths"])
    assert [h.id for h in index.search("maths", 5)] == [1, 3] or [h.id for h in index.search("maths", 5)] == [3, 1]
    assert index.search("the of and", 5) == []


def test_bm25_scores_match_the_formula_after_changes() -> None:
    """Cached per-term weights must follow every append and delete (idf and average length)."""
    import math
    from collections import Counter

    from indexer.tokenize import tokenize

    texts = {
        5: "reading fluency reading aloud daily",
        9: "fluency in maths facts",
        12: "reading for pleasure library",
        40: "attendance of disadvantaged pupils and reading",
    }
    index = LexicalIndex(k1=1.2, b=0.75)
    index.index(list(texts)[:2], [texts[5], texts[9]])
    index.search("reading fluency", 5)  # warm the cached weights, then change the collection
    index.append([12, 40], [texts[12], texts[40]])
    index.delete([9])
    live = {i: Counter(tokenize(t)) for i, t in texts.items() if i != 9}
    average = sum(sum(c.values()) for c in live.values()) / len(live)

    def bm25(doc: Counter[str], query: list[str]) -> float:
        total = 0.0
        for term in dict.fromkeys(query):
            df = sum(1 for c in live.values() if term in c)
            if term not in doc:
                continue
            idf = math.log(1 + (len(live) - df + 0.5) / (df + 0.5))
            tf, length = doc[term], sum(doc.values())
            total += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * length / average))
        return total

    query = tokenize("reading fluency")
    expected = sorted(((bm25(c, query), i) for i, c in live.items() if bm25(c, query) > 0), key=lambda p: (-p[0], p[1]))
    hits = index.search("reading fluency", 10)
    assert [h.id for h in hits] == [i for _, i in expected]
    assert [h.score for h in hits] == pytest.approx([s for s, _ in expected], rel=1e-5)


def test_bm25_buffered_merged_and_compacted_postings_score_as_a_fresh_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Appends merged in blocks and removals compacted away leave exactly the scores of a fresh build."""
    import random

    import indexer.lexical as lexical

    monkeypatch.setattr(lexical, "MIN_MERGE", 40)
    monkeypatch.setattr(lexical, "MIN_COMPACT", 10)
    words = ["reading", "fluency", "maths", "attendance", "pupils", "library", "phonics", "oracy", "writing",
             "behaviour"]
    rng = random.Random(4)
    index = LexicalIndex()
    live: dict[int, str] = {}
    for step in range(1500):
        if rng.random() < 0.6 or len(live) < 5:
            doc = rng.randrange(1, 200)
            live[doc] = " ".join(rng.choice(words) for _ in range(rng.randrange(0, 25)))
            index.append([doc], [live[doc]])
        else:
            doc = rng.choice(sorted(live))
            del live[doc]
            index.delete([doc])
        if step % 100 == 99:
            fresh = LexicalIndex()
            fresh.index(list(live), list(live.values()))
            for question in ("reading fluency", "maths pupils", "library behaviour oracy"):
                assert index.search(question, 500) == fresh.search(question, 500)
                allowed = rng.sample(sorted(live), 10)
                assert index.search(question, 500, allowed=allowed) == fresh.search(question, 500, allowed=allowed)
    assert index.ids() == set(live) and len(index) == len(live)


def test_bm25_top_k_of_a_large_collection_is_the_head_of_the_full_ranking(monkeypatch: pytest.MonkeyPatch) -> None:
    """When thousands of passages match, only those over a sampled threshold are ranked; none of the best is lost."""
    import random

    import indexer.lexical as lexical

    words = ["reading", "fluency", "maths", "attendance", "pupils", "library", "phonics", "oracy", "writing",
             "behaviour"]
    rng = random.Random(7)
    docs = {i: " ".join(rng.choice(words) for _ in range(rng.randrange(3, 30))) for i in range(1, 20_001)}
    index = LexicalIndex()
    index.index(list(docs), list(docs.values()))
    narrowed: list[tuple[int, int]] = []
    original = lexical._candidate_rows

    def spy(totals, k):  # type: ignore[no-untyped-def]
        rows = original(totals, k)
        narrowed.append((len(rows), int((totals > 0).sum())))
        return rows

    monkeypatch.setattr(lexical, "_candidate_rows", spy)
    allowed = sorted(rng.sample(sorted(docs), 8_000))
    for question in ("reading fluency", "maths pupils attendance", "library"):
        for k in (10, 200):
            for only in (None, allowed):
                full = index.search(question, len(docs), allowed=only)
                top = index.search(question, k, allowed=only)
                assert [h.score for h in top] == [h.score for h in full[:k]]
                boundary = full[k - 1].score  # above it the ids must agree too; at it, any of the tied
                assert [h for h in top if h.score > boundary] == [h for h in full[:k] if h.score > boundary]
                assert {h.id for h in top} <= {h.id for h in full if h.score >= boundary}
    assert any(kept < scored for kept, scored in narrowed)  # the threshold was used, not only the full ranking

    # The sampled rows (every 16th) score higher than all others, so a threshold from them reaches too few.
    skewed = LexicalIndex()
    texts = ["phonics " * 3 + "maths " * ((i // 16) % 40) if i % 16 == 0 else "phonics phonics " + "maths " * 45
             for i in range(20_000)]
    skewed.index(range(1, 20_001), texts)
    full = skewed.search("phonics", 20_000)
    top = skewed.search("phonics", 300)
    assert [h.score for h in top] == [h.score for h in full[:300]] and len(top) == 300


def test_bm25_counts_a_word_repeated_hundreds_of_times_exactly() -> None:
    import math

    index = LexicalIndex(k1=1.2, b=0.75)
    index.index([1, 2], ["reading " * 300 + "maths", "reading maths"])
    idf, average = math.log(1 + 0.5 / 2.5), (301 + 2) / 2
    expected = idf * 300 * 2.2 / (300 + 1.2 * (0.25 + 0.75 * 301 / average))
    assert index.search("reading", 2)[0] == Hit(1, pytest.approx(expected, rel=1e-5))


def test_fusions_reward_agreement() -> None:
    dense = [Hit(1, 0.9), Hit(2, 0.8), Hit(3, 0.1)]
    lexical = [Hit(2, 12.0), Hit(4, 11.0), Hit(1, 1.0)]
    assert convex(dense, lexical, 0.5)[0].id == 2
    assert reciprocal_rank([dense, lexical])[0].id in (1, 2)


def _grouped_one_hit_at_a_time(owner: dict[int, int], published: set[int], hits: list[Hit], limit: int,
                               per_result: int) -> list[tuple[int, list[tuple[int, float]], list[int], float]]:
    """Grouping as a plain loop over the fused hits: what the search path's grouping must equal."""
    chosen: dict[int, tuple[int, list[tuple[int, float]], list[int], float]] = {}
    for hit in hits:
        study = owner.get(hit.id)
        if study not in published:
            continue
        if study not in chosen:
            if len(chosen) >= limit:
                continue
            chosen[study] = (study, [], [], hit.score)
        if len(chosen[study][1]) < per_result:
            chosen[study][1].append((hit.id, hit.score))
        chosen[study][2].append(hit.id)
    return list(chosen.values())


@pytest.mark.parametrize("seed", range(20))
def test_grouping_fused_passages_by_case_study_on_arrays_equals_a_plain_loop(seed: int) -> None:
    import numpy as np

    from commons.search.catalogue import Catalogue
    from commons.search.engine import _fuse, _group

    rng = np.random.default_rng(seed)
    owner = rng.integers(-1, 40, size=300).astype(np.int32)  # -1: a passage that is not live
    published = {int(s) for s in rng.choice(40, size=30, replace=False)}  # the others: withdrawn since
    known = Catalogue(0, dict.fromkeys(published), owner, np.zeros(0, np.int64), np.zeros(1, np.int64),
                      np.zeros(0, np.int64))  # type: ignore[arg-type]

    def hits() -> list[Hit]:  # ids past the catalogue's end too (a passage added since it was read)
        ids = rng.choice(320, size=int(rng.integers(0, 120)), replace=False)
        return [Hit(int(i), float(s)) for i, s in zip(ids, sorted(rng.random(len(ids)), reverse=True), strict=True)]

    dense, lexical = hits(), hits()
    limit, per_result = int(rng.integers(1, 25)), int(rng.integers(1, 4))
    for mode in ("hybrid", "dense", "lexical"):
        ids, scores = _fuse(dense, lexical, mode, 0.6)
        fused = [Hit(i, s) for i, s in zip(ids.tolist(), scores.tolist(), strict=True)]
        expected = _grouped_one_hit_at_a_time({i: int(c) for i, c in enumerate(owner) if c >= 0}, published,
                                              fused, limit, per_result)
        got = _group(known, ids, scores, limit, per_result)
        assert [(c.case_study_id, [(h.id, h.score) for h in c.hits], c.all_ids, c.fused) for c in got] == expected
        assert [c.rank for c in got] == list(range(len(expected)))
        assert all(c.relevance == c.score == c.fused for c in got)


def test_snippet_picks_the_matching_sentence_and_marks_words() -> None:
    text = "We are a large school. Attendance of disadvantaged pupils rose to 95%. Costs were low."
    snippet = make_snippet(text, "attendance of disadvantaged pupils", max_words=8)
    assert snippet.text.startswith("Attendance of disadvantaged pupils rose")
    assert [f.text for f in snippet.fragments if f.marked] == ["Attendance", "disadvantaged", "pupils"]
    assert snippet.starts_mid_passage and snippet.ends_mid_passage


@pytest.mark.parametrize(
    ("question", "slug"),
    [
        ("Read Write Inc. fidelity", "tinsley-green-rwi-phonics-fidelity"),
        ("NELI", "tinsley-green-neli-reception-language"),
        ("AAC aided language modelling", "brightwater-aac-aided-language-modelling"),
    ],
)
def test_names_and_acronyms_find_their_case_study_first(demo_app: Flask, question: str, slug: str) -> None:
    with demo_app.app_context():
        results = search(db.session, search_index.state, question)
    assert results.results[0].case_study.slug == slug


def test_special_measures_does_not_bring_special_schools(demo_app: Flask) -> None:
    """An inspection category, searched as what it means, not as 'special' (schools) and 'measures' (taken).

    Nothing in the demo is about special measures; before, a special school's study of reducing
    restraint answered it.
    """
    with demo_app.app_context():
        results = search(db.session, search_index.state, "coming out of special measures")
        shown = [(r.case_study.slug, r.answers, r.case_study.school.establishment_type) for r in results.results]
    assert shown, "the nearest case studies are shown even when nothing answers"
    assert not [s for s in shown if s[1] and "special" in s[2].lower()], shown
    assert "meadowbank-reducing-restraint-semh" not in [s[0] for s in shown], shown


def test_each_case_study_appears_once_with_marked_snippets(demo_app: Flask) -> None:
    with demo_app.app_context():
        state = search_index.state
        everything = search(db.session, state, "persistent absence after the pandemic", limit=20, order="retrieval")
        results = search(db.session, state, "persistent absence after the pandemic", limit=20)
    slugs = [r.case_study.slug for r in everything.results]
    assert len(slugs) == len(set(slugs)) == 20
    shown = [r.case_study.slug for r in results.results]
    assert len(shown) == len(set(shown)) and results.answers and len(results.nearest) <= 3
    assert [r.answers for r in results.results] == sorted((r.answers for r in results.results), reverse=True)
    assert any(f.marked for f in results.results[0].best.snippet.fragments)  # type: ignore[union-attr]


def test_snippets_mark_the_forms_the_glossary_added_and_the_spelling_fixed(demo_app: Flask) -> None:
    """"PP" is searched as "pupil premium" too, so that is what the snippets show was matched."""

    def marked(question: str) -> set[str]:
        results = search(db.session, search_index.state, question)
        assert results.answers
        return {f.text.lower() for r in results.answers for hit in r.passages if hit.snippet
                for f in hit.snippet.fragments if f.marked}

    with demo_app.app_context():
        assert {"pupil", "premium"} <= marked("PP")
        assert "persistent" in marked("persistant absence")


def test_stop_words_only_and_punctuation_only(demo_app: Flask) -> None:
    with demo_app.app_context():
        results = search(db.session, search_index.state, "how do we do it?")
        assert results.results and "very common words" in results.notices[0]
        with pytest.raises(QuestionProblem, match="no words"):
            search(db.session, search_index.state, "?!;:")


def test_a_failure_of_the_encoding_or_of_the_dense_search_on_the_helper_thread_reaches_the_asker(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from indexer.vector_index import VectorIndex

    def fails(*args: object) -> None:
        raise RuntimeError("broken on the helper thread")

    with demo_app.app_context():
        state = search_index.state
        assert search(db.session, state, "phonics catch-up in year 3").results
        monkeypatch.setattr(VectorIndex, "search", fails)
        with pytest.raises(RuntimeError, match="helper thread"):
            search(db.session, state, "phonics catch-up in year 3")
        assert search(db.session, state, "phonics catch-up in year 3", mode="lexical").results
        monkeypatch.undo()
        monkeypatch.setattr(state, "encode_query", fails)
        with pytest.raises(RuntimeError, match="helper thread"):
            search(db.session, state, "oracy in reception")


def test_lexical_index_follows_a_withdrawal(demo_copy: Path, embedder: object) -> None:
    from commons.services.publishing import withdraw
    from tests.conftest import make_app

    app = make_app(f"sqlite:///{demo_copy / 'commons.db'}", demo_copy, embedder)
    with app.app_context():
        before = search(db.session, search_index.state, "Read Write Inc. fidelity", mode="lexical")
        top = before.results[0].case_study
        withdraw(db.session, db.session.get(CaseStudy, top.id))  # type: ignore[arg-type]
        db.session.commit()
        after = search(db.session, search_index.state, "Read Write Inc. fidelity", mode="lexical")
        assert top.slug not in [r.case_study.slug for r in after.results]


def test_more_like_this_on_the_case_study_page(demo_app: Flask) -> None:
    with demo_app.app_context():
        ravensworth = "ravensworth-persistent-absence-after-covid"
        slug = db.session.scalar(select(CaseStudy.slug).where(CaseStudy.slug == ravensworth))
    page = demo_app.test_client().get(f"/case-studies/{slug}").get_data(as_text=True)
    related = page.split('id="related-heading"')[1]
    assert related.count("<li>") == 5
    assert f"/case-studies/{slug}\"" not in related


def test_commons_eval_prints_three_lines_hybrid_last(app: Flask, tmp_path: Path) -> None:
    result = app.test_cli_runner().invoke(args=["eval", str(MINI), "--cache", str(tmp_path / "cache.sqlite")])
    assert result.exit_code == 0, result.output
    import re

    lines = re.findall(r"(?:lexical|dense|hybrid) nDCG@10=\S+ R@100=\S+ MRR@10=\S+", result.output)
    assert [line.split(" ")[0] for line in lines] == ["lexical", "dense", "hybrid"]
    values = {line.split(" ")[0]: float(line.split("nDCG@10=")[1].split()[0]) for line in lines}
    assert values["hybrid"] >= 0.8
    assert lines[-1].startswith("hybrid nDCG@10=") and " R@100=" in lines[-1] and " MRR@10=" in lines[-1]


@pytest.mark.parametrize(
    ("file", "content", "expected"),
    [
        ("corpus.jsonl", '{"_id": "d1", "text": "x"}\n{not json}\n', "corpus.jsonl, line 2: not valid JSON"),
        ("queries.jsonl", '{"text": "no id"}\n', "queries.jsonl, line 1: each line must be an object"),
        ("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1 d3 1\n", "test.tsv, line 2: expected 3 tab-separated"),
        ("qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\tnope\t1\n", "test.tsv, line 2: corpus-id 'nope'"),
    ],
)
def test_commons_eval_names_file_and_line_of_a_malformed_collection(
    app: Flask, tmp_path: Path, file: str, content: str, expected: str
) -> None:
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(MINI, broken)
    (broken / file).write_text(content)
    result = app.test_cli_runner().invoke(args=["eval", str(broken), "--cache", str(tmp_path / "c.sqlite")])
    assert result.exit_code == 1
    assert expected in result.output


def test_more_like_this_puts_studies_on_its_topics_before_those_merely_near_in_meaning(demo_app: Flask) -> None:
    """Training lunchtime staff reads like coaching; a reader of a behaviour study wants behaviour first."""
    from commons.search.extension import search_index
    from commons.search.related import more_like_this

    with demo_app.app_context():
        study = db.session.scalar(select(CaseStudy).where(
            CaseStudy.slug == "st-aidans-calmer-lunchtimes-midday-supervisors"))
        assert study is not None
        related = more_like_this(db.session, search_index.state, study)
        shares = [bool(set(r.case_study.topics) & set(study.topics)) for r in related]
    assert len(related) == 5 and shares == sorted(shares, reverse=True)  # every sharer before every other
    assert sum(shares) >= 3
