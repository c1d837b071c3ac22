"""Commands for running the Commons: serve, doctor, backup, restore, eval."""

import os
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo, with_appcontext
from tqdm import tqdm

from commons import settings
from commons.cli.common import fail
from commons.db import db
from commons.domain.errors import CommonsError
from commons.ops.judged import GROUPS as JUDGED_GROUPS
from commons.ops.judged import SPLITS as JUDGED_SPLITS
from commons.ops.migrate import upgrade
from commons.search.answerability import FEATURES, QUESTION_FEATURES, Calibration
from commons.search.extension import search_index


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
    from commons.ops.doctor import startup_check

    upgrade(db.engine)
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # typed as Flask, not as its proxy
    _public_url_for(app, bind or f"{host}:{port}", workers is not None)
    try:
        report = startup_check(app, warm=workers is None)
    except CommonsError as error:
        fail(error)
    for done in report.repaired:
        click.secho(f"Search index repaired: {done}.", fg="yellow")
    from commons.ops.running import serving

    if workers is not None:
        from commons.ops.server import run

        address = bind or f"{host}:{port}"
        factory = click.get_current_context().ensure_object(ScriptInfo).create_app
        if factory is None:
            fail(CommonsError("--workers needs the app factory: run it as `commons serve`"))
        click.echo(f"The Commons is open on http://{address}/ with {workers} workers  (Ctrl+C to stop)")
        db.engine.dispose()  # nothing database-side is shared across the fork
        with serving(Path(app.instance_path)):  # `commons restore` refuses while this runs
            run(address, workers, threads, timeout, factory)
        return
    from werkzeug.serving import run_simple

    click.echo(f"The Commons is open on http://{host}:{port}/  (Ctrl+C to stop)")
    with serving(Path(app.instance_path)):  # `commons restore` refuses while this runs
        run_simple(host, port, app, threaded=True)


def _public_url_for(app: Flask, address: str, forking: bool) -> None:
    """With COMMONS_PUBLIC_URL unset, links use where this server listens, and the console says so."""
    from commons.ops.public_url import DEFAULT_PUBLIC_URL, served_url

    if settings.of(app).public_url_set:
        return
    served = served_url(address)
    if served != DEFAULT_PUBLIC_URL:
        click.secho(f"Warning: COMMONS_PUBLIC_URL is not set and this server listens on {served}, not "
                    f"{DEFAULT_PUBLIC_URL}. Links in mail, citations, feeds, exports and the API will use {served}; "
                    "set COMMONS_PUBLIC_URL to the address readers use.", fg="yellow", err=True)
    settings.change(app, public_url=served)
    if forking:
        os.environ["COMMONS_SERVED_URL"] = served  # gunicorn's workers make their own app from the environment


@click.command()
@click.option("--repair", is_flag=True, help="Fix the search index: replay the change log or rebuild it.")
@click.option("--sample", type=click.IntRange(1), default=None,
              help="Compare only this many random vectors with the stored embeddings (default: all).")
@with_appcontext
def doctor(repair: bool, sample: int | None) -> None:
    """Check the database and that the index holds exactly the published passages."""
    from commons.ops import doctor as doctor_service

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
    from commons.ops.backup import backup

    try:
        backup(db.engine, path)
    except CommonsError as error:
        fail(error)
    click.echo(f"Backed up the {db.engine.dialect.name} database to {path}. "
               f"Restore it with `commons restore {path}`.")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True,
              help="Restore even though a server of this instance is running (it notices and rebuilds its "
                   "search index; stop it first if you can).")
@with_appcontext
def restore_command(path: Path, yes: bool, force: bool) -> None:
    """Replace the database with the backup at PATH and rebuild the search index.

    Refused while a `commons serve` of this instance folder is running: stop the servers
    first (servers of other machines sharing a PostgreSQL database are not seen here).
    """
    from commons.ops import doctor as doctor_service
    from commons.ops.backup import restore
    from commons.ops.running import running_servers

    running = running_servers(Path(current_app.instance_path))
    if running and not force:
        fail(CommonsError(
            "the Commons is being served by " + ", ".join(server.describe() for server in running)
            + ": stop the server first (restoring under it would leave its search out of date), "
              "or pass --force to restore anyway"))
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
        fail(error)
    if not report.ok:
        fail(CommonsError("after the restore: " + "; ".join(report.lines())))
    click.echo(f"Restored {path}; search index rebuilt ({len(index):,} passages) and checked.")


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
    from commons.ops import evaluation
    from indexer.embedding_cache import CachingEmbedder

    try:
        collection = evaluation.read_collection(directory, split)
    except CommonsError as error:
        fail(error)
    embedder = CachingEmbedder(search_index.state.embedder, cache_path or evaluation.default_embedding_cache())
    search: dict[str, object] = {key: value for key, value in settings.current().as_config().items()
                                 if key.startswith("COMMONS_SEARCH_")}
    for key, value in (("DENSE_WEIGHT", dense_weight), ("BM25_K1", k1), ("BM25_B", b)):
        if value is not None:
            search[f"COMMONS_SEARCH_{key}"] = value
    ordered = [m for m in ("lexical", "dense", "hybrid") if m in (modes or ("lexical", "dense", "hybrid"))]
    queries = min(len(collection.qrels), max_queries or len(collection.qrels))
    click.echo(f"{directory.name}: {len(collection.corpus):,} documents, {queries:,} judged queries ({split})",
               err=True)
    with evaluation.temporary_commons(embedder, search) as app:
        with tqdm(total=len(collection.corpus), desc="Indexing", unit=" doc", leave=False) as bar:
            slugs = evaluation.load_into(app, collection, embedder, progress=bar.update)
        for mode in ordered:
            run = evaluation.run_queries(app, collection, slugs, mode, max_queries)
            click.echo(evaluation.format_line(mode, evaluation.score(collection, run)))
    embedder.close()


