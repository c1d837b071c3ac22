"""The one search path used by the web pages, the API, the CLI, smart collections and evaluation.

1. The question is read (``reading.py``): the asker's school context is set apart from the
   topic; the glossary adds the long forms of acronyms (and the reverse) to the keywords.
2. Filters become the passage ids the retrievers may return (before the nearest-neighbour
   search). The topic goes to the vector index and the lexical index and the two lists are
   fused; passages are grouped by case study, each case study once.
3. Answerability (``answerability.py``): the strongest evidence of any candidate says whether
   anything answers the question at all; if so, each candidate's calibrated relevance (from
   its own signals and how far it falls behind the strongest) says whether it answers. A few
   of the rest may be shown as "the nearest we have", never as answers.
4. The reader's school, or else the school the question describes, reorders the answers by
   comparability, as much as the reader asked for. It never turns a non-answer into one.
"""

import re
import unicodedata
from concurrent.futures import Future
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

import numpy as np
import numpy.typing as npt
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, defer, joinedload

from commons.domain.comparability import (
    CONTEXT_LEVELS,
    DEFAULT_CONTEXT_LEVEL,
    Comparison,
    SchoolContext,
    compare,
)
from commons.domain.vocabulary import TOPIC_NAMES, TOPICS
from commons.models import CaseStudy, Passage
from commons.search.answerability import Calibration, default_calibration, with_gaps
from commons.search.asker import context_from_reading
from commons.search.catalogue import Catalogue, catalogue
from commons.search.filters import SearchFilters, allowed_passage_ids
from commons.search.glossary import Expansion, load_glossary
from commons.search.reading import ReadQuestion, read_question
from commons.search.rules import asks_about_rules
from commons.search.state import IndexState
from commons.search.words import misspellings
from indexer.fusion import convex_arrays
from indexer.lexical import LexicalIndex
from indexer.snippets import Snippet, make_snippets
from indexer.types import Hit, Vectors
from indexer.vector_index import VectorIndex

MAX_QUESTION_CHARS = 1000
ORDERS = ("answers", "retrieval")
NEAREST = 3  # how many non-answers are shown as "the nearest we have"
CANDIDATES = 50  # case studies scored for answerability
MODES = ("hybrid", "dense", "lexical")
# A topic of this many words or fewer ("attendance", "early years") names a subject: a case study
# answers it only when its title or topics name it, not because a passage mentions it.
BROAD_TOPIC_WORDS = 2


NOT_ENGLISH = "The case studies in the Commons are written in English"
GUIDANCE_URL = "https://www.gov.uk/browse/education"  # where the Department for Education's guidance is


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
    score: float  # what the order follows: relevance, blended with comparability among answers
    passages: list[PassageHit] = field(default_factory=list)
    relevance: float = 0.0  # calibrated: the probability that it answers the question (answerability.py)
    comparison: Comparison | None = None
    answers: bool = True  # relevance at or above the floor; False for "the nearest we have"
    features: dict[str, float] = field(default_factory=dict)

    @property
    def best(self) -> PassageHit:
        return self.passages[0]


@dataclass
class SearchResults:
    """Answers first (in rank order), then at most a few of "the nearest we have"."""

    question: str
    results: list[CaseStudyResult]
    notices: list[str] = field(default_factory=list)
    reading: ReadQuestion | None = None  # what was read in the question: the asker's context and the topic
    expansions: tuple[tuple[str, str], ...] = ()  # (term in the question, what the glossary added)
    searched_as: tuple[tuple[str, str], ...] = ()  # (phrase in the question, what it was searched as instead)
    context_source: str | None = None  # "school" (the reader's own), "question" (read from it) or None
    context: SchoolContext | None = None  # the context the answers were compared with
    answer_count: int = 0  # how many of the candidates answer, even beyond the limit (at most CANDIDATES)
    asks_rules: str | None = None  # the words that ask what the rules are ("be required"), if any (rules.py)
    # every scored candidate's case-study id and answerability signals, shown or not: what the calibration is fitted on
    evidence: list[tuple[int, dict[str, float]]] = field(default_factory=list)

    @property
    def answers(self) -> list[CaseStudyResult]:
        return [r for r in self.results if r.answers]

    @property
    def rules_notice(self) -> str | None:
        """For a question about the rules: what the Commons holds, and where rules are answered.

        Said whether or not anything answers: a case study may show how a school handled what
        the rules ask, but it is not the rules.
        """
        if not self.asks_rules:
            return None
        return (f"This reads as a question about what the rules require or allow (“{self.asks_rules}”). The "
                "Commons holds schools’ accounts of how they improved, not statutory guidance: for the rules, see "
                f"the Department for Education’s guidance on GOV.UK ({GUIDANCE_URL}), or ask your local authority, "
                "trust or HR adviser.")

    @property
    def nearest(self) -> list[CaseStudyResult]:
        return [r for r in self.results if not r.answers]


