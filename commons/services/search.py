"""The one search path used by the web pages and the CLI.

A question is embedded, the nearest passages are found in the vector index, and passages
are grouped by case study: each case study appears once, ranked by its best passage (so a
long case study gains nothing from its length), with its best passages as evidence.
"""

import re
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from commons.models import CaseStudy, Passage
from commons.search_index import IndexState
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
    score: float
    passages: list[PassageHit] = field(default_factory=list)

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
) -> SearchResults:
    """Answer a question with case studies, each with its best-matching passages.

    ``mode`` is hybrid (the default: dense and lexical fused), dense or lexical; ``pool`` is
    how many passages each retriever proposes before fusion and grouping.
    """
    question, notices = clean_question(raw_question)
    settings = index_state.settings
    mode = mode or settings.mode
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    pool = pool or max(settings.pool, limit * 5)
    vectors, lexical = index_state.fresh_pair(session)
    if not tokenize(question):
        if mode == "lexical":
            raise QuestionProblem("Your question is made only of very common words (like “how”, "
                                  "“the”, “what”). Add the words that matter, such as the subject "
                                  "or the problem.")
        notices.append("Your question is made only of very common words, so we matched it by "
                       "meaning alone. Adding a subject or a problem will sharpen the results.")
    hits = _retrieve(index_state, vectors, lexical, question, mode, pool)
    results = _group(session, hits, limit, passages_per_result)
    if snippets:
        for result in results:
            for hit in result.passages:
                hit.snippet = make_snippet(hit.passage.text, question)
    return SearchResults(question, results, notices)


def _retrieve(index_state: IndexState, vectors, lexical, question: str, mode: str, pool: int) -> list[Hit]:  # type: ignore[no-untyped-def]
    dense_hits: list[Hit] = []
    lexical_hits: list[Hit] = []
    if mode in ("dense", "hybrid"):
        dense_hits = vectors.search(index_state.encode_query(question), pool)
    if mode in ("lexical", "hybrid"):
        lexical_hits = lexical.search(question, pool)
    if mode == "dense":
        return dense_hits
    if mode == "lexical":
        return lexical_hits
    return convex(dense_hits, lexical_hits, index_state.settings.dense_weight)


def _group(session: Session, hits: list[Hit], limit: int, passages_per_result: int) -> list[CaseStudyResult]:
    """Case studies in the order of their best passage, each with its best passages."""
    passages: dict[int, Passage] = {}
    ids = [h.id for h in hits]
    for start in range(0, len(ids), 5000):
        passages.update(
            (p.id, p)
            for p in session.scalars(
                select(Passage)
                .where(Passage.id.in_(ids[start : start + 5000]))
                .options(joinedload(Passage.case_study).joinedload(CaseStudy.school))
            )
        )
    grouped: OrderedDict[int, CaseStudyResult] = OrderedDict()
    for hit in hits:
        passage = passages.get(hit.id)
        if passage is None or passage.case_study.status != "published":
            continue
        result = grouped.get(passage.case_study_id)
        if result is None:
            if len(grouped) >= limit:
                continue
            result = grouped[passage.case_study_id] = CaseStudyResult(passage.case_study, hit.score)
        if len(result.passages) < passages_per_result:
            result.passages.append(PassageHit(passage, hit.score))
    return list(grouped.values())
