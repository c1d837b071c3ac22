"""Accounts in the browser: register, sign in and out, reset a password, claim a school; admin."""

import time
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from commons import settings
from commons.db import db
from commons.domain.errors import CommonsError, SignInRefused
from commons.domain.ids import parse_id
from commons.domain.statuses import ClaimStatus
from commons.models import School, User
from commons.services import accounts, authoring, case_studies, claims, hub_schools
from commons.services.readers import find_schools
from commons.services.transactions import transaction
from commons.web.helpers import admin_required, hide_token_links, mailer, public_link, safe_next, sign_in_required
from commons.web.refusals import on_refused

bp = Blueprint("auth", __name__)
REGISTERED = ("If that address can be used for a new account, we have sent it an email with a link to sign in. "
              "Then say which school you work for: once that is confirmed, you can write and publish for it.")
SENT = ("If that address can be used for an account, we have sent it an email with what to do next. "
        "Check your inbox (and spam folder).")


@bp.before_app_request
def load_user() -> None:
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    user = db.session.get(User, user_id)
    if (user is None or accounts.password_stamp(user.password_changed_at) != session.get("since")
            or not accounts.session_is_current(user, session.get("generation"), session.get("signed_in_at"),
                                               time.time(), session_lifetime())):
        # the account has gone, its password changed, it signed out (from this copy of the session or
        # another), or it signed in longer ago than a session may last
        session.clear()
        return
    g.user = user


def session_lifetime() -> timedelta:
    """How long a sign-in lasts, however active: ``COMMONS_SESSION_LIFETIME_DAYS`` (14 by default)."""
    return timedelta(days=settings.current().session_lifetime_days)


@bp.app_context_processor
def inject_user() -> dict[str, Any]:
    return {"user": g.get("user")}


def _start_session(user: User) -> None:
    reader = session.get("reader")
    session.clear()  # a fresh session (and CSRF token) at every sign-in
    session["user_id"] = user.id
    session["since"] = accounts.password_stamp(user.password_changed_at)
    session["generation"] = user.session_generation
    session["signed_in_at"] = int(time.time())
    if user.my_school is None and reader:
        with transaction(db.session):
            user.my_school = reader  # what the visitor chose before signing in is kept on the profile


@bp.route("/register", methods=["GET", "POST"])
@on_refused(lambda error: (render_template("auth/register.html", errors=error.errors, form=request.form), error.status))
def register() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("auth/register.html", errors={}, form={})
    user = accounts.register(db.session, request.form.get("email", ""), request.form.get("name", ""),
                             request.form.get("password", ""))
    email = accounts.normalise_email(request.form.get("email"))
    if not accounts.client_may_ask_for_mail(db.session, _client_address()):
        db.session.rollback()  # no account either: the same refusal whether or not the address has one
        return _too_many_mails()
    if not accounts.recipient_may_get_mail(db.session, email):
        pass  # the address has had enough mail this hour; the page says the same as when it is sent
    elif user is None:
        mailer().send(db.session, email, accounts.SUBJECT_REGISTERED_ALREADY,
                      "Someone (perhaps you) tried to create a School Improvement Commons account with this "
                      "address, which already has one. If it was you, sign in or reset your password: "
                      f"{public_link('auth.forgot')}")
    else:
        mailer().send(db.session, email, accounts.SUBJECT_WELCOME, _welcome())
    db.session.commit()
    return render_template("auth/message.html", title="Check your email", message=REGISTERED,
                           link=(url_for("auth.sign_in", next=url_for("auth.claim_school")), "Sign in"))


def _welcome() -> str:
    return (f"Your School Improvement Commons account is ready.\n\n"
            f"1. Sign in: {public_link('auth.sign_in', next=url_for('auth.claim_school'))}\n"
            "2. Say which school you work for, with your role and your school email address or a note someone "
            f"can check. An administrator, or a hub that looks after your school, confirms it, usually within "
            f"{claims.CLAIM_DAYS}; we email you when they do.\n"
            "3. Write your case study under \"Your case studies\" and publish it when it is ready.\n\n"
            f"What to expect: {public_link('auth.share')}")


@bp.get("/share")
def share() -> ResponseReturnValue:
    """For writers: the steps from an account to a published case study, and how long approval takes."""
    return render_template("auth/share.html", claim_days=claims.CLAIM_DAYS)


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _too_many_mails() -> ResponseReturnValue:
    db.session.commit()  # keep the count
    return render_template("auth/message.html", title="Too many emails", message=accounts.TOO_MANY_MAILS), 429


@bp.route("/sign-in", methods=["GET", "POST"])
@on_refused(lambda error: (render_template("auth/sign_in.html", error=error.message, next=safe_next(""),
                                           email=request.form.get("email", "")), error.status),
            kinds=(SignInRefused,))