_HTML_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")


def printable(text: str) -> str:
    """The text without control characters (a NUL, a bell), keeping its spaces and line breaks."""
    return "".join(c for c in text if c.isprintable() or c.isspace())


def clean_question(raw: str | None) -> tuple[str, list[str]]:
    """Normalise a question; returns it with notices for the reader, or raises QuestionProblem."""
    question = unicodedata.normalize("NFKC", raw or "")
    question = _HTML_TAG.sub(" ", question)  # pasted markup ("<b>phonics</b>") is not what was asked
    question = re.sub(r"\s+", " ", printable(question)).strip()
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
        notices.append(NOT_ENGLISH + ", and search works best with questions in English; these results may be "
                       "a poor match.")
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
    read: bool = True,
    ignore: frozenset[str] = frozenset(),
    nearest: int = NEAREST,
    calibration: Calibration | None = None,
    order: str = "answers",
) -> SearchResults:
    """Answer a question with case studies, each with its best-matching passages.

    The question is read first (``reading.py``): the asker's own school context is separated
    from the topic, and only the topic is searched; the glossary adds the long forms of
    acronyms (and the reverse) to the lexical query. ``read=False`` searches the words as
    typed; ``ignore`` drops the context parts of those kinds (the reader undid them).

    Every candidate gets a calibrated relevance (``answerability.py``); when anything answers
    the question at all, those at or above the floor answer it and come first, at most ``limit`` of them, then at most
    ``nearest`` of the rest, marked ``answers=False``. The reader's school (``reader``), or
    else the context read from the question, reorders the answers by comparability, as much
    as ``context_level`` says (:data:`CONTEXT_LEVELS`); it never makes a result an answer.

    ``mode`` is hybrid (dense and lexical fused), dense or lexical; ``pool`` is how many
    passages each retriever proposes; ``filters`` narrow the case studies before retrieval.
    ``order="retrieval"`` keeps the retrievers' fused order and every candidate up to ``limit``,
    with no answerability (each result's relevance is its fused score): what ``commons eval``
    measures on public collections.
    """
    question, notices = clean_question(raw_question)
    settings = index_state.settings
    mode = mode or settings.mode
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, not {order!r}")
    if not 0 <= context_level < len(CONTEXT_LEVELS):
        raise ValueError(f"context_level must be 0 to {len(CONTEXT_LEVELS) - 1}, not {context_level}")
    calibration = calibration or default_calibration()
    reading = read_question(question) if read else None
    for kind in ignore:
        if reading is not None:
            reading = reading.without(kind)
    topic = reading.topic if reading is not None else question
    context_source, context = None, None
    if reader is not None:
        context_source, context = "school", reader
    elif reading is not None:
        context = context_from_reading(reading)
        context_source = "question" if context is not None else None
    found = SearchResults(question, [], notices, reading, context_source=context_source, context=context)
    found.asks_rules = asks_about_rules(question) if read else None
    if not topic.strip() or not any(c.isalnum() for c in topic):
        notices.append("We read your question as a description of a school, with nothing yet about what "
                       "you want to know. Add the topic, for example “…: how do we improve attendance?”")
        return found
    expansion = load_glossary().expand(topic) if read else Expansion(topic)
    found.expansions = tuple((item.found, item.shown) for item in expansion.items if not item.searched_as)
    found.searched_as = tuple((item.found, item.searched_as) for item in expansion.items if item.searched_as)
    dense_query = topic
    if expansion.items:  # the model knows "pupil premium" better than "PP"
        dense_query = f"{topic} ({'; '.join(item.shown for item in expansion.items)})"
    # the model encodes the question on a helper thread (it lets go of the GIL) while this one
    # does everything that needs only the words: the replicas, spelling, filters, the lexical search
    encoding = index_state.helpers.submit(index_state.encode_query, dense_query) if mode != "lexical" else None
    pool = pool or max(settings.pool, limit * 5)
    vectors, lexical = index_state.fresh_pair(session)
    fixes = misspellings(lexical.corrections(topic)) if read and mode != "dense" else {}
    # the lexical query as the index's tokens, so a fix ("persistant" searched as "persist") is
    # never stemmed a second time ("earli", the stem of "early", is not "ear")
    lexical_query = lexical.tokens(expansion.expanded_text()) + list(fixes.values())
    matched_topic = [fixes.get(token, token) for token in lexical.tokens(expansion.searched_text())]
    known = catalogue(session, lexical.last_change)  # the replicas are as of the newest change
    allowed: npt.NDArray[np.int64] | None = None
    if filters is not None and filters.active():
        allowed = allowed_passage_ids(session, filters, known)
        if not len(allowed):
            notices.append("No published case study matches these filters. Remove a filter to see more.")
            return found
    if not lexical_query:
        if mode == "lexical":
            raise QuestionProblem("Your question is made only of very common words (like “how”, "
                                  "“the”, “what”). Add the words that matter, such as the subject "
                                  "or the problem.")
        if not any(notice.startswith(NOT_ENGLISH) for notice in notices):  # no English words: said already
            notices.append("Your question is made only of very common words, so we matched it by "
                           "meaning alone. Adding a subject or a problem will sharpen the results.")
    dense = _dense_search(encoding, vectors, pool, allowed)
    lexical_hits = lexical.search(lexical_query, pool, allowed) if mode != "dense" else []
    words = _words_ahead(known, lexical, expansion, matched_topic, lexical_query, dense, lexical_hits) \
        if order == "answers" else None
    query_vector, dense_hits = _dense_results(dense)
    hit_ids, hit_scores = _fuse(dense_hits, lexical_hits, mode, settings.dense_weight)
    candidates = _group(known, hit_ids, hit_scores, max(CANDIDATES, limit + nearest), passages_per_result)
    if words is not None:
        _score(candidates, words, vectors, query_vector, dense_hits, calibration, found.asks_rules is not None)
        found.evidence = [(c.case_study_id, c.features) for c in candidates]
    weight = CONTEXT_LEVELS[context_level][1] if context is not None else 0.0
    found.answer_count = sum(1 for c in candidates if c.answers)
    if order == "retrieval":
        comparisons = _compare(known, context, candidates)
        shown = _blend(sorted(candidates, key=lambda c: c.rank), comparisons, weight, fused=True)[:limit]
    else:
        answering = [c for c in candidates if c.answers]
        others = [c for c in candidates if not c.answers][: max(0, min(nearest, limit - len(answering)))]
        comparisons = _compare(known, context, answering + others)  # only what is blended or shown
        answering = _blend(answering, comparisons, weight)[:limit]
        shown = answering + others
    results = _hydrate(session, shown, comparisons)
    if snippets:
        shown_hits = [hit for result in results for hit in result.passages]
        made = make_snippets([hit.passage.text for hit in shown_hits], lexical_query,  # every word searched for
                             stem_overrides=lexical.stem_overrides)
        for hit, snippet in zip(shown_hits, made, strict=True):
            hit.snippet = snippet
    found.results = results
    return found


