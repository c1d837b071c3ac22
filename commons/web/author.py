"""Authoring in the browser: drafts, preview, publish, revise, history, withdraw, report.

Every view loads the object first and asks ``permissions`` before doing anything with it;
a draft another school owns answers 404, as if it did not exist.
"""

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import generate_csrf

from commons import settings
from commons.db import db
from commons.domain.case_study_format import MAX_IMPACT_ROWS
from commons.domain.comparability import compare, context_from_fields
from commons.domain.errors import CommonsError, Conflict, NotFound, TooMany
from commons.domain.ids import parse_id
from commons.domain.privacy import PrivacyWarning
from commons.domain.rendering import render_markdown
from commons.domain.statuses import CaseStudyStatus, ClaimStatus
from commons.domain.vocabulary import EVIDENCE_STRENGTHS, OFFERS, SECTIONS, TOPICS
from commons.models import Draft
from commons.search.extension import search_index
from commons.services import (
    authoring,
    case_studies,
    claims,
    collections,
    hub_schools,
    permissions,
    publishing,
    rate_limits,
    revisions,
)
from commons.services.schools import snapshot
from commons.services.transactions import transaction
from commons.web.errors import EXPIRED, reshow_on_expired_token
from commons.web.helpers import admin_required, current_reader, mailer, safe_next, sign_in_required
from commons.web.impact_chart import impact_svg
from commons.web.refusals import flash_refusal, on_refused

bp = Blueprint("author", __name__)
GUIDANCE = {
    "context": "Your school in your own words: phase, size, community, and what was true before. "
               "The school's published data is shown beside it automatically.",
    "challenge": "The problem, with the figures that showed it (the baseline).",
    "what-we-did": "The steps, in order, and who did what. A list is fine.",
    "active-ingredients": "The few things that made it work, which anyone adapting this must keep "
                          "“tight”. For example: “a same-day phone call from an adult the family already "
                          "knows”, not “a phone call”.",
    "expertise": "The staff knowledge and skill it depended on, so a reader knows what they would need. "
                 "For example: “a family support worker with ten years' experience of rural poverty”.",
    "impact": "What changed, with numbers, and how you know. Say how strong the evidence is.",
    "cost-and-time": "Money, staff time and how long it took.",
    "do-differently": "What you would change if you started again.",
}


def _draft(draft_id: int) -> Draft:
    return case_studies.draft(db.session, draft_id, g.user)  # another school's: not there either


def _editor(draft: Draft, errors: dict[str, str] | None = None, warnings: list[PrivacyWarning] | None = None,
            status: int = 200, fields: dict[str, Any] | None = None, expired: bool = False,
            rows: int = 0) -> tuple[str, int]:
    """The editor for ``draft``, showing ``fields`` (what was typed) or else the draft's saved fields,
    with at least ``rows`` rows of the impact table and one empty row to fill in."""
    shown = draft.fields if fields is None else fields
    impact_rows = min(MAX_IMPACT_ROWS, max(len(shown.get("impact") or []) + 1, 2, rows))
    return render_template(
        "author/editor.html", draft=draft, fields=shown, errors=errors or {}, warnings=warnings or [],
        sections=SECTIONS, guidance=GUIDANCE, topics=TOPICS, offers=OFFERS, strengths=EVIDENCE_STRENGTHS,
        moderated=settings.current().moderation, expired=EXPIRED if expired else "",
        impact_rows=impact_rows, max_impact_rows=MAX_IMPACT_ROWS, credited=authoring.credited_names(draft),
    ), status


def _rows_shown() -> int:
    """How many rows of the impact table the submitted editor showed."""
    return min(MAX_IMPACT_ROWS, parse_id(request.form.get("impact_rows")) or 0)


