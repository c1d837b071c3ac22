"""The one search path used by the web pages, the CLI and the evaluation.

Filters become the passage ids the retrievers may return (before the nearest-neighbour
search). The question goes to the vector index and the lexical index, the two lists are
fused, and passages are grouped by case study: each case study appears once, ranked by its
best passage (so a long case study gains nothing from its length), with its best passages as
evidence. When the reader has said which school is theirs, each case study is compared with
it (from the school's context when the work was done) and the order blends relevance with
comparability, as much as the reader asked for.
"""

import re
import threading
import unicodedata
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session, defer, joinedload

from commons.domain.comparability import (
    CONTEXT_LEVELS,
    DEFAULT_CONTEXT_LEVEL,
    Comparison,
    SchoolContext,
    compare,
)
from commons.models import CaseStudy, Passage
from commons.search.catalogue import Catalogue, catalogue
from commons.search.filters import SearchFilters, allowed_passage_ids
from commons.search.state import IndexState
from indexer.fusion import convex
from indexer.snippets import Snippet, make_snippet
from indexer.tokenize import tokenize
from indexer.vector_index import Hit

MAX_QUESTION_CHARS = 1000
MODES = ("hybrid", "dense", "lexical")


class QuestionProblem(ValueError):
    """A question that cannot be searched; the message says what to do."""


@dataclass
class PassageHit:
    passage: Passage
    score: float
    snippet: Snippet | None = None


@dataclass
class CaseStudyResult:
    case_study: CaseStudy
    score: float  # what the order follows: relevance, blended with comparability when asked
    passages: list[PassageHit] = field(default_factory=list)
    relevance: float = 0.0  # the best passage's retrieval score
    comparison: Comparison | None = None

    @property
    def best(self) -> PassageHit:
        return self.passages[0]


@dataclass
class SearchResults:
    question: str
    results: list[CaseStudyResult]
    notices: list[str] = field(default_factory=list)


def clean_question(raw: str | None) -> tuple[str, list[str]]:
    """Normalise a question; returns it with notices for the reader, or raises QuestionProblem."""
    question = unicodedata.normalize("NFKC", raw or "")
    question = re.sub(r"\s+", " ", "".join(c for c in question if c.isprintable() or c.isspace())).strip()
    if not question:
        raise QuestionProblem("Type a question to search the Commons, for example "
                              "“how did a small rural primary improve attendance?”")
    if not any(c.isalnum() for c in question):
        raise QuestionProblem("Your question has no words in it. Try describing what you want "
                              "to improve, in a sentence.")
    notices: list[str] = []
    if len(question) > MAX_QUESTION_CHARS:
        notices.append(f"Your question was {len(question):,} characters long; we searched with "
                       f"its first {MAX_QUESTION_CHARS:,}. Short questions work best.")
        question = question[:MAX_QUESTION_CHARS].rsplit(" ", 1)[0]
    letters = [c for c in question if c.isalpha()]
    latin = [c for c in letters if unicodedata.name(c, "").startswith("LATIN")]
    if letters and len(latin) < len(letters) / 2:
        notices.append("The case studies in the Commons are written in English, and search works "
                       "best with questions in English; these results may be a poor match.")
    return question, notices


def search(
    session: Session,
    index_state: IndexState,
    raw_question: str | None,
    limit: int = 10,
    passages_per_result: int = 3,
    mode: str | None = None,
    pool: int | None = None,
    snippets: bool = True,
    reader: SchoolContext | None = None,
    context_level: int = DEFAULT_CONTEXT_LEVEL,
    filters: SearchFilters | None = None,
) -> SearchResults:
    """Answer a question with case studies, each with its best-matching passages.

    ``mode`` is hybrid (the default: dense and lexical fused), dense or lexical; ``pool`` is
    how many passages each retriever proposes before fusion and grouping. ``reader`` is the
    reader's school; ``context_level`` indexes :data:`CONTEXT_LEVELS` (how much comparability
    counts); ``filters`` narrow the case studies before retrieval.
    """
    question, notices = clean_question(raw_question)
    settings = index_state.settings
    mode = mode or settings.mode
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if not 0 <= context_level < len(CONTEXT_LEVELS):
        raise ValueError(f"context_level must be 0 to {len(CONTEXT_LEVELS) - 1}, not {context_level}")
    pool = pool or max(settings.pool, limit * 5)
    vectors, lexical = index_state.fresh_pair(session)
    known = catalogue(session)
    allowed: npt.NDArray[np.int64] | None = None
    if filters is not None and filters.active():
        allowed = allowed_passage_ids(session, filters, known)
        if not len(allowed):
            notices.append("No published case study matches these filters. Remove a filter to see more.")
            return SearchResults(question, [], notices)
    if not tokenize(question):
        if mode == "lexical":
            raise QuestionProblem("Your question is made only of very common words (like “how”, "
                                  "“the”, “what”). Add the words that matter, such as the subject "
                                  "or the problem.")
        notices.append("Your question is made only of very common words, so we matched it by "
                       "meaning alone. Adding a subject or a problem will sharpen the results.")
    hits = _retrieve(index_state, vectors, lexical, question, mode, pool, allowed)
    weight = CONTEXT_LEVELS[context_level][1] if reader is not None else 0.0
    candidates = _group(known, hits, limit * 5 if weight else limit, passages_per_result)
    comparisons = _compare(known, reader, candidates) if reader is not None else {}
    if weight:
        candidates = _blend(candidates, comparisons, weight)[:limit]
    results = _hydrate(session, candidates, comparisons)
    if snippets:
        for result in results:
            for hit in result.passages:
                hit.snippet = make_snippet(hit.passage.text, question)
    return SearchResults(question, results, notices)


