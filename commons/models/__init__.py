"""Database models: schools, case studies, their revisions and passages, the change log."""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LICENCE = "CC-BY-4.0"


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class School(Base):
    """A school's context, keyed by its URN, with GIAS field names noted beside each column."""

    __tablename__ = "schools"

    urn: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))  # EstablishmentName
    establishment_type: Mapped[str] = mapped_column(String(120))  # TypeOfEstablishment (name)
    type_group: Mapped[str | None] = mapped_column(String(120))  # EstablishmentTypeGroup (name)
    phase: Mapped[str] = mapped_column(String(60))  # PhaseOfEducation (name)
    low_age: Mapped[int | None] = mapped_column(Integer)  # StatutoryLowAge
    high_age: Mapped[int | None] = mapped_column(Integer)  # StatutoryHighAge
    region: Mapped[str | None] = mapped_column(String(60))  # GOR (name)
    local_authority: Mapped[str | None] = mapped_column(String(120))  # LA (name)
    town: Mapped[str | None] = mapped_column(String(120))  # Town
    postcode: Mapped[str | None] = mapped_column(String(12))  # Postcode
    urban_rural: Mapped[str | None] = mapped_column(String(120))  # UrbanRural (name)
    pupils: Mapped[int | None] = mapped_column(Integer)  # NumberOfPupils
    fsm_pct: Mapped[float | None] = mapped_column(Float)  # PercentageFSM
    sen_pct: Mapped[float | None] = mapped_column(Float)  # school census, not in GIAS
    eal_pct: Mapped[float | None] = mapped_column(Float)  # school census, not in GIAS
    primary_sen_need: Mapped[str | None] = mapped_column(String(120))  # SEN1 (name)
    trust: Mapped[str | None] = mapped_column(String(200))  # Trusts (name)
    ofsted_rating: Mapped[str | None] = mapped_column(String(60))  # OfstedRating (name), legacy
    ofsted_last_inspection: Mapped[date | None] = mapped_column(Date)  # OfstedLastInsp
    is_fictional: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    case_studies: Mapped[list["CaseStudy"]] = relationship(back_populates="school")


class CaseStudy(Base):
    """A write-up of improvement work; its text lives in revisions, its search data in passages."""

    __tablename__ = "case_studies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    start_year: Mapped[int] = mapped_column(Integer)
    end_year: Mapped[int] = mapped_column(Integer)
    evidence_strength: Mapped[str] = mapped_column(String(40))
    authors: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    licence: Mapped[str] = mapped_column(String(40), default=LICENCE)
    school_snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    open_to: Mapped[list[str]] = mapped_column(JSON, default=list)  # OFFERS the school makes on these topics
    # rows of measure, before, after, period, pupils
    impact_table: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    published_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # why and by whom it was last withdrawn; an admin's unpublishing is not undone by its authors
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_by_admin: Mapped[bool] = mapped_column(Boolean, default=False)

    school: Mapped[School] = relationship(back_populates="case_studies")
    revisions: Mapped[list["Revision"]] = relationship(
        back_populates="case_study", order_by="Revision.number"
    )
    passages: Mapped[list["Passage"]] = relationship(
        back_populates="case_study", order_by="Passage.position"
    )


class Revision(Base):
    """One published version of a case study, kept for ever."""

    __tablename__ = "revisions"
    __table_args__ = (UniqueConstraint("case_study_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    front_matter: Mapped[dict[str, Any]] = mapped_column(JSON)
    sections: Mapped[dict[str, str]] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")  # the author's "what changed"
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # who wrote it (None: imported)

    case_study: Mapped[CaseStudy] = relationship(back_populates="revisions")
    author: Mapped["User | None"] = relationship()


class Passage(Base):
    """A searchable chunk of the current published revision, with its stored embedding.

    Passage ids are the ids in the vector index; they are never reused.
    """

    __tablename__ = "passages"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id"), index=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("revisions.id"))
    section: Mapped[str] = mapped_column(String(60))
    heading: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer)
    markdown: Mapped[str] = mapped_column(Text)
    # the sanitised HTML of ``markdown``, rendered at publish by the renderer of that version
    html: Mapped[str | None] = mapped_column(Text)
    renderer_version: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    embedding: Mapped[bytes] = mapped_column(LargeBinary)
    embedding_model: Mapped[str] = mapped_column(String(200))

    case_study: Mapped[CaseStudy] = relationship(back_populates="passages")


class Change(Base):
    """The ordered change log of searchable content: every index replica applies it in order."""

    __tablename__ = "changes"
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    op: Mapped[str] = mapped_column(String(10))
    passage_id: Mapped[int] = mapped_column(Integer, index=True)
    case_study_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    """Someone with an account. Any user is a reader; roles beyond that come from memberships."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))  # Argon2id
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    my_school: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # what "My school" keeps (see readers)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Stored in each browser session at sign-in; signing out or a new password adds one, ending every copy.
    session_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", foreign_keys="Membership.user_id"
    )


class Membership(Base):
    """A user's claim to write for a school; an admin approves it (then they are a school author)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "school_urn"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"), index=True)
    role_at_school: Mapped[str] = mapped_column(String(120), default="")
    work_email: Mapped[str] = mapped_column(String(254), default="")  # for whoever decides to check
    evidence: Mapped[str] = mapped_column(Text, default="")  # a note they can verify
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, approved, rejected
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])
    school: Mapped[School] = relationship()


