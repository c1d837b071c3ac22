"""Checking, and repairing, the database and the search index on disk.

The database is the source of truth; the index is a cache of it. :func:`check` answers
three questions: is the database sound (SQLite ``integrity_check``, or a sanity query on
PostgreSQL, plus the Commons' own invariants), does the index on disk hold exactly the live
passages with the vectors stored for them, and how far through the change log is it?
:func:`repair` fixes what the index got wrong: it replays the change log when the index is
only behind, and rebuilds it from the stored embeddings (never the model) otherwise. A
damaged database is not repaired here: restore it from a backup.

Vectors are compared with the stored embeddings for every passage by default, or for a
random sample (``sample``) when a quick check is enough, as at start-up. A vector counts as
equal when its cosine similarity with the stored embedding is at least
``VECTOR_AGREEMENT``, so compact index types that store vectors approximately still pass.
"""

import logging
import random
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from commons.domain.errors import CommonsError
from commons.models import CaseStudy, Passage, Revision
from commons.ops.migrate import is_current
from commons.search.source import LIVE, DatabaseChangeSource, live_passages, to_vectors
from commons.search.state import IndexState
from indexer import IndexerError, VectorIndex, apply_changes
from indexer.vector_index import MANIFEST_NAME, read_manifest

log = logging.getLogger(__name__)
VECTOR_AGREEMENT = 0.99
STARTUP_SAMPLE = 32

IndexAction = Literal["replay", "rebuild"]


@dataclass
class Report:
    """What :func:`check` found; ``index_action`` says how :func:`repair` would fix the index."""

    database_problems: list[str] = field(default_factory=list)
    index_problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    index_action: IndexAction | None = None
    repaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.database_problems and not self.index_problems

    def lines(self) -> list[str]:
        out = [f"database: {p}" for p in self.database_problems]
        out += [f"index: {p}" for p in self.index_problems]
        return out


def check(session: Session, state: IndexState, sample: int | None = None, quick: bool = False) -> Report:
    """Check the database and the index on disk; ``sample`` limits the vectors compared."""
    report = Report()
    check_database(session, report, quick=quick)
    check_index(session, state, report, sample)
    session.rollback()  # end the read transaction: repairs and servers start afresh
    return report


def check_database(session: Session, report: Report, quick: bool = False) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        pragma = "quick_check" if quick else "integrity_check"
        rows = [r[0] for r in session.execute(text(f"PRAGMA {pragma}"))]  # nosec B608 - one of two fixed names
        if rows != ["ok"]:
            report.database_problems.append(f"SQLite {pragma} failed: " + "; ".join(map(str, rows[:5])))
        broken = list(session.execute(text("PRAGMA foreign_key_check")))
        if broken:
            report.database_problems.append(f"{len(broken)} rows point at rows that do not exist "
                                            f"(first in table {broken[0][0]})")
    else:
        session.execute(text("SELECT count(*) FROM changes"))
        if not is_current(session.get_bind().engine):
            report.database_problems.append("the schema is not at the newest migration; run `commons db-upgrade`")
    empty = session.scalar(
        select(func.count()).select_from(CaseStudy)
        .where(CaseStudy.status == LIVE, ~CaseStudy.passages.any())
    )
    if empty:
        report.database_problems.append(f"{empty} published case studies have no passages")
    latest = (select(Revision.case_study_id, func.max(Revision.id).label("latest"))
              .group_by(Revision.case_study_id).subquery())
    stale = session.scalar(
        select(func.count()).select_from(Passage)
        .join(latest, latest.c.case_study_id == Passage.case_study_id)
        .where(Passage.revision_id != latest.c.latest)
    )
    if stale:
        report.database_problems.append(f"{stale} passages belong to an older revision than their case study's newest")