_HELPERS: list[ThreadPoolExecutor] = []
_HELPERS_LOCK = threading.Lock()


def _helpers() -> ThreadPoolExecutor:
    """Threads for the lexical search, made on first use (numpy releases the GIL as it scores)."""
    if not _HELPERS:
        with _HELPERS_LOCK:
            if not _HELPERS:
                _HELPERS.append(ThreadPoolExecutor(max_workers=4, thread_name_prefix="lexical-search"))
    return _HELPERS[0]


def _retrieve(index_state: IndexState, vectors, lexical, question: str, mode: str, pool: int,  # type: ignore[no-untyped-def]
              allowed: npt.NDArray[np.int64] | None) -> list[Hit]:
    dense_hits: list[Hit] = []
    lexical_hits: list[Hit] = []
    if mode == "hybrid":  # the lexical search needs no vector: it runs while the question is encoded
        pending = _helpers().submit(lexical.search, question, pool, allowed)
        try:
            dense_hits = vectors.search(index_state.encode_query(question), pool, allowed)
        finally:
            lexical_hits = pending.result()
    elif mode == "dense":
        dense_hits = vectors.search(index_state.encode_query(question), pool, allowed)
    else:
        lexical_hits = lexical.search(question, pool, allowed)
    if mode == "dense":
        return dense_hits
    if mode == "lexical":
        return lexical_hits
    return convex(dense_hits, lexical_hits, index_state.settings.dense_weight)


@dataclass
class _Candidate:
    case_study_id: int
    hits: list[Hit]
    relevance: float  # the best passage's retrieval score
    score: float  # what the order follows


def _group(known: Catalogue, hits: list[Hit], limit: int, passages_per_result: int) -> list[_Candidate]:
    """The first ``limit`` case studies in the order of their best passage, with their best passages.

    Grouping needs only each passage's case study, which the catalogue holds for live passages.
    """
    owner = known.owners([h.id for h in hits])
    published = known.studies
    chosen: OrderedDict[int, _Candidate] = OrderedDict()
    for hit in hits:
        case_study_id = owner.get(hit.id)
        if case_study_id not in published:
            continue
        candidate = chosen.get(case_study_id)
        if candidate is None:
            if len(chosen) >= limit:
                continue
            candidate = chosen[case_study_id] = _Candidate(case_study_id, [], hit.score, hit.score)
        if len(candidate.hits) < passages_per_result:
            candidate.hits.append(hit)
    return list(chosen.values())


def _compare(known: Catalogue, reader: SchoolContext, candidates: list[_Candidate]) -> dict[int, Comparison]:
    """Each candidate's school, as it was when the work was done, against the reader's."""
    return {c.case_study_id: compare(reader, known.studies[c.case_study_id].context) for c in candidates}


def _blend(candidates: list[_Candidate], comparisons: dict[int, Comparison], weight: float) -> list[_Candidate]:
    """Order by ``(1 - weight) * relevance + weight * similarity``, relevance as a share of the best."""
    top = max((c.relevance for c in candidates), default=0.0)
    for candidate in candidates:
        relevance = max(candidate.relevance, 0.0) / top if top > 0 else 0.0
        candidate.score = (1.0 - weight) * relevance + weight * comparisons[candidate.case_study_id].similarity
    return sorted(candidates, key=lambda c: -c.score)  # stable: equal blends keep the relevance order


def _hydrate(session: Session, candidates: list[_Candidate], comparisons: dict[int, Comparison]) -> list[CaseStudyResult]:
    """Load the chosen passages (with case study and school) and build the results."""
    wanted = [h.id for c in candidates for h in c.hits]
    passages = {
        p.id: p
        for p in session.scalars(
            select(Passage)
            .where(Passage.id.in_(wanted))
            .options(defer(Passage.embedding), joinedload(Passage.case_study).joinedload(CaseStudy.school))
        )
    } if wanted else {}
    results = []
    for candidate in candidates:
        first = passages[candidate.hits[0].id]
        results.append(CaseStudyResult(
            first.case_study, candidate.score, [PassageHit(passages[h.id], h.score) for h in candidate.hits],
            relevance=candidate.relevance, comparison=comparisons.get(candidate.case_study_id),
        ))
    return results
