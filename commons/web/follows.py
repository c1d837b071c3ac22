"""Following and feeds: follow a hub, collection, school, topic or search; Atom feeds of each;
email alerts chosen per follow, and unsubscribing from them with the link a mail carries."""

import logging
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue

from commons.db import db
from commons.domain.errors import Invalid
from commons.domain.text_safety import xml_safe
from commons.domain.vocabulary import TOPICS
from commons.models import Follow, utcnow
from commons.search.extension import search_index
from commons.services import alerts, follows
from commons.services.transactions import transaction
from commons.web.helpers import alert_links, mailer, public_base, safe_next, sign_in_required
from commons.web.refusals import flash_refusal

bp = Blueprint("follows", __name__)


@bp.app_template_global()
def already_following(kind: str, target: str) -> Follow | None:
    """The signed-in reader's follow of this thing, for the follow buttons (a global: macros see it)."""
    user = g.get("user")
    return follows.existing(db.session, user, kind, target) if user is not None else None
log = logging.getLogger(__name__)


@bp.post("/follow")
@flash_refusal(lambda: url_for("follows.following"))
@sign_in_required
def follow() -> ResponseReturnValue:
    with transaction(db.session):
        followed = follows.follow(db.session, g.user, request.form.get("kind", ""), request.form.get("target", ""))
    flash(f"You are following {followed.label}. New case studies show on your Following page.", "ok")
    return redirect(safe_next(url_for("follows.following")), code=303)


@bp.post("/unfollow/<int:follow_id>")
@sign_in_required
def unfollow(follow_id: int) -> ResponseReturnValue:
    with transaction(db.session):
        follows.unfollow(db.session, g.user, follow_id)
    return redirect(url_for("follows.following"), code=303)


@bp.get("/following")
@sign_in_required
def following() -> ResponseReturnValue:
    mine = follows.follows_of(db.session, g.user)
    state = search_index.state
    shown = []
    for followed in mine:
        found = follows.entries(db.session, state, followed.kind, followed.target)
        shown.append((followed, found, follows.new_since(found, followed), feed_url(followed.kind, followed.target)))
    page = render_template("follows/following.html", shown=shown, topics=TOPICS, frequencies=alerts.FREQUENCIES)
    # "new since your last visit" counts from now: best-effort, so a busy database never costs the page
    seen = [followed.id for followed in mine]
    db.write_best_effort(lambda session: follows.mark_seen(session, seen), "followed items seen")
    return page


def feed_url(kind: str, target: str) -> str:
    if kind == "search":
        return url_for("follows.search_feed") + "?" + target
    return url_for("follows.feed", kind=kind, target=target)


@bp.get("/feeds/<kind>/<target>.atom")
def feed(kind: str, target: str) -> ResponseReturnValue:
    if kind not in follows.KINDS or kind == "search":
        abort(404)
    return _atom(kind, target)


@bp.get("/feeds/search.atom")
def search_feed() -> ResponseReturnValue:
    try:
        target = follows.canonical_search(urlencode(list(request.args.items())))
    except Invalid:
        abort(400)
    return _atom("search", target)


def _atom(kind: str, target: str) -> Response:
    try:
        title = follows.describe(db.session, kind, target)
    except Invalid:
        abort(404)
    found = follows.entries(db.session, search_index.state, kind, target)
    updated = found[0].when if found else utcnow()
    self_url = public_base() + request.full_path.rstrip("?")  # the one public address, not the Host header
    xml = render_template("follows/feed.xml", title=title, entries=found, self_url=self_url, updated=updated)
    return Response(xml_safe(xml), mimetype="application/atom+xml")  # no character XML 1.0 forbids


@bp.post("/following/<int:follow_id>/alert")
@flash_refusal(lambda follow_id: url_for("follows.following"))
@sign_in_required
def choose_alert(follow_id: int) -> ResponseReturnValue:
    with transaction(db.session):
        followed = alerts.choose(db.session, g.user, follow_id, request.form.get("alert", ""))
    choice = alerts.FREQUENCIES[followed.alert]
    flash(f"{followed.label}: {choice.lower() if followed.alert != 'off' else 'no emails'}"
          f"{' will be emailed to you' if followed.alert != 'off' else ''}.", "ok")
    return redirect(url_for("follows.following") + f"#follow-{followed.id}", code=303)


@bp.route("/alerts/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> ResponseReturnValue:
    """The link in every alert mail: no sign-in, the signed token says whose emails and which.

    GET shows what will stop and one button (so a mail scanner following links stops nothing);
    POST stops them, from that button or from a mail client's one-click List-Unsubscribe-Post.
    """
    named = alerts.read_token(current_app.config["SECRET_KEY"], token)
    if named is None:
        abort(404)
    user_id, follow_ids = named
    if request.method == "POST":
        with transaction(db.session):
            stopped = alerts.unsubscribe(db.session, user_id, follow_ids)
        return render_template("follows/unsubscribe.html", token=token, stopped=stopped, done=True)
    return render_template("follows/unsubscribe.html", token=token, done=False,
                           stopped=alerts.token_follows(db.session, user_id, follow_ids))


@bp.record_once
def _exempt_unsubscribe(state: BlueprintSetupState) -> None:
    # A mail client's one-click unsubscribe (RFC 8058) posts with no session: the signed token is the proof.
    state.app.extensions["csrf"].exempt(unsubscribe)


@bp.after_app_request
def _send_immediate_alerts(response: Response) -> Response:
    """After a request that published (and committed), email the followers who asked for it at once.

    Bounded per request; what is left, or fails, waits for `commons alerts send`.
    """
    if not db.session.info.pop("alerts_pending", False) or response.status_code >= 400:
        return response
    try:
        alerts.send_immediate(db.session, search_index.state, mailer(), alert_links(),
                              current_app.config["SECRET_KEY"])
        db.session.commit()
    except Exception:  # a mail server down must not turn a done publish into an error page
        db.session.rollback()
        log.exception("Immediate email alerts not sent now; `commons alerts send` will retry them")
    return response
