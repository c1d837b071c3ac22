"""Indexing throughput: passages per second through the whole publish path vs raw ``model.encode``.

    .venv/bin/python bench/indexing_throughput.py ../shared/bench/scifact [--docs 600] [--repeats 2]

Publishes the first ``--docs`` documents of a BEIR collection into a fresh temporary Commons
(parsing, chunking, encoding, database rows, change log, then the index replicas caught
up), with no embedding cache. The reference is the model's own ``encode`` of exactly the
passage texts the publish path encoded, with the same batch size, timed in the same run
(alternating, ``--repeats`` times each). Prints passages per second, median and p95 of the
runs, and the ratio (the target is at least 0.9: the indexer adds at most 10%).
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
from commons.search.extension import search_index
from indexer import SentenceTransformerEmbedder
from indexer.threads import set_threads
from indexer.types import Vectors

BATCH = 64  # what evaluation.load_into publishes with


class Recording:
    """Passes encoding through to the model, remembering the texts."""

    def __init__(self, inner: SentenceTransformerEmbedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.calls: list[list[str]] = []

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> Vectors:
        self.calls.append(list(texts))
        return self.inner.encode(texts, batch_size=batch_size, progress=progress)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("collection", type=Path)
    parser.add_argument("--docs", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    set_threads()
    full = evaluation.read_collection(args.collection, "test")
    docs = dict(list(full.corpus.items())[: args.docs])
    collection = evaluation.Collection(docs, full.queries, full.qrels)
    model = SentenceTransformerEmbedder()  # as the Commons runs it: ONNX Runtime
    reference = SentenceTransformerEmbedder(runtime="torch")  # sentence-transformers' own encode
    for embedder in (model, reference):
        embedder.encode(["warm up"])
    publish: list[float] = []
    raw: list[float] = []
    passages = 0
    for _ in range(args.repeats):
        recorder = Recording(model)
        with evaluation.temporary_commons(recorder) as app:
            start = time.perf_counter()
            evaluation.load_into(app, collection, recorder)
            index, _ = search_index.state.fresh_pair(db.session)
            elapsed = time.perf_counter() - start
            passages = len(index)
        publish.append(passages / elapsed)
        start = time.perf_counter()
        for texts in recorder.calls:  # the same calls the publish path made
            reference.encode(texts, batch_size=BATCH)
        raw.append(sum(map(len, recorder.calls)) / (time.perf_counter() - start))
    print(f"{len(docs)} documents -> {passages} passages, batch size {BATCH}, {args.repeats} runs each; "
          f"the Commons encodes with {model.active_runtime}, the reference is sentence-transformers' encode")
    print(f"{'path':<22}{'median p/s':>12}{'p95 p/s':>10}")
    print(f"{'raw model.encode':<22}{statistics.median(raw):>12.1f}{p95(raw):>10.1f}")
    print(f"{'whole publish path':<22}{statistics.median(publish):>12.1f}{p95(publish):>10.1f}")
    print(f"throughput ratio publish / raw encode (median): {statistics.median(publish) / statistics.median(raw):.3f}")


if __name__ == "__main__":
    main()
