""""Ask the author": the box on a case study, the school's Questions inbox, the asker's own list."""

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from commons.db import db
from commons.domain.errors import CommonsError
from commons.domain.statuses import CaseStudyStatus
from commons.models import AuthorQuestion, CaseStudy, User
from commons.search.extension import search_index
from commons.services import case_studies, permissions
from commons.services import questions as service
from commons.services.questions import MAX_BODY, MAX_REASON, MAX_REPLY, MIN_BODY
from commons.services.transactions import transaction
from commons.web.helpers import mailer, public_link, sign_in_required
from commons.web.refusals import flash_refusal, on_refused

bp = Blueprint("questions", __name__)


@bp.app_context_processor
def inject_questions() -> dict[str, Any]:
    return {"ask_box": _ask_box, "questions_inbox": _inbox_link,
            "asker_label": lambda sender: service.asker_label(db.session, sender),
            "question_context": service.context_line,
            "published_answers": lambda case_study: service.published_answers(db.session, case_study),
            "public_asker": lambda question: service.public_asker(db.session, question),
            "QUESTION_LIMITS": {"min": MIN_BODY, "max": MAX_BODY, "reply": MAX_REPLY, "reason": MAX_REASON}}


def _ask_box(case_study: CaseStudy) -> dict[str, Any]:
    """What the case-study page shows in its "Ask the school" box, for the person looking."""
    user = g.get("user")
    if case_study.status != CaseStudyStatus.PUBLISHED:
        return {"state": "closed"}
    if not service.has_authors(db.session, case_study.school_urn):
        return {"state": "no-authors"}
    if user is None:
        return {"state": "signed-out"}
    if case_study.school_urn in permissions.authored_schools(user):
        return {"state": "own"}
    problem = service.refusal(db.session, user, case_study)
    if problem is None:
        return {"state": "open", "asker": service.asker_label(db.session, user)}
    return {"state": "refused", "message": str(problem)}


def _inbox_link() -> int | None:
    """The number of open questions for the nav link, or None when the user answers for no school."""
    user = g.get("user")
    if user is None or not (user.is_admin or permissions.authored_schools(user)):
        return None
    if "open_questions" not in g:
        g.open_questions = service.open_count(db.session, user)
    return int(g.open_questions)


def _question(question_id: int) -> AuthorQuestion:
    question = db.session.get(AuthorQuestion, question_id)
    if question is None or not service.can_answer(g.user, question):
        abort(404)
    return question


def _ask_refused(error: CommonsError, slug: str) -> ResponseReturnValue:
    """The question form again, with what was typed and why it was not sent."""
    case_study = case_studies.visible(db.session, slug, g.user, "ask")
    return render_template("questions/ask.html", case_study=case_study, box=_ask_box(case_study),
                           body=request.form.get("body", ""), error=error.message,
                           share=request.form.get("share") == "yes",
                           share_name=request.form.get("share_name") == "yes"), error.status


@bp.route("/case-studies/<slug>/ask", methods=["GET", "POST"])
@on_refused(_ask_refused)
@sign_in_required
def ask(slug: str) -> ResponseReturnValue:
    case_study = case_studies.visible(db.session, slug, g.user, "ask")
    if request.method == "GET":
        return render_template("questions/ask.html", case_study=case_study, box=_ask_box(case_study),
                               body="", error=None, share=False, share_name=False)
    body = request.form.get("body", "")
    share, share_name = request.form.get("share") == "yes", request.form.get("share_name") == "yes"
    with transaction(db.session):
        service.ask(db.session, mailer(), g.user, case_study, body,
                    lambda q: public_link("questions.question", question_id=q.id), share=share, share_name=share_name)
    flash(f"Your question has gone to {case_study.school.name}. We will email you when they answer; "
          "until then it waits here.", "ok")
    return redirect(url_for("questions.mine"), code=303)


@bp.get("/questions")
@sign_in_required
def inbox() -> ResponseReturnValue:
    if _inbox_link() is None:
        return render_template("questions/inbox.html", questions=None, users={})
    found = service.inbox(db.session, g.user)
    return render_template("questions/inbox.html", questions=found, users=_answerers(found))


@bp.get("/questions/asked")
@sign_in_required
def mine() -> ResponseReturnValue:
    found = service.asked_by(db.session, g.user)
    return render_template("questions/mine.html", questions=found, users=_answerers(found))


@bp.get("/questions/<int:question_id>")
@sign_in_required
def question(question_id: int) -> ResponseReturnValue:
    found = _question(question_id)
    return render_template("questions/question.html", question=found, users=_answerers([found]),
                           errors={}, form={})


def _answer_refused(error: CommonsError, question_id: int, action: str) -> ResponseReturnValue:
    """The question again, the reply (or reason) as typed and why it was not sent."""
    found = _question(question_id)
    return render_template("questions/question.html", question=found, users=_answerers([found]),
                           errors={action: error.message}, form=request.form), error.status


@bp.post("/questions/<int:question_id>/<any(reply, decline):action>")
@on_refused(_answer_refused)
@sign_in_required
def answer(question_id: int, action: str) -> ResponseReturnValue:
    found = _question(question_id)
    link = public_link("questions.mine")
    with transaction(db.session):
        if action == "reply":
            service.reply(db.session, mailer(), g.user, found, request.form.get("reply", ""), link)
        else:
            service.decline(db.session, mailer(), g.user, found, request.form.get("reason", ""), link)
    done = "Your reply has been sent" if action == "reply" else "The question has been declined and the asker told"
    flash(f"{done}. Their email address and yours stay private.", "ok")
    return redirect(url_for("questions.inbox"), code=303)


@bp.post("/questions/<int:question_id>/<any(publish, unpublish):action>")
@flash_refusal(lambda question_id, action: url_for("questions.question", question_id=question_id))
@sign_in_required
def publish(question_id: int, action: str) -> ResponseReturnValue:
    """Show an answered question on its case study (the asker agreed), or stop showing it."""
    found = _question(question_id)
    with transaction(db.session):
        service.publish_answer(db.session, g.user, found, search_index.state.embedder, publish=action == "publish")
    if action == "publish":
        flash("The question and your answer are now on the case study, for every reader.", "ok")
        return redirect(url_for("main.case_study", slug=found.case_study.slug) + "#questions-answered", code=303)
    flash("The question and answer are no longer shown on the case study.", "ok")
    return redirect(url_for("questions.question", question_id=question_id), code=303)


def _answerers(found: list[AuthorQuestion]) -> dict[int, User]:
    ids = {q.answered_by for q in found if q.answered_by is not None}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
