"""Commands for the content: set up, import, export, schools, reindex, schema upgrade."""

import sys
from pathlib import Path
from typing import Any

import click
import numpy as np
from flask.cli import with_appcontext
from tqdm import tqdm

from commons import settings
from commons.cli.common import fail
from commons.db import db
from commons.domain.errors import CommonsError
from commons.ops.migrate import upgrade
from commons.search.extension import search_index
from commons.services.demo import demo_case_studies_to_load, load_demo, load_demo_hubs
from commons.services.importing import import_case_studies
from commons.services.schools import import_schools
from commons.services.transactions import transaction
from indexer import Embedder, IndexerError
from indexer.types import Vectors


@click.command("db-upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Create or migrate the database schema."""
    upgrade(db.engine)
    click.echo("Database schema is up to date.")


class _ProgressEmbedder:
    """Wraps the model so a long encode reports its progress: texts are sent in slices, the bar moves per slice."""

    SLICE = 64

    def __init__(self, embedder: Embedder, bar: "tqdm[Any]") -> None:
        self.embedder, self.bar = embedder, bar
        self.name, self.dimension = embedder.name, embedder.dimension

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> Vectors:
        self.bar.reset(total=len(texts))
        parts = []
        for start in range(0, len(texts), self.SLICE):
            parts.append(self.embedder.encode(texts[start:start + self.SLICE], batch_size=batch_size))
            self.bar.update(len(texts[start:start + self.SLICE]))
        return np.concatenate(parts) if parts else self.embedder.encode([], batch_size=batch_size)


@click.command()
@click.option("--demo/--no-demo", default=True, help="Load the fictional demo commons.")
@with_appcontext
def setup(demo: bool) -> None:
    """Create the database, load the demo commons and build the search index (idempotent).

    Each step says what it is doing: the first run exports the model to ONNX and embeds every
    demo case study, which takes a minute or two; later runs find everything done.
    """
    click.echo(f"Database: creating or upgrading the schema ({db.engine.dialect.name})...")
    upgrade(db.engine)
    state = search_index.state
    if demo:
        waiting = demo_case_studies_to_load(db.session)
        if waiting:
            click.echo("Model: loading the embedding model (the first run exports it to ONNX, "
                       "which takes a minute)...")
            embedder = state.embedder
            click.echo(f"Model: ready ({embedder.name}, {embedder.dimension} dimensions).")
            click.echo(f"Demo commons: embedding the passages of {waiting} demo case studies...")
            with tqdm(desc="Embedding passages", unit=" passage", file=sys.stdout) as bar:
                result = load_demo(db.session, _ProgressEmbedder(embedder, bar))
            click.echo(f"Loaded {len(result.created)} demo case studies ({result.passages} passages).")
        else:
            load_demo(db.session, state.embedder)  # the schools, updated from the demo file
            click.echo("Demo commons already loaded.")
        hubs = load_demo_hubs(db.session)
        if hubs:
            click.echo(f"Loaded {len(hubs)} demo hubs with their collections.")
    click.echo("Search index: bringing it up to date with the database...")
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
        with tqdm(desc="Schools", unit=" row") as bar, transaction(session):
            result = import_schools(session, csv_file, progress=bar.update)
    except CommonsError as error:
        fail(error)
    click.echo(f"Schools: {result.created} added, {result.updated} updated.")


@click.command("export")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_command(folder: Path) -> None:
    """Export everything published: JSON Lines, CSV, the case-study files and their schools."""
    from commons.services.export import export

    count = export(db.session, folder, settings.current().public_base)
    click.echo(f"Exported {count} case studies to {folder} (case-studies.jsonl, case-studies.csv, "
               "case-studies/*.md, schools.csv). Load them into another Commons with "
               f"`commons schools import {folder}/schools.csv` then `commons import {folder}/case-studies`.")
