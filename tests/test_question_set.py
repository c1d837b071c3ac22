"""Plain-language questions a teacher would ask of the demo commons, with the case studies
they would expect to find. The top five must hold an expected case study for at least 90%."""

from pathlib import Path

import pytest
import yaml
from flask import Flask

from commons.db import db
from commons.search.engine import search
from commons.search.extension import search_index

QUESTIONS = Path(__file__).parent / "data" / "questions"
HIT_AT_5_TARGET = 0.90


def load_questions() -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    for path in sorted(QUESTIONS.glob("*.yaml")):
        items.extend(yaml.safe_load(path.read_text(encoding="utf-8")))
    return items


def test_the_question_set_is_big_enough_and_points_at_real_case_studies(demo_app: Flask) -> None:
    from sqlalchemy import select

    from commons.models import CaseStudy

    items = load_questions()
    assert len(items) >= 30
    with demo_app.app_context():
        slugs = set(db.session.scalars(select(CaseStudy.slug)))
    unknown = [s for item in items for s in item["expected"] if s not in slugs]  # type: ignore[attr-defined]
    assert unknown == []


def test_top_five_holds_an_expected_case_study_for_nine_questions_in_ten(
    demo_app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    items = load_questions()
    hits = 0
    reciprocal_ranks = []
    misses = []
    with demo_app.app_context():
        for item in items:
            results = search(db.session, search_index.state, str(item["question"]), limit=10)
            ranked = [r.case_study.slug for r in results.results]
            expected = set(item["expected"])  # type: ignore[arg-type]
            rank = next((i for i, slug in enumerate(ranked, 1) if slug in expected), None)
            reciprocal_ranks.append(1 / rank if rank else 0.0)
            if rank is not None and rank <= 5:
                hits += 1
            else:
                misses.append((item["question"], sorted(expected), ranked[:5]))
    rate = hits / len(items)
    mrr = sum(reciprocal_ranks) / len(items)
    with capsys.disabled():
        print(f"\ndemo question set: {len(items)} questions, hit@5={rate:.3f}, MRR@10={mrr:.3f}")
        for question, expected, top in misses:
            print(f"  MISS {question!r}\n       expected {expected}\n       top five {top}")
    assert rate >= HIT_AT_5_TARGET


JUDGED = Path(__file__).parent / "data" / "judged"


def test_the_judged_question_set_reads_and_points_at_real_case_studies(demo_app: Flask) -> None:
    from sqlalchemy import select

    from commons.models import CaseStudy
    from commons.ops.judged import KINDS, read_questions

    questions = read_questions(JUDGED, "all")
    assert len(questions) >= 80 and {q.kind for q in questions} == set(KINDS)
    assert len({q.id for q in questions}) == len(questions)
    with demo_app.app_context():
        slugs = set(db.session.scalars(select(CaseStudy.slug)))
    assert [s for q in questions for s in q.judgements if s not in slugs] == []


def test_the_fitted_splits_meet_their_targets_and_nothing_answers_gibberish(demo_app: Flask) -> None:
    """The calibration was fitted on the seen splits, so these figures hold there by construction;
    this keeps them from sliding. The unseen split is reported by ``commons judged``."""
    from commons.ops.judged import read_questions, run, summary

    with demo_app.app_context():
        outcomes = run(lambda: db.session, search_index.state, read_questions(JUDGED, "seen"))
        tune = summary(outcomes)["all"]
        unrelated = [q for q in read_questions(JUDGED, "all")
                     if q.kind == "none" and q.question in ("asdfghjkl qwerty", "best pizza in Naples",
                                                           "zxcvb poiuy lkjhg")]
        shown = run(lambda: db.session, search_index.state, unrelated)
    assert tune["hit@3"] >= 0.9 and tune["ndcg@10"] >= 0.85 and tune["lost_best"] <= 0.05
    # the first splits' questions on topics the Commons does not hold show no answers; the near
    # misses (a rule or a procedure on a theme it does hold: the `near` split, and most of the later
    # splits' no-answer questions) are the known weakness, kept from growing
    no_answer = [o for o in outcomes if not o.question.judgements]
    off_topic = [o for o in no_answer if o.question.id[0] in "qf"]
    assert off_topic and all(o.answers_shown == 0 for o in off_topic)
    assert sum(1 for o in no_answer if o.answers_shown) <= len(no_answer) // 8
    assert sum(o.answers_shown for o in no_answer) <= len(no_answer) // 3
    assert unrelated and all(o.answers_shown == 0 for o in shown)


def test_the_calibration_is_fitted_on_the_candidates_the_served_search_scores(demo_app: Flask) -> None:
    """The signals a calibration is fitted on are those of the search a teacher gets: the same
    candidates, so the lifts (a candidate's standing among the others) mean the same. Fitting once
    asked a wider search (100 candidates from a larger pool), whose lifts read differently."""
    from commons.ops.judged import read_questions, run
    from commons.search.engine import CANDIDATES

    with demo_app.app_context():
        questions = [q for q in read_questions(JUDGED, "tune")][:6]
        outcomes = run(lambda: db.session, search_index.state, questions, with_candidates=True)
        for item in outcomes:
            served = search(db.session, search_index.state, item.question.question, limit=10, snippets=False)
            assert 0 < len(item.candidates) <= CANDIDATES
            fitted = dict(item.candidates)
            assert served.results and all(fitted[r.case_study.slug] == r.features for r in served.results)


def test_the_word_signals_worked_out_while_the_question_is_encoded_are_those_worked_out_after(
        demo_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lexical candidates' signals from words are worked out while the question is encoded;
    the rest after the dense search. Worked out all after, every candidate's signals are the same."""
    from commons.search import engine

    asked = [str(item["question"]) for item in load_questions()][:40]
    with demo_app.app_context():
        ahead = [search(db.session, search_index.state, question, snippets=False).evidence for question in asked]
        worked_out_ahead = engine._words_ahead

        def nothing_ahead(*args: object) -> object:
            return worked_out_ahead(*args[:5], None, [])  # type: ignore[arg-type]

        monkeypatch.setattr(engine, "_words_ahead", nothing_ahead)
        after = [search(db.session, search_index.state, question, snippets=False).evidence for question in asked]
    assert sum(len(found) for found in ahead) > len(asked) * 10
    assert ahead == after
