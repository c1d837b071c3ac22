"""The schools a hub looks after, and what the hub's leads decide for them.

A hub's owner or manager asks to link a school (a trust's academies, a hub's partner schools);
an admin confirms or rejects the link. Once it is confirmed, the hub's owners and managers
decide claims to write for the school and, when moderation is on, review its drafts.
Who may do each of these is in ``permissions``; this module does them.
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from commons.domain.errors import Conflict, Forbidden, Invalid
from commons.domain.statuses import ClaimStatus, DraftStatus
from commons.models import Draft, Hub, HubSchool, Membership, School, User
from commons.services import authoring
from commons.services.accounts import Mailer

DECISIONS = (ClaimStatus.APPROVED, ClaimStatus.REJECTED)
MAX_RETURN_NOTE = 2000


def request_link(session: Session, hub: Hub, school: School, user: User) -> HubSchool:
    """Ask an admin to confirm that this hub looks after this school (again, if it was rejected)."""
    link = session.scalar(select(HubSchool).where(HubSchool.hub_id == hub.id, HubSchool.school_urn == school.urn))
    if link is None:
        link = HubSchool(hub_id=hub.id, school_urn=school.urn, status=ClaimStatus.PENDING, requested_by=user.id)
        session.add(link)
    elif link.status == ClaimStatus.REJECTED:
        link.status, link.requested_by, link.decided_by = ClaimStatus.PENDING, user.id, None
    session.flush()
    return link


def decide_link(link: HubSchool, admin: User, decision: str) -> None:
    if decision not in DECISIONS:
        raise Invalid("The decision must be approved or rejected.")
    link.status, link.decided_by = decision, admin.id


def remove_link(session: Session, link: HubSchool) -> None:
    session.delete(link)
    session.flush()


def links(session: Session, hub: Hub, statuses: tuple[ClaimStatus, ...] = (ClaimStatus.APPROVED,)) -> list[HubSchool]:
    """The hub's links with these statuses, by school name."""
    return list(session.scalars(
        select(HubSchool).join(School).where(HubSchool.hub_id == hub.id, HubSchool.status.in_(statuses))
        .order_by(School.name)
    ))


def hubs_for_school(session: Session, school: School) -> list[Hub]:
    """The hubs an admin has confirmed look after this school."""
    return list(session.scalars(select(Hub).join(HubSchool, HubSchool.hub_id == Hub.id)
                                .where(HubSchool.school_urn == school.urn, HubSchool.status == ClaimStatus.APPROVED)
                                .order_by(Hub.name)))


def pending_links(session: Session) -> list[HubSchool]:
    """Every link waiting for an admin, oldest first."""
    return list(session.scalars(select(HubSchool).where(HubSchool.status == ClaimStatus.PENDING)
                                .order_by(HubSchool.created_at)))


def _linked_urns(session: Session, hub: Hub) -> list[int]:
    return [link.school_urn for link in links(session, hub)]


def pending_claims(session: Session, hub: Hub) -> list[Membership]:
    """Claims to write for the schools this hub looks after, oldest first."""
    urns = _linked_urns(session, hub)
    if not urns:
        return []
    claims = select(Membership).where(Membership.status == ClaimStatus.PENDING, Membership.school_urn.in_(urns))
    return list(session.scalars(claims.order_by(Membership.created_at)))


def review_queue(session: Session, hub: Hub) -> list[Draft]:
    """Drafts of the schools this hub looks after that are waiting for review, oldest first."""
    urns = _linked_urns(session, hub)
    if not urns:
        return []
    return authoring.waiting_for_review(session, urns)


def decide_claim(session: Session, claim: Membership, decider: User, decision: str, mailer: Mailer) -> None:
    """Approve or reject a pending claim to write for a school, and tell the claimant.

    Only a pending claim is decided: an approved author is not "rejected" here (taking away an
    author's right to write for a school is an admin's separate act), and a claim someone already
    rejected is not approved over their decision.
    """
    if decision not in DECISIONS:
        raise Invalid("The decision must be approved or rejected.")
    if claim.status != ClaimStatus.PENDING:
        raise Conflict(
            f"This claim was already {claim.status}; only a pending claim can be decided. "
            + ("To stop an approved author writing for the school, ask an administrator."
               if claim.status == ClaimStatus.APPROVED else "The claimant can ask again if something has changed."))
    claim.status, claim.decided_by = decision, decider.id
    who = "An administrator" if decider.is_admin else f"{decider.name}, for a hub that looks after the school,"
    mailer.send(session, claim.user.email, f"Your claim to write for {claim.school.name}",
                f"{who} has {decision} your claim to write for {claim.school.name}.")


def revoke_author(session: Session, membership: Membership, admin: User, mailer: Mailer) -> None:
    """An admin stops an approved author writing for a school (the claim becomes rejected), and tells them."""
    if not admin.is_admin:
        raise Forbidden("Only an administrator can stop an author writing for a school.")
    if membership.status != ClaimStatus.APPROVED:
        raise Conflict(f"This claim is {membership.status}, not an approved author: decide it instead.")
    membership.status, membership.decided_by = ClaimStatus.REJECTED, admin.id
    mailer.send(session, membership.user.email, f"You no longer write for {membership.school.name}",
                f"An administrator has stopped your account writing for {membership.school.name} in the Commons. "
                "Reply to this message if you think this is a mistake.")


def return_draft(session: Session, draft: Draft, reviewer: User, note: str, mailer: Mailer) -> None:
    """Send a draft back to its school's authors instead of publishing it, saying what to change."""
    note = note.strip()[:MAX_RETURN_NOTE]
    if not note:
        raise Invalid("Say what the authors should change before it can be published.")
    draft.status = DraftStatus.WRITING
    writer = session.get(User, draft.updated_by)
    if writer is not None:
        title = draft.fields.get("title") or "your draft"
        mailer.send(session, writer.email, f"Returned for changes: {title}",
                    f"{reviewer.name} reviewed “{title}” for {draft.school.name} and returned it for changes "
                    f"before it is published:\n\n{note}\n\nEdit the draft and publish it again when it is ready.")
