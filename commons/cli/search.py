"""``commons search``: ask the Commons a question from the terminal."""


import click
from flask import current_app
from flask.cli import with_appcontext

from commons.cli.common import fail
from commons.db import db
from commons.domain.comparability import CONTEXT_LEVELS, DEFAULT_CONTEXT_LEVEL
from commons.domain.errors import CommonsError
from commons.models import School
from commons.search import engine as search_service
from commons.search.extension import search_index
from commons.search.filters import CHOICES, FilterProblem, SearchFilters
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
@with_appcontext
def search(question: str, limit: int, school_urn: int | None, context_level: int, **filter_args: str | None) -> None:
    """Ask the Commons a question and print the top case studies."""
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
                                        reader=reader, context_level=context_level, filters=filters)
    except (search_service.QuestionProblem, FilterProblem) as problem:
        fail(problem)
    except IndexerError as error:
        fail(error)
    for notice in results.notices:
        click.secho(notice, fg="yellow")
    if not results.results:
        click.echo("No case studies answer that yet.")
    base = current_app.config["COMMONS_PUBLIC_URL"].rstrip("/")
    for rank, result in enumerate(results.results, start=1):
        cs = result.case_study
        best = result.best.passage
        click.secho(f"{rank}. {cs.title}", bold=True)
        click.echo(f"   {cs.school.name}: {schools_service.context_line(cs.school)}")
        if result.comparison is not None:
            click.echo(f"   {result.comparison.line()}")
        click.echo(f"   {best.heading}: {_snippet_text(result.best.snippet, best.text)}")
        click.echo(f"   {base}/case-studies/{cs.slug}#p-{best.id}  (score {result.score:.3f})")


def _snippet_text(snippet: Snippet | None, fallback: str) -> str:
    if snippet is None:
        return fallback if len(fallback) <= 300 else fallback[:297].rsplit(" ", 1)[0] + "…"
    body = "".join(click.style(f.text, bold=True) if f.marked else f.text for f in snippet.fragments)
    return ("… " if snippet.starts_mid_passage else "") + body + (" …" if snippet.ends_mid_passage else "")