def _words_ahead(known: Catalogue, lexical: LexicalIndex, expansion: Expansion, topic: list[str],
                 lexical_query: list[str], dense: Future[tuple[Vectors, list[Hit]]] | None,
                 lexical_hits: list[Hit]) -> "_WordSignals":
    """Use the time the encoding and the dense search take (on a helper thread) for what needs only the words.

    The lexical candidates' answerability signals from their words are needed whatever the
    dense search adds: the query terms each of their passages covers, and what each one's title,
    summary and topics say. Without a dense search (the lexical mode) nothing is waited for, so
    nothing is done ahead but what every search needs.
    """
    words = _WordSignals(known, lexical, expansion, topic, lexical_query)
    if dense is not None and lexical_hits:
        candidates = _group(known, *_hit_arrays(lexical_hits), CANDIDATES, 1)
        words.passages([i for c in candidates for i in c.all_ids])
        words.studies([c.case_study_id for c in candidates])
    return words


def _dense_search(encoding: Future[Vectors] | None, vectors: VectorIndex, pool: int,
                  allowed: npt.NDArray[np.int64] | None) -> Future[tuple[Vectors, list[Hit]]] | None:
    """The question's vector and the dense candidates, searched on the helper thread that encodes the
    question as soon as it is encoded (the index lets go of the GIL), so beside the lexical search;
    none in lexical mode.

    Chained to the encoding rather than queued as a task of its own, so it never takes a helper
    thread only to wait for another's encoding.
    """
    if encoding is None:
        return None
    searched: Future[tuple[Vectors, list[Hit]]] = Future()

    def search(encoded: Future[Vectors]) -> None:
        try:
            vector = encoded.result()
            searched.set_result((vector, vectors.search(vector, pool, allowed)))
        except Exception as error:  # raised where the results are read
            searched.set_exception(error)

    encoding.add_done_callback(search)  # run by the thread that encodes (or here, if it is done already)
    return searched


