"""Open data: everything published, as JSON Lines, CSV and importable case-study files.

Every record carries its licence and attribution. The export folder can be loaded into an
empty Commons: `commons schools import DIR/schools.csv`, then `commons import DIR/case-studies`.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from commons.models import LICENCE, CaseStudy, School
from commons.services.schools import COLUMNS

LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
CSV_FIELDS = ["slug", "title", "summary", "school_urn", "school_name", "topics", "start_year", "end_year",
              "evidence_strength", "open_to", "published_on", "revision", "url", "licence", "attribution"]


def attribution(case_study: CaseStudy, url: str) -> str:
    authors = ", ".join(a["name"] + (f" ({a['role']})" if a.get("role") else "") for a in case_study.authors)
    year = case_study.published_on.year if case_study.published_on else ""
    return (f"{authors}, {case_study.school.name} ({year}). “{case_study.title}”. School Improvement Commons. "
            f"{url}. CC BY 4.0.")


def json_ld(case_study: CaseStudy, url: str) -> dict[str, Any]:
    """schema.org description of a case study, for search engines and catalogues."""
    return {
        "@context": "https://schema.org", "@type": ["Article", "LearningResource"], "headline": case_study.title,
        "abstract": case_study.summary, "url": url, "license": LICENCE_URL, "keywords": case_study.topics,
        "author": [{"@type": "Person", "name": a["name"], "jobTitle": a.get("role") or None}
                   for a in case_study.authors],
        "sourceOrganization": {"@type": "EducationalOrganization", "name": case_study.school.name,
                               "identifier": f"URN {case_study.school_urn}"},
        "datePublished": case_study.published_on.isoformat() if case_study.published_on else None,
        "dateModified": case_study.updated_at.date().isoformat(),
        "isAccessibleForFree": True,
    }


def published(session: Session) -> Iterator[CaseStudy]:
    yield from session.scalars(
        select(CaseStudy).where(CaseStudy.status == "published").order_by(CaseStudy.id)
        .options(joinedload(CaseStudy.school))
    )


def record(case_study: CaseStudy, base_url: str) -> dict[str, Any]:
    """One published case study, whole: its fields, sections, source, licence and attribution."""
    latest = case_study.revisions[-1]
    url = f"{base_url.rstrip('/')}/case-studies/{case_study.slug}"
    return {
        "slug": case_study.slug, "title": case_study.title, "summary": case_study.summary,
        "school": {"urn": case_study.school_urn, "name": case_study.school.name,
                   "context_when_published": case_study.school_snapshot},
        "topics": case_study.topics, "start_year": case_study.start_year, "end_year": case_study.end_year,
        "evidence_strength": case_study.evidence_strength, "authors": case_study.authors,
        "open_to": case_study.open_to, "impact_table": case_study.impact_table,
        "published_on": case_study.published_on.isoformat() if case_study.published_on else None,
        "revision": latest.number, "sections": latest.sections, "source": latest.source,
        "url": url, "licence": LICENCE, "licence_url": LICENCE_URL, "attribution": attribution(case_study, url),
    }


def records(session: Session, base_url: str) -> Iterator[dict[str, Any]]:
    for case_study in published(session):
        yield record(case_study, base_url)


def jsonl_lines(records_: Iterable[dict[str, Any]]) -> Iterator[str]:
    for item in records_:
        yield json.dumps(item, ensure_ascii=False) + "\n"


def csv_rows(records_: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The header, then one CSV line per record (a generator, so a download can stream)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for item in records_:
        writer.writerow({**item, "school_urn": item["school"]["urn"], "school_name": item["school"]["name"],
                         "topics": " ".join(item["topics"]), "open_to": " ".join(item["open_to"] or [])})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


def export(session: Session, folder: Path, base_url: str) -> int:
    """Write the whole open-data export into ``folder``; returns how many case studies."""
    everything = list(records(session, base_url))
    sources = folder / "case-studies"
    sources.mkdir(parents=True, exist_ok=True)
    with (folder / "case-studies.jsonl").open("w", encoding="utf-8") as handle:
        handle.writelines(jsonl_lines(everything))
    with (folder / "case-studies.csv").open("w", encoding="utf-8", newline="") as handle:
        handle.writelines(csv_rows(everything))
    for item in everything:
        (sources / f"{item['slug']}.md").write_text(item["source"], encoding="utf-8")
    _write_schools(session, folder / "schools.csv", {item["school"]["urn"] for item in everything})
    (folder / "LICENCE.txt").write_text(
        "Every case study here is licensed under Creative Commons Attribution 4.0 International "
        f"(CC BY 4.0, {LICENCE_URL}). Credit each one as its `attribution` field says.\n", encoding="utf-8")
    return len(everything)


def _write_schools(session: Session, path: Path, urns: set[int]) -> None:
    """The schools in the GIAS columns that `commons schools import` reads."""
    query = select(School).where(School.urn.in_(sorted(urns))).order_by(School.urn)
    schools: Iterable[School] = session.scalars(query) if urns else []
    attributes = [attribute for attribute, _ in COLUMNS.values()]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["URN", *COLUMNS])
        for school in schools:
            values = [getattr(school, attribute) for attribute in attributes]
            writer.writerow([school.urn, *(_cell(v) for v in values)])


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return value.strftime("%d-%m-%Y") if hasattr(value, "strftime") else value
