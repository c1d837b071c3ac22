"""The ``commons`` command line: set up, import, search, reindex and serve."""

import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select
from tqdm import tqdm

from commons import create_app
from commons.db import db
from commons.errors import CommonsError, ImportProblems
from commons.migrate import upgrade
from commons.search_index import search_index
from commons.models import School
from commons.services import schools as schools_service
from commons.services import search as search_service
from commons.services.comparability import CONTEXT_LEVELS, DEFAULT_CONTEXT_LEVEL
from commons.services.demo import load_demo
from commons.services.importing import import_case_studies
from commons.services.schools import import_schools
from commons.services.search_filters import CHOICES, FilterProblem, SearchFilters
from indexer import IndexerError
from indexer.snippets import Snippet


def _fail(error: Exception) -> None:
    if isinstance(error, ImportProblems):
        click.secho(f"Nothing was imported: {len(error.problems)} problem(s) to fix.", fg="red", err=True)
        for problem in error.problems:
            click.echo(f"  - {problem}", err=True)
    else:
        click.secho(f"Error: {error}", fg="red", err=True)
    sys.exit(1)


@click.group(cls=FlaskGroup, create_app=create_app, add_default_commands=False,
             add_version_option=False, load_dotenv=False)
def main() -> None:
    """School Improvement Commons: share how schools improved."""


def init_app(app: Flask) -> None:
    """Register the commands on the app (``commons ...`` and the test CLI runner)."""
    for command in (db_upgrade, setup, import_command, search, reindex, schools, users, export_command, serve,
                    eval_command, doctor, backup_command, restore_command):
        app.cli.add_command(command)