def _dense_results(dense: Future[tuple[Vectors, list[Hit]]] | None) -> tuple[Vectors | None, list[Hit]]:
    """The question's vector and the dense candidates, once the helper thread has them."""
    if dense is None:
        return None, []
    return dense.result()


IdArray = npt.NDArray[np.int64]
ScoreArray = npt.NDArray[np.float64]


def _fuse(dense_hits: list[Hit], lexical_hits: list[Hit], mode: str, dense_weight: float) -> tuple[IdArray, ScoreArray]:
    """The passages in the fused order, as their ids and scores."""
    if mode == "dense":
        return _hit_arrays(dense_hits)
    if mode == "lexical":
        return _hit_arrays(lexical_hits)
    return convex_arrays(dense_hits, lexical_hits, dense_weight)


def _hit_arrays(hits: list[Hit]) -> tuple[IdArray, ScoreArray]:
    return (np.fromiter((h.id for h in hits), dtype=np.int64, count=len(hits)),
            np.fromiter((h.score for h in hits), dtype=np.float64, count=len(hits)))


@dataclass
class _Candidate:
    case_study_id: int
    hits: list[Hit]
    relevance: float  # the fused score of its best passage, then the calibrated relevance
    score: float  # what the order follows
    features: dict[str, float] = field(default_factory=dict)
    answers: bool = True
    all_ids: list[int] = field(default_factory=list)  # every matched passage, for the answerability signals
    rank: int = 0  # its place in the retrievers' fused order
    fused: float = 0.0  # its best passage's fused score


