"""Importing case-study files: every file is checked first; then all are published or none."""

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.orm import Session

from commons.domain.case_study_format import CaseStudyFormatError, ParsedCaseStudy, parse_file
from commons.domain.errors import ImportProblems
from commons.services.publishing import ProgressCallback, PublishResult, publish_all
from indexer import Embedder


def case_study_files(paths: Iterable[Path]) -> list[Path]:
    """Markdown files named directly or found (sorted) inside the given folders."""
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.md") if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            problems.append(f"{path}: no such file or folder")
    if problems:
        raise ImportProblems(problems)
    if not files:
        raise ImportProblems([f"{', '.join(map(str, paths))}: no .md case-study files found"])
    return files


def parse_files(files: list[Path]) -> list[ParsedCaseStudy]:
    """Parse every file, collecting the problems of all of them before failing."""
    parsed: list[ParsedCaseStudy] = []
    problems: list[str] = []
    for path in files:
        try:
            parsed.append(parse_file(path))
        except CaseStudyFormatError as error:
            problems.extend(str(p) for p in error.problems)
    if problems:
        raise ImportProblems(problems)
    return parsed


def import_case_studies(
    session: Session,
    paths: Iterable[Path],
    embedder: Embedder,
    update: bool = False,
    progress: ProgressCallback | None = None,
) -> PublishResult:
    """Import case-study files in one transaction: all of them, or none on any problem."""
    parsed = parse_files(case_study_files(paths))
    try:
        result = publish_all(session, parsed, embedder, update=update, progress=progress)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result
