"""Tune the hybrid search settings on a collection's *training* judgements.

    .venv/bin/python bench/tune_hybrid.py ../shared/bench/scifact [--split train]

Loads the collection once into a temporary Commons (through the real indexing path, with
the embedding cache), then sweeps BM25 k1/b and the dense weight of the convex fusion,
printing nDCG@10 for each setting, best last. Report test figures with `commons eval`.
"""

import argparse
import itertools
import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from commons.ops import evaluation
from commons.ops.evaluation import default_embedding_cache
from commons.search.extension import search_index
from commons.search.state import SearchSettings
from indexer import SentenceTransformerEmbedder
from indexer.embedding_cache import CachingEmbedder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("collection", type=Path)
    parser.add_argument("--split", default="train")
    parser.add_argument("--weights", default="0.3,0.4,0.45,0.5,0.55,0.6,0.7")
    parser.add_argument("--k1", default="0.9,1.2,1.5")
    parser.add_argument("--b", default="0.4,0.6,0.75,0.9")
    args = parser.parse_args()
    collection = evaluation.read_collection(args.collection, args.split)
    embedder = CachingEmbedder(SentenceTransformerEmbedder(), default_embedding_cache())
    rows = []
    with evaluation.temporary_commons(embedder) as app:
        slugs = evaluation.load_into(app, collection, embedder)
        state = search_index.state
        for k1, b in itertools.product(map(float, args.k1.split(",")), map(float, args.b.split(","))):
            for weight in map(float, args.weights.split(",")):
                state.configure(SearchSettings(dense_weight=weight, k1=k1, b=b))
                metrics = evaluation.score(collection, evaluation.run_queries(app, collection, slugs, "hybrid"))
                rows.append((metrics["ndcg@10"], k1, b, weight, metrics))
                line = evaluation.format_line("hybrid", metrics)
                print(f"k1={k1:<4} b={b:<4} dense_weight={weight:<4} {line}", flush=True)
    best = max(rows, key=lambda r: r[0])
    print(f"best on {args.split}: k1={best[1]} b={best[2]} dense_weight={best[3]} "
          f"{evaluation.format_line('hybrid', best[4])}")
    embedder.close()


if __name__ == "__main__":
    sys.exit(main())
