""""Ask the author": a signed-in reader's question to the school that published a case study.

A question goes by mail (through the Mailer, so it waits in the outbox when no mail server is
configured) to every approved author of the school; an author replies or declines on the
Commons, and the answer is mailed to the asker. Neither side's email address is ever put in
front of the other: mail names the asker (and their school, if they set "my school") and the
school, and links back to the Commons.

Limits, counted in the database so every worker shares them:

- a question is 20 to 2,000 characters (after trimming);
- at most ``MAX_PER_WINDOW`` (5) questions per sender in any 24 hours;
- one open question per sender per case study (ask again once it is answered or declined).
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from commons.domain.comparability import SchoolContext
from commons.domain.errors import CommonsError, Conflict, Invalid, TooMany
from commons.domain.statuses import CaseStudyStatus, ClaimStatus, QuestionStatus
from commons.models import AuthorQuestion, CaseStudy, Membership, User, utcnow
from commons.services import permissions, publishing, readers
from commons.services.accounts import Mailer
from commons.services.schools import reader_line
from indexer.types import Embedder

MIN_BODY = 20
MAX_BODY = 2000
MAX_REPLY = 5000
MAX_REASON = 500
WINDOW = timedelta(hours=24)
MAX_PER_WINDOW = 5


def _aware(moment: datetime) -> datetime:
    """The moment in UTC, whether the database gave it back with a zone or not."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _wait(delta: timedelta) -> str:
    minutes = max(1, int(delta.total_seconds() // 60) + 1)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = (minutes + 59) // 60
    return f"{hours} hour{'s' if hours != 1 else ''}"


def authors_of(session: Session, school_urn: int) -> list[User]:
    """The school's approved authors: the people a question to the school reaches."""
    return list(session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.school_urn == school_urn, Membership.status == ClaimStatus.APPROVED)
        .order_by(User.id)
    ))


def has_authors(session: Session, school_urn: int) -> bool:
    return session.scalar(select(Membership.id).where(
        Membership.school_urn == school_urn, Membership.status == ClaimStatus.APPROVED).limit(1)) is not None


def open_question(session: Session, sender: User, case_study: CaseStudy) -> AuthorQuestion | None:
    return session.scalar(select(AuthorQuestion).where(
        AuthorQuestion.sender_id == sender.id, AuthorQuestion.case_study_id == case_study.id,
        AuthorQuestion.status == QuestionStatus.OPEN))


def refusal(session: Session, sender: User, case_study: CaseStudy) -> CommonsError | None:
    """Why ``sender`` may not ask about ``case_study`` now, or None when they may."""
    school = case_study.school.name
    if case_study.status != CaseStudyStatus.PUBLISHED:
        return Invalid("You can only ask about a published case study.")
    if case_study.school_urn in permissions.authored_schools(sender):
        return Invalid(f"You write for {school}: questions readers send about its case studies "
                               "arrive in your Questions inbox.")
    if not has_authors(session, case_study.school_urn):
        return Invalid(f"Nobody from {school} writes on the Commons yet, so there is no one to read a "
                               "question. You could contact the school directly.")
    waiting = open_question(session, sender, case_study)
    if waiting is not None:
        return TooMany(f"You asked {school} about this case study on {waiting.created_at:%d %B %Y} and they "
                           "have not answered yet. You can ask again once they reply or decline; your question "
                           "is on “Your questions”.")
    since = utcnow() - WINDOW
    recent = list(session.scalars(
        select(AuthorQuestion.created_at).where(AuthorQuestion.sender_id == sender.id,
                                                AuthorQuestion.created_at >= since)
        .order_by(AuthorQuestion.created_at)))
    if len(recent) >= MAX_PER_WINDOW:
        free_at = _aware(recent[len(recent) - MAX_PER_WINDOW]) + WINDOW
        return TooMany(f"You have asked {MAX_PER_WINDOW} questions in the last 24 hours, the most we allow, "
                           f"so that schools are not swamped. You can ask again in about {_wait(free_at - utcnow())}.")
    return None


def clean_body(body: str) -> str:
    text = body.replace("\r\n", "\n").strip()
    if not text:
        raise Invalid("Write your question.")
    if len(text) < MIN_BODY:
        raise Invalid(f"Write a little more: at least {MIN_BODY} characters, so the school knows what "
                              f"you are asking (you wrote {len(text)}).")
    if len(text) > MAX_BODY:
        raise Invalid(f"Keep it to {MAX_BODY:,} characters (you wrote {len(text):,}); the school can "
                              "tell you more in its reply.")
    return text


