"""Open data: everything published, as JSON Lines, CSV and importable case-study files.

Every record carries its licence and attribution. The export folder can be loaded into an
empty Commons: `commons schools import DIR/schools.csv`, then `commons import DIR/case-studies`.
"""

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from commons.domain.comparability import setting_of
from commons.domain.statuses import CaseStudyStatus
from commons.domain.text_safety import csv_safe
from commons.domain.vocabulary import OFFERS
from commons.models import LICENCE, CaseStudy, School
from commons.services.schools import COLUMNS

LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
CONTEXT_FIELDS = ["phase", "pupils", "fsm_pct", "sen_pct", "eal_pct", "setting", "region"]
CSV_FIELDS = ["slug", "title", "summary", "school_urn", "school_name", *CONTEXT_FIELDS, "topics", "start_year",
              "end_year", "evidence_strength", "open_to", "published_on", "revision", "url", "licence", "attribution"]
BOM = "\ufeff"  # UTF-8 with a byte-order mark: Excel on Windows then reads the accents and quotation marks right

# The data dictionary: every field of the downloads, what it holds (the open-data page shows it).
DICTIONARY: list[tuple[str, str, str]] = [
    ("slug", "text", "The case study's identifier; its page is /case-studies/<slug>."),
    ("title", "text", "The title."),
    ("summary", "text", "A sentence or two saying what was done and what changed."),
    ("school_urn", "number", "The school's Unique Reference Number (Get Information About Schools)."),
    ("school_name", "text", "The school's name."),
    ("phase", "text", "Phase of education when published (GIAS PhaseOfEducation): Primary, Secondary, …"),
    ("pupils", "number", "Pupils on roll when published (GIAS NumberOfPupils); empty when unknown."),
    ("fsm_pct", "number", "Percentage of pupils eligible for free school meals when published; empty when unknown."),
    ("sen_pct", "number", "Percentage of pupils with special educational needs when published; empty when unknown."),
    ("eal_pct", "number", "Percentage of pupils with English as an additional language when published; "
                          "empty when unknown."),
    ("setting", "text", "urban or rural (from GIAS UrbanRural); empty when unknown."),
    ("region", "text", "Government office region (GIAS GOR)."),
    ("topics", "text", "Topic keys, separated by spaces (the Commons' topic list)."),
    ("start_year", "number", "The year the work began."),
    ("end_year", "number", "The year the work ended (or the latest year reported)."),
    ("evidence_strength", "text", "How strong the evidence of impact is, in the school's own judgement."),
    ("open_to", "text", "What the school offers other schools, separated by spaces: "
     + ", ".join(f"{key} ({label.lower()})" for key, label in OFFERS.items()) + "."),
    ("published_on", "date", "When it was first published (YYYY-MM-DD)."),
    ("revision", "number", "The number of the current published revision (every revision is kept)."),
    ("url", "text", "Its page on the Commons."),
    ("licence", "text", "CC-BY-4.0 for every record."),
    ("attribution", "text", "How to credit it: authors, school, year, title, address and licence."),
]
JSONL_ONLY: list[tuple[str, str, str]] = [
    ("school.context_when_published", "object", "The school's whole context when published, with the date taken."),
    ("authors", "list", "Each author's name and role."),
    ("impact_table", "list", "Rows of measure, before, after, period and number of pupils."),
    ("sections", "object", "Each section of the write-up (context, challenge, what we did, …) in Markdown."),
    ("source", "text", "The whole case study in the import format, ready to load into another Commons."),
    ("licence_url", "text", "The licence's address."),
]


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
        select(CaseStudy).where(CaseStudy.status == CaseStudyStatus.PUBLISHED).order_by(CaseStudy.id)
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


@dataclass(frozen=True)
class Edition:
    """What the downloads hold now: how many case studies, and when any last changed (publish or withdrawal)."""

    count: int
    last_updated: datetime | None


def edition(session: Session) -> Edition:
    count = session.scalar(select(func.count()).select_from(CaseStudy)
                           .where(CaseStudy.status == CaseStudyStatus.PUBLISHED))
    last = session.scalar(select(func.max(CaseStudy.updated_at)))
    return Edition(int(count or 0), last)


def sizes(session: Session, base_url: str) -> dict[str, int]:
    """The size in bytes of each download, as served (the caller caches it per edition: it reads everything)."""
    jsonl = sum(len(line.encode("utf-8")) for line in jsonl_lines(records(session, base_url)))
    csv_size = sum(len(part.encode("utf-8")) for part in csv_rows(records(session, base_url)))
    return {"jsonl": jsonl, "csv": csv_size}


