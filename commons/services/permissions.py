"""Who may do what to which object: the one place every view and API endpoint asks.

Roles: any visitor reads what is published; a signed-in user is a reader; a **school author**
has an approved membership of the school; a hub's **owner / manager / curator** build its
collections (owners and managers also manage its members, and, for the schools an admin has
linked to the hub, decide claims to write and review publishes); an **admin** may do everything. Drafts are private
to their school's authors (and admins). Nothing here trusts an id from a form: callers pass
the object loaded from the database.
"""

from sqlalchemy import select
from sqlalchemy.orm import object_session

from commons.domain.statuses import CaseStudyStatus, ClaimStatus, CollectionStatus, DraftStatus
from commons.models import CaseStudy, Collection, Draft, Hub, HubMember, HubSchool, Membership, User

ACTIONS = ("view", "edit", "publish", "withdraw", "history")


def authored_schools(user: User | None) -> set[int]:
    if user is None:
        return set()
    return {m.school_urn for m in user.memberships if m.status == ClaimStatus.APPROVED}


def is_author(user: User | None, school_urn: int) -> bool:
    return user is not None and (user.is_admin or school_urn in authored_schools(user))


def can_on_case_study(user: User | None, action: str, case_study: CaseStudy) -> bool:
    """``view``: published for all, a withdrawn one as a tombstone for all, pending only for authors.
    ``edit``/``publish``/``withdraw``/``history``: the school's authors and admins."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if action == "view":
        return (case_study.status in (CaseStudyStatus.PUBLISHED, CaseStudyStatus.WITHDRAWN)
                or is_author(user, case_study.school_urn))
    if action == "history":
        return case_study.status == CaseStudyStatus.PUBLISHED or is_author(user, case_study.school_urn)
    return is_author(user, case_study.school_urn)


def can_on_draft(user: User | None, action: str, draft: Draft) -> bool:
    """A draft is its school's private working copy: only its authors and admins touch it."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return is_author(user, draft.school_urn)


HUB_ROLES = ("owner", "manager", "curator")


def hub_role(user: User | None, hub: Hub) -> str | None:
    if user is None:
        return None
    return next((m.role for m in hub.members if m.user_id == user.id), None)


def can_manage_hub(user: User | None, hub: Hub) -> bool:
    """Owners and managers add and remove members; admins may too."""
    return user is not None and (user.is_admin or hub_role(user, hub) in ("owner", "manager"))


def can_grant_lead_roles(user: User | None, hub: Hub) -> bool:
    """Only a hub's owners (and admins) make or unmake owners and managers."""
    return user is not None and (user.is_admin or hub_role(user, hub) == "owner")


def can_change_member(user: User | None, hub: Hub, member_id: int | None, current: str | None,
                      new: str | None) -> bool:
    """May ``user`` move the account ``member_id`` from role ``current`` to ``new`` (None: not a member)?

    Owners and admins grant and remove every role; managers add, change and remove curators only,
    so a manager never makes themselves or anyone else an owner or manager, nor removes one.
    Nobody changes their own role, not even an admin: an owner leaves when another owner removes them.
    """
    if user is None or (member_id is not None and member_id == user.id):
        return False
    if can_grant_lead_roles(user, hub):
        return True
    return hub_role(user, hub) == "manager" and current in (None, "curator") and new in (None, "curator")


def can_curate(user: User | None, hub: Hub) -> bool:
    """Every member of a hub (owner, manager, curator) builds its collections; admins may too."""
    return user is not None and (user.is_admin or hub_role(user, hub) is not None)


def can_view_collection(user: User | None, collection: Collection) -> bool:
    return collection.status == CollectionStatus.PUBLISHED or can_curate(user, collection.hub)


def can_link_schools(user: User | None, hub: Hub) -> bool:
    """Owners and managers ask for schools to be linked to their hub; an admin decides."""
    return can_manage_hub(user, hub)


def can_revoke_author(user: User | None) -> bool:
    """Only an admin stops an approved author writing for a school (hub leads decide pending claims only)."""
    return user is not None and user.is_admin


def can_decide_school_link(user: User | None) -> bool:
    """Only an admin confirms that a hub looks after a school (else anyone could make a hub and
    make themselves a school's author)."""
    return user is not None and user.is_admin


def led_schools(user: User | None) -> set[int]:
    """The schools linked (and confirmed by an admin) to a hub this user owns or manages."""
    session = object_session(user) if user is not None else None
    if user is None or session is None:
        return set()
    return set(session.scalars(
        select(HubSchool.school_urn).join(HubMember, HubMember.hub_id == HubSchool.hub_id)
        .where(HubMember.user_id == user.id, HubMember.role.in_(("owner", "manager")),
               HubSchool.status == ClaimStatus.APPROVED)
    ))


def can_decide_claim(user: User | None, membership: Membership) -> bool:
    """Admins, and the owners and managers of a hub that looks after the school; never one's own claim."""
    if user is None:
        return False
    if user.is_admin:
        return True
    return membership.user_id != user.id and membership.school_urn in led_schools(user)


def can_review(user: User | None, draft: Draft) -> bool:
    """Approve or return a draft waiting for review: admins (any draft), and the owners and managers
    of a hub that looks after the school (a submitted draft someone else wrote last)."""
    if user is None:
        return False
    if user.is_admin:
        return True
    return (draft.status == DraftStatus.SUBMITTED and draft.updated_by != user.id
            and draft.school_urn in led_schools(user))