def _editor_after_expired_token(draft_id: int) -> ResponseReturnValue | None:
    """The editor again, filled in with everything that was sent, when its security token was
    refused: nothing is saved, and the form carries a fresh token to save it with."""
    try:
        draft = case_studies.draft(db.session, draft_id, g.get("user"))
    except NotFound:
        return None  # the generic page shows what was typed
    typed = authoring.fields_from_form(request.form)
    return _editor(draft, fields=typed, expired=True, status=400, rows=_rows_shown())


def _autosave_refused(draft_id: int) -> ResponseReturnValue:
    """The autosave's answer to a refused token: not saved, and a fresh token to try again with."""
    if g.get("user") is None:
        return jsonify({"error": SIGNED_OUT}), 401
    return jsonify({"error": EXPIRED, "csrf_token": generate_csrf()}), 400


SIGNED_OUT = ("you are signed out. Sign in again in another tab, then come back and choose “Save draft”; "
              "your text is still on this page.")


@bp.get("/author")
@sign_in_required
def dashboard() -> ResponseReturnValue:
    mine = case_studies.writing_for(db.session, g.user)
    return render_template("author/dashboard.html", schools=mine.schools,
                           drafts=case_studies.drafts_for(db.session, g.user).items, studies=mine.case_studies,
                           pending=[m for m in g.user.memberships if m.status == ClaimStatus.PENDING],
                           hubs=collections.member_hubs(db.session, g.user), claim_days=claims.CLAIM_DAYS,
                           can_manage=lambda hub: permissions.can_manage_hub(g.user, hub),
                           republish_refusal=lambda c: publishing.republish_refusal(c, g.user))


@bp.post("/author/drafts")
@sign_in_required
def create_draft() -> ResponseReturnValue:
    with transaction(db.session):
        draft = case_studies.start_draft(db.session, g.user, parse_id(request.form.get("school_urn")))
    return redirect(url_for("author.edit_draft", draft_id=draft.id), code=303)


@bp.get("/author/drafts/<int:draft_id>")
@sign_in_required
def edit_draft(draft_id: int) -> ResponseReturnValue:
    return _editor(_draft(draft_id), rows=min(MAX_IMPACT_ROWS, parse_id(request.args.get("rows")) or 0))


def _editor_refused(error: CommonsError, draft_id: int) -> ResponseReturnValue:
    """The editor again after a refused publish, with the draft as saved (what was typed is kept) and
    what stops it by field."""
    return _editor(_draft(draft_id), errors=error.errors or {"publish": error.message}, status=error.status)


@bp.post("/author/drafts/<int:draft_id>")
@reshow_on_expired_token(_editor_after_expired_token)
@on_refused(_editor_refused)
@sign_in_required
def save_draft(draft_id: int) -> ResponseReturnValue:
    draft = _draft(draft_id)
    action = request.form.get("action")
    with transaction(db.session):  # what the author typed is kept, whatever happens next
        left_queue = authoring.save(draft, g.user, authoring.fields_from_form(request.form))
        revisions.keep_change_note(draft, request.form.get("change_note"))
    if left_queue and action != "publish":  # publishing sends it again
        flash("You changed a draft that was waiting for review, so it is no longer waiting: "
              "send it for review again when it is ready.", "error")
    if action == "add_row":  # without JavaScript: saved, and shown again with one more row
        rows = _rows_shown() + 1
        return redirect(url_for("author.edit_draft", draft_id=draft.id, rows=rows,
                                _anchor=f"impact-{rows - 1}-measure"), code=303)
    if action == "preview":
        return redirect(url_for("author.preview_draft", draft_id=draft.id), code=303)
    too_long = authoring.field_problems(draft.fields)
    if too_long:  # kept as typed, never cut short: the author decides what to take out
        return _editor(draft, errors=too_long, status=400, rows=_rows_shown())
    if action != "publish":
        return redirect(url_for("author.edit_draft", draft_id=draft.id, saved=1), code=303)
    with transaction(db.session):
        done = case_studies.publish_or_submit(db.session, draft, g.user, search_index.state.embedder,
                                              confirm_privacy=request.form.get("confirm_privacy") == "yes",
                                              moderated=settings.current().moderation)
    if done.warnings:
        return _editor(draft, warnings=done.warnings, status=400)
    if done.submitted:
        return render_template("auth/message.html", title="Sent for review",
                               message="An administrator will review your case study before it is published. "
                                       "You can keep editing the draft meanwhile, but a change takes it out of "
                                       "the review queue until you send it again.",
                               link=(url_for("author.dashboard"), "Back to your case studies"))
    assert done.case_study is not None
    return redirect(url_for("main.case_study", slug=done.case_study.slug, published=1), code=303)