def sign_in() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("auth/sign_in.html", error=None, email="", next=safe_next(""))
    email = request.form.get("email", "")
    with transaction(db.session, keep_on=(SignInRefused,)):  # a failed attempt is recorded
        user = accounts.authenticate(db.session, email, request.form.get("password", ""),
                                     request.remote_addr or "unknown")
    _start_session(user)
    return redirect(safe_next(url_for("author.dashboard")), code=303)


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    """End this sign-in everywhere: a copy of the session cookie stops working too."""
    if g.user is not None:
        with transaction(db.session):
            accounts.end_sessions(g.user)
    session.clear()
    return redirect(url_for("main.home"), code=303)


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("auth/forgot.html")
    email = accounts.normalise_email(request.form.get("email"))
    if not accounts.client_may_ask_for_mail(db.session, _client_address()):
        return _too_many_mails()
    with transaction(db.session):
        accounts.send_reset_link(db.session, mailer(), email, current_app.config["SECRET_KEY"],
                                 lambda token: public_link("auth.reset", token=token))
    return render_template("auth/message.html", title="Check your email", message=SENT)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@on_refused(lambda error, token: (render_template("auth/reset.html", errors=error.errors), error.status))
def reset(token: str) -> ResponseReturnValue:
    user = accounts.user_for_reset(db.session, current_app.config["SECRET_KEY"], token)
    if user is None:
        return render_template("auth/message.html", title="That link has expired",
                               message="Reset links work for an hour, once. Ask for a new one.",
                               link=(url_for("auth.forgot"), "Ask for a new link")), 400
    if request.method == "GET":
        return render_template("auth/reset.html", errors={})
    with transaction(db.session):
        accounts.set_password(db.session, user, request.form.get("password", ""))
        revoked = accounts.revoke_api_tokens(db.session, user)
    _start_session(user)
    if revoked:
        flash(f"Your password is changed. Your API tokens ({revoked}) were revoked: make new ones if you "
              "still need them.", "ok")
    return redirect(url_for("author.dashboard"), code=303)


def _claim_refused(error: CommonsError) -> ResponseReturnValue:
    """The claim form again, on the school chosen, with everything typed and what to change."""
    query = request.values.get("school", "").strip()
    matches = find_schools(db.session, query) if query else []
    school = db.session.get(School, parse_id(request.form.get("urn")) or 0)
    if school is not None and school not in matches:
        matches = [school, *matches]
    return render_template("auth/claim.html", query=query, matches=matches, errors=error.errors,
                           form=request.form, claimed=school.urn if school else None,
                           claim_days=claims.CLAIM_DAYS), error.status


@bp.route("/account/schools", methods=["GET", "POST"])
@on_refused(_claim_refused)
@sign_in_required
def claim_school() -> ResponseReturnValue:
    query = request.values.get("school", "").strip()
    matches = find_schools(db.session, query) if query else []
    if request.method == "GET":
        return render_template("auth/claim.html", query=query, matches=matches, errors={}, form={}, claimed=None,
                               claim_days=claims.CLAIM_DAYS)
    school = db.session.get(School, parse_id(request.form.get("urn")) or 0)
    if school is None:
        abort(400)
    with transaction(db.session):
        membership = claims.claim(db.session, g.user, school, request.form.get("role", ""),
                                  request.form.get("work_email", ""), request.form.get("evidence", ""))
    if membership.status == ClaimStatus.PENDING:
        flash(f"Thank you: your claim to write for {school.name} is waiting to be confirmed. An administrator, or "
              f"the leads of a hub that looks after the school, usually decides within {claims.CLAIM_DAYS}; we "
              "email you when they do.", "ok")
    return redirect(url_for("auth.claim_school"), code=303)


@bp.get("/admin")
@admin_required
def admin() -> ResponseReturnValue:
    outbox = accounts.recent_mail(db.session)
    return render_template("auth/admin.html", claims=claims.waiting(db.session),
                           reports=case_studies.open_reports(db.session), outbox=outbox,
                           review=authoring.waiting_for_review(db.session), authors=claims.authors(db.session),
                           links=hub_schools.pending_links(db.session),
                           bodies={m.id: hide_token_links(m.body) for m in outbox})


@bp.post("/admin/claims/<int:claim_id>")
@on_refused(lambda error, claim_id: (render_template("error.html", code=error.status, detail=error.message,
                                                     title="That claim was already decided"), error.status))
@sign_in_required
def decide_claim(claim_id: int) -> ResponseReturnValue:
    """Admins decide any claim; a hub's owners and managers those for the schools the hub looks after."""
    claim = claims.to_decide(db.session, claim_id, g.user)
    decision = request.form.get("decision", "")
    if decision not in hub_schools.DECISIONS:
        abort(400)
    with transaction(db.session):
        hub_schools.decide_claim(db.session, claim, g.user, decision, mailer())
    return redirect(safe_next(url_for("auth.admin")), code=303)


@bp.post("/admin/authors/<int:membership_id>/revoke")
@on_refused(lambda error, membership_id: (render_template("error.html", code=error.status, detail=error.message,
                                                          title="That is not an approved author"), error.status))
@admin_required
def revoke_author(membership_id: int) -> ResponseReturnValue:
    """An admin stops an approved author writing for a school: the separate act a hub lead cannot do."""
    membership = claims.author_to_revoke(db.session, membership_id, g.user)
    with transaction(db.session):
        hub_schools.revoke_author(db.session, membership, g.user, mailer())
    flash(f"{membership.user.name} no longer writes for {membership.school.name}.", "ok")
    return redirect(url_for("auth.admin", _anchor="authors-h"), code=303)
