"""Hubs and collections in the browser: hub pages, curating, reordering, publishing, Atom feeds;
smart collections; the schools a hub looks after, and its leads' claims and reviews page.

Every view loads the hub or collection first and asks ``permissions``; an unpublished collection
of a hub you do not belong to answers 404.
"""

from collections.abc import Callable, Mapping
from dataclasses import fields
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from commons import settings
from commons.db import db
from commons.domain.errors import CommonsError, Conflict
from commons.domain.ids import parse_id
from commons.domain.statuses import ClaimStatus, CollectionStatus
from commons.domain.vocabulary import OFFERS, SECTIONS
from commons.models import CaseStudy, Collection, CollectionItem, Hub, HubMember, HubSchool, School, User
from commons.search.extension import search_index
from commons.search.filters import CHOICES, FSM_BANDS, SIZE_BANDS, SearchFilters
from commons.services import accounts, case_studies, collections, hub_invitations, hub_schools, permissions
from commons.services.collections import HUB_KINDS, SmartSearch
from commons.services.readers import find_schools
from commons.services.transactions import transaction
from commons.web.helpers import admin_required, mailer, public_link, safe_next, sign_in_required
from commons.web.refusals import flash_refusal, on_refused

bp = Blueprint("hubs", __name__)
MAX_FIND = 300  # "Find case studies to add" on a collection page: the question's length


def _hub(slug: str) -> Hub:
    return collections.hub_called(db.session, slug)


def _collection(slug: str, curate: bool = False) -> Collection:
    return collections.visible_collection(db.session, slug, g.get("user"), curate)


def _item(collection: Collection, item_id: int) -> CollectionItem:
    return next((i for i in collection.items if i.id == item_id), None) or abort(404)


def curated_collections(user: User | None) -> list[Collection]:
    """The hand-picked collections this user may add to (for "Add to collection" buttons)."""
    if user is None:
        return []
    statement = select(Collection).where(Collection.smart_query.is_(None)).order_by(Collection.title)
    if not user.is_admin:
        statement = statement.where(Collection.hub_id.in_(select(HubMember.hub_id).where(HubMember.user_id == user.id)))
    return list(db.session.scalars(statement))


def curated_hubs(user: User | None) -> list[Hub]:
    """The hubs this user may start a collection for (for "Save as a smart collection")."""
    if user is None:
        return []
    return [hub for hub in collections.all_hubs(db.session) if permissions.can_curate(user, hub)]


@bp.app_context_processor
def inject_collections() -> dict[str, object]:
    return {"curated_collections": lambda: curated_collections(g.get("user")),
            "curated_hubs": lambda: curated_hubs(g.get("user")),
            "user_hubs": lambda: member_hubs(g.get("user"))}


@bp.app_template_global()
def split_by_holding(mine: list[Collection], case_study: CaseStudy) -> tuple[list[Collection], list[Collection]]:
    """The collections that already hold this case study, and those it could be added to."""
    holding = [c for c in mine if collections.holds(c, case_study)]
    return holding, [c for c in mine if c not in holding]


def member_hubs(user: User | None) -> list[Hub]:
    """The hubs this user is a member of (for the menu's "Your hubs")."""
    return collections.member_hubs(db.session, user)


def _smart_query_from_form() -> str:
    """The search a smart collection keeps: a whole query string (from the search page) or form fields."""
    if request.form.get("smart_query") is not None:  # less what a refused save put back in the page's address
        return urlencode([(k, v) for k, v in parse_qsl(request.form["smart_query"], keep_blank_values=True)
                          if k not in ("smart_title", "smart_hub")])
    names = ["q", *(f.name for f in fields(SearchFilters))]
    return urlencode([(name, request.form[name]) for name in names if request.form.get(name)])


def _smart_form() -> dict[str, object]:
    """What the smart-collection form needs to offer every filter."""
    return {"filter_choices": CHOICES, "fsm_bands": {k: v[0] for k, v in FSM_BANDS.items()},
            "size_bands": {k: v[0] for k, v in SIZE_BANDS.items()}, "offers": OFFERS,
            "max_smart_limit": collections.MAX_SMART_LIMIT}


@bp.get("/hubs")
def hub_list() -> ResponseReturnValue:
    return _hub_list()


def _hub_list(form: Mapping[str, str] | None = None, error: str = "", status: int = 200) -> ResponseReturnValue:
    hubs = collections.all_hubs(db.session)
    return render_template("hubs/list.html", hubs=hubs, kinds=HUB_KINDS, form=form or {}, error=error), status


