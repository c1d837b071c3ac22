"""The reader's own school ("my school") and the pages built on it: schools like mine, peers."""

from typing import Any

from flask import Blueprint, g, jsonify, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from commons.db import db
from commons.domain.comparability import (
    CONTEXT_LEVELS,
    PHASE_CHOICES,
    PROVISIONS,
    REGIONS,
    SETTINGS,
)
from commons.domain.errors import CommonsError
from commons.domain.ids import parse_id
from commons.search import engine as search_service
from commons.search.extension import search_index
from commons.search.filters import SearchFilters
from commons.services import readers, schools
from commons.services.transactions import transaction
from commons.web.forms import DescribeSchool
from commons.web.helpers import READER_SESSION_KEY, current_reader, safe_next
from commons.web.refusals import on_refused

bp = Blueprint("reader", __name__)


def _keep(stored: dict[str, Any] | None) -> None:
    """Keep what "My school" says: on the profile when signed in, else for this visit."""
    g.pop("reader", None)
    user = g.get("user")
    if user is not None:
        with transaction(db.session):
            user.my_school = stored
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


def _form_refused(error: CommonsError) -> ResponseReturnValue:
    """The page again, with what was typed into the describe-your-school form (none is typed into the list)."""
    typed = request.form if request.endpoint == "reader.describe_school" else {}
    return render_template("my_school.html", query="", matches=[], choices=_choices(), errors=error.errors,
                           form=typed, next=safe_next("")), error.status


@bp.post("/my-school")
@on_refused(_form_refused)
def choose_school() -> ResponseReturnValue:
    _keep(readers.stored_form(readers.chosen(db.session, parse_id(request.form.get("urn")))))
    return redirect(safe_next(url_for("reader.my_school")), code=303)


@bp.post("/my-school/describe")
@on_refused(_form_refused)
def describe_school() -> ResponseReturnValue:
    _keep(readers.stored_form(DescribeSchool(request.form).context()))
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
    return render_template("schools_like_mine.html", ranked=readers.schools_like(db.session, reader))


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
