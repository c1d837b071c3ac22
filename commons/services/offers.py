"""What a school offers other schools: visits, peer review, school-to-school support.

A school says so per case study (``open_to``), for the work that case study describes; a
school's offers are those, gathered by kind, each with the topics and case studies behind it.
"""

from dataclasses import dataclass, field

from commons.domain.statuses import CaseStudyStatus
from commons.domain.vocabulary import OFFERS, TOPICS
from commons.models import CaseStudy


@dataclass
class Offer:
    key: str  # one of OFFERS
    label: str
    topics: list[str] = field(default_factory=list)  # topic labels, main ones first
    case_studies: list[CaseStudy] = field(default_factory=list)


def school_offers(case_studies: list[CaseStudy]) -> list[Offer]:
    """The offers made in these (published) case studies, in the order of OFFERS."""
    offers: list[Offer] = []
    for key, label in OFFERS.items():
        making = [c for c in case_studies if key in (c.open_to or []) and c.status == CaseStudyStatus.PUBLISHED]
        if making:
            topics = dict.fromkeys(t for c in making for t in c.topics or [])  # as the authors ordered them
            offers.append(Offer(key, label, [TOPICS.get(t, t) for t in topics], making))
    return offers