@bp.post("/hubs")
@on_refused(lambda error: _hub_list(request.form, error.message, error.status))  # what was typed is shown again
@admin_required
def create_hub() -> ResponseReturnValue:
    with transaction(db.session):
        owner = collections.owner_by_email(db.session, request.form.get("owner_email"))
        hub = collections.create_hub(db.session, request.form.get("name", ""), request.form.get("kind", ""),
                                     owner, request.form.get("description", ""))
    return redirect(url_for("hubs.hub_page", slug=hub.slug), code=303)


@bp.get("/hubs/<slug>")
def hub_page(slug: str) -> ResponseReturnValue:
    return _hub_page(_hub(slug))


def _hub_page(hub: Hub, form: Mapping[str, str] | None = None, which: str = "", error: str = "",
              status: int = 200) -> ResponseReturnValue:
    """The hub page; after a refused form, that form (``which``: "collection", "smart" or "member")
    shows the error and everything typed in it."""
    user = g.get("user")
    shown = [c for c in hub.collections if permissions.can_view_collection(user, c)]
    can_link = permissions.can_link_schools(user, hub)
    query = request.args.get("school", "").strip() if can_link else ""
    return render_template(
        "hubs/hub.html", hub=hub, collections=shown, kinds=HUB_KINDS,
        can_curate=permissions.can_curate(user, hub), can_manage=permissions.can_manage_hub(user, hub),
        can_grant_leads=permissions.can_grant_lead_roles(user, hub),
        invitations=hub_invitations.pending(db.session, hub) if permissions.can_manage_hub(user, hub) else [],
        schools=hub_schools.links(db.session, hub),
        other_links=hub_schools.links(db.session, hub, (ClaimStatus.PENDING, ClaimStatus.REJECTED)) if can_link else [],
        can_link=can_link, school_query=query, school_matches=find_schools(db.session, query) if query else [],
        form=form or {}, which=which, error=error, smart_values=_smart_values(form) if which == "smart" else {},
        **_smart_form(),
    ), status


def _smart_values(form: Mapping[str, str] | None) -> dict[str, str]:
    """The filters typed into a refused smart-collection form, to show them again."""
    names = [f.name for f in fields(SearchFilters)]
    return {name: form[name] for name in names if form and form.get(name)}


def _hub_form_refused(which: str) -> Callable[..., ResponseReturnValue]:
    """The hub page again after its ``which`` form was refused, showing the error and everything typed."""
    return lambda error, slug: _hub_page(_hub(slug), request.form, which, error.message, error.status)


@bp.post("/hubs/<slug>/members")
@on_refused(_hub_form_refused("member"))
@sign_in_required
def set_member(slug: str) -> ResponseReturnValue:
    hub = _hub(slug)
    if not permissions.can_manage_hub(g.user, hub):
        abort(403)
    role = request.form.get("role") or None
    with transaction(db.session):
        hub_invitations.set_member_by_email(
            db.session, hub, request.form.get("email", ""), None if role == "remove" else role, actor=g.user,
            mailer=mailer(), link=lambda token: public_link("hubs.invitation", token=token))
    flash(hub_invitations.MEMBER_SET, "ok")  # the same whether or not the address has an account
    return redirect(url_for("hubs.hub_page", slug=slug, _anchor="members-h"), code=303)


@bp.route("/hub-invitations/<token>", methods=["GET", "POST"])
@on_refused(lambda error, token: (render_template("auth/message.html", title="The invitation could not be accepted",
                                                  message=error.message), 409))
@sign_in_required
def invitation(token: str) -> ResponseReturnValue:
    """The link in an invitation mail: the account with the invited address accepts it here."""
    found = hub_invitations.find(db.session, token)
    if found is None:
        return render_template("auth/message.html", title="That invitation has expired",
                               message="Invitations work for 14 days, until accepted or withdrawn. Ask the "
                                       "hub's owners or managers to invite you again."), 404
    if accounts.normalise_email(g.user.email) != found.email:
        return render_template("auth/message.html", title="This invitation is for someone else",
                               message=hub_invitations.OTHER_ADDRESS), 403
    if request.method == "GET":
        return render_template("hubs/invitation.html", invitation=found, hub=found.hub)
    with transaction(db.session):
        hub = hub_invitations.accept(db.session, found, g.user)
    flash(f"You have joined {hub.name} as a {found.role}.", "ok")
    return redirect(url_for("hubs.hub_page", slug=hub.slug), code=303)


@bp.post("/hubs/<slug>/collections")
@on_refused(_hub_form_refused("collection"))
@sign_in_required
def create_collection(slug: str) -> ResponseReturnValue:
    hub = _hub(slug)
    if not permissions.can_curate(g.user, hub):
        abort(403)
    with transaction(db.session):
        collection = collections.create_collection(db.session, hub, request.form.get("title", ""),
                                                   request.form.get("description", ""))
    return redirect(url_for("hubs.collection_page", slug=collection.slug), code=303)


