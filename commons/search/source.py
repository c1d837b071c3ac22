"""The database as the search library's change source (see ``indexer.sync``)."""

from collections.abc import Iterator

import numpy as np
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from commons.domain.statuses import CaseStudyStatus
from commons.models import CaseStudy, Change, Passage
from indexer import Change as IndexChange
from indexer.chunking import searchable_text
from indexer.types import Vectors

LIVE = CaseStudyStatus.PUBLISHED


def live_passages() -> Select[int, bytes]:
    """A select of passages that belong to a published case study."""
    return (
        select(Passage.id, Passage.embedding)
        .join(CaseStudy, CaseStudy.id == Passage.case_study_id)
        .where(CaseStudy.status == LIVE)
    )


def live_texts_query() -> Select[int, str, str, str]:
    """A select of the searchable parts of live passages."""
    return (
        select(Passage.id, CaseStudy.title, Passage.heading, Passage.text)
        .join(CaseStudy, CaseStudy.id == Passage.case_study_id)
        .where(CaseStudy.status == LIVE)
    )


def to_vectors(blobs: list[bytes], dimension: int) -> Vectors:
    if not blobs:
        return np.zeros((0, dimension), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), dimension)


_LAST_CHANGE = select(func.coalesce(func.max(Change.seq), 0))  # built once: asked before every search


class DatabaseChangeSource:
    """Reads the change log and stored embeddings through one session."""

    def __init__(self, session: Session, dimension: int) -> None:
        self.session = session
        self.dimension = dimension

    def last_change(self) -> int:
        return int(self.session.scalar(_LAST_CHANGE) or 0)

    def changes_since(self, seq: int) -> list[IndexChange]:
        rows = self.session.execute(
            select(Change.seq, Change.op, Change.passage_id).where(Change.seq > seq).order_by(Change.seq)
        )
        return [IndexChange(seq=r.seq, op=r.op, passage_id=r.passage_id) for r in rows]

    def vectors(self, passage_ids: list[int]) -> tuple[list[int], Vectors]:
        ids: list[int] = []
        blobs: list[bytes] = []
        for start in range(0, len(passage_ids), 5000):
            batch = passage_ids[start : start + 5000]
            for row in self.session.execute(live_passages().where(Passage.id.in_(batch))):
                ids.append(row.id)
                blobs.append(row.embedding)
        return ids, to_vectors(blobs, self.dimension)

    def live_vectors(self, batch_size: int) -> Iterator[tuple[list[int], Vectors]]:
        result = self.session.execute(live_passages().order_by(Passage.id)).yield_per(batch_size)
        for partition in result.partitions():
            yield [r.id for r in partition], to_vectors([r.embedding for r in partition], self.dimension)

    def texts(self, passage_ids: list[int]) -> dict[int, str]:
        found: dict[int, str] = {}
        for start in range(0, len(passage_ids), 5000):
            batch = passage_ids[start : start + 5000]
            for row in self.session.execute(live_texts_query().where(Passage.id.in_(batch))):
                found[row.id] = searchable_text(row.title, row.heading, row.text)
        return found

    def live_texts(self, batch_size: int) -> Iterator[dict[int, str]]:
        result = self.session.execute(live_texts_query().order_by(Passage.id)).yield_per(batch_size)
        for partition in result.partitions():
            yield {r.id: searchable_text(r.title, r.heading, r.text) for r in partition}

    def live_count(self) -> int:
        query = select(func.count()).select_from(live_passages().subquery())
        return int(self.session.scalar(query) or 0)

    def live_ids(self) -> set[int]:
        return set(self.session.scalars(select(live_passages().subquery().c.id)))
