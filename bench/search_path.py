"""What reading the question and answerability cost: the search path with and without them, in one run.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/search_path.py [--sizes demo 100000] [--repeats 2]

For each commons (the demo commons, and synthetic commons of the sizes given, see
bench/synthetic.py), every question of the judged question set (and, for the synthetic
ones, the synthetic questions too) is asked uncached, and per question it times:

* encode: the model on ONNX Runtime, one question (the reference every ratio divides by);
* retrieval only: the search service as it ranked before questions were read and answers
  judged: the words as typed, no glossary, no spelling fixes, the retrievers' fused order
  (``read=False, order="retrieval"``), with snippets;
* whole path: the search the page runs now: the question read, the glossary and spelling
  fixes, answerability for fifty candidates, answers first, with snippets.

The three are timed in turn for each question, so a busy machine slows all three alike.
Prints the median and p95 in ms, each as a ratio to the encode median, and the whole path's
median as a ratio to the retrieval-only median measured in the same run.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import synthetic
from timing import p95

JUDGED = Path(__file__).resolve().parent.parent / "tests" / "data" / "judged"


def questions() -> list[str]:
    from commons.ops.judged import read_questions

    return [q.question for q in read_questions(JUDGED, "all")]


def measure(label: str, app: object, asked: list[str], repeats: int) -> None:
    from commons.db import db
    from commons.search.engine import search
    from commons.search.extension import search_index

    with app.app_context():  # type: ignore[attr-defined]
        state = search_index.state
        search(db.session, state, "warm up the replicas")

        runs: dict[str, Callable[[str], object]] = {
            "encode": lambda q: state.embedder.encode([q]),
            "retrieval only": lambda q: search(db.session, state, q, read=False, order="retrieval"),
            "whole path": lambda q: search(db.session, state, q),
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(repeats):
            for question in asked:  # the three in turn for each question, so load on the machine hits all alike
                for name, run in runs.items():
                    state._queries.clear()  # every question is encoded afresh
                    start = time.perf_counter()
                    run(question)
                    times[name].append(time.perf_counter() - start)
                    db.session.rollback()
        encode, before, whole = times["encode"], times["retrieval only"], times["whole path"]
    reference = statistics.median(encode)
    print(f"\n{label}: {len(asked)} questions x {repeats}")
    print(f"  {'stage':16} {'p50 ms':>8} {'p95 ms':>8} {'p50/encode':>11} {'p95/encode':>11}")
    for name, times in (("encode", encode), ("retrieval only", before), ("whole path", whole)):
        print(f"  {name:16} {statistics.median(times) * 1000:8.2f} {p95(times) * 1000:8.2f} "
              f"{statistics.median(times) / reference:11.3f} {p95(times) / reference:11.3f}")
    print(f"  whole path p50 / retrieval-only p50: {statistics.median(whole) / statistics.median(before):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["demo"], help="demo and/or numbers of synthetic passages")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    from indexer import SentenceTransformerEmbedder

    model = SentenceTransformerEmbedder()
    model.encode(["warm up"])
    asked = questions()
    for size in args.sizes:
        with synthetic.commons_app(size, model) as (label, app):
            measure(label, app, asked if size == "demo" else [*synthetic.QUESTIONS, *asked], args.repeats)


if __name__ == "__main__":
    main()