def _group(known: Catalogue, ids: IdArray, scores: ScoreArray, limit: int,
           passages_per_result: int) -> list[_Candidate]:
    """The first ``limit`` case studies in the order of their best passage, with their best passages.

    ``ids`` and ``scores`` are the passages in the fused order. Grouping needs only each
    passage's case study, which the catalogue holds for live passages; it is done on arrays,
    and only the chosen case studies' passages become Python values.
    """
    owners = known.owners(ids)
    live = np.flatnonzero(owners >= 0)
    studies, first = np.unique(owners[live], return_index=True)
    published = known.studies
    chosen: list[int] = []  # places in ``studies``, in the order of each one's best passage
    for at in np.argsort(first).tolist():
        if int(studies[at]) in published:
            chosen.append(at)
            if len(chosen) >= limit:
                break
    rank = np.full(len(studies), -1, dtype=np.int64)
    rank[chosen] = np.arange(len(chosen))
    hit_rank = rank[np.searchsorted(studies, owners[live])]
    kept = hit_rank >= 0
    by_rank = np.argsort(hit_rank[kept], kind="stable")  # grouped by case study, each in the fused order
    places = live[kept][by_rank]
    bounds = np.searchsorted(hit_rank[kept][by_rank], np.arange(len(chosen) + 1)).tolist()
    chosen_ids, chosen_scores, study_ids = ids[places].tolist(), scores[places].tolist(), studies[chosen].tolist()
    candidates = []
    for n, case_study_id in enumerate(study_ids):
        start, end = bounds[n], bounds[n + 1]
        best = chosen_scores[start]
        shown = min(end, start + passages_per_result)
        hits = [Hit(i, score) for i, score in zip(chosen_ids[start:shown], chosen_scores[start:shown], strict=True)]
        candidates.append(_Candidate(case_study_id, hits, best, best, all_ids=chosen_ids[start:end], rank=n,
                                     fused=best))
    return candidates


@dataclass(frozen=True)
class _TopicTokens:
    """The topics' labels and names as one index's tokens: the same for every search of that index."""

    labels: dict[str, frozenset[str]]  # each topic's label and names together
    names: dict[str, tuple[frozenset[str], ...]]  # each of its names alone


_TOPIC_TOKENS: "WeakKeyDictionary[LexicalIndex, _TopicTokens]" = WeakKeyDictionary()


def _topic_tokens(lexical: LexicalIndex) -> _TopicTokens:
    found = _TOPIC_TOKENS.get(lexical)
    if found is None:
        labels = {tag: frozenset(lexical.tokens(" ".join([label, *TOPIC_NAMES.get(tag, ())])))
                  for tag, label in TOPICS.items()}
        names = {tag: tuple(frozenset(lexical.tokens(name)) for name in names) for tag, names in TOPIC_NAMES.items()}
        found = _TOPIC_TOKENS[lexical] = _TopicTokens(labels, names)
    return found


def _named_topics(lexical: LexicalIndex, words: set[str]) -> frozenset[str]:
    """The topics the question names (:data:`TOPIC_NAMES`: "phonics" names reading), from its tokens.

    Names are read as the index reads them, so "attended a club" does not name attendance.
    """
    return frozenset(tag for tag, names in _topic_tokens(lexical).names.items()
                     if any(tokens and tokens <= words for tokens in names))


