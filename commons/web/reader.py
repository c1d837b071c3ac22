"""The reader's own school ("my school") and the pages built on it: schools like mine, peers."""

from typing import Any

from flask import Blueprint, g, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from commons.db import db
from commons.domain.comparability import (
    CONTEXT_LEVELS,
    PHASE_CHOICES,
    PROVISIONS,
    REGIONS,
    SETTINGS,
    compare,
)
from commons.domain.ids import parse_id
from commons.domain.statuses import CaseStudyStatus
from commons.models import CaseStudy, School
from commons.search import engine as search_service
from commons.search.extension import search_index
from commons.search.filters import SearchFilters
from commons.services import readers, schools
from commons.web.helpers import READER_SESSION_KEY, current_reader, safe_next

bp = Blueprint("reader", __name__)


def _keep(stored: dict[str, Any] | None) -> None:
    """Keep what "My school" says: on the profile when signed in, else for this visit."""
    g.pop("reader", None)
    user = g.get("user")
    if user is not None:
        user.my_school = stored
        db.session.commit()
    elif stored is None:
        session.pop(READER_SESSION_KEY, None)
    else:
        session[READER_SESSION_KEY] = stored


@bp.app_context_processor
def inject_reader() -> dict[str, object]:
    return {"reader": current_reader(), "CONTEXT_LEVELS": CONTEXT_LEVELS}


def _choices() -> dict[str, list[str]]:
    return {"phase": PHASE_CHOICES, "provision": PROVISIONS, "region": REGIONS, "setting": SETTINGS}


@bp.get("/my-school")
def my_school() -> ResponseReturnValue:
    query = request.args.get("school", "").strip()
    matches = readers.find_schools(db.session, query) if query else []
    return render_template("my_school.html", query=query, matches=matches, choices=_choices(),
                           errors={}, form=readers.manual_form(current_reader()), next=safe_next(""))


@bp.post("/my-school")
def choose_school() -> ResponseReturnValue:
    urn = parse_id(request.form.get("urn")) or 0
    school = db.session.get(School, urn)
    if school is None:
        return render_template("my_school.html", query="", matches=[], choices=_choices(), errors={
            "urn": "We could not find that school. Search again by name, postcode or URN."
        }, form={}, next=safe_next("")), 400
    _keep(readers.stored_form(schools.context(school)))
    return redirect(safe_next(url_for("reader.my_school")), code=303)


@bp.post("/my-school/describe")
def describe_school() -> ResponseReturnValue:
    try:
        context = readers.parse_manual(request.form)
    except readers.ContextProblems as problems:
        return render_template("my_school.html", query="", matches=[], choices=_choices(),
                               errors=problems.errors, form=request.form, next=safe_next("")), 400
    _keep(readers.stored_form(context))
    return redirect(safe_next(url_for("reader.my_school")), code=303)


@bp.post("/my-school/forget")
def forget_school() -> ResponseReturnValue:
    _keep(None)
    return redirect(safe_next(url_for("reader.my_school")), code=303)


@bp.get("/schools/lookup")
def lookup() -> ResponseReturnValue:
    """Type-ahead for "my school": up to 12 schools by name, postcode or URN, as JSON."""
    found = readers.find_schools(db.session, request.args.get("q", ""))
    return jsonify([
        {"urn": s.urn, "name": s.name, "town": s.town, "postcode": s.postcode, "context": schools.phase_label(s)}
        for s in found
    ])


@bp.get("/schools-like-mine")
def schools_like_mine() -> ResponseReturnValue:
    reader = current_reader()
    if reader is None:
        return render_template("schools_like_mine.html", ranked=[])
    published = db.session.scalars(
        select(School).join(CaseStudy).where(CaseStudy.status == CaseStudyStatus.PUBLISHED).distinct()
    ).all()
    ranked = []
    for school in published:
        if school.urn == reader.urn:
            continue
        comparison = compare(reader, schools.context(school))
        if not comparison.blocked:
            studies = [c for c in school.case_studies if c.status == CaseStudyStatus.PUBLISHED]
            ranked.append((comparison, school, studies))
    ranked.sort(key=lambda item: -item[0].similarity)
    return render_template("schools_like_mine.html", ranked=ranked[:20])


@bp.get("/peers")
def peers() -> ResponseReturnValue:
    """Leaders who tackled this question in a school like mine, and who are open to being asked."""
    question = request.args.get("q", "")
    reader = current_reader()
    results = problem = None
    if question.strip():
        try:
            results = search_service.search(
                db.session, search_index.state, question, reader=reader,
                context_level=len(CONTEXT_LEVELS) - 2, filters=SearchFilters(open_to="any"), nearest=0,
            )
        except search_service.QuestionProblem as error:
            problem = str(error)
    return render_template("peers.html", question=question, results=results, problem=problem)
