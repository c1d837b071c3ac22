""""More like this" (nearest by meaning) and "More from comparable schools" (same topics, like schools)."""

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from commons.domain.comparability import Comparison, compare, context_from_fields
from commons.domain.statuses import CaseStudyStatus
from commons.models import CaseStudy, Passage
from commons.search.catalogue import catalogue
from commons.search.state import IndexState

POOL = 200
NEAREST_SHORTLIST = 3  # "More like this" looks at three times as many as it shows


@dataclass
class Related:
    case_study: CaseStudy
    score: float


def more_like_this(session: Session, index_state: IndexState, case_study: CaseStudy, limit: int = 5) -> list[Related]:
    """Published case studies whose passages lie nearest the centroid of this one's passages.

    Of the nearest few, those that share one of its topics come first: a study of training
    lunchtime staff lies near studies of coaching in meaning, but a reader of it wants behaviour.
    """
    blobs = [p.embedding for p in case_study.passages]
    if not blobs:
        return []
    vectors = np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
    centroid = vectors.mean(axis=0)
    norm = float(np.linalg.norm(centroid))
    if norm == 0.0:
        return []
    index = index_state.fresh(session)
    hits = index.search(centroid / norm, POOL)
    owners = dict(
        session.execute(select(Passage.id, Passage.case_study_id).where(Passage.id.in_([h.id for h in hits]))).all()
    )
    nearest: OrderedDict[int, float] = OrderedDict()
    for hit in hits:
        owner = owners.get(hit.id)
        if owner is None or owner == case_study.id or owner in nearest:
            continue
        nearest[owner] = hit.score
        if len(nearest) >= limit * NEAREST_SHORTLIST:
            break
    studies = catalogue(session).studies
    topics = set(case_study.topics or [])
    shares = {i: bool(topics.intersection(studies[i].topics)) if i in studies else False for i in nearest}
    ordered = sorted(nearest.items(), key=lambda item: not shares[item[0]])  # stable: nearest first within each
    best: OrderedDict[int, float] = OrderedDict(ordered[:limit])
    found = {
        c.id: c
        for c in session.scalars(
            select(CaseStudy).where(CaseStudy.id.in_(list(best))).options(joinedload(CaseStudy.school))
        )
    }
    return [Related(found[i], s) for i, s in best.items()
            if i in found and found[i].status == CaseStudyStatus.PUBLISHED]


@dataclass
class ComparableStudy:
    case_study: CaseStudy
    comparison: Comparison
    shared_topics: list[str]


def from_comparable_schools(session: Session, case_study: CaseStudy, limit: int = 4) -> list[ComparableStudy]:
    """Other schools' case studies on the same topics, from schools like this one was then.

    Both sides are compared as they were when the work was done (the snapshots); a school of
    another phase or kind is never "comparable", and a weak match (similarity under 0.5) is left out.
    """
    mine = context_from_fields(case_study.school_snapshot or {}, case_study.school_urn)
    topics = set(case_study.topics or [])
    scored = []
    for other in catalogue(session).studies.values():  # read once per change, not per page view
        if other.school_urn == case_study.school_urn:
            continue
        shared = [t for t in other.topics if t in topics]
        if not shared:
            continue
        comparison = compare(mine, other.context)
        if comparison.blocked or comparison.similarity < 0.5:
            continue
        scored.append((other.id, comparison, shared))
    scored.sort(key=lambda s: (-s[1].similarity, -len(s[2])))
    # titles break ties: load the tied tail too, then order fully
    cut = scored[:limit]
    if len(scored) > limit:
        last = (scored[limit - 1][1].similarity, len(scored[limit - 1][2]))
        cut = [s for s in scored if (s[1].similarity, len(s[2])) >= last]
    loaded = {
        c.id: c
        for c in session.scalars(
            select(CaseStudy).where(CaseStudy.id.in_([s[0] for s in cut])).options(joinedload(CaseStudy.school))
        )
    } if cut else {}
    found = [ComparableStudy(loaded[i], comparison, shared) for i, comparison, shared in cut if i in loaded]
    found.sort(key=lambda s: (-s.comparison.similarity, -len(s.shared_topics), s.case_study.title))
    return found[:limit]
