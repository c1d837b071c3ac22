"""The case-study file format: Markdown with YAML front matter and eight fixed sections.

Parsing never touches the database; every problem is reported with the file, the line and
the field, and what to do about it.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from commons.domain.text_safety import forbidden_message
from commons.domain.vocabulary import EVIDENCE_STRENGTHS, OFFERS, SECTIONS, TOPICS

MAX_TITLE = 300
MAX_SUMMARY = 1000
MAX_SECTION_CHARS = 20_000
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
YEARS = re.compile(r"^(\d{4})(?:\s*[-–]\s*(\d{4}))?$")
HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")
REQUIRED = ["title", "school_urn", "summary", "topics", "years", "evidence_strength", "authors"]
KNOWN = set(REQUIRED) | {"slug", "published", "open_to", "impact_table"}
IMPACT_KEYS = ["measure", "before", "after", "period", "pupils"]
MAX_IMPACT_ROWS = 12
MAX_URN = 999_999  # GIAS URNs have six digits


class FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader without aliases (``*name`` can expand a small file enormously) and
    without implicit dates (an impossible date is reported as a field problem, with its line)."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed; write the value out",
                                              event.start_mark)
        return super().compose_node(parent, index)


FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class FormatProblem:
    """One thing wrong with a file: where, which field, what, and how to fix it."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}, line {self.line}, {self.field}: {self.message}"


