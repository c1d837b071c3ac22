"""The Commons' search side by side with txtai on a BEIR collection: same model, same run.

    .venv/bin/python bench/txtai_compare.py ../shared/bench/scifact [--repeats 2]

Needs the ``bench`` extra (``pip install -e '.[bench]'``), which brings txtai. Both sides get
the same documents (title and text) and the same bundled all-MiniLM-L6-v2, with no
embedding cache, so the build times include encoding. It measures:

* build: the Commons' whole publish path (chunking, encoding, database, index) against
  ``Embeddings.index`` in txtai's dense and hybrid (dense + BM25) modes;
* search: every judged test question, uncached, median and p95: the Commons' search service
  (hybrid retrieval, grouping, hydration of the top 10) against ``Embeddings.search(q, 10)``;
  warm figures (a question asked again, answered from the query cache) are shown apart, and
  so is encoding one question alone: with sentence-transformers (as txtai does) and with
  ONNX Runtime (as the Commons does);
* quality: nDCG@10 of each (the Commons through its real search path, as ``commons eval``).
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
from commons.search.engine import search
from commons.search.extension import search_index
from indexer import SentenceTransformerEmbedder, default_model_path
from indexer.threads import set_threads


def ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:>10.2f}{p95(values) * 1000:>10.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("collection", type=Path)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    try:
        from txtai import Embeddings
    except ImportError:
        raise SystemExit("txtai is not installed: pip install -e '.[bench]'") from None
    set_threads()
    collection = evaluation.read_collection(args.collection, "test")
    query_ids = sorted(collection.qrels, key=lambda q: (len(q), q))
    questions = [collection.queries[q] for q in query_ids]
    model = SentenceTransformerEmbedder()  # as the Commons runs it: ONNX Runtime
    reference = SentenceTransformerEmbedder(runtime="torch")  # sentence-transformers' own encode, as txtai uses
    for embedder in (model, reference):
        embedder.encode(["warm up"])
    rows: dict[str, dict[str, object]] = {}

    for mode, hybrid in (("txtai dense", False), ("txtai hybrid", True)):
        embeddings = Embeddings(path=str(default_model_path()), content=False, hybrid=hybrid, backend="faiss")
        start = time.perf_counter()
        embeddings.index(
            [(doc_id, f"{title} {text}".strip(), None) for doc_id, (title, text) in collection.corpus.items()]
        )
        build = time.perf_counter() - start
        run: dict[str, dict[str, float]] = {}
        timings: list[float] = []
        for _ in range(args.repeats):
            for query_id, question in zip(query_ids, questions, strict=True):
                start = time.perf_counter()
                found = embeddings.search(question, 10)
                timings.append(time.perf_counter() - start)
                run[query_id] = {str(doc): float(score) for doc, score in found} or {"__none__": 0.0}
        rows[mode] = {"build": build, "search": timings, "metrics": evaluation.score(collection, run)}

    with evaluation.temporary_commons(model) as app:
        start = time.perf_counter()
        slugs = evaluation.load_into(app, collection, model)
        state = search_index.state
        state.fresh_pair(db.session)
        build = time.perf_counter() - start
        cold: list[float] = []
        warm: list[float] = []
        encode: list[float] = []
        encode_onnx: list[float] = []
        for _ in range(args.repeats):
            for question in questions:
                start = time.perf_counter()
                reference.encode([question])
                encode.append(time.perf_counter() - start)
                start = time.perf_counter()
                model.encode([question])
                encode_onnx.append(time.perf_counter() - start)
                state._queries.clear()
                start = time.perf_counter()
                search(db.session, state, question, limit=10, snippets=False)
                cold.append(time.perf_counter() - start)
                start = time.perf_counter()
                search(db.session, state, question, limit=10, snippets=False)
                warm.append(time.perf_counter() - start)
        metrics = evaluation.score(collection, evaluation.run_queries(app, collection, slugs, "hybrid"))
        rows["commons hybrid"] = {"build": build, "search": cold, "warm": warm, "metrics": metrics}
        rows["encode, sentence-transf."] = {"search": encode}
        rows[f"encode, {model.active_runtime} (commons)"] = {"search": encode_onnx}

    print(f"{len(collection.corpus):,} documents, {len(questions)} judged questions x {args.repeats}")
    print(f"{'system':<26}{'build s':>9}{'p50 ms':>10}{'p95 ms':>10}{'nDCG@10':>9}")
    for name, row in rows.items():
        build_text = f"{row['build']:>9.1f}" if "build" in row else f"{'':>9}"
        ndcg = f"{row['metrics']['ndcg@10']:>9.4f}" if "metrics" in row else ""  # type: ignore[index]
        print(f"{name:<26}{build_text}{ms(row['search'])}{ndcg}")  # type: ignore[arg-type]
    warm_ms = ms(rows["commons hybrid"]["warm"])  # type: ignore[arg-type]
    print(f"{'commons hybrid, warm':<26}{'':>9}{warm_ms}  (question asked again: query cache)")
    ours = statistics.median(rows["commons hybrid"]["search"])  # type: ignore[arg-type]
    best = max(("txtai dense", "txtai hybrid"), key=lambda m: rows[m]["metrics"]["ndcg@10"])  # type: ignore[index]
    for mode in ("txtai dense", "txtai hybrid"):
        theirs = statistics.median(rows[mode]["search"])  # type: ignore[arg-type]
        print(f"search p50 commons / {mode}: {ours / theirs:.3f}")
        print(f"build time commons / {mode}: {rows['commons hybrid']['build'] / rows[mode]['build']:.3f}")  # type: ignore[operator]
    delta = rows["commons hybrid"]["metrics"]["ndcg@10"] - rows[best]["metrics"]["ndcg@10"]  # type: ignore[index]
    print(f"nDCG@10 commons - txtai's best mode ({best}): {delta:+.4f}")


if __name__ == "__main__":
    main()