@click.command("judged")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--split", default="fresh5", show_default=True, type=click.Choice([*JUDGED_SPLITS, *JUDGED_GROUPS]),
              help="Which split of the question set to score (fit on seen; report fresh5). 'seen' is tune, "
                   "heldout, fresh, broad, near, fresh2, fresh3 and fresh4; 'all' adds fresh5.")
@click.option("--json", "as_json", is_flag=True, help="Print every question's outcome and the figures as JSON.")
@click.option("--fit", "fit_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Fit the answerability calibration on this split and write it to FILE.")
@click.option("--calibration", "calibration_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Score with this calibration file instead of the shipped one.")
@click.option("--lost-questions", type=click.FloatRange(0.0, 1.0), default=None,
              help="With --fit or --cross: the share of answerable fitting questions the question floor may find "
                   "nothing for (default 0.03); lower finds more answers, and more for questions nothing answers.")
@click.option("--cross", is_flag=True,
              help="Score each split of the group (--split seen) with a calibration fitted on the others.")
@click.option("--without", multiple=True, type=click.Choice(list(dict.fromkeys([*FEATURES, *QUESTION_FEATURES]))),
              help="With --fit or --cross: leave this signal out of the models (to measure what it adds).")
@click.option("--cache", "cache_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Embedding cache file (default: the one `commons eval` uses).")
@with_appcontext
def judged_command(directory: Path, split: str, as_json: bool, fit_path: Path | None,
                   calibration_path: Path | None, lost_questions: float | None, cross: bool,
                   without: tuple[str, ...], cache_path: Path | None) -> None:
    """Score search on the judged question set, over a fresh copy of the demo commons.

    Prints nDCG@10, hit@3, the share of answerable questions whose best case study is not
    shown as an answer, and the answers shown for questions nothing answers, overall and
    per kind of question.
    """
    import json

    from commons.ops import evaluation, judged
    from indexer.embedding_cache import CachingEmbedder

    try:
        questions = judged.read_questions(directory, split)
    except CommonsError as error:
        fail(error)
    embedder = CachingEmbedder(search_index.state.embedder, cache_path or evaluation.default_embedding_cache())
    with judged.demo_commons(embedder) as app:
        state = search_index.state
        chosen = None
        if calibration_path is not None:
            chosen = Calibration.from_json(calibration_path.read_text(encoding="utf-8"), str(calibration_path))
        if cross:
            try:
                outcomes = judged.cross_validate(lambda: db.session, state, directory, split, frozenset(without),
                                                 judged.LOST_QUESTIONS if lost_questions is None else lost_questions)
            except CommonsError as error:
                fail(error)
        else:
            outcomes = judged.run(lambda: db.session, state, questions, with_candidates=fit_path is not None,
                                  calibration=chosen)
        if fit_path is not None and not cross:
            calibration = judged.fit_calibration(
                outcomes, f"{directory.name}/{split}", frozenset(without),
                judged.LOST_QUESTIONS if lost_questions is None else lost_questions)
            fit_path.write_text(calibration.to_json(), encoding="utf-8")
            click.echo(f"Wrote the calibration to {fit_path} (floor {calibration.floor:.4f}).", err=True)
            outcomes = judged.run(lambda: db.session, state, questions, calibration=calibration)
        figures = judged.summary(outcomes)
        del app
    embedder.close()
    if as_json:
        click.echo(json.dumps({
            "split": split, "figures": figures,
            "questions": [{"id": o.question.id, "kind": o.question.kind, "question": o.question.question,
                           "ndcg@10": round(o.ndcg, 4), "hit@3": o.hit3, "answers_shown": o.answers_shown,
                           "lost_best": o.lost_best,
                           "ranked": [{"slug": s, "relevance": round(r, 4), "answers": a} for s, r, a in o.ranked]}
                          for o in outcomes],
        }, indent=2))
        return
    click.echo(f"{split}: {len(questions)} questions")
    for name, row in figures.items():
        parts = [f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}" for key, value in row.items()]
        click.echo(f"  {name:9} " + " ".join(parts))
