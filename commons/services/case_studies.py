"""The use cases every surface shares about case studies and drafts: loading a case study by its slug
for what someone means to do with it, the drafts of the schools someone writes for, publishing
or sending a draft for review, and reporting a case study.

The web pages, the JSON API and the command line call these; none of them re-implements one.
Each refusal is a domain error (``commons.domain.errors``) with its code and HTTP status, and each
surface renders it its own way, in one place.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commons.domain.errors import Conflict, Forbidden, Gone, Invalid, NotFound
from commons.domain.privacy import PrivacyWarning
from commons.domain.statuses import CaseStudyStatus, ReportStatus
from commons.models import CaseStudy, Collection, Draft, Report, School, User
from commons.services import authoring, collections, permissions, rate_limits, revisions
from indexer import Embedder

Purpose = Literal["read", "report", "ask", "history", "edit", "withdraw"]
PURPOSES: tuple[Purpose, ...] = ("read", "report", "ask", "history", "edit", "withdraw")
MAX_REPORT = 2000
REPORT_NEEDS_REASON = "Say what the problem is, so an administrator can act on it."


class Withdrawn(Gone):
    """A case study its school (or an administrator) withdrew: readers see its tombstone, which names it."""

    code = "withdrawn"

    def __init__(self, case_study: CaseStudy) -> None:
        super().__init__(f"{case_study.slug!r} was withdrawn by its school")
        self.case_study = case_study


def visible(session: Session, slug: str, user: User | None, purpose: Purpose = "read") -> CaseStudy:
    """The case study called ``slug``, when ``user`` may see it and do ``purpose`` with it.

    - not there, or not visible to this user (a case study not yet published, to all but its
      school's authors): :class:`NotFound`;
    - ``read``: a withdrawn one is :class:`Withdrawn` (410: its page is a tombstone);
    - ``report``: any visible one, withdrawn included;
    - ``ask``: a published one only (:class:`NotFound` otherwise: there is nobody to ask);
    - ``history``: anyone, when it is published; its school's authors and admins otherwise (:class:`Forbidden`);
    - ``edit`` and ``withdraw``: its school's authors and admins (:class:`Forbidden`); a case study
      is revised only while published (:class:`Conflict`).
    """
    if purpose not in PURPOSES:
        raise ValueError(f"unknown purpose {purpose!r}")
    found = session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
    if found is None or not permissions.can_on_case_study(user, "view", found):
        raise NotFound(f"There is no published case study called “{slug}”.")
    if purpose == "read" and found.status == CaseStudyStatus.WITHDRAWN:
        raise Withdrawn(found)
    if purpose == "ask" and found.status != CaseStudyStatus.PUBLISHED:
        raise NotFound(f"There is no published case study called “{slug}”.")
    if purpose == "history" and not permissions.can_on_case_study(user, "history", found):
        raise Forbidden(f"Only the authors of {found.school.name} see the history of a case study that is no "
                        "longer published.")
    if purpose in ("edit", "withdraw") and not permissions.can_on_case_study(user, purpose, found):
        raise Forbidden(f"You do not write for {found.school.name}, so cannot revise {slug!r}.",
                        code="not_your_school")
    if purpose == "edit" and found.status != CaseStudyStatus.PUBLISHED:
        raise Conflict(f"{slug!r} is {found.status}; only a published case study can be revised.",
                       code="not_published")
    return found


DRAFT_GONE = ("This draft is not here any more: once a draft is published it becomes the case study (find it, and "
              "write a new revision, under “Your case studies”), or it was discarded.")
MAX_ID = 2**31 - 1


def draft(session: Session, draft_id: int, user: User | None, action: str = "edit") -> Draft:
    """The draft ``draft_id``, when ``user`` writes for its school; another school's draft is
    :class:`NotFound`, as if it did not exist."""
    found = session.get(Draft, draft_id) if 1 <= draft_id <= MAX_ID else None
    if found is None or user is None or not permissions.can_on_draft(user, action, found):
        raise NotFound(DRAFT_GONE)
    return found


def start_draft(session: Session, user: User, school_urn: int | None) -> Draft:
    """A new, empty draft for ``school_urn``: :class:`Forbidden` (``not_your_school``) unless ``user`` writes for it."""
    urn = school_urn or 0
    if not 1 <= urn <= MAX_ID or session.get(School, urn) is None or not permissions.is_author(user, urn):
        raise Forbidden(f"You do not write for a school with URN {urn}; claim it under 'Write for another school' "
                        "first.", code="not_your_school")
    return authoring.new_draft(session, user, urn)


LEFT_REVIEW_QUEUE = ("Its authors changed this draft after sending it, so it left the review queue; it comes back "
                     "when they send it again. Nothing was published.")


def draft_to_review(session: Session, draft_id: int, user: User) -> Draft:
    """A draft ``user`` may approve or return (see ``permissions.can_review``). Any other is :class:`NotFound`,
    except, for a lead of a hub that looks after its school, one its authors changed since sending it:
    :class:`Conflict` (``left_review_queue``), as the lead may have seen it waiting."""
    found = session.get(Draft, draft_id) if 1 <= draft_id <= MAX_ID else None
    if found is None:
        raise NotFound(DRAFT_GONE)
    if not permissions.can_review(user, found):
        if found.updated_by != user.id and found.school_urn in permissions.led_schools(user):
            raise Conflict(LEFT_REVIEW_QUEUE, code="left_review_queue")
        raise NotFound(DRAFT_GONE)
    return found


@dataclass(frozen=True)
class WritingFor:
    """The schools someone writes for, and their case studies (every status), most recently changed first."""

    schools: Sequence[School]
    case_studies: Sequence[CaseStudy]


def writing_for(session: Session, user: User) -> WritingFor:
    urns = sorted(permissions.authored_schools(user))
    if not urns:
        return WritingFor([], [])
    return WritingFor(list(session.scalars(select(School).where(School.urn.in_(urns)))),
                      list(session.scalars(select(CaseStudy).where(CaseStudy.school_urn.in_(urns))
                                           .order_by(CaseStudy.updated_at.desc()))))


def collect(session: Session, collection: Collection, slug: str, user: User,
            note: str = "") -> tuple[CaseStudy, bool]:
    """Add the case study ``slug`` (as ``user`` sees it) to a hand-picked collection; the case study, and whether
    the collection held it already. :class:`Invalid` when there is no such case study, or it is not published."""
    try:
        case_study = visible(session, slug, user, "report")
    except NotFound:
        raise Invalid("There is no such case study.") from None
    already = collections.holds(collection, case_study)
    collections.add_item(session, collection, case_study, note)
    return case_study, already


@dataclass(frozen=True)
class Drafts:
    """A page of drafts, most recently changed first, and how many there are in all."""

    total: int
    items: Sequence[Draft]


def drafts_for(session: Session, user: User, *, school: int | None = None, every_school: bool = False,
               offset: int = 0, limit: int | None = None) -> Drafts:
    """The drafts of the schools ``user`` writes for (of every school, for an admin when ``every_school``),
    of one ``school`` when given; most recently changed first."""
    selected = select(Draft)
    if not (every_school and user.is_admin):
        selected = selected.where(Draft.school_urn.in_(sorted(permissions.authored_schools(user)) or [-1]))
    if school is not None:
        selected = selected.where(Draft.school_urn == school)
    total = session.scalar(select(func.count()).select_from(selected.subquery())) or 0
    page = selected.order_by(Draft.updated_at.desc(), Draft.id.desc()).offset(offset)
    return Drafts(total, list(session.scalars(page.limit(limit) if limit is not None else page)))


def open_for_revision(session: Session, user: User, slug: str) -> tuple[Draft, bool]:
    """The working copy of the published case study ``slug`` (made now, or the one already open), and
    whether it was made now; refused as :func:`visible` refuses ``edit``."""
    case_study = visible(session, slug, user, "edit")
    existing = session.scalar(select(Draft.id).where(Draft.case_study_id == case_study.id))
    return authoring.draft_for_edit(session, user, case_study), existing is None


@dataclass(frozen=True)
class Publishing:
    """What publishing a draft came to: published (``case_study``), sent for review (``submitted``), or
    neither, because the privacy check found what ``warnings`` list and nobody confirmed it."""

    case_study: CaseStudy | None = None
    submitted: bool = False
    warnings: list[PrivacyWarning] = field(default_factory=list)


def publish_or_submit(session: Session, draft: Draft, user: User, embedder: Embedder, *, confirm_privacy: bool,
                      moderated: bool) -> Publishing:
    """Publish ``draft`` as ``user`` (or, when ``moderated`` and not an admin, send it for review).

    Refused with :class:`Conflict` (``not_published``) when the user may not publish it at all, and
    with :class:`Invalid` (``cannot_publish``, by editor field) when it is not ready; the privacy
    check's warnings are answered, not refused, until the user confirms them.
    """
    refusal = authoring.publish_refusal(draft, user)
    if refusal:
        raise Conflict(refusal, code="not_published")
    warnings = authoring.privacy_warnings(draft.fields)
    if warnings and not confirm_privacy:
        return Publishing(warnings=warnings)
    if moderated and not user.is_admin:
        authoring.send_for_review(draft)
        return Publishing(submitted=True)
    return Publishing(case_study=revisions.publish_draft(session, draft, embedder, user))


def report(session: Session, case_study: CaseStudy, reason: str, reporter: User | None, client: str) -> Report:
    """Report a problem with a case study to the administrators: ``Invalid`` without a reason,
    ``TooMany`` when this reader (``client``: their account, or address) has reported too often."""
    reason = reason.strip()[:MAX_REPORT]
    if not reason:
        raise Invalid(REPORT_NEEDS_REASON, errors={"reason": REPORT_NEEDS_REASON})
    rate_limits.count(session, rate_limits.REPORT, client)
    made = Report(case_study_id=case_study.id, reason=reason, reporter_id=reporter.id if reporter else None)
    session.add(made)
    return made


def resolve_reports(session: Session, case_study: CaseStudy) -> None:
    """Every open report of ``case_study`` is resolved (an administrator acted on it)."""
    for open_report in session.scalars(select(Report).where(Report.case_study_id == case_study.id,
                                                            Report.status == ReportStatus.OPEN)):
        open_report.status = ReportStatus.RESOLVED


def open_reports(session: Session) -> list[Report]:
    """The reports waiting for an administrator, oldest first."""
    return list(session.scalars(select(Report).where(Report.status == ReportStatus.OPEN).order_by(Report.created_at)))
