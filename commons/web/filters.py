"""Template filters and globals, and the security headers every response carries."""

from typing import Any

from flask import Flask, Response, g, request

from commons.domain.rendering import render_markdown
from commons.domain.statuses import (
    CaseStudyStatus,
    ClaimStatus,
    CollectionStatus,
    DraftStatus,
    QuestionStatus,
    ReportStatus,
)
from commons.domain.table_rows import SnippetTable, snippet_table
from commons.domain.vocabulary import EVIDENCE_STRENGTHS, OFFERS, SECTION_HEADINGS, TOPICS, evidence_description
from commons.services import schools
from commons.services.schools import context_line, reader_line

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def percent(value: float | None) -> str:
    return "not published" if value is None else f"{value:.0f}%"


def pupils(value: int | None) -> str:
    return "not published" if value is None else f"{value:,}"


def topic_label(topic: str) -> str:
    return TOPICS.get(topic, topic)


def offer_label(offer: str) -> str:
    return OFFERS.get(offer, offer)


def table_rows(hit: Any) -> SnippetTable | None:
    """The table rows a search hit's snippet shows, as cells (see :mod:`commons.domain.table_rows`)."""
    if getattr(hit, "snippet", None) is None:
        return None
    return snippet_table(hit.passage.markdown, hit.snippet.text)


def years(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}–{end}"


def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


def private_responses_not_stored(response: Response) -> Response:
    """Pages for a signed-in user (or an API token's), and every answer to a form, are never stored.

    Public pages read anonymously keep whatever caching they had; static files stay cacheable.
    """
    signed_in = g.get("user") is not None or g.get("api_token") is not None
    if request.method not in ("GET", "HEAD") or (signed_in and request.endpoint != "static"):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        markdown=render_markdown, percent=percent, pupils=pupils, context_line=context_line,
        reader_line=reader_line, offer_label=offer_label, topic_label=topic_label, table_rows=table_rows,
    )
    app.jinja_env.globals.update(
        CaseStudyStatus=CaseStudyStatus, ClaimStatus=ClaimStatus, CollectionStatus=CollectionStatus,
        DraftStatus=DraftStatus, QuestionStatus=QuestionStatus, ReportStatus=ReportStatus,
        TOPICS=TOPICS,
        EVIDENCE_STRENGTHS=EVIDENCE_STRENGTHS,
        SECTION_HEADINGS=SECTION_HEADINGS,
        years=years,
        evidence_description=evidence_description,
        provision=schools.provision,
        governance=schools.governance,
        setting=schools.setting,
        phase_label=schools.phase_label,
    )
    app.after_request(security_headers)
    app.after_request(private_responses_not_stored)