def asker_label(session: Session, sender: User) -> str:
    """How the school sees the asker: their name, and their school if they set "my school"
    (a school described by hand by what was said of it: "from a rural primary school of 180 pupils")."""
    name = sender.name.strip()
    if not name or "@" in name:
        name = "A reader"  # never let a name carry an email address to the other side
    school = readers.reader_context(session, sender.my_school)
    if school is not None and school.urn is None:
        described = readers.described_name(school)
        return f"{name}, from {described[0].lower()}{described[1:]}"
    if school is not None and school.name:
        return f"{name}, {school.name}"
    return name


def context_line(question: AuthorQuestion) -> str | None:
    """The asker's school context when they asked, in one line ("primary · 180 pupils · FSM 38% · rural")."""
    if not question.asker_context:
        return None
    try:
        return reader_line(SchoolContext.from_dict(question.asker_context))
    except TypeError:
        return None


def ask(session: Session, mailer: Mailer, sender: User, case_study: CaseStudy, body: str,
        answer_link: Callable[[AuthorQuestion], str], share: bool = False, share_name: bool = False) -> AuthorQuestion:
    """Record a question and mail it to every approved author of the school, with the asker's school
    context (phase, size, FSM, setting) so the answer can fit their school.

    ``share``: the asker agrees the school may publish the question and its answer on the case
    study; ``share_name``: with their name (anonymous otherwise).
    Raises Invalid (bad text, not published, nobody to read it) or TooMany.
    """
    text = clean_body(body)
    # Hold the sender's row while counting, so two requests at once cannot both slip under a limit
    # (PostgreSQL; SQLite writes one at a time anyway).
    session.execute(select(User.id).where(User.id == sender.id).with_for_update())
    problem = refusal(session, sender, case_study)
    if problem is not None:
        raise problem
    context = readers.reader_context(session, sender.my_school)
    question = AuthorQuestion(case_study_id=case_study.id, school_urn=case_study.school_urn,
                              sender_id=sender.id, body=text, status=QuestionStatus.OPEN, reply="",
                              asker_context=context.to_dict() if context is not None else None,
                              share_consent=bool(share), share_name=bool(share and share_name))
    session.add(question)
    session.flush()
    who = asker_label(session, sender)
    link = answer_link(question)
    their_school = context_line(question)
    about = f"Their school: {their_school}.\n\n" if their_school else ""
    sharing = ("They agree that you may publish the question and your answer on the case study"
               f"{' with their name' if question.share_name else ', without their name'}, for other readers.\n\n"
               if question.share_consent else "")
    for author in authors_of(session, case_study.school_urn):
        mailer.send(session, author.email, f"A question about “{_short(case_study.title)}”",
                    f"{who} asked {case_study.school.name} a question about its case study "
                    f"“{case_study.title}” on the School Improvement Commons:\n\n{text}\n\n{about}{sharing}"
                    f"Reply or decline on the Commons: {link}\n\n"
                    "Your reply is emailed to them from the Commons. Neither of you sees the other's email "
                    "address, so replying to this email will not reach them.")
    return question


def can_answer(user: User | None, question: AuthorQuestion) -> bool:
    """The school's approved authors and admins see and answer its questions; nobody else."""
    return permissions.is_author(user, question.school_urn)


def _answerable(user: User, question: AuthorQuestion) -> None:
    if not can_answer(user, question):
        raise PermissionError("not an author of this school")
    if question.status != QuestionStatus.OPEN:
        verb = "replied to" if question.status == QuestionStatus.REPLIED else "declined"
        when = f" on {question.answered_at:%d %B %Y}" if question.answered_at else ""
        raise Conflict(f"This question was already {verb}{when}, so nothing more was sent.")


def _signature(session: Session, author: User, question: AuthorQuestion) -> str:
    role = session.scalar(select(Membership.role_at_school).where(
        Membership.user_id == author.id, Membership.school_urn == question.school_urn,
        Membership.status == ClaimStatus.APPROVED))
    school = question.case_study.school.name
    name = author.name.strip() if author.name.strip() and "@" not in author.name else "An author"
    if role:
        return f"{name} ({role}, {school})"
    return f"{name}, for {school}"