@bp.post("/author/drafts/<int:draft_id>/autosave")
@reshow_on_expired_token(_autosave_refused)
def autosave_draft(draft_id: int) -> ResponseReturnValue:
    """The editor's script saves what is typed as it goes, with the same use case as "Save draft";
    it answers JSON, and a fresh security token so a long afternoon's writing never outlives its own."""
    if g.get("user") is None:
        return jsonify({"error": SIGNED_OUT}), 401
    try:
        draft = case_studies.draft(db.session, draft_id, g.user)
    except NotFound:
        return jsonify({"error": "this draft is not there any more (it may have been published); "
                                 "copy your text somewhere safe."}), 404
    with transaction(db.session):
        left_queue = authoring.save(draft, g.user, authoring.fields_from_form(request.form))
    return jsonify({"saved": True, "left_review_queue": left_queue, "problems": authoring.field_problems(draft.fields),
                    "csrf_token": generate_csrf()})


@bp.get("/author/drafts/<int:draft_id>/preview")
@sign_in_required
def preview_draft(draft_id: int) -> ResponseReturnValue:
    """The draft through the published page's own template, for those who may edit it."""
    draft = _draft(draft_id)
    shown = authoring.preview(db.session, draft)
    reader = current_reader()
    then = context_from_fields(snapshot(draft.school), draft.school_urn)
    adapt = compare(reader, then) if reader is not None and reader.urn != draft.school_urn else None
    html = {p.id: render_markdown(p.markdown) for passages in shown.by_section.values() for p in passages}
    return render_template("case_study.html", preview=True, draft=draft, case_study=shown, school=draft.school,
                           sections=SECTIONS, by_section=shown.by_section, html=html, related=[], adapt=adapt,
                           comparable=[],
                           can_edit=False, chart=impact_svg(shown.impact_table, f"Impact: {shown.title}"),
                           json_ld=None)


def _reviewed(draft_id: int) -> Draft:
    try:
        return case_studies.draft_to_review(db.session, draft_id, g.user)
    except Conflict as left:  # a lead of the school's hub may know the draft: it was sent back out of the queue
        abort(make_response(render_template("auth/message.html", title="No longer waiting for review",
                                            message=left.message), left.status))


def _review(draft: Draft, errors: dict[str, str] | None = None, changed: bool = False,
            status: int = 200) -> tuple[str, int]:
    """The draft as it would be published, with the privacy check's warnings and the approval form."""
    return render_template("author/review.html", draft=draft, fields=draft.fields, sections=SECTIONS,
                           errors=errors or {}, changed=changed), status


@bp.app_template_global()
def review_fingerprint(draft: Draft) -> str:
    """For approval forms: the digest of the text the reviewer is shown (see ``approve_draft``)."""
    return authoring.fingerprint(draft)


@bp.app_template_global()
def review_warnings(draft: Draft) -> list[PrivacyWarning]:
    """For approval forms: what the privacy check finds in the text the reviewer is shown."""
    return authoring.privacy_warnings(draft.fields)


@bp.get("/admin/drafts/<int:draft_id>/review")
@sign_in_required
def review_draft(draft_id: int) -> ResponseReturnValue:
    """A draft waiting for review, to read (with the privacy check's warnings) before approving it."""
    return _review(_reviewed(draft_id))


def _review_refused(error: CommonsError, draft_id: int) -> ResponseReturnValue:
    return _review(_reviewed(draft_id), errors=error.errors or {"publish": error.message}, status=error.status)


