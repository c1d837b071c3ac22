"""`commons import`: all or nothing, with messages that name the file, line and field."""

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from commons.db import db
from commons.models import CaseStudy, Change, Passage, Revision
from commons.search.extension import search_index
from tests import samples


def snapshot_counts() -> tuple[int, int, int, int]:
    s = db.session
    return tuple(  # type: ignore[return-value]
        s.scalar(select(func.count()).select_from(m)) for m in (CaseStudy, Revision, Passage, Change)
    )


def test_import_publishes_passages_with_embeddings_and_change_log(app: Flask, runner, tmp_path: Path) -> None:
    samples.write(tmp_path / "in", "village-attendance")
    result = runner.invoke(args=["import", str(tmp_path / "in")])
    assert result.exit_code == 0, result.output
    assert "Imported 1 new and 0 revised case studies" in result.output
    with app.app_context():
        case_study = db.session.scalar(select(CaseStudy))
        assert case_study is not None and case_study.slug == "village-attendance"
        assert case_study.licence == "CC-BY-4.0"
        assert case_study.school_snapshot["pupils"] == 38
        passages = case_study.passages
        assert {p.section for p in passages} == {
            "context", "challenge", "what-we-did", "active-ingredients",
            "expertise", "impact", "cost-and-time", "do-differently",
        }
        assert all(len(p.embedding) == 384 * 4 for p in passages)
        changes = db.session.scalars(select(Change).order_by(Change.seq)).all()
        assert [(c.op, c.passage_id) for c in changes] == [("add", p.id) for p in passages]
        index = search_index.state.fresh(db.session)
        assert index.ids() == {p.id for p in passages}


def test_update_makes_a_new_revision_and_replaces_passages(app: Flask, runner, tmp_path: Path) -> None:
    samples.write(tmp_path / "v1", "village-attendance")
    assert runner.invoke(args=["import", str(tmp_path / "v1")]).exit_code == 0
    samples.write(tmp_path / "v2", "village-attendance", sections={"impact": "Attendance rose to 96% in 2024/25."})
    again = runner.invoke(args=["import", str(tmp_path / "v2")])
    assert again.exit_code == 1 and "commons import --update" in again.output
    result = runner.invoke(args=["import", "--update", str(tmp_path / "v2")])
    assert result.exit_code == 0, result.output
    with app.app_context():
        case_study = db.session.scalar(select(CaseStudy))
        assert case_study is not None
        assert [r.number for r in case_study.revisions] == [1, 2]
        assert "96%" in case_study.revisions[1].sections["impact"]
        live = {p.id for p in case_study.passages}
        assert search_index.state.fresh(db.session).ids() == live
        assert any("96%" in p.text for p in case_study.passages)


BAD_INPUTS = {
    "missing section": (dict(drop_section="expertise"), "section: '## Expertise it depended on' is missing"),
    "bad front matter": (dict(topics="[reading"), "front matter: is not valid YAML"),
    "unknown school": (dict(urn=123456), "school_urn: no school with URN 123456"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_a_bad_file_imports_nothing_and_says_where(app: Flask, runner, tmp_path: Path, case: str) -> None:
    kwargs, expected = BAD_INPUTS[case]
    folder = tmp_path / "in"
    samples.write(folder, "a-good-one")
    bad = samples.write(folder, "z-bad-one", **kwargs)
    with app.app_context():
        before = snapshot_counts()
    result = runner.invoke(args=["import", str(folder)])
    assert result.exit_code == 1
    assert "Nothing was imported" in result.output
    assert f"{bad}, line " in result.output
    assert expected in result.output
    with app.app_context():
        assert snapshot_counts() == before


def test_duplicates_in_one_run_and_against_the_commons(app: Flask, runner, tmp_path: Path) -> None:
    first = samples.write(tmp_path / "a", "same-slug")
    second = samples.write(tmp_path / "b", "same-slug")
    result = runner.invoke(args=["import", str(first), str(second)])
    assert result.exit_code == 1
    assert f"{second}, line 1, slug: 'same-slug' is also used by {first}" in result.output
    with app.app_context():
        assert snapshot_counts() == (0, 0, 0, 0)
    assert runner.invoke(args=["import", str(first)]).exit_code == 0
    with app.app_context():
        before = snapshot_counts()
    again = runner.invoke(args=["import", str(second), str(samples.write(tmp_path / "c", "other"))])
    assert again.exit_code == 1 and "is already in the Commons" in again.output
    with app.app_context():
        assert snapshot_counts() == before


def test_a_missing_path_is_reported(runner, tmp_path: Path) -> None:
    result = runner.invoke(args=["import", str(tmp_path / "nowhere")])
    assert result.exit_code == 1
    assert "no such file or folder" in result.output
