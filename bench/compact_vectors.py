"""Compact vectors: search quality and index size with float32, float16 and int8 storage.

    .venv/bin/python bench/compact_vectors.py ../shared/bench/scifact [--modes dense hybrid]

Loads the collection once into a temporary Commons through the real publish path (encodings
come from the embedding cache when present), then for each vector encoding rebuilds the
vector index from the stored embeddings (``COMMONS_INDEX_VECTORS``) and runs every judged
question through the search service, as ``commons eval`` does. Prints nDCG@10, R@100 and the
index's bytes per passage, with each compact encoding's change against float32 measured in
the same run (the target: bytes at most half, nDCG@10 lower by at most 0.005).
"""

import argparse
import os
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import faiss

from commons.db import db
from commons.ops import evaluation
from commons.ops.evaluation import default_embedding_cache
from commons.search.extension import search_index
from indexer import SentenceTransformerEmbedder
from indexer.embedding_cache import CachingEmbedder
from indexer.threads import set_threads

ENCODINGS = ("float32", "float16", "int8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("collection", type=Path)
    parser.add_argument("--modes", nargs="+", default=["dense", "hybrid"], choices=["dense", "hybrid"])
    args = parser.parse_args()
    set_threads()
    collection = evaluation.read_collection(args.collection, "test")
    embedder = CachingEmbedder(SentenceTransformerEmbedder(), default_embedding_cache())
    rows: list[tuple[str, str, dict[str, float], float]] = []
    with evaluation.temporary_commons(embedder) as app:
        slugs = evaluation.load_into(app, collection, embedder)
        state = search_index.state
        for encoding in ENCODINGS:
            state.options = replace(state.options, vectors=encoding)  # type: ignore[arg-type]
            index = state.rebuild(db.session)
            per_passage = faiss.serialize_index(index._faiss).nbytes / max(len(index), 1)
            for mode in args.modes:
                metrics = evaluation.score(collection, evaluation.run_queries(app, collection, slugs, mode))
                rows.append((encoding, mode, metrics, per_passage))
                print(f"  {encoding} {mode}: nDCG@10={metrics['ndcg@10']:.4f}", flush=True)
    embedder.close()
    print(f"\n{args.collection.name}: {len(collection.corpus):,} documents, {len(collection.qrels)} judged questions")
    print(f"{'vectors':<9}{'mode':<8}{'nDCG@10':>9}{'R@100':>8}{'index B/p':>11}{'vs float32':>12}{'size':>7}")
    reference = {mode: (m, size) for enc, mode, m, size in rows if enc == "float32"}
    for encoding, mode, metrics, size in rows:
        base, base_size = reference[mode]
        delta = metrics["ndcg@10"] - base["ndcg@10"]
        print(f"{encoding:<9}{mode:<8}{metrics['ndcg@10']:>9.4f}{metrics['recall@100']:>8.4f}{size:>11.0f}"
              f"{delta:>+12.4f}{size / base_size:>7.2f}")


if __name__ == "__main__":
    main()