def check_index(session: Session, state: IndexState, report: Report, sample: int | None) -> None:
    try:
        manifest = read_manifest(state.directory)
    except IndexerError as error:
        _needs_rebuild(report, f"the manifest cannot be read ({error})")
        return
    if manifest is None:
        if session.scalar(select(Passage.id).limit(1)) is None:
            report.notes.append("no passages yet: the index will be made with the first publish")
        else:
            _needs_rebuild(report, f"there is no index in {state.directory}")
        return
    source = DatabaseChangeSource(session, state.dimension(session))
    last = source.last_change()
    if manifest.last_change > last:
        _needs_rebuild(report, f"the index has applied change {manifest.last_change} but the change log "
                               f"ends at {last} (restored or replaced database)")
        return
    try:
        index = VectorIndex.load(state.directory, state.model, source.dimension, state.options)
    except IndexerError as error:
        _needs_rebuild(report, str(error))
        return
    behind = manifest.last_change < last
    if behind:
        apply_changes(index, source)
    live = source.live_ids()
    held = index.ids()
    if held != live:
        _needs_rebuild(report, f"the index holds {len(held - live)} passages that are not live and misses "
                               f"{len(live - held)} live ones")
        return
    disagree, broken = _disagreeing_vectors(session, index, sorted(live), source.dimension, sample)
    if broken:
        _needs_rebuild(report, f"{broken} vectors are not finite numbers (NaN or infinity), so their passages "
                               "cannot be found")
        return
    if disagree:
        _needs_rebuild(report, f"{disagree} vectors differ from the stored embeddings")
        return
    checked = len(live) if sample is None else min(sample, len(live))
    report.notes.append(f"{len(live):,} live passages indexed; {checked:,} vectors compared")
    if behind:
        report.index_problems.append(f"the saved index is behind the change log ({manifest.last_change} of {last})")
        report.index_action = "replay"


def _needs_rebuild(report: Report, problem: str) -> None:
    report.index_problems.append(problem)
    report.index_action = "rebuild"


def _disagreeing_vectors(session: Session, index: VectorIndex, ids: list[int], dimension: int,
                         sample: int | None) -> tuple[int, int]:
    """How many of the chosen vectors differ from the stored embeddings, and how many are not finite.

    A NaN compares false with everything (``NaN < 0.99`` is false), so non-finite vectors are
    looked for first rather than left to the similarity test.
    """
    chosen = ids if sample is None or sample >= len(ids) else sorted(random.sample(ids, sample))  # nosec B311 - sampling, not secrets
    disagree = broken = 0
    for start in range(0, len(chosen), 1000):
        batch = chosen[start:start + 1000]
        rows = session.execute(live_passages().where(Passage.id.in_(batch)).order_by(Passage.id)).all()
        stored = to_vectors([r.embedding for r in rows], dimension)
        for row, expected in zip(rows, stored, strict=True):
            try:
                held = index.vector(row.id)
            except RuntimeError:
                return 0, 0  # this index type cannot give vectors back; ids were compared
            if not bool(np.isfinite(held).all()):
                broken += 1
                continue
            denominator = float(np.linalg.norm(held) * np.linalg.norm(expected)) or 1.0
            if not float(np.dot(held, expected)) / denominator >= VECTOR_AGREEMENT:  # NaN-safe
                disagree += 1
    return disagree, broken


def repair(session: Session, state: IndexState, report: Report) -> Report:
    """Fix the index as ``report`` says (replay or rebuild), then check again."""
    if report.index_action == "replay":
        source = DatabaseChangeSource(session, state.dimension(session))
        index = VectorIndex.load(state.directory, state.model, source.dimension, state.options)
        applied = apply_changes(index, source)
        state.persist(index)
        session.rollback()
        done = f"replayed {applied} changes from the change log"
    elif report.index_action == "rebuild":
        try:
            read_manifest(state.directory)
        except IndexerError:
            (state.directory / MANIFEST_NAME).unlink()  # unreadable: the rebuild writes a new one
        index = state.rebuild(session)
        session.rollback()
        done = f"rebuilt the index from the stored embeddings ({len(index):,} passages)"
    else:
        return report
    after = check(session, state, sample=STARTUP_SAMPLE, quick=True)
    after.repaired.append(done)
    return after


def startup_check(app: Flask, warm: bool = True) -> Report:
    """At start: a quick check, repairing the index by itself. Raises on a damaged database.

    ``warm`` then loads this process's index replicas (not wanted before forking workers).
    """
    from commons.db import db
    from commons.search.extension import search_index

    with app.app_context():
        state = search_index.state
        with db.new_session() as session:
            report = check(session, state, sample=STARTUP_SAMPLE, quick=True)
            if report.database_problems:
                raise DatabaseDamaged(report.database_problems)
            if report.index_action is not None:
                log.warning("search index: %s; repairing", "; ".join(report.index_problems))
                report = repair(session, state, report)
        if warm:
            state.fresh(db.session)
            db.session.rollback()
    return report


class DatabaseDamaged(CommonsError):
    """The database failed its integrity check; it needs restoring from a backup."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("the database failed its check: " + "; ".join(problems)
                         + ". Restore the newest backup with `commons restore PATH`.")
        self.problems = problems
