"""Template filters and globals, and the security headers every response carries."""

from flask import Flask, Response

from commons.models import School
from commons.rendering import render_markdown
from commons.services import schools
from commons.services.comparability import SchoolContext
from commons.vocabulary import EVIDENCE_STRENGTHS, OFFERS, SECTION_HEADINGS, TOPICS

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def percent(value: float | None) -> str:
    return "not published" if value is None else f"{value:.0f}%"


def pupils(value: int | None) -> str:
    return "not published" if value is None else f"{value:,}"


def context_line(school: School) -> str:
    """A one-line context summary: "primary · 212 pupils · FSM 41% · rural · North West"."""
    parts = [schools.phase_label(school)]
    if school.pupils is not None:
        parts.append(f"{school.pupils:,} pupils")
    if school.fsm_pct is not None:
        parts.append(f"FSM {school.fsm_pct:.0f}%")
    setting = schools.setting(school)
    if setting:
        parts.append(setting)
    if school.region:
        parts.append(school.region)
    return " · ".join(parts)


def reader_line(context: SchoolContext) -> str:
    """The reader's school in one line: "primary · 180 pupils · FSM 38% · rural · North East"."""
    parts = [context.phase or "phase not given"]
    if context.provision != "mainstream":
        parts.insert(0, context.provision)
    if context.pupils is not None:
        parts.append(f"{context.pupils:,} pupils")
    for label, value in (("FSM", context.fsm_pct), ("SEN", context.sen_pct), ("EAL", context.eal_pct)):
        if value is not None:
            parts.append(f"{label} {value:.0f}%")
    parts.extend(p for p in (context.setting, context.region) if p)
    return " · ".join(parts)


def topic_label(topic: str) -> str:
    return TOPICS.get(topic, topic)


def offer_label(offer: str) -> str:
    return OFFERS.get(offer, offer)


def years(start: int, end: int) -> str:
    return str(start) if start == end else f"{start}–{end}"


def security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    return response


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(
        markdown=render_markdown, percent=percent, pupils=pupils, context_line=context_line,
        reader_line=reader_line, offer_label=offer_label, topic_label=topic_label,
    )
    app.jinja_env.globals.update(
        TOPICS=TOPICS,
        EVIDENCE_STRENGTHS=EVIDENCE_STRENGTHS,
        SECTION_HEADINGS=SECTION_HEADINGS,
        years=years,
        provision=schools.provision,
        governance=schools.governance,
        setting=schools.setting,
        phase_label=schools.phase_label,
    )
    app.after_request(security_headers)
