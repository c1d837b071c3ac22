"""Hubs and collections in the browser: hub pages, curating, reordering, publishing, Atom feeds.

Every view loads the hub or collection first and asks ``permissions``; an unpublished collection
of a hub you do not belong to answers 404.
"""

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from commons.db import db
from commons.models import CaseStudy, Collection, CollectionItem, Hub, HubMember, User
from commons.services import collections, permissions
from commons.services.accounts import normalise_email
from commons.services.collections import HUB_KINDS, CollectionProblem
from commons.views_auth import admin_required, sign_in_required
from commons.views_reader import safe_next

bp = Blueprint("hubs", __name__)


def _hub(slug: str) -> Hub:
    return db.session.scalar(select(Hub).where(Hub.slug == slug)) or abort(404)


def _collection(slug: str, curate: bool = False) -> Collection:
    found = db.session.scalar(select(Collection).where(Collection.slug == slug))
    if found is None or not permissions.can_view_collection(g.get("user"), found):
        abort(404)
    if curate and not permissions.can_curate(g.get("user"), found.hub):
        abort(403)
    return found


def _item(collection: Collection, item_id: int) -> CollectionItem:
    return next((i for i in collection.items if i.id == item_id), None) or abort(404)


def curated_collections(user: User | None) -> list[Collection]:
    """The collections this user may add to (for "Add to collection" buttons)."""
    if user is None:
        return []
    if user.is_admin:
        return list(db.session.scalars(select(Collection).order_by(Collection.title)))
    hub_ids = select(HubMember.hub_id).where(HubMember.user_id == user.id)
    return list(db.session.scalars(select(Collection).where(Collection.hub_id.in_(hub_ids)).order_by(Collection.title)))


@bp.app_context_processor
def inject_collections() -> dict[str, object]:
    return {"curated_collections": lambda: curated_collections(g.get("user"))}


@bp.get("/hubs")
def hub_list():  # type: ignore[no-untyped-def]
    hubs = db.session.scalars(select(Hub).order_by(Hub.name)).all()
    return render_template("hubs/list.html", hubs=hubs, kinds=HUB_KINDS)


@bp.post("/hubs")
@admin_required
def create_hub():  # type: ignore[no-untyped-def]
    owner = db.session.scalar(select(User).where(User.email == normalise_email(request.form.get("owner_email"))))
    try:
        if owner is None:
            raise CollectionProblem("The owner needs an account first: ask them to register, then try again.")
        hub = collections.create_hub(db.session, request.form.get("name", ""), request.form.get("kind", ""),
                                     owner, request.form.get("description", ""))
    except CollectionProblem as problem:
        db.session.rollback()
        flash(str(problem), "error")
        return redirect(url_for("hubs.hub_list"), code=303)
    db.session.commit()
    return redirect(url_for("hubs.hub_page", slug=hub.slug), code=303)


@bp.get("/hubs/<slug>")
def hub_page(slug: str):  # type: ignore[no-untyped-def]
    hub = _hub(slug)
    user = g.get("user")
    shown = [c for c in hub.collections if permissions.can_view_collection(user, c)]
    return render_template("hubs/hub.html", hub=hub, collections=shown, kinds=HUB_KINDS,
                           can_curate=permissions.can_curate(user, hub), can_manage=permissions.can_manage_hub(user, hub))


@bp.post("/hubs/<slug>/members")
@sign_in_required
def set_member(slug: str):  # type: ignore[no-untyped-def]
    hub = _hub(slug)
    if not permissions.can_manage_hub(g.user, hub):
        abort(403)
    member = db.session.scalar(select(User).where(User.email == normalise_email(request.form.get("email"))))
    role = request.form.get("role") or None
    try:
        if member is None:
            raise CollectionProblem("No account has that address: ask them to register first.")
        collections.set_member(db.session, hub, member, None if role == "remove" else role)
        db.session.commit()
    except CollectionProblem as problem:
        db.session.rollback()
        flash(str(problem), "error")
    return redirect(url_for("hubs.hub_page", slug=slug), code=303)


@bp.post("/hubs/<slug>/collections")
@sign_in_required
def create_collection(slug: str):  # type: ignore[no-untyped-def]
    hub = _hub(slug)
    if not permissions.can_curate(g.user, hub):
        abort(403)
    try:
        collection = collections.create_collection(db.session, hub, request.form.get("title", ""),
                                                   request.form.get("description", ""))
    except CollectionProblem as problem:
        db.session.rollback()
        flash(str(problem), "error")
        return redirect(url_for("hubs.hub_page", slug=slug), code=303)
    db.session.commit()
    return redirect(url_for("hubs.collection_page", slug=collection.slug), code=303)


@bp.get("/collections/<slug>")
def collection_page(slug: str):  # type: ignore[no-untyped-def]
    collection = _collection(slug)
    can_curate = permissions.can_curate(g.get("user"), collection.hub)
    items = collection.items if can_curate else collections.visible_items(collection)
    return render_template("hubs/collection.html", collection=collection, items=items, can_curate=can_curate)


@bp.post("/collections/<slug>")
@sign_in_required
def update_collection(slug: str):  # type: ignore[no-untyped-def]
    collection = _collection(slug, curate=True)
    try:
        collections.update_collection(
            collection, request.form.get("title", collection.title), request.form.get("description", collection.description),
            published=request.form.get("status") == "published", featured=request.form.get("featured") == "yes",
        )
        db.session.commit()
    except CollectionProblem as problem:
        db.session.rollback()
        flash(str(problem), "error")
    return redirect(url_for("hubs.collection_page", slug=slug), code=303)


@bp.post("/collection-items")
@sign_in_required
def add_item():  # type: ignore[no-untyped-def]
    """"Add to collection" from a case study or a search result: the collection is chosen in the form."""
    slug = request.form.get("collection", "")
    collection = _collection(slug, curate=True)
    case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == request.form.get("case_study", "")))
    try:
        if case_study is None:
            raise CollectionProblem("There is no such case study.")
        collections.add_item(db.session, collection, case_study, request.form.get("note", ""))
        db.session.commit()
        flash(f"Added “{case_study.title}” to {collection.title}.", "ok")
    except CollectionProblem as problem:
        db.session.rollback()
        flash(str(problem), "error")
    return redirect(safe_next(url_for("hubs.collection_page", slug=slug)), code=303)


@bp.post("/collections/<slug>/items/<int:item_id>")
@sign_in_required
def change_item(slug: str, item_id: int):  # type: ignore[no-untyped-def]
    collection = _collection(slug, curate=True)
    item = _item(collection, item_id)
    action = request.form.get("action")
    if action == "up":
        collections.move(db.session, collection, item, -1)
    elif action == "down":
        collections.move(db.session, collection, item, +1)
    elif action == "remove":
        collections.remove_item(db.session, collection, item)
    elif action == "note":
        collections.set_note(collection, item, request.form.get("note", ""))
    else:
        abort(400)
    db.session.commit()
    return redirect(url_for("hubs.collection_page", slug=slug, _anchor=f"item-{item_id}"), code=303)


@bp.post("/collections/<slug>/order")
@sign_in_required
def set_order(slug: str):  # type: ignore[no-untyped-def]
    """The drag-to-reorder script sends the whole new order at once."""
    collection = _collection(slug, curate=True)
    try:
        collections.reorder(db.session, collection, [int(i) for i in request.form.getlist("item")])
    except (CollectionProblem, ValueError) as problem:
        db.session.rollback()
        return {"error": "bad_order", "message": str(problem)}, 400
    db.session.commit()
    return {"order": [i.id for i in collection.items]}