class _WordSignals:
    """A question's answerability signals that come from words alone, for the passages and case studies asked about.

    The same whatever the dense search finds, so worked out for the lexical candidates while the
    question is encoded (:func:`_words_ahead`) and for the rest afterwards, each once. A topic
    word counts as found in a passage that holds it, or every word of one of its glossary forms
    (``alternatives``): a case study about "pupil premium" covers "PP".
    """

    def __init__(self, known: Catalogue, lexical: LexicalIndex, expansion: Expansion, topic: list[str],
                 lexical_query: list[str]) -> None:
        self.known, self.lexical, self.query = known, lexical, lexical_query
        self.idf = lexical.query_idf(topic)
        self.total = sum(self.idf.values()) or 1.0
        self.alternatives = _alternatives(lexical, expansion)
        self.named = _named_topics(lexical, set(lexical_query))
        # the only words a title or summary is read for: the topic's and those of its glossary forms
        self.relevant = frozenset(self.idf).union(*(form for forms in self.alternatives.values() for form in forms))
        self._covered: dict[frozenset[str], frozenset[str]] = {}  # many passages hold the same words
        self._weights: dict[frozenset[str], float] = {}
        self._passages: dict[int, frozenset[str]] = {}  # passage id -> the topic words it covers
        self._studies: dict[int, tuple[float, float, float]] = {}  # case study id -> topic_tag, about, summary
        self._topic_labels: dict[tuple[str, ...], frozenset[str]] = {}

    def cover(self, terms: frozenset[str]) -> frozenset[str]:
        """The topic words these terms cover."""
        found = self._covered.get(terms)
        if found is None:
            found = self._covered[terms] = _covered(terms, self.idf, self.alternatives)
        return found

    def weight(self, covered: frozenset[str]) -> float:
        """These topic words' share of the topic's idf."""
        found = self._weights.get(covered)
        if found is None:
            found = self._weights[covered] = sum(self.idf[t] for t in covered) / self.total
        return found

    def passages(self, ids: list[int]) -> list[frozenset[str]]:
        """The topic words each of these passages covers."""
        missing = [i for i in ids if i not in self._passages]
        if missing:
            held = self.lexical.terms_in(self.query, missing)
            self._passages.update((i, self.cover(held.get(i, frozenset()))) for i in missing)
        return [self._passages[i] for i in ids]

    def studies(self, case_study_ids: list[int]) -> list[tuple[float, float, float]]:
        """Each case study's topic_tag (a topic the question names), about (its title and topics) and summary."""
        missing = [i for i in case_study_ids if i not in self._studies]
        if missing:
            about = self.known.about(missing, only=self.relevant)  # what each one's author says it is about
            for case_study_id in missing:
                topics = self.known.studies[case_study_id].topics
                title, summary = about.get(case_study_id, (frozenset(), frozenset()))
                self._studies[case_study_id] = (1.0 if self.named.intersection(topics) else 0.0,
                                                self.weight(self.cover(title | self._labels(topics))),
                                                self.weight(self.cover(summary)))
        return [self._studies[i] for i in case_study_ids]

    def _labels(self, topics: tuple[str, ...]) -> frozenset[str]:
        """The tokens of these topics' labels and names (the catalogue shares each list of topics)."""
        found = self._topic_labels.get(topics)
        if found is None:
            label_tokens = _topic_tokens(self.lexical).labels
            found = self._topic_labels[topics] = frozenset().union(
                *(label_tokens.get(tag) or frozenset(self.lexical.tokens(tag)) for tag in topics))
        return found


def _score(candidates: list[_Candidate], words: _WordSignals, vectors: VectorIndex, query_vector: Vectors | None,
           dense_hits: list[Hit], calibration: Calibration, asks_rules: bool) -> None:
    """Each candidate's answerability signals, from its matched passages, and its calibrated relevance.

    The signals from words come from ``words`` (:class:`_WordSignals`), the rest from the vectors.
    """
    cosine = {h.id: h.score for h in dense_hits}
    passage_ids = [i for c in candidates for i in c.all_ids]
    missing = [i for i in dict.fromkeys(passage_ids) if i not in cosine]
    if query_vector is not None and missing:  # passages only the lexical search found
        cosine.update(zip(missing, (vectors.vectors_of(missing) @ query_vector).tolist(), strict=True))
    words.passages(passage_ids)
    studies = words.studies([c.case_study_id for c in candidates])
    for candidate, (topic_tag, about, summary) in zip(candidates, studies, strict=True):
        ids = candidate.all_ids
        dense = [*sorted((cosine.get(i, 0.0) for i in ids), reverse=True), 0.0, 0.0]
        found = words.passages(ids)
        candidate.features = {
            "dense_best": dense[0],
            "dense_second": dense[1],
            "lexical_best": max((words.weight(covered) for covered in found), default=0.0),
            "lexical_study": words.weight(frozenset().union(*found)),
            "topic_tag": topic_tag,
            "about": about,
            "summary": summary,
            "rules": 1.0 if asks_rules else 0.0,
        }
    background: list[tuple[float, float]] = []
    if query_vector is not None and len(candidates) < CANDIDATES:  # filters or a small commons
        sample = _background_passages(words.known, CANDIDATES - len(candidates))
        cosines = (vectors.vectors_of(sample) @ query_vector).tolist() if len(sample) else []
        background = [(cosine, words.weight(covered))
                      for covered, cosine in zip(words.passages(sample.tolist()), cosines, strict=True)]
    with_gaps([c.features for c in candidates], background)
    anything = calibration.anything_answers(calibration.answerable([c.features for c in candidates]))
    broad = len(words.idf) <= BROAD_TOPIC_WORDS
    for candidate, relevance in zip(candidates, calibration.relevances([c.features for c in candidates]), strict=True):
        candidate.relevance = candidate.score = relevance
        candidate.answers = anything and calibration.answers(candidate.relevance)
        if broad and candidate.features["about"] < 0.5:  # "attendance": studies about it, not all that mention it
            candidate.answers = False
    candidates.sort(key=lambda c: -c.relevance)
    if anything and candidates:  # something answers, so the most relevant candidate does, however the floor falls
        candidates[0].answers = True