def dataset_json_ld(base_url: str, found: Edition, byte_sizes: dict[str, int], paths: dict[str, str]) -> dict[str, Any]:
    """The dataset's own description: schema.org ``Dataset`` with its downloads, and the same in DCAT terms
    (``dcat:Dataset``, ``dcat:Distribution``), as data catalogues such as CKAN and Zenodo publish."""
    base = base_url.rstrip("/")
    modified = found.last_updated.date().isoformat() if found.last_updated else None
    files = [("jsonl", "application/x-ndjson", "All case studies, JSON Lines"),
             ("csv", "text/csv", "All case studies, CSV (UTF-8 with byte-order mark)")]
    return {
        "@context": {"@vocab": "https://schema.org/", "dcat": "http://www.w3.org/ns/dcat#",
                     "dct": "http://purl.org/dc/terms/"},
        "@type": ["Dataset", "dcat:Dataset"],
        "@id": base + paths["page"],
        "name": "School Improvement Commons: case studies", "dct:title": "School Improvement Commons: case studies",
        "description": "Case studies of how schools in England improved, written by the schools: their context, "
                       "what they did, the active ingredients, the evidence of impact, cost and time.",
        "url": base + paths["page"], "license": LICENCE_URL, "dct:license": {"@id": LICENCE_URL},
        "isAccessibleForFree": True, "inLanguage": "en-GB", "keywords": ["school improvement", "education", "England"],
        "creator": {"@type": "Organization", "name": "School Improvement Commons", "url": base + "/"},
        "dateModified": modified, "dct:modified": modified,
        "variableMeasured": [name for name, _, _ in DICTIONARY],
        "size": f"{found.count} case studies",
        "distribution": [{
            "@type": ["DataDownload", "dcat:Distribution"], "name": title, "dct:title": title,
            "encodingFormat": media, "dcat:mediaType": media,
            "contentUrl": base + paths[key], "dcat:downloadURL": {"@id": base + paths[key]},
            "contentSize": f"{byte_sizes[key]} B", "dcat:byteSize": byte_sizes[key],
            "dateModified": modified, "license": LICENCE_URL,
        } for key, media, title in files],
    }


def jsonl_lines(records_: Iterable[dict[str, Any]]) -> Iterator[str]:
    for item in records_:
        yield json.dumps(item, ensure_ascii=False) + "\n"


def csv_rows(records_: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The header, then one CSV line per record (a generator, so a download can stream)."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for item in records_:
        context = item["school"].get("context_when_published") or {}
        row = {**item, "school_urn": item["school"]["urn"], "school_name": item["school"]["name"],
               **{name: _cell(context.get(name)) for name in CONTEXT_FIELDS},
               "setting": setting_of(context.get("urban_rural")) or "",
               "topics": " ".join(item["topics"]), "open_to": " ".join(item["open_to"] or [])}
        writer.writerow({name: csv_safe(row.get(name)) for name in CSV_FIELDS})
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():
        yield buffer.getvalue()


def export(session: Session, folder: Path, base_url: str) -> int:
    """Write the whole open-data export into ``folder``; returns how many case studies.

    Each file is written beside its final name and renamed into place, so a reader never sees
    half a file. Case-study files left in ``case-studies/`` by an earlier export, whose case
    studies are no longer published (perhaps withdrawn for privacy), are removed: the folder
    holds what is published now and nothing else. Other files in the folder are left alone.
    """
    everything = list(records(session, base_url))
    sources = folder / "case-studies"
    sources.mkdir(parents=True, exist_ok=True)
    _write(folder / "case-studies.jsonl", jsonl_lines(everything))
    _write(folder / "case-studies.csv", csv_rows(everything))
    written = set()
    for item in everything:
        name = f"{item['slug']}.md"
        _write(sources / name, [item["source"]])
        written.add(name)
    for old in sources.glob("*.md"):
        if old.name not in written:
            old.unlink()
    _write(folder / "schools.csv", _school_rows(session, {item["school"]["urn"] for item in everything}))
    _write(folder / "LICENCE.txt", [
        "Every case study here is licensed under Creative Commons Attribution 4.0 International "
        f"(CC BY 4.0, {LICENCE_URL}). Credit each one as its `attribution` field says.\n"])
    return len(everything)


def _write(path: Path, parts: Iterable[str]) -> None:
    """Write ``path`` whole or not at all: into a temporary file beside it, then renamed."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(parts)
        os.chmod(tmp_name, 0o644)  # open data: readable like any file written directly  # nosec B103
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def _school_rows(session: Session, urns: set[int]) -> Iterator[str]:
    """The schools in the GIAS columns that `commons schools import` reads, as CSV lines."""
    query = select(School).where(School.urn.in_(sorted(urns))).order_by(School.urn)
    schools: Iterable[School] = session.scalars(query) if urns else []
    attributes = [attribute for attribute, _ in COLUMNS.values()]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["URN", *COLUMNS])
    for school in schools:
        values = [getattr(school, attribute) for attribute in attributes]
        writer.writerow([school.urn, *(csv_safe(_cell(v)) for v in values)])
    yield buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    return value.strftime("%d-%m-%Y") if hasattr(value, "strftime") else value
