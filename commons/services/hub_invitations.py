"""Adding people to a hub by email address: an invitation, answered the same whether or not the
address has an account.

A hub's owners and managers type an address and a role. Someone already in the hub has their
role changed (or leaves, for "remove"). Anyone else is sent an invitation: a pending row listed
on the hub page as "Invited: <the address typed>" and a mail with a link (built from the public
URL by the caller). The invitation is made, listed and mailed alike whether or not the address
has an account, so nothing a hub lead sees tells them who has one. The invitee accepts the
link while signed in with that address (registering first if they have no account); only then
do they become a member and does their name appear. Only a digest of the link's secret is kept.
"""

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from commons.domain.errors import Invalid
from commons.models import Hub, HubInvitation, User, utcnow
from commons.services import permissions, rate_limits
from commons.services.accounts import EMAIL, Mailer, normalise_email
from commons.services.collections import HUB_ROLES, LEAD_ROLES, set_member

INVITATION_LIFETIME = timedelta(days=14)
MAX_TOKEN_CHARS = 100
SUBJECT_INVITATION = "An invitation to join a hub on the School Improvement Commons"
MEMBER_SET = ("Done. If that address is in the hub, its role has changed (or it has left, if you removed it). "
              "If not, we have emailed it an invitation, listed under Members until it is accepted "
              "(choose Remove to withdraw it).")
OTHER_ADDRESS = ("This invitation was sent to another email address. Sign out, then sign in (or register) "
                 "with the address it was sent to, and open the link again.")


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def set_member_by_email(session: Session, hub: Hub, email: str, role: str | None, *, actor: User,
                        mailer: Mailer, link: Callable[[str], str]) -> None:
    """Change the role of the hub member with this address, or invite the address; done by ``actor``.

    ``role`` None removes the member or withdraws the invitation. Every refusal here is about the
    form, the actor's own rights or a member the hub's leads already see, never about whether the
    address has an account, and the caller says ``MEMBER_SET`` either way. Only owners (and
    admins) grant or remove the owner and manager roles; nobody changes their own role.
    ``link`` makes the absolute link of an invitation from its secret.
    """
    email = normalise_email(email)
    if not EMAIL.match(email) or len(email) > 254:
        raise Invalid("Enter an email address like name@school.org.uk.")
    if role is not None and role not in HUB_ROLES:
        raise Invalid("The role must be owner, manager or curator.")
    if email == actor.email:
        raise Invalid("You cannot change your own role in a hub: ask one of its owners.")
    if role in LEAD_ROLES and not permissions.can_grant_lead_roles(actor, hub):
        raise Invalid("Only the hub's owners can make someone an owner or a manager.")
    member = next((m for m in hub.members if normalise_email(m.user.email) == email), None)
    if member is not None:  # already in the hub, so already on the members list the leads see
        if not permissions.can_change_member(actor, hub, member.user_id, member.role, role):
            raise Invalid("Only the hub's owners can change or remove an owner or a manager.")
        set_member(session, hub, member.user, role)
        return
    existing = session.scalar(select(HubInvitation).where(HubInvitation.hub_id == hub.id,
                                                          HubInvitation.email == email))
    if existing is not None and not permissions.can_change_member(actor, hub, None, existing.role, role):
        raise Invalid("Only the hub's owners can change or remove an owner or a manager.")
    if role is None:
        if existing is not None:
            session.delete(existing)
            session.flush()
        return
    if not rate_limits.allow(session, rate_limits.INVITATION, f"user:{actor.id}"):
        raise Invalid(rate_limits.INVITATION.message)
    token = secrets.token_urlsafe(32)
    invitation = existing or HubInvitation(hub_id=hub.id, email=email)
    invitation.role, invitation.token_digest, invitation.invited_by = role, digest(token), actor.id
    invitation.created_at, invitation.expires_at = utcnow(), utcnow() + INVITATION_LIFETIME
    session.add(invitation)
    session.flush()
    mailer.send(session, email, SUBJECT_INVITATION,
                f"{actor.name} has invited you to join {hub.name} as a {role} on the School Improvement Commons.\n"
                f"To accept, open this link within {INVITATION_LIFETIME.days} days and sign in with this email "
                f"address (if you have no account yet, register with this address first):\n{link(token)}\n"
                "If you were not expecting this, ignore this email: nothing changes unless you accept.")


def pending(session: Session, hub: Hub) -> list[HubInvitation]:
    """The hub's invitations not yet accepted, withdrawn or expired, oldest first."""
    return list(session.scalars(select(HubInvitation).where(
        HubInvitation.hub_id == hub.id, HubInvitation.expires_at > utcnow()).order_by(HubInvitation.id)))


def find(session: Session, token: str) -> HubInvitation | None:
    """The invitation whose link carries ``token``, if it is still open."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    invitation = session.scalar(select(HubInvitation).where(HubInvitation.token_digest == digest(token)))
    if invitation is None or _aware(invitation.expires_at) <= utcnow():
        return None
    return invitation


def accept(session: Session, invitation: HubInvitation, user: User) -> Hub:
    """Make ``user`` a member in the invitation's role; only the account with the invited address may."""
    if normalise_email(user.email) != invitation.email:
        raise Invalid(OTHER_ADDRESS)
    hub = invitation.hub
    set_member(session, hub, user, invitation.role)
    session.execute(delete(HubInvitation).where(HubInvitation.id == invitation.id))
    session.flush()
    session.expire(hub, ["members"])
    return hub
