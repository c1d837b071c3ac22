"""The facts the search path keeps about every published case study: packed exactly, and updated after a change."""

import dataclasses

import numpy as np
import pytest
from flask import Flask
from sqlalchemy import select

from commons.db import db
from commons.domain.comparability import SchoolContext
from commons.models import CaseStudy
from commons.search.catalogue import Catalogue, PublishedStudy, pack, unpack
from commons.services.demo import CASE_STUDIES, load_demo
from commons.services.importing import case_study_files, parse_files
from commons.services.publishing import publish_all, withdraw
from indexer import Embedder


def test_packing_the_facts_copies_them_exactly() -> None:
    context = SchoolContext(phase="primary", pupils=84, fsm_pct=27.0, setting="rural", region="North East",
                            governance="maintained", name="Eskdale Bridge", urn=990001, levels=(("fsm", "high"),))
    studies = {
        7: PublishedStudy(7, ("attendance", "disadvantage"), "moderate", (2021, 2023), ("visits",), context),
        9: PublishedStudy(9, (), "emerging", (2020, 2020), (), SchoolContext(phase=None, urn=990002)),
    }
    packed = unpack(pack(studies))
    assert packed == studies and list(packed) == [7, 9]
    assert all(packed[i] is not studies[i] for i in studies)  # copies, made after the originals
    assert packed[7].context.levels == (("fsm", "high"),) and packed[7].topics == ("attendance", "disadvantage")
    assert (packed[7].school_urn, packed[7].start_year, packed[7].end_year) == (990001, 2021, 2023)
    assert (packed[9].school_urn, packed[9].start_year, packed[9].end_year) == (990002, 2020, 2020)


def _same(one: Catalogue, other: Catalogue) -> bool:
    return (one.position == other.position and one.studies == other.studies
            and all(np.array_equal(getattr(one, name), getattr(other, name))
                    for name in ("owner", "study_ids", "starts", "passage_ids")))


def test_after_a_change_only_the_changed_case_studies_are_read_again_and_the_catalogue_is_as_if_read_whole(
        app: Flask, app_embedder: Embedder, monkeypatch: pytest.MonkeyPatch) -> None:
    """Withdrawn, revised and republished case studies: the updated catalogue equals a whole read."""
    from commons.search import catalogue as module

    with app.app_context():
        load_demo(db.session, app_embedder)
        first = module.catalogue(db.session)
        whole_reads: list[int] = []
        read = module._read

        def counted(session: object, position: int) -> Catalogue:
            whole_reads.append(position)
            return read(session, position)  # type: ignore[arg-type]

        monkeypatch.setattr(module, "_read", counted)
        by_slug = {c.slug: c for c in db.session.scalars(select(CaseStudy))}
        withdraw(db.session, by_slug["eskdale-bridge-attendance-seasonal-work-moor-roads"])
        db.session.commit()
        after_withdrawal = module.catalogue(db.session)
        assert whole_reads == [] and after_withdrawal.position > first.position
        assert _same(after_withdrawal, read(db.session, after_withdrawal.position))
        assert by_slug["eskdale-bridge-attendance-seasonal-work-moor-roads"].id not in after_withdrawal.studies

        files = {p.slug: p for p in parse_files(case_study_files([CASE_STUDIES]))}
        revised = files["marsh-end-disadvantaged-attendance-shift-work"]
        revised = dataclasses.replace(revised, topics=[*revised.topics, "oracy"],
                                      summary=revised.summary + " Punctuality improved too.")
        publish_all(db.session, [revised, files["eskdale-bridge-attendance-seasonal-work-moor-roads"]],
                    app_embedder, update=True)
        db.session.commit()
        after_revision = module.catalogue(db.session)
        assert whole_reads == [] and _same(after_revision, read(db.session, after_revision.position))
        assert "oracy" in after_revision.studies[by_slug[revised.slug].id].topics
        assert "punctual" in after_revision.about([by_slug[revised.slug].id])[by_slug[revised.slug].id][1]

        monkeypatch.setattr(module, "UPDATE_AT_MOST", 0)  # more changed than that: read whole
        withdraw(db.session, by_slug[revised.slug])
        db.session.commit()
        module.catalogue(db.session)
        assert len(whole_reads) == 1


def test_each_case_studys_title_and_summary_tokens_are_kept_as_the_lexical_index_reads_them(
        demo_app: Flask) -> None:
    from commons.search.catalogue import catalogue
    from commons.search.tokens import STEM_OVERRIDES
    from indexer.tokenize import tokenize

    with demo_app.app_context():
        known = catalogue(db.session)
        studies = {c.id: c for c in db.session.scalars(select(CaseStudy).where(CaseStudy.id.in_(known.studies)))}
        about = known.about([*studies, -1])
        assert set(about) == set(studies)  # not the case study that is not published
        for case_study_id, study in studies.items():
            assert about[case_study_id] == (frozenset(tokenize(study.title, STEM_OVERRIDES)),
                                            frozenset(tokenize(study.summary, STEM_OVERRIDES)))
        titled = [terms[0] for i, terms in about.items() if "attendance" in studies[i].title.lower()]
        assert titled and all("attendance" in terms and "attend" not in terms for terms in titled)
        # only a question's words: the same tokens, less every other (a word no title holds is no trouble)
        only = frozenset({"attendance", "phonic", "read", "nowordlikethis"})
        assert known.about([*studies, -1], only=only) == {
            i: (title & only, summary & only) for i, (title, summary) in about.items()}
