"""``commons search``: ask the Commons a question from the terminal (``--json``: as the API answers)."""

import json

import click
from flask.cli import with_appcontext

from commons import settings
from commons.cli.common import fail
from commons.db import db
from commons.domain.comparability import CONTEXT_LEVELS, DEFAULT_CONTEXT_LEVEL
from commons.domain.errors import CommonsError
from commons.models import School
from commons.search import engine as search_service
from commons.search.extension import search_index
from commons.search.filters import CHOICES, FilterProblem, SearchFilters
from commons.search.glossary import quoted_words
from commons.search.reading import KINDS
from commons.search.serialise import search_results
from commons.services import schools as schools_service
from indexer import IndexerError
from indexer.snippets import Snippet

LEVELS_HELP = ", ".join(f"{i} {label.lower()}" for i, (label, _) in enumerate(CONTEXT_LEVELS))


@click.command()
@click.argument("question")
@click.option("-n", "--limit", default=5, show_default=True, help="How many case studies to show.")
@click.option("--school", "school_urn", type=int, help="Your school's URN: rank and explain by comparability.")
@click.option("--context", "context_level", type=click.IntRange(0, len(CONTEXT_LEVELS) - 1),
              default=DEFAULT_CONTEXT_LEVEL, show_default=True,
              help=f"How much school context counts: {LEVELS_HELP}")
@click.option("--phase", help=f"Filter: {', '.join(CHOICES['phase'])}.")
@click.option("--provision", help=f"Filter: {', '.join(CHOICES['provision'])}.")
@click.option("--region", help="Filter: a GIAS region, e.g. 'North West'.")
@click.option("--setting", help="Filter: urban or rural.")
@click.option("--fsm-band", help=f"Filter: {', '.join(CHOICES['fsm_band'])}.")
@click.option("--size-band", help=f"Filter: {', '.join(CHOICES['size_band'])}.")
@click.option("--topic", help="Filter: a topic, e.g. attendance.")
@click.option("--evidence-strength", help=f"Filter: {', '.join(CHOICES['evidence_strength'])}.")
@click.option("--year-from", help="Filter: work running in or after this year.")
@click.option("--year-to", help="Filter: work running in or before this year.")
@click.option("--open-to", help=f"Filter: {', '.join(CHOICES['open_to'])}.")
@click.option("--as-typed", is_flag=True,
              help="Search the words exactly as typed: do not read a school's context out of the question "
                   "or expand acronyms.")
@click.option("--ignore", "ignore", multiple=True, type=click.Choice(KINDS),
              help="A kind of context read from the question to put back into the topic (repeatable).")
@click.option("--json", "as_json", is_flag=True,
              help="Print the results as JSON, in the shape the API's /api/v1/search answers.")
@with_appcontext
def search(question: str, limit: int, school_urn: int | None, context_level: int, as_typed: bool,
           ignore: tuple[str, ...], as_json: bool, **filter_args: str | None) -> None:
    """Ask the Commons a question and print the case studies that answer it (then the nearest)."""
    reader = None
    if school_urn is not None:
        school = db.session.get(School, school_urn)
        if school is None:
            fail(CommonsError(f"--school: there is no school with URN {school_urn} in the Commons; "
                               "run `commons schools import FILE.csv` to add it"))
        reader = schools_service.context(school)
    try:
        filters = SearchFilters.from_args(filter_args)
        results = search_service.search(db.session, search_index.state, question, limit=limit,
                                        reader=reader, context_level=context_level, filters=filters,
                                        read=not as_typed, ignore=frozenset(ignore))
    except (search_service.QuestionProblem, FilterProblem) as problem:
        fail(problem)
    except IndexerError as error:
        fail(error)
    base = settings.current().public_base
    if as_json:
        click.echo(json.dumps(search_results(results, base, limit), ensure_ascii=False, indent=2))
        return
    for line in _reading_lines(results, reader.name if reader is not None else None):
        click.echo(line)
    for notice in [*results.notices, *([results.rules_notice] if results.rules_notice else [])]:
        click.secho(notice, fg="yellow")
    answers, nearest = results.answers, results.nearest
    if answers:
        _print(answers, base)
    elif _searched(results):
        click.secho("Nothing in the Commons answers this closely yet." + (" Nearest we have:" if nearest else ""),
                    bold=True)
    if nearest:
        if answers:
            click.secho("Also near, but not close answers:", bold=True)
        _print(nearest, base, start=len(answers) + 1)


def _searched(results: search_service.SearchResults) -> bool:
    """Whether the question had a topic to search (not only a description of a school)."""
    reading = results.reading
    return reading is None or any(c.isalnum() for c in reading.topic)


def _reading_lines(results: search_service.SearchResults, school_name: str | None) -> list[str]:
    """What was read in the question, and whose school orders the answers, as the web page says it."""
    reading = results.reading
    lines = []
    if reading is None:
        lines.append("Searching the words exactly as typed.")
    elif reading.context:
        topic = f"topic: {reading.topic}" if any(c.isalnum() for c in reading.topic) else "no topic yet"
        lines.append(f"Reading this as: {reading.summary()} · {topic}")
    for term, means in results.searched_as:
        lines.append(f"We searched “{term}” as “{means}”: on their own, {quoted_words(term)} would find other things.")
    if results.expansions:
        lines.append("We also searched for: " + ", ".join(f"{term} → {means}" for term, means in results.expansions))
    if reading is not None and reading.context and results.context_source == "school":
        lines.append(f"Ranked for your school, {school_name}; the school described in your question is shown "
                     "but not used.")
    elif results.context_source == "question":
        lines.append("Answers are ordered for a school like the one you describe.")
    return lines


def _print(ranked: list[search_service.CaseStudyResult], base: str, start: int = 1) -> None:
    for rank, result in enumerate(ranked, start=start):
        cs = result.case_study
        best = result.best.passage
        click.secho(f"{rank}. {cs.title}" + ("" if result.answers else "  (not a close match)"), bold=True)
        click.echo(f"   {cs.school.name}: {schools_service.context_line(cs.school)}")
        if result.comparison is not None:
            click.echo(f"   {result.comparison.line()}")
        click.echo(f"   {best.heading}: {_snippet_text(result.best.snippet, best.text)}")
        click.echo(f"   {base}/case-studies/{cs.slug}#p-{best.id}  (relevance {result.relevance:.2f}, "
                   f"score {result.score:.3f})")


def _snippet_text(snippet: Snippet | None, fallback: str) -> str:
    if snippet is None:
        return fallback if len(fallback) <= 300 else fallback[:297].rsplit(" ", 1)[0] + "…"
    body = "".join(click.style(f.text, bold=True) if f.marked else f.text for f in snippet.fragments)
    return ("… " if snippet.starts_mid_passage else "") + body + (" …" if snippet.ends_mid_passage else "")
