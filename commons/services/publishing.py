"""Publishing case studies: revisions, passages with their embeddings, and the change log.

Everything a publish writes (case study, revision, passages, change-log entries) goes into
the caller's transaction, so a publish is all there or not there at all.

Change-log writers are serialised: a change's number must never become visible after a
higher one, or a replica that has read up to the higher number would skip it for ever. On
PostgreSQL numbers come from a sequence at insert time while transactions may commit in any
order, so every transaction that writes changes first takes a transaction-scoped advisory
lock (released at commit or rollback). SQLite allows one writer at a time anyway.

Each passage's Markdown is rendered to sanitised HTML once, at publish, and stored with the
renderer's version; pages show the stored HTML and re-render only what an older renderer made.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session

from commons.domain.case_study_format import ParsedCaseStudy, parse
from commons.domain.errors import ImportProblems
from commons.domain.rendering import RENDERER_VERSION, render_markdown
from commons.domain.statuses import CaseStudyStatus, QuestionStatus
from commons.domain.vocabulary import QUESTIONS_SECTION, SECTIONS
from commons.models import AuthorQuestion, CaseStudy, Change, Passage, Revision, School, User, utcnow
from commons.services.alerts import note_published
from commons.services.schools import snapshot
from indexer import Chunk, Embedder, Section, chunk_document
from indexer.chunking import searchable_text

ProgressCallback = Callable[[int], None]
CHANGE_LOG_LOCK = 0x436F6D6D6F6E73  # "Commons": the advisory lock key of change-log writers


def lock_change_log(session: Session) -> None:
    """Hold the change-log writer lock until this transaction ends (PostgreSQL only)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOG_LOCK})


@dataclass
class PublishResult:
    created: list[str]
    revised: list[str]
    passages: int


def chunks_for(parsed: ParsedCaseStudy) -> list[Chunk]:
    sections = [Section(key, heading, parsed.sections.get(key, "")) for key, heading in SECTIONS]
    return chunk_document(parsed.title, sections)


def check_publishable(
    session: Session, items: Sequence[ParsedCaseStudy], update: bool = False
) -> list[str]:
    """Problems that would stop these case studies being published together."""
    problems: list[str] = []
    urns = {p.school_urn for p in items}
    known = set(session.scalars(select(School.urn).where(School.urn.in_(urns))))
    existing = set(session.scalars(select(CaseStudy.slug).where(CaseStudy.slug.in_([p.slug for p in items]))))
    first_use: dict[str, str] = {}
    for parsed in items:
        urn_line = parsed.field_lines.get("school_urn", 1)
        if parsed.school_urn not in known:
            problems.append(
                f"{parsed.path}, line {urn_line}, school_urn: no school with URN {parsed.school_urn}; "
                "check the URN, or add the school first with `commons schools import FILE.csv`"
            )
        slug_line = parsed.field_lines.get("slug", 1)
        if parsed.slug in first_use:
            problems.append(
                f"{parsed.path}, line {slug_line}, slug: '{parsed.slug}' is also used by "
                f"{first_use[parsed.slug]}; give one of them another file name or slug"
            )
        else:
            first_use[parsed.slug] = parsed.path
        if parsed.slug in existing and not update:
            problems.append(
                f"{parsed.path}, line {slug_line}, slug: a case study '{parsed.slug}' is already in "
                "the Commons; to publish this file as its new revision run `commons import --update`"
            )
    return problems


def publish_all(
    session: Session,
    items: Sequence[ParsedCaseStudy],
    embedder: Embedder,
    update: bool = False,
    batch_size: int = 32,
    progress: ProgressCallback | None = None,
) -> PublishResult:
    """Publish parsed case studies in the caller's transaction; raises ImportProblems."""
    problems = check_publishable(session, items, update)
    if problems:
        raise ImportProblems(problems)
    chunked = [(parsed, chunks_for(parsed)) for parsed in items]
    texts = [chunk.embed_text for _, chunks in chunked for chunk in chunks]
    vectors = embedder.encode(texts, batch_size=batch_size, progress=progress is not None) if texts else None

    created: list[str] = []
    revised: list[str] = []
    row = 0
    published_ids: list[int] = []
    for parsed, chunks in chunked:
        case_study = session.scalar(select(CaseStudy).where(CaseStudy.slug == parsed.slug))
        if case_study is None:
            case_study = CaseStudy(slug=parsed.slug, created_at=utcnow())
            created.append(parsed.slug)
        else:
            revised.append(parsed.slug)
        _fill(session, case_study, parsed)
        session.add(case_study)
        session.flush()
        revision = Revision(
            case_study_id=case_study.id,
            number=_next_revision_number(session, case_study.id),
            title=parsed.title,
            summary=parsed.summary,
            front_matter=parsed.front_matter,
            sections=parsed.sections,
            source=parsed.source,
        )
        session.add(revision)
        session.flush()
        _remove_passages(session, case_study.id)
        passages = []
        for chunk in chunks:
            assert vectors is not None
            passages.append(
                Passage(
                    case_study_id=case_study.id,
                    revision_id=revision.id,
                    section=chunk.section,
                    heading=chunk.heading,
                    position=chunk.position,
                    markdown=chunk.markdown,
                    html=str(render_markdown(chunk.markdown)),  # rendered once, here, not on every view
                    renderer_version=RENDERER_VERSION,
                    text=chunk.text,
                    embedding=vectors[row].tobytes(),
                    embedding_model=embedder.name,
                )
            )
            row += 1
        passages += answer_passages(session, case_study, revision.id, embedder)  # they stay searchable
        session.add_all(passages)
        session.flush()
        lock_change_log(session)
        session.add_all(
            Change(op="add", passage_id=p.id, case_study_id=case_study.id) for p in passages
        )
        published_ids.append(case_study.id)
        if progress is not None:
            progress(1)
    note_published(session, published_ids)  # its followers' email alerts, sent once this commits
    session.flush()
    return PublishResult(created=created, revised=revised, passages=len(texts))


