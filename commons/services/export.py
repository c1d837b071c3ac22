"""Open data: everything published, as JSON Lines, CSV and importable case-study files.

Every record carries its licence and attribution. The export folder can be loaded into an
empty Commons: `commons schools import DIR/schools.csv`, then `commons import DIR/case-studies`.
"""

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from commons.models import LICENCE, CaseStudy, School

LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
CSV_FIELDS = ["slug", "title", "summary", "school_urn", "school_name", "topics", "start_year", "end_year",
              "evidence_strength", "open_to", "published_on", "revision", "url", "licence", "attribution"]
SCHOOL_COLUMNS = {  # GIAS column -> School attribute, as `commons schools import` reads them
    "URN": "urn", "EstablishmentName": "name", "TypeOfEstablishment (name)": "establishment_type",
    "EstablishmentTypeGroup (name)": "type_group", "PhaseOfEducation (name)": "phase",
    "StatutoryLowAge": "low_age", "StatutoryHighAge": "high_age", "GOR (name)": "region",
    "LA (name)": "local_authority", "Town": "town", "Postcode": "postcode", "UrbanRural (name)": "urban_rural",
    "NumberOfPupils": "pupils", "PercentageFSM": "fsm_pct", "PercentageSEN": "sen_pct", "PercentageEAL": "eal_pct",
    "SEN1 (name)": "primary_sen_need", "Trusts (name)": "trust", "OfstedRating (name)": "ofsted_rating",
    "OfstedLastInsp": "ofsted_last_inspection",
}


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
        "author": [{"@type": "Person", "name": a["name"], "jobTitle": a.get("role") or None} for a in case_study.authors],
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


def jsonl_lines(session: Session, base_url: str) -> Iterator[str]:
    for case_study in published(session):
        yield json.dumps(record(case_study, base_url), ensure_ascii=False) + "\n"


def csv_rows(session: Session, base_url: str) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for case_study in published(session):
        full = record(case_study, base_url)
        writer.writerow({
            **{k: full[k] for k in CSV_FIELDS if k in full}, "school_urn": case_study.school_urn,
            "school_name": case_study.school.name, "topics": " ".join(case_study.topics),
            "open_to": " ".join(case_study.open_to or []),
        })
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


def export(session: Session, folder: Path, base_url: str) -> int:
    """Write the whole open-data export into ``folder``; returns how many case studies."""
    sources = folder / "case-studies"
    sources.mkdir(parents=True, exist_ok=True)
    count = 0
    with (folder / "case-studies.jsonl").open("w", encoding="utf-8") as jsonl:
        for line in jsonl_lines(session, base_url):
            jsonl.write(line)
            count += 1
    with (folder / "case-studies.csv").open("w", encoding="utf-8", newline="") as handle:
        handle.writelines(csv_rows(session, base_url))
    urns = set()
    for case_study in published(session):
        (sources / f"{case_study.slug}.md").write_text(case_study.revisions[-1].source, encoding="utf-8")
        urns.add(case_study.school_urn)
    _write_schools(session, folder / "schools.csv", urns)
    (folder / "LICENCE.txt").write_text(
        "Every case study here is licensed under Creative Commons Attribution 4.0 International "
        f"(CC BY 4.0, {LICENCE_URL}). Credit each one as its `attribution` field says.\n", encoding="utf-8")
    return count


def _write_schools(session: Session, path: Path, urns: set[int]) -> None:
    schools = session.scalars(select(School).where(School.urn.in_(sorted(urns))).order_by(School.urn)) if urns else []
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(SCHOOL_COLUMNS)
        for school in schools:
            row = []
            for attribute in SCHOOL_COLUMNS.values():
                value = getattr(school, attribute)
                row.append(value.strftime("%d-%m-%Y") if hasattr(value, "strftime") else ("" if value is None else value))
            writer.writerow(row)
