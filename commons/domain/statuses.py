"""Every status a stored thing can be in, named once.

Each is a StrEnum whose values are the strings the database holds, so a status compares equal to
its stored string and no data changes when code uses the name instead of the bare string. The
models keep plain string defaults (they may not import the domain): the values there are these.
"""

from enum import StrEnum


class CaseStudyStatus(StrEnum):
    """Whether readers see a case study: withdrawn ones leave a tombstone page."""

    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class ClaimStatus(StrEnum):
    """A claim to write for a school (a membership), and a hub's request to look after a school.

    An approved author an administrator stops writing for the school goes back to rejected."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class DraftStatus(StrEnum):
    """Whether a draft is being written, or waits for a reviewer (moderation) with exactly its text."""

    WRITING = "writing"
    SUBMITTED = "submitted"


class CollectionStatus(StrEnum):
    """A hub's collection: a draft only its members see, or published for anyone."""

    DRAFT = "draft"
    PUBLISHED = "published"


class ReportStatus(StrEnum):
    """A reader's report of a problem with a case study: open until an administrator acts on it."""

    OPEN = "open"
    RESOLVED = "resolved"


class QuestionStatus(StrEnum):
    """A reader's question to a case study's authors."""

    OPEN = "open"
    REPLIED = "replied"
    DECLINED = "declined"