def _background_passages(known: Catalogue, count: int) -> npt.NDArray[np.int64]:
    """``count`` live passages spread evenly over the commons: the same ones for every question."""
    if not len(known.passage_ids) or count <= 0:
        return np.zeros(0, dtype=np.int64)
    spots = np.unique(np.linspace(0, len(known.passage_ids) - 1, num=count).astype(np.int64))
    return known.passage_ids[spots].astype(np.int64)


def _alternatives(lexical: LexicalIndex, expansion: Expansion) -> dict[str, list[frozenset[str]]]:
    """Each topic token the glossary expanded, with the token sets of the forms it added."""
    found: dict[str, list[frozenset[str]]] = {}
    for item in expansion.items:
        forms = [frozenset(lexical.tokens(phrase)) for phrase in item.added]
        for token in lexical.tokens(item.found):
            found.setdefault(token, []).extend(form for form in forms if form)
    return found


def _covered(terms: frozenset[str], idf: dict[str, float],
             alternatives: dict[str, list[frozenset[str]]]) -> frozenset[str]:
    """The topic tokens a passage covers, by holding them or one of their glossary forms whole."""
    held = terms.intersection(idf)
    if not alternatives:
        return held
    return held.union(t for t, forms in alternatives.items()
                      if t in idf and t not in held and any(form <= terms for form in forms))


def _compare(known: Catalogue, reader: SchoolContext | None,
             candidates: list[_Candidate]) -> dict[int, Comparison]:
    """Each candidate's school, as it was when the work was done, against the reader's (none without one)."""
    if reader is None:
        return {}
    return {c.case_study_id: compare(reader, known.studies[c.case_study_id].context) for c in candidates}


def _blend(candidates: list[_Candidate], comparisons: dict[int, Comparison], weight: float,
           fused: bool = False) -> list[_Candidate]:
    """Order by ``(1 - weight) * relevance + weight * similarity``.

    Relevance is the calibrated one, or with ``fused`` the fused score as a share of the best
    (the retrieval order that ``commons eval`` measures).
    """
    top = max((c.fused for c in candidates), default=0.0) if fused else 1.0
    for candidate in candidates:
        relevance = (max(candidate.fused, 0.0) / top if top > 0 else 0.0) if fused else candidate.relevance
        similarity = comparisons[candidate.case_study_id].similarity if weight else 0.0
        candidate.score = (1.0 - weight) * relevance + weight * similarity
    return sorted(candidates, key=lambda c: -c.score)  # stable: equal blends keep the order given


# made once: building the statement cost about as much as running it
_SHOWN_PASSAGES = (select(Passage).where(Passage.id.in_(bindparam("ids", expanding=True)))
                   .options(defer(Passage.embedding), defer(Passage.html), defer(Passage.renderer_version),
                            joinedload(Passage.case_study).joinedload(CaseStudy.school)))


def _hydrate(
    session: Session, candidates: list[_Candidate], comparisons: dict[int, Comparison]
) -> list[CaseStudyResult]:
    """Load the chosen passages (with case study and school) and build the results."""
    wanted = [h.id for c in candidates for h in c.hits]
    passages = {p.id: p for p in session.scalars(_SHOWN_PASSAGES, {"ids": wanted})} if wanted else {}
    results = []
    for candidate in candidates:
        first = passages[candidate.hits[0].id]
        results.append(CaseStudyResult(
            first.case_study, candidate.score, [PassageHit(passages[h.id], h.score) for h in candidate.hits],
            relevance=candidate.relevance, comparison=comparisons.get(candidate.case_study_id),
            answers=candidate.answers, features=candidate.features,
        ))
    return results