class Draft(Base):
    """The working copy of a case study, private to its school's authors until published."""

    __tablename__ = "drafts"
    __table_args__ = ({"sqlite_autoincrement": True},)  # a stale client's id never names someone's new draft

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"), index=True)
    case_study_id: Mapped[int | None] = mapped_column(ForeignKey("case_studies.id"), unique=True)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # DraftStatus: "writing", or "submitted" while it waits for a reviewer with exactly these fields
    status: Mapped[str] = mapped_column(String(20), default="writing", server_default="writing", index=True)
    change_note: Mapped[str] = mapped_column(Text, default="")  # "what changed", kept with the revision
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    school: Mapped[School] = relationship()
    case_study: Mapped[CaseStudy | None] = relationship()


class LoginAttempt(Base):
    """A failed sign-in, by account and by address; shared by every worker through the database."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), index=True)  # "account:<email hash>|client:<ip>", "address:<ip>"…
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class OutboxMessage(Base):
    """Mail the Commons sent (or would have sent, with no mail server configured)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON)  # extra mail headers (List-Unsubscribe…)


class Report(Base):
    """A reader's report of a problem with a case study, for an admin."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # ReportStatus: "open" until an administrator acts on it, then "resolved"
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    case_study: Mapped[CaseStudy] = relationship()


class Hub(Base):
    """An organisation that curates: a Teaching School Hub, trust, research school, local authority."""

    __tablename__ = "hubs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))  # HUB_KINDS
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    members: Mapped[list["HubMember"]] = relationship(back_populates="hub", order_by="HubMember.id")
    collections: Mapped[list["Collection"]] = relationship(back_populates="hub", order_by="Collection.id")


class HubMember(Base):
    """A user's role in a hub: owner, manager (both manage members) or curator."""

    __tablename__ = "hub_members"
    __table_args__ = (UniqueConstraint("hub_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    hub: Mapped[Hub] = relationship(back_populates="members")
    user: Mapped[User] = relationship()


class HubInvitation(Base):
    """An invitation to join a hub in a role, mailed to an address; it becomes a membership when the
    account with that address accepts it (signing in, or registering first, with that address).

    Made the same whether or not the address has an account, so adding a member tells nobody
    who has one. Only a SHA-256 digest of the link's secret is stored.
    """

    __tablename__ = "hub_invitations"
    __table_args__ = (UniqueConstraint("hub_id", "email"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))  # stored lower-cased, as typed
    role: Mapped[str] = mapped_column(String(20))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the link's secret
    invited_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    hub: Mapped[Hub] = relationship()


class Collection(Base):
    """An ordered, annotated set of case studies that a hub curates and publishes."""

    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), index=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft, published
    featured: Mapped[bool] = mapped_column(Boolean, default=False)
    # A smart collection keeps a saved search (the search page's query string) instead of items:
    # its case studies are that search's results now, so it updates itself.
    smart_query: Mapped[str | None] = mapped_column(String(1000))
    smart_limit: Mapped[int] = mapped_column(Integer, default=10)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    hub: Mapped[Hub] = relationship(back_populates="collections")
    items: Mapped[list["CollectionItem"]] = relationship(
        back_populates="collection", order_by="CollectionItem.position", cascade="all, delete-orphan"
    )


class CollectionItem(Base):
    """One case study in a collection, at a position, with the curator's note."""

    __tablename__ = "collection_items"
    __table_args__ = (UniqueConstraint("collection_id", "case_study_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id"), index=True)
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id"))
    position: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    collection: Mapped[Collection] = relationship(back_populates="items")
    case_study: Mapped[CaseStudy] = relationship()


class Follow(Base):
    """Something a signed-in reader follows: a hub, a collection, a school, a topic or a saved search."""

    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("user_id", "kind", "target"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # hub, collection, school, topic, search
    target: Mapped[str] = mapped_column(String(1000))  # slug, URN, topic key, or the search's query string
    label: Mapped[str] = mapped_column(String(300))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # email alerts: off, immediate, daily or weekly (ALERT_FREQUENCIES in services/alerts.py)
    alert: Mapped[str] = mapped_column(String(10), default="off")
    alerted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # the last digest's moment


class AlertEvent(Base):
    """A case study published (or revised), waiting for its immediate email alerts to be sent.

    Written in the publishing transaction, so an alert goes out only for a publish that committed.
    """

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)

    case_study: Mapped[CaseStudy] = relationship()


class ApiToken(Base):
    """A personal API token: acts for its user with at most the user's rights, until revoked.

    Only a SHA-256 digest of the secret is stored; the secret is shown once, when made.
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    digest: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the secret
    prefix: Mapped[str] = mapped_column(String(16))  # the first characters, to recognise it by
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)  # "read", "write", "publish"
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class AuthorQuestion(Base):
    """"Ask the author": a signed-in reader's question to the school that published a case study.

    Delivered through the mailer; neither side's address is shown to the other. The school's
    authors reply (the reply is mailed to the asker) or decline.
    """

    __tablename__ = "author_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_study_id: Mapped[int] = mapped_column(ForeignKey("case_studies.id"), index=True)
    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"), index=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, replied, declined
    reply: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the asker's school context when they asked (phase, pupils, % FSM, setting…), shown to the school
    asker_context: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # the asker agreed that the school may publish the question and its answer on the case study,
    # and whether with their name (anonymous unless they said so)
    share_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    share_name: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)

    case_study: Mapped[CaseStudy] = relationship()
    sender: Mapped[User] = relationship(foreign_keys=[sender_id])


class HubSchool(Base):
    """A school a hub looks after (a trust's academies, a hub's partner schools).

    An admin confirms the link; then the hub's owners and managers approve claims to write for
    the school and review its publishes when moderation is on.
    """

    __tablename__ = "hub_schools"
    __table_args__ = (UniqueConstraint("hub_id", "school_urn"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_id: Mapped[int] = mapped_column(ForeignKey("hubs.id"), index=True)
    school_urn: Mapped[int] = mapped_column(ForeignKey("schools.urn"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, approved, rejected
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    hub: Mapped[Hub] = relationship()
    school: Mapped[School] = relationship()
