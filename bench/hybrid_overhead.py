"""How much hybrid retrieval adds to the dense-only search path, as a ratio in one run.

    .venv/bin/python bench/hybrid_overhead.py ../shared/bench/scifact [--repeats 3]

Loads a BEIR collection into a temporary Commons (embedding cache), then times the whole
search service (retrieval, fusion, grouping, hydration; snippets on) for every judged query
in dense and in hybrid mode, interleaved; query vectors are cached first so both modes pay the
same encoding cost (none). The model's own encoding time for each question is measured too
(uncached), since a teacher's search always pays it. Prints medians, p95 and two
hybrid/dense ratios: the search path alone, and the search path with the query encoding.
"""

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from timing import p95

from commons.db import db
from commons.ops import evaluation
from commons.ops.evaluation import default_embedding_cache
from commons.search.engine import search
from commons.search.extension import search_index
from indexer import SentenceTransformerEmbedder
from indexer.embedding_cache import CachingEmbedder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("collection", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    collection = evaluation.read_collection(args.collection, "test")
    model = SentenceTransformerEmbedder()
    embedder = CachingEmbedder(model, default_embedding_cache())
    timings: dict[str, list[float]] = {"encode": [], "dense": [], "hybrid": []}
    with evaluation.temporary_commons(embedder) as app:
        evaluation.load_into(app, collection, embedder)
        questions = [collection.queries[q] for q in collection.qrels]
        state = search_index.state
        for question in questions:
            state.encode_query(question)
        search(db.session, state, questions[0], mode="hybrid")
        for _ in range(args.repeats):
            for question in questions:
                start = time.perf_counter()
                model.encode([question])
                timings["encode"].append(time.perf_counter() - start)
                for mode in ("dense", "hybrid"):
                    start = time.perf_counter()
                    search(db.session, state, question, mode=mode)
                    timings[mode].append(time.perf_counter() - start)
    encode = timings["encode"]
    timings["dense+encode"] = [e + d for e, d in zip(encode, timings["dense"], strict=True)]
    timings["hybrid+encode"] = [e + h for e, h in zip(encode, timings["hybrid"], strict=True)]
    print(f"{'step':<15}{'median ms':>10}{'p95 ms':>10}")
    for step, values in timings.items():
        print(f"{step:<15}{statistics.median(values) * 1000:>10.2f}{p95(values) * 1000:>10.2f}")
    for label, (dense, hybrid) in {
        "search path alone": ("dense", "hybrid"),
        "with query encoding": ("dense+encode", "hybrid+encode"),
    }.items():
        ratio = statistics.median(timings[hybrid]) / statistics.median(timings[dense])
        print(f"hybrid/dense median ratio, {label}: {ratio:.3f}")
    embedder.close()


if __name__ == "__main__":
    main()