@bp.post("/admin/drafts/<int:draft_id>/publish")
@on_refused(_review_refused)
@sign_in_required
def approve_draft(draft_id: int) -> ResponseReturnValue:
    """Publish a reviewed draft: admins, and the owners and managers of a hub that looks after the school.

    The approval is of the text the reviewer read: the form carries that text's fingerprint, and a
    draft changed since is shown again instead of being published. The privacy check runs again
    here and its warnings must have been shown to the reviewer and confirmed.
    """
    draft = _reviewed(draft_id)
    if not authoring.same_fingerprint(draft, request.form.get("fingerprint", "")):
        return _review(draft, changed=True, status=409)
    if authoring.privacy_warnings(draft.fields) and request.form.get("confirm_privacy") != "yes":
        return _review(draft, errors={"confirm_privacy": "Check the possible pupil data listed below, then "
                                      "tick the box to confirm none of it identifies a pupil."}, status=400)
    with transaction(db.session):
        case_study = revisions.publish_draft(db.session, draft, search_index.state.embedder, g.user)
    return redirect(url_for("main.case_study", slug=case_study.slug, published=1), code=303)


@bp.post("/admin/drafts/<int:draft_id>/return")
@flash_refusal(lambda draft_id: url_for("auth.admin"))
@sign_in_required
def return_draft(draft_id: int) -> ResponseReturnValue:
    """Send a draft waiting for review back to its authors, with what to change."""
    draft = _reviewed(draft_id)
    with transaction(db.session):
        hub_schools.return_draft(db.session, draft, g.user, request.form.get("note", ""), mailer())
    flash("Returned to its authors, with your note.", "ok")
    return redirect(safe_next(url_for("auth.admin")), code=303)


@bp.post("/author/preview")
@on_refused(lambda error: (jsonify({"error": error.message}), error.status))
@sign_in_required
def preview() -> ResponseReturnValue:
    """Markdown to the same sanitised HTML the published page shows, for the live preview."""
    with transaction(db.session):
        rate_limits.count(db.session, rate_limits.PREVIEW, f"user:{g.user.id}")
    text = (request.form.get("markdown") or "")[: authoring.MAX_FIELD_CHARS]
    return jsonify({"html": str(render_markdown(text))})


@bp.post("/case-studies/<slug>/edit")
@sign_in_required
def edit_case_study(slug: str) -> ResponseReturnValue:
    with transaction(db.session):
        draft, _ = case_studies.open_for_revision(db.session, g.user, slug)
    return redirect(url_for("author.edit_draft", draft_id=draft.id), code=303)


@bp.route("/case-studies/<slug>/withdraw", methods=["GET", "POST"])
@sign_in_required
def withdraw_case_study(slug: str) -> ResponseReturnValue:
    """Withdraw, after a confirmation page that asks why. The case study page's Withdraw button
    only opens this page; nothing is withdrawn until the author confirms, with a reason."""
    case_study = case_studies.visible(db.session, slug, g.user, "withdraw")
    if case_study.status != CaseStudyStatus.PUBLISHED:
        return redirect(url_for("author.dashboard", _anchor="published-h"), code=303)
    reason = (request.form.get("reason") or "").strip()
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template("author/withdraw.html", case_study=case_study, reason=reason, errors={})
    if not reason:
        return render_template("author/withdraw.html", case_study=case_study, reason=reason,
                               errors={"reason": "Say why you are withdrawing it: readers who cited it, and "
                                                 "your school's other authors, will want to know."}), 400
    by_admin = g.user.is_admin and case_study.school_urn not in permissions.authored_schools(g.user)
    with transaction(db.session):
        publishing.withdraw(db.session, case_study, reason=reason, by=g.user, by_admin=by_admin)
    flash(f"“{case_study.title}” is withdrawn: it is out of search, and its page now says so. You can "
          "publish it again from here.", "ok")
    return redirect(url_for("author.dashboard", _anchor="published-h"), code=303)


