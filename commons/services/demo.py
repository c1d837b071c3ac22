"""The demo commons: fictional schools and their case studies, loaded on first run."""

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from commons.domain.case_study_format import ParsedCaseStudy
from commons.models import CaseStudy
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


def _date_snapshots(session: Session, published: list[ParsedCaseStudy]) -> None:
    """The demo's fictional schools are described as they were when each case study was published,
    so its context snapshot carries the publication date, not the day the demo was loaded."""
    for parsed in published:
        case_study = session.scalar(select(CaseStudy).where(CaseStudy.slug == parsed.slug))
        if case_study is not None and parsed.published is not None:
            case_study.school_snapshot = {**case_study.school_snapshot, "taken_on": parsed.published.isoformat()}
    session.flush()
