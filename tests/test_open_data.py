"""Open data: export and re-import reproduce every published case study; feeds, sitemap, robots, JSON-LD."""

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from commons.db import db
from commons.models import CaseStudy
from commons.services.publishing import withdraw
from tests import samples
from tests.conftest import make_app


def _published(app: Flask) -> dict[str, dict]:
    with app.app_context():
        return {
            c.slug: {"title": c.title, "summary": c.summary, "topics": c.topics, "years": (c.start_year, c.end_year),
                     "evidence": c.evidence_strength, "authors": c.authors, "open_to": c.open_to,
                     "impact": c.impact_table, "school": c.school_urn, "published_on": c.published_on,
                     "sections": c.revisions[-1].sections}
            for c in db.session.scalars(select(CaseStudy).where(CaseStudy.status == "published"))
        }


def test_export_then_import_into_an_empty_commons_reproduces_every_published_case_study(
        app: Flask, runner, tmp_path: Path, embedder: object) -> None:
    impact = '\n  - measure: "Attendance"\n    before: "88%"\n    after: "94%"\n    period: "2023"\n    pupils: 9'
    samples.write(tmp_path / "in", "village-attendance", impact_table=impact, open_to="[visits]")
    samples.write(tmp_path / "in", "corve-reading", urn=990012, title='"Reading aloud every day"', topics="[reading]")
    samples.write(tmp_path / "in", "gone", title='"Withdrawn one"')
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    with app.app_context():
        withdraw(db.session, db.session.scalar(select(CaseStudy).where(CaseStudy.slug == "gone")))
        db.session.commit()
    out = tmp_path / "export"
    result = runner.invoke(args=["export", str(out)])
    assert result.exit_code == 0 and "Exported 2 case studies" in result.output
    records = [json.loads(line) for line in (out / "case-studies.jsonl").read_text().splitlines()]
    assert {r["slug"] for r in records} == {"village-attendance", "corve-reading"}
    assert all(r["licence"] == "CC-BY-4.0" and "CC BY 4.0" in r["attribution"] for r in records)
    rows = list(csv.DictReader((out / "case-studies.csv").open(encoding="utf-8")))
    assert len(rows) == 2 and all(r["attribution"] for r in rows)

    expected = _published(app)
    empty = make_app(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path / "empty", embedder)  # a new, empty Commons
    other = empty.test_cli_runner()
    assert other.invoke(args=["schools", "import", str(out / "schools.csv")]).exit_code == 0
    loaded = other.invoke(args=["import", str(out / "case-studies")])
    assert loaded.exit_code == 0, loaded.output
    assert _published(empty) == expected
    with empty.app_context():
        db.engine.dispose()


def test_feeds_sitemap_robots_and_json_ld(app: Flask, runner, tmp_path: Path) -> None:
    samples.write(tmp_path / "in", "village-attendance")
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    client = app.test_client()
    feed = ET.fromstring(client.get("/feeds/new.atom").data)
    atom = "{http://www.w3.org/2005/Atom}"
    titles = [e.find(f"{atom}title").text for e in feed.findall(f"{atom}entry")]
    assert titles == ["Breakfast and a phone call: attendance in a village school"]
    sitemap = ET.fromstring(client.get("/sitemap.xml").data)
    locs = [e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert any(loc.endswith("/case-studies/village-attendance") for loc in locs)
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Disallow: /author" in robots and "Sitemap: " in robots
    page = client.get("/case-studies/village-attendance").get_data(as_text=True)
    data = json.loads(page.split('<script type="application/ld+json">')[1].split("</script>")[0])
    assert data["@type"] == ["Article", "LearningResource"] and data["license"].startswith("https://creativecommons.org")
    assert client.get("/open-data/case-studies.jsonl").get_data(as_text=True).count("\n") == 1
