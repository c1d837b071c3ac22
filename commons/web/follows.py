"""Following and feeds: follow a hub, collection, school, topic or search; Atom feeds of each."""

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from commons.db import db
from commons.domain.text_safety import xml_safe
from commons.domain.vocabulary import TOPICS
from commons.models import Follow, utcnow
from commons.search.extension import search_index
from commons.services import follows
from commons.services.follows import FollowProblem
from commons.web.helpers import safe_next, sign_in_required

bp = Blueprint("follows", __name__)


@bp.post("/follow")
@sign_in_required
def follow() -> ResponseReturnValue:
    try:
        followed = follows.follow(db.session, g.user, request.form.get("kind", ""), request.form.get("target", ""))
        db.session.commit()
        flash(f"You are following {followed.label}. New case studies show on your Following page.", "ok")
    except FollowProblem as problem:
        db.session.rollback()
        flash(str(problem), "error")
    return redirect(safe_next(url_for("follows.following")), code=303)


@bp.post("/unfollow/<int:follow_id>")
@sign_in_required
def unfollow(follow_id: int) -> ResponseReturnValue:
    followed = db.session.get(Follow, follow_id)
    if followed is None or followed.user_id != g.user.id:
        abort(404)
    db.session.delete(followed)
    db.session.commit()
    return redirect(url_for("follows.following"), code=303)


@bp.get("/following")
@sign_in_required
def following() -> ResponseReturnValue:
    mine = db.session.scalars(select(Follow).where(Follow.user_id == g.user.id).order_by(Follow.created_at)).all()
    state = search_index.state
    shown = []
    for followed in mine:
        found = follows.entries(db.session, state, followed.kind, followed.target)
        shown.append((followed, found, follows.new_since(found, followed), feed_url(followed.kind, followed.target)))
    page = render_template("follows/following.html", shown=shown, topics=TOPICS)
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
    except FollowProblem:
        abort(400)
    return _atom("search", target)


def _atom(kind: str, target: str) -> Response:
    try:
        title = follows.describe(db.session, kind, target)
    except FollowProblem:
        abort(404)
    found = follows.entries(db.session, search_index.state, kind, target)
    updated = found[0].when if found else utcnow()
    xml = render_template("follows/feed.xml", title=title, entries=found, self_url=request.url, updated=updated)
    return Response(xml_safe(xml), mimetype="application/atom+xml")  # no character XML 1.0 forbids