@bp.route("/case-studies/<slug>/republish", methods=["GET", "POST"])
@sign_in_required
def republish_case_study(slug: str) -> ResponseReturnValue:
    """Publish a withdrawn case study again, as a new revision of its latest text: its school's
    authors, unless an administrator unpublished it (then only an administrator)."""
    case_study = case_studies.visible(db.session, slug, g.user, "withdraw")
    refusal = publishing.republish_refusal(case_study, g.user)
    if refusal:
        return render_template("auth/message.html", title="This cannot be published again here",
                               message=refusal, link=(url_for("author.dashboard"), "Back to your case studies")), 409
    note = request.form.get("change_note") or ""
    if request.method == "GET" or request.form.get("confirm") != "yes":
        return render_template("author/republish.html", case_study=case_study, note=note)
    with transaction(db.session):
        publishing.republish(db.session, case_study, search_index.state.embedder, g.user, note)
    return redirect(url_for("main.case_study", slug=slug, published=1), code=303)


@bp.get("/case-studies/<slug>/history")
def history(slug: str) -> ResponseReturnValue:
    case_study = case_studies.visible(db.session, slug, g.get("user"), "history")
    return render_template("author/history.html", case_study=case_study, revisions=case_study.revisions,
                           entries=revisions.history(db.session, case_study))


@bp.get("/case-studies/<slug>/diff")
def revision_diff(slug: str) -> ResponseReturnValue:
    case_study = case_studies.visible(db.session, slug, g.get("user"), "history")
    by_number = {r.number: r for r in case_study.revisions}
    old = by_number.get(request.args.get("from", type=int) or 0)
    new = by_number.get(request.args.get("to", type=int) or 0)
    if old is None or new is None:
        abort(404)
    return render_template("author/diff.html", case_study=case_study, old=old, new=new,
                           sections=revisions.diff(old, new), author_name=revisions.author_name)


def _report_refused(error: CommonsError, slug: str) -> ResponseReturnValue:
    if isinstance(error, TooMany):
        return render_template("auth/message.html", title="Too many reports", message=error.message,
                               link=(url_for("main.case_study", slug=slug), "Back to the case study")), error.status
    case_study = case_studies.visible(db.session, slug, g.get("user"), "report")
    return render_template("report.html", case_study=case_study, reason=(request.form.get("reason") or "")[:2000],
                           errors=error.errors or {"reason": error.message}), error.status


@bp.route("/case-studies/<slug>/report", methods=["GET", "POST"])
@on_refused(_report_refused)
def report(slug: str) -> ResponseReturnValue:
    """Report a problem to the administrators, signed in or not. The case-study page shows signed-in
    readers the form itself and everyone else a link to it here, so its anonymous copy carries no
    form token and can be kept for every visitor."""
    user = g.get("user")
    case_study = case_studies.visible(db.session, slug, user, "report")
    if request.method == "GET":
        return render_template("report.html", case_study=case_study, reason="", errors={})
    client = f"user:{user.id}" if user else f"address:{request.remote_addr or 'unknown'}"
    with transaction(db.session):
        case_studies.report(db.session, case_study, request.form.get("reason") or "", user, client)
    return render_template("auth/message.html", title="Thank you",
                           message="An administrator will look at your report.",
                           link=(url_for("main.case_study", slug=slug), "Back to the case study"))


@bp.post("/admin/case-studies/<slug>/unpublish")
@admin_required
def unpublish(slug: str) -> ResponseReturnValue:
    case_study = case_studies.visible(db.session, slug, g.user, "withdraw")
    with transaction(db.session):
        if case_study.status == CaseStudyStatus.PUBLISHED:
            publishing.withdraw(db.session, case_study, reason=(request.form.get("reason") or "Unpublished by an "
                                "administrator."), by=g.user, by_admin=True)
        case_studies.resolve_reports(db.session, case_study)
    return redirect(url_for("auth.admin"), code=303)
