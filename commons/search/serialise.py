"""Search results as JSON-ready data: one shape for the API and ``commons search --json``.

Both surfaces build their answer here, so they cannot drift apart. Nothing here knows about
Flask: the public address of the Commons is passed in, and links are made from it.

The object::

    {"question": "...", "notices": [...], "limit": 10, "offset": 0, "answer_count": 4,
     "read_as": {"read": true, "topic": "...", "context": [{"kind", "value", "label"}], "summary": "...",
                 "expansions": [{"term": "PP", "means": "pupil premium"}],
                 "searched_as": [{"term": "special measures", "means": "inadequate Ofsted judgement"}],
                 "context_source": "school" | "question" | null, "asks_about_rules": "be required" | null},
     "results": [{"slug", "title", "summary", "school", "topics", "url", "api_url",
                  "score", "relevance", "answers", "why", "passages"}, ...]}

``answer_count`` is how many case studies answer the question (at most 50), however many
this page shows. ``results`` are in rank order: the answers first, then at most a few of "the nearest we
have", with ``answers`` false. ``relevance`` is calibrated (0 to 1, the same meaning from
question to question); ``score`` is what the order follows (relevance blended with
comparability among the answers).
"""

from typing import Any

from commons.domain.vocabulary import QUESTIONS_SECTION
from commons.models import CaseStudy, Passage
from commons.search.engine import CaseStudyResult, SearchResults


def case_study_summary(case_study: CaseStudy, base_url: str) -> dict[str, Any]:
    """A case study in brief, with its page and its API address."""
    base = base_url.rstrip("/")
    return {"slug": case_study.slug, "title": case_study.title, "summary": case_study.summary,
            "school": {"urn": case_study.school_urn, "name": case_study.school.name},
            "topics": case_study.topics, "url": f"{base}/case-studies/{case_study.slug}",
            "api_url": f"{base}/api/v1/case-studies/{case_study.slug}"}


def read_as(results: SearchResults) -> dict[str, Any]:
    """How the question was read: its topic, the asker's context, the glossary's additions, whose school ranks."""
    reading = results.reading
    return {
        "read": reading is not None,
        "topic": reading.topic if reading is not None else results.question,
        "context": [{"kind": part.kind, "value": part.value, "label": part.label}
                    for part in (reading.context if reading is not None else ())],
        "summary": reading.summary() if reading is not None else "",
        "expansions": [{"term": term, "means": means} for term, means in results.expansions],
        "searched_as": [{"term": term, "means": means} for term, means in results.searched_as],
        "context_source": results.context_source,
        "asks_about_rules": results.asks_rules,
    }


def result(found: CaseStudyResult, base_url: str) -> dict[str, Any]:
    """One ranked case study, with its best passages."""
    base = base_url.rstrip("/")
    slug = found.case_study.slug
    return {
        **case_study_summary(found.case_study, base),
        "score": found.score,
        "relevance": round(float(found.relevance), 4),
        "answers": bool(found.answers),
        "why": found.comparison.to_dict() if found.comparison else None,
        "passages": [{"id": hit.passage.id, "section": hit.passage.section, "heading": hit.passage.heading,
                      "text": hit.passage.text, "url": f"{base}/case-studies/{slug}#{_anchor(hit.passage)}"}
                     for hit in found.passages],
    }


def search_results(results: SearchResults, base_url: str, limit: int, offset: int = 0) -> dict[str, Any]:
    """A page of results: ``limit`` of them from ``offset``, in rank order."""
    return {
        "question": results.question,
        "notices": [*results.notices, *([results.rules_notice] if results.rules_notice else [])],
        "limit": limit,
        "offset": offset,
        "answer_count": results.answer_count,
        "read_as": read_as(results),
        "results": [result(r, base_url) for r in results.results[offset:offset + limit]],
    }


def _anchor(passage: Passage) -> str:
    """Where a passage is on its case study's page: a section passage, or a published question."""
    if passage.section == QUESTIONS_SECTION:
        return f"answered-{passage.position}"
    return f"p-{passage.id}"