@click.command("db-upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Create or migrate the database schema."""
    upgrade(db.engine)
    click.echo("Database schema is up to date.")


@click.command()
@click.option("--demo/--no-demo", default=True, help="Load the fictional demo commons.")
@with_appcontext
def setup(demo: bool) -> None:
    """Create the database, load the demo commons and build the search index (idempotent)."""
    upgrade(db.engine)
    state = search_index.state
    if demo:
        with tqdm(desc="Demo case studies", unit=" case study", leave=False) as bar:
            result = load_demo(db.session, state.embedder, progress=bar.update)
        if result.created:
            click.echo(f"Loaded {len(result.created)} demo case studies ({result.passages} passages).")
        else:
            click.echo("Demo commons already loaded.")
    try:
        index = state.fresh(db.session)
    except IndexerError as error:
        _fail(error)
    click.echo(f"Search index ready: {len(index):,} passages.")


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--update", is_flag=True, help="Publish files for existing case studies as new revisions.")
@with_appcontext
def import_command(paths: tuple[Path, ...], update: bool) -> None:
    """Import case studies from Markdown files or folders (all or nothing)."""
    upgrade(db.engine)
    try:
        with tqdm(desc="Publishing", unit=" case study", leave=False) as bar:
            result = import_case_studies(db.session, paths, search_index.state.embedder,
                                         update=update, progress=bar.update)
        search_index.state.fresh(db.session)
    except (CommonsError, IndexerError) as error:
        _fail(error)
    click.echo(f"Imported {len(result.created)} new and {len(result.revised)} revised case "
               f"studies ({result.passages} passages).")


@click.command()
@click.argument("question")
@click.option("-n", "--limit", default=5, show_default=True, help="How many case studies to show.")
@click.option("--school", "school_urn", type=int, help="Your school's URN: rank and explain by comparability.")
@click.option("--context", "context_level", type=click.IntRange(0, len(CONTEXT_LEVELS) - 1),
              default=DEFAULT_CONTEXT_LEVEL, show_default=True,
              help="How much school context counts: " + ", ".join(f"{i} {label.lower()}" for i, (label, _) in enumerate(CONTEXT_LEVELS)))
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
            _fail(CommonsError(f"--school: there is no school with URN {school_urn} in the Commons; "
                               "run `commons schools import FILE.csv` to add it"))
        reader = schools_service.context(school)
    try:
        filters = SearchFilters.from_args(filter_args)
        results = search_service.search(db.session, search_index.state, question, limit=limit,
                                        reader=reader, context_level=context_level, filters=filters)
    except (search_service.QuestionProblem, FilterProblem) as problem:
        _fail(problem)
    except IndexerError as error:
        _fail(error)
    for notice in results.notices:
        click.secho(notice, fg="yellow")
    if not results.results:
        click.echo("No case studies answer that yet.")
    base = current_app.config["COMMONS_PUBLIC_URL"].rstrip("/")
    from commons.filters import context_line

    for rank, result in enumerate(results.results, start=1):
        cs = result.case_study
        best = result.best.passage
        click.secho(f"{rank}. {cs.title}", bold=True)
        click.echo(f"   {cs.school.name}: {context_line(cs.school)}")
        if result.comparison is not None:
            click.echo(f"   {result.comparison.line()}")
        click.echo(f"   {best.heading}: {_snippet_text(result.best.snippet, best.text)}")
        click.echo(f"   {base}/case-studies/{cs.slug}#p-{best.id}  (score {result.score:.3f})")


def _snippet_text(snippet: Snippet | None, fallback: str) -> str:
    if snippet is None:
        return fallback if len(fallback) <= 300 else fallback[:297].rsplit(" ", 1)[0] + "…"
    body = "".join(click.style(f.text, bold=True) if f.marked else f.text for f in snippet.fragments)
    return ("… " if snippet.starts_mid_passage else "") + body + (" …" if snippet.ends_mid_passage else "")


@click.command()
@with_appcontext
def reindex() -> None:
    """Rebuild the search index from the stored embeddings (the model is not needed)."""
    from commons.services.index_source import DatabaseChangeSource

    state = search_index.state
    total = DatabaseChangeSource(db.session, 0).live_count()
    with tqdm(total=total, desc="Reindexing", unit=" passage") as bar:
        index = state.rebuild(db.session, progress=bar.update)
    click.echo(f"Rebuilt the search index: {len(index):,} passages.")


@click.group()
def schools() -> None:
    """School data (GIAS)."""


@schools.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def schools_import(csv_file: Path) -> None:
    """Create or update schools from a GIAS "all establishment data" CSV."""
    upgrade(db.engine)
    session = db.session
    try:
        with tqdm(desc="Schools", unit=" row") as bar:
            result = import_schools(session, csv_file, progress=bar.update)
        session.commit()
    except CommonsError as error:
        session.rollback()
        _fail(error)
    click.echo(f"Schools: {result.created} added, {result.updated} updated.")


@click.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_command(folder: Path) -> None:
    """Export everything published: JSON Lines, CSV, the case-study files and their schools."""
    from commons.services.export import export

    count = export(db.session, folder, current_app.config["COMMONS_PUBLIC_URL"])
    click.echo(f"Exported {count} case studies to {folder} (case-studies.jsonl, case-studies.csv, "
               "case-studies/*.md, schools.csv). Load them into another Commons with "
               f"`commons schools import {folder}/schools.csv` then `commons import {folder}/case-studies`.")


@click.group()
def users() -> None:
    """Accounts."""


@users.command("create-admin")
@click.argument("email")
@click.option("--name", default="Administrator", show_default=True)
@click.password_option(help="The new admin's password (asked for when not given).")
@with_appcontext
def users_create_admin(email: str, name: str, password: str) -> None:
    """Create the first admin (or make an existing account an admin, keeping its password)."""
    from commons.models import User
    from commons.services import accounts

    upgrade(db.engine)
    session = db.session
    existing = session.scalar(select(User).where(User.email == accounts.normalise_email(email)))
    if existing is not None:
        existing.is_admin = True
        session.commit()
        click.echo(f"{existing.email} is now an admin (password unchanged).")
        return
    try:
        user = accounts.register(session, email, name, password)
    except accounts.AccountProblems as problems:
        session.rollback()
        _fail(CommonsError("; ".join(f"{field}: {message}" for field, message in problems.errors.items())))
    assert user is not None
    user.is_admin = True
    session.commit()
    click.echo(f"Created admin {user.email}. Sign in at /sign-in.")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Serve with gunicorn and this many worker processes (production; about one per core).")
@click.option("--bind", default=None, help="With --workers: address to listen on, HOST:PORT (default: --host:--port).")
@click.option("--threads", type=click.IntRange(1), default=4, show_default=True,
              help="With --workers: request threads per worker.")
@click.option("--timeout", type=click.IntRange(1), default=120, show_default=True,
              help="With --workers: seconds before a silent worker is restarted.")
@with_appcontext
def serve(host: str, port: int, workers: int | None, bind: str | None, threads: int, timeout: int) -> None:
    """Serve the web app (set up first with `commons setup`).

    Without --workers: one process (fine for a school or a hub). With --workers N: gunicorn,
    each worker with its own model and index replica, one torch/FAISS thread each unless
    COMMONS_MODEL_THREADS / COMMONS_FAISS_THREADS are set. The database and the index are
    checked at start and the index repaired if needed (see `commons doctor`).
    """
    from commons.services.doctor import startup_check

    upgrade(db.engine)
    try:
        report = startup_check(current_app._get_current_object(), warm=workers is None)  # type: ignore[attr-defined]
    except CommonsError as error:
        _fail(error)
    for done in report.repaired:
        click.secho(f"Search index repaired: {done}.", fg="yellow")
    if workers is not None:
        from commons.server import run

        address = bind or f"{host}:{port}"
        click.echo(f"The Commons is open on http://{address}/ with {workers} workers  (Ctrl+C to stop)")
        db.engine.dispose()  # nothing database-side is shared across the fork
        run(address, workers, threads, timeout)
        return
    from werkzeug.serving import run_simple

    click.echo(f"The Commons is open on http://{host}:{port}/  (Ctrl+C to stop)")
    run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]