def _smart_refused(error: CommonsError) -> ResponseReturnValue:
    hub = _hub(request.form.get("hub", ""))
    if request.form.get("smart_query") is None:  # the hub page's form: shown again as typed
        return _hub_page(hub, request.form, "smart", error.message, error.status)
    flash(error.message, "error")  # back to the search, the title and hub typed still in its form
    back = safe_next(url_for("hubs.hub_page", slug=hub.slug))
    typed = urlencode({"smart_title": request.form.get("title", "")[:200], "smart_hub": hub.slug})
    return redirect(f"{back}{'&' if '?' in back else '?'}{typed}#smart-title", code=303)


@bp.post("/smart-collections")
@on_refused(_smart_refused)
@sign_in_required
def create_smart_collection() -> ResponseReturnValue:
    """"Save as a smart collection" from the search page, or "Start a smart collection" on a hub page."""
    hub = _hub(request.form.get("hub", ""))
    if not permissions.can_curate(g.user, hub):
        abort(403)
    with transaction(db.session):
        collection = collections.create_smart_collection(
            db.session, hub, request.form.get("title", ""), _smart_query_from_form(),
            request.form.get("limit"), request.form.get("description", ""))
    return redirect(url_for("hubs.collection_page", slug=collection.slug), code=303)


@bp.get("/collections/<slug>")
def collection_page(slug: str) -> ResponseReturnValue:
    collection = _collection(slug)
    can_curate = permissions.can_curate(g.get("user"), collection.hub)
    if collection.smart_query is not None:
        return render_template(
            "hubs/collection.html", collection=collection, items=[], can_curate=can_curate,
            smart=SmartSearch.of(collection), **_smart_form(),
            results=collections.smart_results(db.session, search_index.state, collection, snippets=True))
    preview = can_curate and request.args.get("as") == "reader"  # the page as a reader will see it
    if preview:
        return render_template("hubs/collection.html", collection=collection, can_curate=False, preview=True,
                               items=collections.visible_items(collection))
    if not can_curate:
        return render_template("hubs/collection.html", collection=collection, can_curate=False,
                               items=collections.visible_items(collection))
    find = request.args.get("find", "").strip()[:MAX_FIND]
    found = collections.find_to_add(db.session, search_index.state, find) if find else []
    return render_template("hubs/collection.html", collection=collection, items=collection.items, can_curate=True,
                           find=find, found=found)


@bp.post("/collections/<slug>")
@on_refused(lambda error, slug: _settings_refused(slug, error.message))
@sign_in_required
def update_collection(slug: str) -> ResponseReturnValue:
    collection = _collection(slug, curate=True)
    with transaction(db.session):
        collections.update_collection(
            collection, request.form.get("title", collection.title),
            request.form.get("description", collection.description),
            published=request.form.get("status") == CollectionStatus.PUBLISHED,
            featured=request.form.get("featured") == "yes",
        )
        if collection.smart_query is not None and request.form.get("q") is not None:
            collections.update_smart_search(collection, _smart_query_from_form(), request.form.get("limit"))
    return redirect(url_for("hubs.collection_page", slug=slug), code=303)


def _settings_refused(slug: str, error: str) -> ResponseReturnValue:
    """The collection page again, its settings form showing the error and everything typed."""
    collection = _collection(slug, curate=True)
    smart = SmartSearch.of(collection) if collection.smart_query is not None else None
    results = (collections.smart_results(db.session, search_index.state, collection, snippets=True)
               if smart is not None else None)
    return render_template("hubs/collection.html", collection=collection, items=collection.items, can_curate=True,
                           smart=smart, results=results, settings_error=error, settings=request.form,
                           smart_values=_smart_values(request.form), **_smart_form()), 400


@bp.post("/collection-items")
@flash_refusal(lambda: url_for("hubs.collection_page", slug=request.form.get("collection", "")))
@sign_in_required
def add_item() -> ResponseReturnValue:
    """"Add to collection" from a case study or a search result: the collection is chosen in the form."""
    slug = request.form.get("collection", "")
    collection = _collection(slug, curate=True)
    with transaction(db.session):
        case_study, already = case_studies.collect(db.session, collection, request.form.get("case_study", ""),
                                                      g.user, request.form.get("note", ""))
    flash(f"“{case_study.title}” is already in {collection.title}." if already
          else f"Added “{case_study.title}” to {collection.title}.", "ok")
    return redirect(safe_next(url_for("hubs.collection_page", slug=slug)), code=303)