class CaseStudyFormatError(Exception):
    """A file is not a valid case study; ``problems`` lists every problem found."""

    def __init__(self, problems: list[FormatProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class ParsedCaseStudy:
    """A case study read from a file, valid in itself (the school is checked on import)."""

    path: str
    slug: str
    title: str
    school_urn: int
    summary: str
    topics: list[str]
    start_year: int
    end_year: int
    evidence_strength: str
    authors: list[dict[str, str]]
    published: date | None
    sections: dict[str, str]
    source: str
    open_to: list[str] = field(default_factory=list)
    impact_table: list[dict[str, Any]] = field(default_factory=list)
    front_matter: dict[str, Any] = field(default_factory=dict)
    field_lines: dict[str, int] = field(default_factory=dict)


def parse_file(path: Path) -> ParsedCaseStudy:
    """Read and validate one case-study file."""
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CaseStudyFormatError(
            [FormatProblem(str(path), 1, "file", f"is not UTF-8 text ({exc.reason}); save it as UTF-8")]
        ) from exc
    return parse(source, str(path), default_slug=path.stem)


def parse(source: str, path: str = "<text>", default_slug: str = "") -> ParsedCaseStudy:
    """Validate case-study source text; raises :class:`CaseStudyFormatError`."""
    problems: list[FormatProblem] = []

    def problem(line: int, field_name: str, message: str) -> None:
        problems.append(FormatProblem(path, line, field_name, message))

    lines = source.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip() != "---":
        problem(1, "front matter", "the file must start with a line '---', then the front matter, then '---'")
        raise CaseStudyFormatError(problems)
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problem(1, "front matter", "no closing '---' line after the front matter; add one before '## Context'")
        raise CaseStudyFormatError(problems) from None

    for number, text in enumerate(lines, start=1):
        bad = forbidden_message(text)
        if bad:
            problem(number, _field_at(lines, end, number - 1), bad)
    if problems:
        raise CaseStudyFormatError(problems)

    front_text = "\n".join(lines[1:end])
    try:
        front = yaml.load(front_text, Loader=FrontMatterLoader) or {}  # nosec B506 - a SafeLoader subclass
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 2
        reason = getattr(exc, "problem", None) or str(exc)[:200] or type(exc).__name__
        problem(line, "front matter", f"is not valid YAML ({reason}); check quotes and indentation")
        raise CaseStudyFormatError(problems) from exc
    if not isinstance(front, dict):
        problem(2, "front matter", "must be 'key: value' lines (title:, school_urn:, ...)")
        raise CaseStudyFormatError(problems)

    field_lines: dict[str, int] = {}
    for offset, text in enumerate(lines[1:end]):
        match = re.match(r"^([A-Za-z_]+)\s*:", text)
        if match:
            field_lines.setdefault(match.group(1), offset + 2)

    def line_of(name: str) -> int:
        return field_lines.get(name, end + 1)

    for name in REQUIRED:
        if front.get(name) in (None, "", []):
            problem(end + 1, name, f"is missing; add '{name}:' to the front matter")
    for name in sorted(set(front) - KNOWN):
        problem(line_of(str(name)), str(name), f"is not a known field; known fields are {', '.join(sorted(KNOWN))}")

    title = _text(front.get("title"))
    if title and len(title) > MAX_TITLE:
        problem(line_of("title"), "title", f"is {len(title)} characters; keep it under {MAX_TITLE}")
    summary = _text(front.get("summary"))
    if summary and len(summary) > MAX_SUMMARY:
        problem(line_of("summary"), "summary", f"is {len(summary)} characters; keep it under {MAX_SUMMARY}")
    for name, value, multiline in (("title", title, False), ("summary", summary, True)):
        bad = forbidden_message(value, multiline)  # also what a YAML escape such as "\v" makes
        if bad:
            problem(line_of(name), name, bad)

    school_urn = 0
    raw_urn = front.get("school_urn")
    if raw_urn not in (None, ""):
        try:
            text_urn = str(raw_urn).strip()
            if not text_urn.isascii() or not text_urn.isdigit() or len(text_urn) > 6:
                raise ValueError
            school_urn = int(text_urn)
            if not 0 < school_urn <= MAX_URN:
                raise ValueError
        except ValueError:
            problem(line_of("school_urn"), "school_urn",
                    f"{str(raw_urn)[:40]!r} is not a URN; use the school's 6-digit URN from GIAS")

    slug = _text(front.get("slug")) or default_slug
    if not SLUG.match(slug):
        problem(line_of("slug"), "slug",
                f"{slug!r} must be lowercase letters, digits and single hyphens (rename the file or set slug:)")

    topics: list[str] = []
    raw_topics = front.get("topics")
    if raw_topics not in (None, "", []):
        if isinstance(raw_topics, str):
            raw_topics = [t.strip() for t in raw_topics.split(",")]
        if not isinstance(raw_topics, list):
            problem(line_of("topics"), "topics", "must be a list, e.g. [reading, attendance]")
        else:
            for topic in raw_topics:
                name = str(topic).strip().lower()
                if name not in TOPICS:
                    problem(line_of("topics"), "topics", f"{topic!r} is not a topic; choose from {', '.join(TOPICS)}")
                elif name not in topics:
                    topics.append(name)

    start_year = end_year = 0
    raw_years = front.get("years")
    if raw_years not in (None, ""):
        match = YEARS.match(str(raw_years).strip())
        if not match:
            problem(line_of("years"), "years", f"{raw_years!r} must be a year or a range such as \"2022-2024\"")
        else:
            start_year = int(match.group(1))
            end_year = int(match.group(2) or match.group(1))
            this_year = date.today().year
            if not (1990 <= start_year <= end_year <= this_year + 1):
                problem(line_of("years"), "years", f"{raw_years!r} must run forwards, between 1990 and {this_year}")

    evidence = _text(front.get("evidence_strength")).lower()
    if evidence and evidence not in EVIDENCE_STRENGTHS:
        problem(line_of("evidence_strength"), "evidence_strength",
                f"{evidence!r} must be one of: {', '.join(EVIDENCE_STRENGTHS)}")

    authors: list[dict[str, str]] = []
    raw_authors = front.get("authors")
    if raw_authors not in (None, "", []):
        if not isinstance(raw_authors, list):
            raw_authors = [raw_authors]
        for author in raw_authors:
            if isinstance(author, str) and author.strip():
                authors.append({"name": author.strip(), "role": ""})
            elif isinstance(author, dict) and _text(author.get("name")):
                authors.append({"name": _text(author.get("name")), "role": _text(author.get("role"))})
            else:
                problem(line_of("authors"), "authors",
                        "each author needs a name, e.g. '- name: \"Ruth Armitage\"' and '  role: \"Headteacher\"'")
                continue
            bad = forbidden_message(authors[-1]["name"] + authors[-1]["role"], multiline=False)
            if bad:
                problem(line_of("authors"), "authors", bad)

    published: date | None = None
    raw_published = front.get("published")
    if raw_published not in (None, ""):
        if isinstance(raw_published, date):
            published = raw_published
        else:
            try:
                published = date.fromisoformat(str(raw_published).strip())
            except ValueError:
                problem(line_of("published"), "published", f"{raw_published!r} must be a date written YYYY-MM-DD")

    open_to: list[str] = []
    raw_open = front.get("open_to")
    if raw_open not in (None, "", []):
        for offer in raw_open if isinstance(raw_open, list) else [raw_open]:
            offer = _text(offer).lower().replace(" ", "-")
            if offer not in OFFERS:
                problem(line_of("open_to"), "open_to", f"{offer!r} must be one of: {', '.join(OFFERS)}")
            elif offer not in open_to:
                open_to.append(offer)

    impact_table = _impact_table(front.get("impact_table"), line_of("impact_table"), problem)

    sections = _sections(lines, end + 1, path, problems)
    if problems:
        raise CaseStudyFormatError(problems)
    return ParsedCaseStudy(
        path=path,
        slug=slug,
        title=title,
        school_urn=school_urn,
        summary=summary,
        topics=topics,
        start_year=start_year,
        end_year=end_year,
        evidence_strength=evidence,
        authors=authors,
        published=published,
        sections=sections,
        source=source,
        open_to=open_to,
        impact_table=impact_table,
        front_matter={k: (v.isoformat() if isinstance(v, date) else v) for k, v in front.items()},
        field_lines=field_lines,
    )


def _impact_table(raw: Any, line: int, problem: Callable[[int, str, str], None]) -> list[dict[str, Any]]:
    """The impact table: rows of measure, before, after, period and number of pupils."""
    if raw in (None, "", []):
        return []
    if not isinstance(raw, list) or len(raw) > MAX_IMPACT_ROWS:
        problem(line, "impact_table", f"must be a list of up to {MAX_IMPACT_ROWS} rows, each with "
                "measure:, before:, after:, period: and pupils:")
        return []
    rows = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or not _text(item.get("measure")):
            problem(line, "impact_table", f"row {number} needs a measure, e.g. '- measure: \"Persistent absence\"'")
            continue
        unknown = set(item) - set(IMPACT_KEYS)
        if unknown:
            problem(line, "impact_table", f"row {number}: {', '.join(sorted(map(str, unknown)))} not known; "
                    f"use {', '.join(IMPACT_KEYS)}")
        row: dict[str, Any] = {key: _text(item.get(key))[:120] for key in IMPACT_KEYS[:4]}
        pupils = item.get("pupils")
        if pupils in (None, ""):
            row["pupils"] = None
        elif isinstance(pupils, int) and not isinstance(pupils, bool) and 0 <= pupils <= 10_000:
            row["pupils"] = pupils
        else:
            problem(line, "impact_table", f"row {number}: pupils {pupils!r} must be a whole number of pupils")
            continue
        rows.append(row)
    return rows


def _sections(lines: list[str], start: int, path: str, problems: list[FormatProblem]) -> dict[str, str]:
    """Collect the body of each ``##`` section, checking names, order and content."""
    by_heading = {heading.lower(): key for key, heading in SECTIONS}
    headings = ", ".join(h for _, h in SECTIONS)
    found: list[tuple[str, int, list[str]]] = []
    for number, text in enumerate(lines[start:], start=start + 1):
        match = HEADING.match(text)
        if match:
            heading = match.group(1).strip()
            key = by_heading.get(heading.lower())
            if key is None:
                problems.append(FormatProblem(path, number, "section",
                                              f"'## {heading}' is not a section of the template; "
                                              f"the sections are: {headings}"))
                key = f"unknown:{heading}"
            found.append((key, number, []))
        elif found:
            found[-1][2].append(text)
        elif text.strip():
            problems.append(FormatProblem(path, number, "section",
                                          "text before the first section; start the body with '## Context'"))
            found.append(("preamble", number, []))

    sections: dict[str, str] = {}
    seen: dict[str, int] = {}
    for key, number, body in found:
        if key.startswith("unknown:") or key == "preamble":
            continue
        heading = dict(SECTIONS)[key]
        if key in seen:
            problems.append(FormatProblem(path, number, "section",
                                          f"'## {heading}' appears twice (first at line {seen[key]}); merge them"))
            continue
        seen[key] = number
        text = "\n".join(body).strip()
        if not text:
            problems.append(FormatProblem(path, number, "section",
                                          f"'## {heading}' is empty; write at least a few sentences"))
        elif len(text) > MAX_SECTION_CHARS:
            problems.append(FormatProblem(path, number, "section", f"'## {heading}' is {len(text)} characters; "
                                          f"keep each section under {MAX_SECTION_CHARS}"))
        sections[key] = text
    last_line = len(lines)
    for key, heading in SECTIONS:
        if key not in seen:
            problems.append(FormatProblem(path, last_line, "section", f"'## {heading}' is missing; "
                                          "add it (every case study has all eight sections)"))
    order = [key for key, _, _ in found if key in dict(SECTIONS)]
    expected = [key for key, _ in SECTIONS if key in order]
    if not problems and order != expected:
        problems.append(FormatProblem(path, seen[order[0]], "section", f"sections are out of order; use: {headings}"))
    return sections


def _field_at(lines: list[str], end: int, index: int) -> str:
    """The front-matter field or the section (its key) that line ``index`` belongs to."""
    if index <= end:
        for text in reversed(lines[1:index + 1]):
            match = re.match(r"^([A-Za-z_]+)\s*:", text)
            if match:
                return match.group(1)
        return "front matter"
    by_heading = {heading.lower(): key for key, heading in SECTIONS}
    for text in reversed(lines[end + 1:index + 1]):
        match = HEADING.match(text)
        if match:
            return by_heading.get(match.group(1).strip().lower(), "section")
    return "section"


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
