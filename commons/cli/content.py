"""Commands for the content: set up, import, export, schools, reindex, schema upgrade."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from tqdm import tqdm

from commons.cli.common import fail
from commons.db import db
from commons.domain.errors import CommonsError
from commons.ops.migrate import upgrade
from commons.search.extension import search_index
from commons.services.demo import load_demo
from commons.services.importing import import_case_studies
from commons.services.schools import import_schools
from indexer import IndexerError


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
        fail(error)
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
        fail(error)
    click.echo(f"Imported {len(result.created)} new and {len(result.revised)} revised case "
               f"studies ({result.passages} passages).")


@click.command()
@with_appcontext
def reindex() -> None:
    """Rebuild the search index from the stored embeddings (the model is not needed)."""
    from commons.search.source import DatabaseChangeSource

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
        fail(error)
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