@bp.post("/collections/<slug>/items/<int:item_id>")
@sign_in_required
def change_item(slug: str, item_id: int) -> ResponseReturnValue:
    collection = _collection(slug, curate=True)
    item = _item(collection, item_id)  # a smart collection has no items: 404
    action = request.form.get("action")
    if action not in ("up", "down", "remove", "note"):
        abort(400)
    with transaction(db.session):
        if action in ("up", "down"):
            collections.move(db.session, collection, item, -1 if action == "up" else +1)
        elif action == "remove":
            collections.remove_item(db.session, collection, item)
        else:
            collections.set_note(collection, item, request.form.get("note", ""))
    return redirect(url_for("hubs.collection_page", slug=slug, _anchor=f"item-{item_id}"), code=303)


@bp.post("/collections/<slug>/order")
@on_refused(lambda error, slug: ({"error": "bad_order", "message": error.message}, 400))
@sign_in_required
def set_order(slug: str) -> ResponseReturnValue:
    """The drag-to-reorder script sends the whole new order at once."""
    collection = _collection(slug, curate=True)
    with transaction(db.session):
        collections.reorder(db.session, collection, [parse_id(i) or 0 for i in request.form.getlist("item")])
    return {"order": [i.id for i in collection.items]}


# --- The schools a hub looks after; claims and reviews for its owners and managers -------------


def _link(hub: Hub, link_id: int) -> HubSchool:
    link = db.session.get(HubSchool, link_id)
    if link is None or link.hub_id != hub.id:
        abort(404)
    return link


@bp.post("/hubs/<slug>/schools")
@sign_in_required
def request_school(slug: str) -> ResponseReturnValue:
    """An owner or manager asks an admin to confirm that the hub looks after a school."""
    hub = _hub(slug)
    if not permissions.can_link_schools(g.user, hub):
        abort(403)
    school = db.session.get(School, parse_id(request.form.get("urn")) or 0)
    if school is None:
        flash("There is no school with that URN in the Commons.", "error")
        return redirect(url_for("hubs.hub_page", slug=slug, _anchor="schools-h"), code=303)
    with transaction(db.session):
        link = hub_schools.request_link(db.session, hub, school, g.user)
    if link.status == ClaimStatus.PENDING:
        flash(f"Asked an administrator to confirm that {hub.name} looks after {school.name}.", "ok")
    return redirect(url_for("hubs.hub_page", slug=slug, _anchor="schools-h"), code=303)


@bp.post("/hubs/<slug>/schools/<int:link_id>/remove")
@sign_in_required
def remove_school(slug: str, link_id: int) -> ResponseReturnValue:
    hub = _hub(slug)
    if not permissions.can_link_schools(g.user, hub):
        abort(403)
    with transaction(db.session):
        hub_schools.remove_link(db.session, _link(hub, link_id))
    return redirect(url_for("hubs.hub_page", slug=slug, _anchor="schools-h"), code=303)


@bp.post("/hub-schools/<int:link_id>")
@admin_required
def decide_link(link_id: int) -> ResponseReturnValue:
    """An admin confirms or rejects that a hub looks after a school (on the admin page)."""
    link = db.session.get(HubSchool, link_id) or abort(404)
    if not permissions.can_decide_school_link(g.user):
        abort(403)
    with transaction(db.session):  # a decision that is neither: the error page, 400
        hub_schools.decide_link(link, g.user, request.form.get("decision", ""))
    return redirect(safe_next(url_for("auth.admin")), code=303)


def _led_hub(slug: str) -> Hub:
    hub = _hub(slug)
    if not permissions.can_manage_hub(g.user, hub):
        abort(403)
    return hub


@bp.get("/hubs/<slug>/claims")
@sign_in_required
def claims_and_reviews(slug: str) -> ResponseReturnValue:
    """For a hub's owners and managers: claims to write for its schools, and their drafts waiting for review."""
    hub = _led_hub(slug)
    moderated = settings.current().moderation
    return render_template("hubs/claims.html", hub=hub, schools=hub_schools.links(db.session, hub),
                           claims=hub_schools.pending_claims(db.session, hub),
                           review=hub_schools.review_queue(db.session, hub) if moderated else [], moderated=moderated,
                           can_decide=lambda claim: permissions.can_decide_claim(g.user, claim),
                           can_review=lambda draft: permissions.can_review(g.user, draft))


@bp.get("/hubs/<slug>/reviews/<int:draft_id>")
@sign_in_required
def review_draft(slug: str, draft_id: int) -> ResponseReturnValue:
    """A draft waiting for review, to read before approving or returning it."""
    hub = _led_hub(slug)
    try:
        draft = case_studies.draft_to_review(db.session, draft_id, g.user)
    except Conflict:
        abort(404)  # not waiting for review any more: nothing to read here
    return render_template("hubs/review.html", hub=hub, draft=draft, fields=draft.fields, sections=SECTIONS)