def _fill(session: Session, case_study: CaseStudy, parsed: ParsedCaseStudy) -> None:
    school = session.get(School, parsed.school_urn)
    assert school is not None
    case_study.school_urn = parsed.school_urn
    case_study.title = parsed.title
    case_study.summary = parsed.summary
    case_study.topics = parsed.topics
    case_study.start_year = parsed.start_year
    case_study.end_year = parsed.end_year
    case_study.evidence_strength = parsed.evidence_strength
    case_study.authors = parsed.authors
    case_study.open_to = parsed.open_to
    case_study.impact_table = parsed.impact_table
    case_study.status = CaseStudyStatus.PUBLISHED
    case_study.published_on = parsed.published or utcnow().date()
    case_study.school_snapshot = snapshot(school)
    case_study.updated_at = utcnow()


def _next_revision_number(session: Session, case_study_id: int) -> int:
    current = session.scalar(
        select(func.coalesce(func.max(Revision.number), 0)).where(Revision.case_study_id == case_study_id)
    )
    return int(current or 0) + 1


def _remove_passages(session: Session, case_study_id: int) -> None:
    old_ids = list(session.scalars(select(Passage.id).where(Passage.case_study_id == case_study_id)))
    if not old_ids:
        return
    lock_change_log(session)
    session.add_all(Change(op="remove", passage_id=pid, case_study_id=case_study_id) for pid in old_ids)
    session.execute(delete(Passage).where(Passage.id.in_(old_ids)))


QUESTIONS_HEADING = "Questions readers asked"  # one passage per published question; its position is the id


def published_answers(session: Session, case_study_id: int, limit: int = 50) -> list[AuthorQuestion]:
    """The questions and answers shown on a case study, oldest first: replied, agreed to and published."""
    return list(session.scalars(select(AuthorQuestion).where(
        AuthorQuestion.case_study_id == case_study_id, AuthorQuestion.published_at.is_not(None),
        AuthorQuestion.status == QuestionStatus.REPLIED, AuthorQuestion.share_consent.is_(True))
        .order_by(AuthorQuestion.published_at, AuthorQuestion.id).limit(limit)))


def _answer_text(question: AuthorQuestion) -> str:
    asked, answered = " ".join(question.body.split()), " ".join(question.reply.split())
    return f"A reader asked: {asked}\n\nThe school answered: {answered}"


def answer_passages(session: Session, case_study: CaseStudy, revision_id: int, embedder: Embedder,
                    only: AuthorQuestion | None = None) -> list[Passage]:
    """Passages (not yet added) for the case study's published questions and answers, or for ``only``."""
    answered = [only] if only is not None else published_answers(session, case_study.id)
    if not answered:
        return []
    texts = [_answer_text(q) for q in answered]
    vectors = embedder.encode([searchable_text(case_study.title, QUESTIONS_HEADING, t) for t in texts])
    return [Passage(case_study_id=case_study.id, revision_id=revision_id, section=QUESTIONS_SECTION,
                    heading=QUESTIONS_HEADING, position=q.id, markdown=t, html=str(render_markdown(t)),
                    renderer_version=RENDERER_VERSION, text=t, embedding=v.tobytes(), embedding_model=embedder.name)
            for q, t, v in zip(answered, texts, vectors, strict=True)]


def index_answer(session: Session, question: AuthorQuestion, embedder: Embedder) -> None:
    """Make a question just published on its case study searchable with it (in the caller's transaction)."""
    unindex_answer(session, question)
    case_study = question.case_study
    revision_id = session.scalar(select(func.max(Revision.id)).where(Revision.case_study_id == case_study.id))
    if case_study.status != CaseStudyStatus.PUBLISHED or revision_id is None:
        return
    passages = answer_passages(session, case_study, revision_id, embedder, only=question)
    session.add_all(passages)
    session.flush()
    lock_change_log(session)
    session.add_all(Change(op="add", passage_id=p.id, case_study_id=case_study.id) for p in passages)
    session.flush()


