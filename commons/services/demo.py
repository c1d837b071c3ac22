"""The demo commons: fictional schools and their case studies, loaded on first run."""

from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from commons.domain.case_study_format import ParsedCaseStudy
from commons.domain.statuses import CaseStudyStatus, CollectionStatus
from commons.models import CaseStudy, Collection, CollectionItem, Hub
from commons.services.importing import case_study_files, parse_files
from commons.services.publishing import ProgressCallback, PublishResult, publish_all
from commons.services.schools import import_schools
from indexer import Embedder

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
SCHOOLS_CSV = DEMO_DIR / "schools.csv"
CASE_STUDIES = DEMO_DIR / "case_studies"


def load_demo(session: Session, embedder: Embedder, progress: ProgressCallback | None = None) -> PublishResult:
    """Add the demo schools and any demo case study not yet in the database (idempotent)."""
    import_schools(session, SCHOOLS_CSV, fictional=True)
    parsed = parse_files(case_study_files([CASE_STUDIES]))
    present = set(session.scalars(select(CaseStudy.slug)))
    missing = [p for p in parsed if p.slug not in present]
    try:
        result = publish_all(session, missing, embedder, progress=progress)
        _date_snapshots(session, missing)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


DEMO_HUBS = DEMO_DIR / "hubs.yaml"


def load_demo_hubs(session: Session, path: Path = DEMO_HUBS) -> list[str]:
    """Add the demo hubs and their published, curated collections (idempotent); the new hubs' slugs.

    The hubs are fictional and named so. They have no members: an admin adds owners from the hub's page.
    A hub or collection already in the database (by slug) is left as it is; a case study that
    is not published is left out of its collection.
    """
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    published = select(CaseStudy).where(CaseStudy.status == CaseStudyStatus.PUBLISHED)
    by_slug = {c.slug: c for c in session.scalars(published)}
    created: list[str] = []
    try:
        for entry in entries:
            if session.scalar(select(Hub).where(Hub.slug == entry["slug"])) is not None:
                continue
            hub = Hub(slug=entry["slug"], name=entry["name"], kind=entry["kind"],
                      description=" ".join(entry.get("description", "").split()))
            session.add(hub)
            for listed in entry.get("collections", []):
                if session.scalar(select(Collection).where(Collection.slug == listed["slug"])) is not None:
                    continue
                collection = Collection(hub=hub, slug=listed["slug"], title=listed["title"],
                                        description=" ".join(listed.get("description", "").split()),
                                        status=CollectionStatus.PUBLISHED, featured=bool(listed.get("featured", False)))
                session.add(collection)
                position = 0
                for item in listed.get("items", []):
                    found = by_slug.get(item["slug"])
                    if found is None:
                        continue
                    position += 1
                    session.add(CollectionItem(collection=collection, case_study=found, position=position,
                                               note=item.get("note", "")))
            created.append(hub.slug)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return created


def demo_case_studies_to_load(session: Session) -> int:
    """How many demo case studies are not in the database yet (what `load_demo` would add)."""
    present = set(session.scalars(select(CaseStudy.slug)))
    return sum(1 for p in parse_files(case_study_files([CASE_STUDIES])) if p.slug not in present)


def _date_snapshots(session: Session, published: list[ParsedCaseStudy]) -> None:
    """The demo's fictional schools are described as they were when each case study was published,
    so its context snapshot carries the publication date, not the day the demo was loaded."""
    for parsed in published:
        case_study = session.scalar(select(CaseStudy).where(CaseStudy.slug == parsed.slug))
        if case_study is not None and parsed.published is not None:
            case_study.school_snapshot = {**case_study.school_snapshot, "taken_on": parsed.published.isoformat()}
    session.flush()
