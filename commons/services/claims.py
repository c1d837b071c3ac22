"""Claims to write for a school: who the claimant is there, and something whoever decides can check.

A claim gives the power to publish in a school's name, so it carries the claimant's role and
either an email address at the school or a note that can be verified (where their name appears
on the school's website, who at the school can vouch for them).
"""

from sqlalchemy import select
from sqlalchemy.orm import Session

from commons.domain.errors import Forbidden, Invalid, NotFound
from commons.domain.statuses import ClaimStatus
from commons.models import Membership, School, User
from commons.services import permissions
from commons.services.accounts import EMAIL, normalise_email

MAX_ROLE = 120
MAX_EVIDENCE = 1000
CLAIM_DAYS = "two working days"  # how long a claim usually waits, as the pages say


def claim(session: Session, user: User, school: School, role: str, work_email: str, evidence: str) -> Membership:
    """Ask to write for ``school``; raises Invalid by form field ("role", "work_email", "evidence").

    A claim already made is returned as it is (a rejected claim is not asked again from here).
    """
    existing = session.scalar(select(Membership).where(Membership.user_id == user.id,
                                                       Membership.school_urn == school.urn))
    if existing is not None:
        return existing
    role = " ".join(role.split())
    work_email = normalise_email(work_email)
    evidence = " ".join(evidence.split())
    errors: dict[str, str] = {}
    if not role:
        errors["role"] = "Say what you do at the school, such as Headteacher or Head of English."
    elif len(role) > MAX_ROLE:
        errors["role"] = f"Keep your role under {MAX_ROLE} characters."
    if work_email and (not EMAIL.match(work_email) or len(work_email) > 254):
        errors["work_email"] = "Enter an email address like name@school.org.uk, or leave it empty and write a note."
    if len(evidence) > MAX_EVIDENCE:
        errors["evidence"] = f"Keep the note under {MAX_EVIDENCE} characters."
    if not work_email and not evidence and "work_email" not in errors:
        errors["work_email"] = ("Give your email address at the school, or a note that shows you work there, so "
                                "whoever confirms your claim can check it.")
    if errors:
        raise Invalid(errors=errors)
    membership = Membership(user_id=user.id, school_urn=school.urn, role_at_school=role, work_email=work_email,
                            evidence=evidence)
    session.add(membership)
    session.flush()
    return membership


def waiting(session: Session) -> list[Membership]:
    """Every claim waiting for a decision, oldest first (the admin page)."""
    return list(session.scalars(select(Membership).where(Membership.status == ClaimStatus.PENDING)
                                .order_by(Membership.created_at)))


def authors(session: Session) -> list[Membership]:
    """Every approved author, by school (the admin page)."""
    return list(session.scalars(select(Membership).where(Membership.status == ClaimStatus.APPROVED)
                                .order_by(Membership.school_urn, Membership.id)))


def to_decide(session: Session, claim_id: int, user: User) -> Membership:
    """A claim ``user`` may decide (see ``permissions.can_decide_claim``): :class:`NotFound` or :class:`Forbidden`."""
    found = session.get(Membership, claim_id)
    if found is None:
        raise NotFound("There is no such claim.")
    if not permissions.can_decide_claim(user, found):
        raise Forbidden("Only an administrator, or the leads of a hub that looks after the school, decide this claim.")
    return found


def author_to_revoke(session: Session, membership_id: int, user: User) -> Membership:
    """An author's membership an administrator may end: :class:`NotFound` or :class:`Forbidden`."""
    found = session.get(Membership, membership_id)
    if found is None:
        raise NotFound("There is no such author.")
    if not permissions.can_revoke_author(user):
        raise Forbidden("Only an administrator can stop an author writing for a school.")
    return found