def unindex_answer(session: Session, question: AuthorQuestion) -> None:
    """Take a question no longer shown on its case study out of search."""
    found = list(session.scalars(select(Passage.id).where(
        Passage.case_study_id == question.case_study_id, Passage.section == QUESTIONS_SECTION,
        Passage.position == question.id)))
    if found:
        lock_change_log(session)
        session.add_all(Change(op="remove", passage_id=pid, case_study_id=question.case_study_id) for pid in found)
        session.execute(delete(Passage).where(Passage.id.in_(found)))
        session.flush()


def passages_html(passages: Sequence[Passage]) -> tuple[dict[int, Markup], dict[int, str]]:
    """The stored, sanitised HTML of each passage, by id; and what had to be rendered now.

    A passage published by another renderer version (or before HTML was stored) is rendered
    here; the second mapping holds those, for ``store_passages_html`` to keep.
    """
    shown: dict[int, Markup] = {}
    fresh: dict[int, str] = {}
    for passage in passages:
        if passage.html is not None and passage.renderer_version == RENDERER_VERSION:
            shown[passage.id] = Markup(passage.html)  # nosec B704 - sanitised by render_markdown when stored
        else:
            shown[passage.id] = render_markdown(passage.markdown)
            fresh[passage.id] = str(shown[passage.id])
    return shown, fresh


def store_passages_html(session: Session, fresh: dict[int, str]) -> None:
    """Keep HTML rendered on a view, so the next view does not render it again (in the caller's transaction)."""
    for passage_id, html in fresh.items():
        session.execute(update(Passage).where(Passage.id == passage_id)
                        .values(html=html, renderer_version=RENDERER_VERSION))


MAX_WITHDRAW_REASON = 2000


def withdraw(session: Session, case_study: CaseStudy, *, reason: str = "", by: User | None = None,
             by_admin: bool = False) -> None:
    """Take a case study out of search; its revisions stay for the record.

    ``reason`` and ``by`` are kept with it; ``by_admin`` marks an administrator's unpublishing,
    which its authors cannot undo (``republish_refusal``).
    """
    case_study.status = CaseStudyStatus.WITHDRAWN
    case_study.updated_at = utcnow()
    case_study.withdrawn_reason = " ".join(reason.split())[:MAX_WITHDRAW_REASON]
    case_study.withdrawn_at = utcnow()
    case_study.withdrawn_by = by.id if by is not None else None
    case_study.withdrawn_by_admin = by_admin
    _remove_passages(session, case_study.id)
    session.flush()


UNPUBLISHED_BY_ADMIN = ("An administrator unpublished this case study, so only an administrator can publish it "
                        "again. Reply to their email, or report it, to ask them to look again.")


def republish_refusal(case_study: CaseStudy, user: User) -> str | None:
    """Why ``user`` may not republish this withdrawn case study, or None (the caller has checked
    that they are one of the school's authors or an admin)."""
    if case_study.status != CaseStudyStatus.WITHDRAWN:
        return "This case study is published already."
    if case_study.withdrawn_by_admin and not user.is_admin:
        return UNPUBLISHED_BY_ADMIN
    return None


def republish(session: Session, case_study: CaseStudy, embedder: Embedder, user: User, note: str = "") -> Revision:
    """Publish a withdrawn case study again, as a new revision of its latest text; raises ValueError
    with ``republish_refusal``'s reason."""
    refusal = republish_refusal(case_study, user)
    if refusal:
        raise ValueError(refusal)
    latest = case_study.revisions[-1]
    parsed = parse(latest.source, path=case_study.slug, default_slug=case_study.slug)
    publish_all(session, [parsed], embedder, update=True)
    case_study.withdrawn_reason = ""
    case_study.withdrawn_at = None
    case_study.withdrawn_by = None
    case_study.withdrawn_by_admin = False
    session.refresh(case_study, ["revisions"])
    revision = case_study.revisions[-1]
    revision.note = clean_note(note) or "Published again after it was withdrawn."
    revision.author_id = user.id
    session.flush()
    return revision


MAX_CHANGE_NOTE = 1000


def clean_note(note: str) -> str:
    """A revision's "what changed" note: one paragraph, at most MAX_CHANGE_NOTE characters."""
    return " ".join((note or "").split())[:MAX_CHANGE_NOTE]


def record_revision(session: Session, case_study: CaseStudy, author_id: int | None, note: str) -> None:
    """Keep who wrote the newest revision and what they said changed."""
    session.flush()
    session.refresh(case_study, ["revisions"])
    if case_study.revisions:
        revision = case_study.revisions[-1]
        revision.note = clean_note(note)
        revision.author_id = author_id
        session.flush()
