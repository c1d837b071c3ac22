""""More like this": the case studies nearest to one case study, by its passages' meaning."""

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from commons.models import CaseStudy, Passage
from commons.search_index import IndexState

POOL = 200


@dataclass
class Related:
    case_study: CaseStudy
    score: float


def more_like_this(session: Session, index_state: IndexState, case_study: CaseStudy, limit: int = 5) -> list[Related]:
    """Published case studies whose passages lie nearest the centroid of this one's passages."""
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
    best: OrderedDict[int, float] = OrderedDict()
    for hit in hits:
        owner = owners.get(hit.id)
        if owner is None or owner == case_study.id or owner in best:
            continue
        best[owner] = hit.score
        if len(best) >= limit:
            break
    found = {
        c.id: c
        for c in session.scalars(
            select(CaseStudy).where(CaseStudy.id.in_(list(best))).options(joinedload(CaseStudy.school))
        )
    }
    return [Related(found[i], s) for i, s in best.items() if i in found and found[i].status == "published"]
