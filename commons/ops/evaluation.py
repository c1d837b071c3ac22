"""Retrieval evaluation on BEIR-layout collections, through the real indexing and search path.

A collection (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``) is loaded into a
temporary Commons: every document becomes a published case study of a fictional benchmark
school, chunked, embedded and indexed exactly as an imported case study is. Every query with
judgements then goes through the search service, and ranx computes the metrics.
"""

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from commons.domain.case_study_format import ParsedCaseStudy
from commons.domain.errors import CommonsError
from commons.models import School
from commons.search.engine import search
from commons.services.publishing import publish_all
from indexer import Embedder

METRICS = {"ndcg@10": "nDCG@10", "recall@100": "R@100", "mrr@10": "MRR@10"}
BENCHMARK_URN = 1
DEPTH = 100


class CollectionError(CommonsError):
    """The collection is malformed; the message names the file and line."""


@dataclass
class Collection:
    corpus: dict[str, tuple[str, str]]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def default_embedding_cache() -> Path:
    """Where ``commons eval`` keeps embeddings between runs (keyed by model and text)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "school-improvement-commons" / "embeddings.sqlite"


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    if not path.exists():
        raise CollectionError(f"{path}: missing (a BEIR collection has corpus.jsonl, queries.jsonl and qrels/test.tsv)")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CollectionError(f"{path}, line {number}: not valid JSON ({exc.msg})") from exc
            if not isinstance(record, dict) or "_id" not in record:
                raise CollectionError(f"{path}, line {number}: each line must be an object with an \"_id\"")
            yield number, record


def read_collection(directory: Path, split: str = "test") -> Collection:
    """Read and check a BEIR-layout collection."""
    corpus: dict[str, tuple[str, str]] = {}
    for number, record in _jsonl(directory / "corpus.jsonl"):
        doc_id = str(record["_id"])
        if doc_id in corpus:
            raise CollectionError(f"{directory / 'corpus.jsonl'}, line {number}: _id {doc_id!r} appears twice")
        corpus[doc_id] = (str(record.get("title") or ""), str(record.get("text") or ""))
    queries = {str(r["_id"]): str(r.get("text") or "") for _, r in _jsonl(directory / "queries.jsonl")}
    qrels_path = directory / "qrels" / f"{split}.tsv"
    if not qrels_path.exists():
        raise CollectionError(f"{qrels_path}: missing")
    qrels: dict[str, dict[str, int]] = {}
    with qrels_path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            columns = line.rstrip("\r\n").split("\t")
            if number == 1 and columns[0] == "query-id":
                continue
            if not line.strip():
                continue
            if len(columns) != 3:
                raise CollectionError(f"{qrels_path}, line {number}: "
                                      "expected 3 tab-separated columns (query-id, corpus-id, score)")
            query_id, doc_id, score = columns
            try:
                grade = int(score)
            except ValueError:
                raise CollectionError(f"{qrels_path}, line {number}: score {score!r} is not a whole number") from None
            if query_id not in queries:
                raise CollectionError(f"{qrels_path}, line {number}: query-id {query_id!r} is not in queries.jsonl")
            if doc_id not in corpus:
                raise CollectionError(f"{qrels_path}, line {number}: corpus-id {doc_id!r} is not in corpus.jsonl")
            if grade > 0:
                qrels.setdefault(query_id, {})[doc_id] = grade
    if not qrels:
        raise CollectionError(f"{qrels_path}: no positive judgements")
    return Collection(corpus, queries, qrels)


def _slug(doc_id: str) -> str:
    return "doc-" + (re.sub(r"[^a-z0-9]+", "-", doc_id.lower()).strip("-") or "x")


def load_into(
    app: Flask, collection: Collection, embedder: Embedder, progress: Callable[[int], None] | None = None
) -> dict[str, str]:
    """Publish every document as a case study; returns slug -> document id."""
    from commons.db import db

    session = db.session
    session.add(School(urn=BENCHMARK_URN, name="Benchmark collection", establishment_type="Other",
                       phase="Not applicable", is_fictional=True))
    session.flush()
    slugs: dict[str, str] = {}
    items = []
    for doc_id, (title, text) in collection.corpus.items():
        slug = _slug(doc_id)
        if slug in slugs:
            slug = f"{slug}-{len(slugs)}"
        slugs[slug] = doc_id
        items.append(ParsedCaseStudy(
            path=f"corpus.jsonl#{doc_id}", slug=slug, title=title, school_urn=BENCHMARK_URN,
            summary="", topics=[], start_year=2000, end_year=2000, evidence_strength="self-reported",
            authors=[], published=None, sections={"context": text}, source=text,
        ))
    publish_all(session, items, embedder, batch_size=64, progress=progress)
    session.commit()
    return slugs


def run_queries(
    app: Flask, collection: Collection, slugs: dict[str, str], mode: str, max_queries: int | None = None
) -> dict[str, dict[str, float]]:
    """Every judged query through the search service; a ranx-style run (higher = better)."""
    from commons.db import db
    from commons.search.extension import search_index

    run: dict[str, dict[str, float]] = {}
    query_ids = sorted(collection.qrels, key=_natural)[: max_queries or None]
    for query_id in query_ids:
        results = search(db.session, search_index.state, collection.queries[query_id], limit=DEPTH,
                         passages_per_result=1, mode=mode, pool=DEPTH * 10, snippets=False,
                         read=False, order="retrieval")
        ranked = [slugs[r.case_study.slug] for r in results.results]
        run[query_id] = {doc: float(DEPTH - rank) for rank, doc in enumerate(ranked)} or {"__none__": 0.0}
    return run


def score(collection: Collection, run: dict[str, dict[str, float]]) -> dict[str, float]:
    try:
        from ranx import Qrels, Run, evaluate
    except ImportError:
        raise CommonsError(
            "commons eval needs ranx, which is not installed: "
            "pip install 'school-improvement-commons[eval]'"
        ) from None

    qrels = Qrels({q: collection.qrels[q] for q in run})
    values = evaluate(qrels, Run(run), list(METRICS), make_comparable=True)
    return {name: float(values[name]) for name in METRICS}


def format_line(mode: str, metrics: dict[str, float]) -> str:
    return f"{mode} " + " ".join(f"{METRICS[name]}={value:.4f}" for name, value in metrics.items())


@contextmanager
def temporary_commons(embedder: Embedder, settings: dict[str, object] | None = None) -> Iterator[Flask]:
    """A throwaway Commons (SQLite in a temporary folder) with the given search settings.

    Only the database and the search index are set up: evaluation needs no pages, API or CLI.
    """
    from commons.db import db
    from commons.ops.migrate import upgrade
    from commons.search.extension import search_index

    with tempfile.TemporaryDirectory(prefix="commons-eval-") as folder:
        app = Flask("commons.evaluation", instance_path=folder)
        app.config.update({"COMMONS_DATABASE_URL": f"sqlite:///{folder}/eval.db", "SECRET_KEY": "evaluation"})
        app.config.update(settings or {})
        db.init_app(app)
        search_index.init_app(app, embedder=embedder)
        with app.app_context():
            upgrade(db.engine)
            yield app
            db.session.close()
            db.engine.dispose()


def _natural(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (0, value)