def reply(session: Session, mailer: Mailer, author: User, question: AuthorQuestion, text: str,
          link: str) -> None:
    """Answer an open question; the reply is mailed to the asker and shown on their page."""
    _answerable(author, question)
    answer = text.replace("\r\n", "\n").strip()
    if not answer:
        raise Invalid("Write your reply.")
    if len(answer) > MAX_REPLY:
        raise Invalid(f"Keep the reply to {MAX_REPLY:,} characters (you wrote {len(answer):,}).")
    question.status, question.reply = QuestionStatus.REPLIED, answer
    question.answered_by, question.answered_at = author.id, utcnow()
    title, school = question.case_study.title, question.case_study.school.name
    mailer.send(session, question.sender.email, f"{_short(school)} replied to your question",
                f"{_signature(session, author, question)} replied to your question about “{title}”:\n\n"
                f"{answer}\n\nYou asked:\n\n{question.body}\n\n"
                f"See it on the Commons: {link}\n\n"
                "To keep everyone's address private, replying to this email will not reach the school.")
    session.flush()


def decline(session: Session, mailer: Mailer, author: User, question: AuthorQuestion, reason: str,
            link: str) -> None:
    """Decline an open question, with an optional short reason; the asker is told politely."""
    _answerable(author, question)
    why = reason.replace("\r\n", "\n").strip()
    if len(why) > MAX_REASON:
        raise Invalid(f"Keep the reason to {MAX_REASON} characters (you wrote {len(why)}).")
    question.status, question.reply = QuestionStatus.DECLINED, why
    question.answered_by, question.answered_at = author.id, utcnow()
    title, school = question.case_study.title, question.case_study.school.name
    because = f"They said:\n\n{why}\n\n" if why else ""
    mailer.send(session, question.sender.email, f"About your question to {_short(school)}",
                f"Thank you for your question about “{title}”. {school} is not able to answer it on the "
                f"Commons this time.\n\n{because}You asked:\n\n{question.body}\n\n"
                f"Your questions: {link}\n\n"
                "You are welcome to ask about their other case studies, or to look for schools like yours "
                "that did similar work.")
    session.flush()


def publish_answer(session: Session, author: User, question: AuthorQuestion, embedder: Embedder,
                   publish: bool = True) -> None:
    """Show (or stop showing) an answered question on its case study, where readers find it,
    and in search with the case study.

    Only the school's authors (and admins), only a replied question, and only when the asker agreed.
    """
    if not can_answer(author, question):
        raise PermissionError("not an author of this school")
    if publish:
        if question.status != QuestionStatus.REPLIED:
            raise Conflict("Only a question the school has answered can be published.")
        if not question.share_consent:
            raise Invalid("The asker did not agree to this question being published, so it stays private.")
        if question.case_study.status != CaseStudyStatus.PUBLISHED:
            raise Invalid("The case study is not published, so there is nowhere to show it.")
        question.published_at = question.published_at or utcnow()
        session.flush()
        publishing.index_answer(session, question, embedder)
    else:
        question.published_at = None
        session.flush()
        publishing.unindex_answer(session, question)


def published_answers(session: Session, case_study: CaseStudy) -> list[AuthorQuestion]:
    """The questions and answers shown on a case study, oldest first (at most 50)."""
    return publishing.published_answers(session, case_study.id)


def public_asker(session: Session, question: AuthorQuestion) -> str:
    """Who asked, as readers of the case study see it: anonymous unless the asker chose their name."""
    line = context_line(question)
    if question.share_name:
        name = question.sender.name.strip()
        if name and "@" not in name:
            return f"{name}" + (f" ({line})" if line else "")
    return "A reader" + (f" from a school like this: {line}" if line else "")


def inbox(session: Session, user: User) -> list[AuthorQuestion]:
    """The questions to the user's schools (all of them for an admin): open first, oldest first;
    then answered ones, most recent first."""
    query = select(AuthorQuestion)
    if not user.is_admin:
        query = query.where(AuthorQuestion.school_urn.in_(permissions.authored_schools(user)))
    questions = list(session.scalars(query.order_by(
        case((AuthorQuestion.status == QuestionStatus.OPEN, 0), else_=1), AuthorQuestion.created_at)))
    waiting = [q for q in questions if q.status == QuestionStatus.OPEN]
    done = sorted((q for q in questions if q.status != QuestionStatus.OPEN),
                  key=lambda q: _aware(q.answered_at or q.created_at), reverse=True)
    return waiting + done


def open_count(session: Session, user: User) -> int:
    query = select(func.count()).select_from(AuthorQuestion).where(AuthorQuestion.status == QuestionStatus.OPEN)
    if not user.is_admin:
        query = query.where(AuthorQuestion.school_urn.in_(permissions.authored_schools(user)))
    return int(session.scalar(query) or 0)


def asked_by(session: Session, user: User) -> list[AuthorQuestion]:
    """The user's own questions, newest first."""
    return list(session.scalars(select(AuthorQuestion).where(AuthorQuestion.sender_id == user.id)
                                .order_by(AuthorQuestion.created_at.desc(), AuthorQuestion.id.desc())))


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
