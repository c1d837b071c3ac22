"""Hubs and their collections: ordered, annotated sets of published case studies."""

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commons.models import CaseStudy, Collection, CollectionItem, Hub, HubMember, User, utcnow

HUB_KINDS = {
    "teaching-school-hub": "Teaching School Hub",
    "trust": "Trust",
    "research-school": "Research school",
    "local-authority": "Local authority",
    "other": "Other",
}
MAX_NOTE = 2000
MAX_ITEMS = 200


class CollectionProblem(ValueError):
    """Something a curator asked for that cannot be done; the message says why."""


def unique_slug(session: Session, model: type[Hub] | type[Collection], text: str) -> str:
    base = "-".join(re.findall(r"[a-z0-9]+", text.lower()))[:80].strip("-") or "untitled"
    slug, number = base, 2
    while session.scalar(select(model.id).where(model.slug == slug)) is not None:
        slug, number = f"{base[:76]}-{number}", number + 1
    return slug


def create_hub(session: Session, name: str, kind: str, owner: User, description: str = "") -> Hub:
    name = " ".join(name.split())
    if not name or len(name) > 200:
        raise CollectionProblem("Give the hub a name of up to 200 characters.")
    if kind not in HUB_KINDS:
        raise CollectionProblem(f"The kind of hub must be one of: {', '.join(HUB_KINDS)}.")
    hub = Hub(slug=unique_slug(session, Hub, name), name=name, kind=kind, description=description[:2000])
    session.add(hub)
    session.flush()
    session.add(HubMember(hub_id=hub.id, user_id=owner.id, role="owner"))
    session.flush()
    return hub


def set_member(session: Session, hub: Hub, user: User, role: str | None) -> None:
    """Add a member, change their role, or remove them (role None). A hub keeps at least one owner."""
    member = next((m for m in hub.members if m.user_id == user.id), None)
    owners = [m for m in hub.members if m.role == "owner"]
    if member is not None and member.role == "owner" and role != "owner" and len(owners) == 1:
        raise CollectionProblem("A hub needs at least one owner: make someone else an owner first.")
    if role is None:
        if member is not None:
            session.delete(member)
    elif role not in ("owner", "manager", "curator"):
        raise CollectionProblem("The role must be owner, manager or curator.")
    elif member is None:
        session.add(HubMember(hub_id=hub.id, user_id=user.id, role=role))
    else:
        member.role = role
    session.flush()
    session.expire(hub, ["members"])


def _title(text: str) -> str:
    title = " ".join(text.split())
    if not title or len(title) > 200:
        raise CollectionProblem("Give the collection a title of up to 200 characters.")
    return title


def create_collection(session: Session, hub: Hub, title: str, description: str = "") -> Collection:
    title = _title(title)
    collection = Collection(hub_id=hub.id, slug=unique_slug(session, Collection, title), title=title,
                            description=description[:5000])
    session.add(collection)
    session.flush()
    return collection


def update_collection(collection: Collection, title: str, description: str, published: bool, featured: bool) -> None:
    """Change the settings; only a published collection can be featured on the home page."""
    collection.title = _title(title)
    collection.description = description[:5000]
    collection.status = "published" if published else "draft"
    collection.featured = featured and published


def add_item(session: Session, collection: Collection, case_study: CaseStudy, note: str = "") -> CollectionItem:
    if case_study.status != "published":
        raise CollectionProblem("Only published case studies can go in a collection.")
    existing = next((i for i in collection.items if i.case_study_id == case_study.id), None)
    if existing is not None:
        return existing
    if len(collection.items) >= MAX_ITEMS:
        raise CollectionProblem(f"A collection holds at most {MAX_ITEMS} case studies.")
    last = session.scalar(select(func.max(CollectionItem.position)).where(CollectionItem.collection_id == collection.id))
    item = CollectionItem(collection_id=collection.id, case_study_id=case_study.id,
                          position=(last or 0) + 1, note=note.strip()[:MAX_NOTE])
    session.add(item)
    _touch(collection)
    session.flush()
    session.expire(collection, ["items"])
    return item


def reorder(session: Session, collection: Collection, item_ids: list[int]) -> None:
    """Put the items in this order; every item must be named exactly once."""
    current = {i.id: i for i in collection.items}
    if sorted(item_ids) != sorted(current):
        raise CollectionProblem("The new order must list every case study in the collection once.")
    for position, item_id in enumerate(item_ids, start=1):
        current[item_id].position = position
    _touch(collection)
    session.flush()
    session.expire(collection, ["items"])


def move(session: Session, collection: Collection, item: CollectionItem, step: int) -> None:
    """Move one item up (-1) or down (+1): the no-JavaScript way to reorder."""
    ids = [i.id for i in collection.items]
    at = ids.index(item.id)
    to = min(max(at + step, 0), len(ids) - 1)
    ids.insert(to, ids.pop(at))
    reorder(session, collection, ids)


def remove_item(session: Session, collection: Collection, item: CollectionItem) -> None:
    session.delete(item)
    session.flush()
    session.expire(collection, ["items"])
    reorder(session, collection, [i.id for i in collection.items])


def set_note(collection: Collection, item: CollectionItem, note: str) -> None:
    item.note = note.strip()[:MAX_NOTE]
    _touch(collection)


def visible_items(collection: Collection) -> list[CollectionItem]:
    """What a reader sees: the items whose case study is still published."""
    return [i for i in collection.items if i.case_study.status == "published"]


def _touch(collection: Collection) -> None:
    collection.updated_at = utcnow()