@click.command()
@click.option("--repair", is_flag=True, help="Fix the search index: replay the change log or rebuild it.")
@click.option("--sample", type=click.IntRange(1), default=None,
              help="Compare only this many random vectors with the stored embeddings (default: all).")
@with_appcontext
def doctor(repair: bool, sample: int | None) -> None:
    """Check the database and that the index holds exactly the published passages."""
    from commons.services import doctor as doctor_service

    state = search_index.state
    with db.new_session() as session:
        report = doctor_service.check(session, state, sample=sample)
        for note in report.notes:
            click.echo(f"ok: {note}")
        if report.database_problems:
            click.echo("Database: problems found.")
        else:
            click.echo(f"Database: ok ({db.engine.dialect.name}).")
        for line in report.lines():
            click.secho(f"problem: {line}", fg="red")
        if repair and report.index_action is not None:
            report = doctor_service.repair(session, state, report)
            for done in report.repaired:
                click.secho(f"repaired: {done}", fg="green")
            for line in report.lines():
                click.secho(f"still a problem: {line}", fg="red")
    if report.database_problems:
        click.echo("The database is damaged: restore the newest backup with `commons restore PATH`.", err=True)
        sys.exit(1)
    if report.index_problems:
        click.echo("Run `commons doctor --repair` to fix the search index.", err=True)
        sys.exit(1)
    click.echo("Search index: ok.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a consistent copy of the database to PATH while the Commons keeps serving."""
    from commons.services.backup import backup

    try:
        backup(db.engine, path)
    except CommonsError as error:
        _fail(error)
    click.echo(f"Backed up the {db.engine.dialect.name} database to {path}. "
               f"Restore it with `commons restore {path}`.")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database with the backup at PATH and rebuild the search index (stop servers first)."""
    from commons.services import doctor as doctor_service
    from commons.services.backup import restore

    if not yes:
        click.confirm(f"Replace everything in the {db.engine.dialect.name} database with {path}?", abort=True)
    try:
        restore(db.engine, path)
        upgrade(db.engine)
        state = search_index.state
        with db.new_session() as session:
            index = state.rebuild(session)
            session.rollback()
            report = doctor_service.check(session, state)
    except CommonsError as error:
        _fail(error)
    if not report.ok:
        _fail(CommonsError("after the restore: " + "; ".join(report.lines())))
    click.echo(f"Restored {path}; search index rebuilt ({len(index):,} passages) and checked.")


def default_embedding_cache() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "school-improvement-commons" / "embeddings.sqlite"


@click.command("eval")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--mode", "modes", multiple=True, type=click.Choice(["lexical", "dense", "hybrid"]),
              help="Retrieval mode(s) to evaluate (default: all three, hybrid last).")
@click.option("--split", default="test", show_default=True, help="Which qrels file to use (qrels/SPLIT.tsv).")
@click.option("--max-queries", type=int, default=None, help="Evaluate only the first N judged queries.")
@click.option("--cache", "cache_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Embedding cache file (default: ~/.cache/school-improvement-commons/embeddings.sqlite).")
@click.option("--dense-weight", type=float, default=None, help="Override the hybrid dense weight.")
@click.option("--k1", type=float, default=None, help="Override BM25 k1.")
@click.option("--b", type=float, default=None, help="Override BM25 b.")
@with_appcontext
def eval_command(directory: Path, modes: tuple[str, ...], split: str, max_queries: int | None,
                 cache_path: Path | None, dense_weight: float | None, k1: float | None, b: float | None) -> None:
    """Measure search quality on a BEIR-layout collection: nDCG@10, Recall@100, MRR@10."""
    from commons.services import evaluation
    from indexer.embedding_cache import CachingEmbedder

    try:
        collection = evaluation.read_collection(directory, split)
    except CommonsError as error:
        _fail(error)
    embedder = CachingEmbedder(search_index.state.embedder, cache_path or default_embedding_cache())
    settings: dict[str, object] = {
        key: current_app.config[key] for key in current_app.config
        if key.startswith("COMMONS_SEARCH_")
    }
    for key, value in (("DENSE_WEIGHT", dense_weight), ("BM25_K1", k1), ("BM25_B", b)):
        if value is not None:
            settings[f"COMMONS_SEARCH_{key}"] = value
    ordered = [m for m in ("lexical", "dense", "hybrid") if m in (modes or ("lexical", "dense", "hybrid"))]
    click.echo(f"{directory.name}: {len(collection.corpus):,} documents, "
               f"{min(len(collection.qrels), max_queries or len(collection.qrels)):,} judged queries ({split})", err=True)
    with evaluation.temporary_commons(embedder, settings) as app:
        with tqdm(total=len(collection.corpus), desc="Indexing", unit=" doc", leave=False) as bar:
            slugs = evaluation.load_into(app, collection, embedder, progress=bar.update)
        for mode in ordered:
            run = evaluation.run_queries(app, collection, slugs, mode, max_queries)
            click.echo(evaluation.format_line(mode, evaluation.score(collection, run)))
    embedder.close()
