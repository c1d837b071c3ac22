"""Thread settings measured: model threads (ONNX Runtime) for the query, FAISS/OpenMP threads for the index.

    .venv/bin/python bench/threads.py [--workers 1 2] [--size 100000] [--repeats 3]

For each combination of model threads and FAISS threads (1 up to the number of cores), and
each number of worker processes answering at once, every worker encodes a question and
searches an exact index of ``--size`` synthetic vectors (bench/synthetic.py), over and over.
Prints per-question latency (median, p95) and the machine's throughput (questions per
second over all workers), each as a ratio to the one-thread/one-thread setting of the same
run. The defaults ``COMMONS_MODEL_THREADS`` and ``COMMONS_FAISS_THREADS`` come from this.
"""

import argparse
import itertools
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic
from timing import p95


def worker(
    model_threads: int, faiss_threads: int, size: int, repeats: int,
    start: "mp.synchronize.Barrier", out: "mp.Queue[list[float]]",
) -> None:
    import numpy as np

    from indexer import SentenceTransformerEmbedder, VectorIndex
    from indexer.layout import IndexOptions
    from indexer.threads import set_threads

    set_threads(model_threads, faiss_threads)
    model = SentenceTransformerEmbedder()
    model.encode(["warm up"])
    index = VectorIndex("m", synthetic.DIM, IndexOptions(kind="flat"))
    index.index(range(size), np.ascontiguousarray(synthetic.vectors(size)))
    start.wait()
    timings = []
    for _ in range(repeats):
        for question in synthetic.QUESTIONS:
            began = time.perf_counter()
            index.search(model.encode([question])[0], 200)
            timings.append(time.perf_counter() - began)
    out.put(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    synthetic.vectors(args.size)
    ctx = mp.get_context("spawn")
    print(f"{cores} cores; exact index of {args.size:,} synthetic vectors; encode + search of one question")
    print(f"{'workers':>7}{'model':>6}{'faiss':>6}{'p50 ms':>9}{'p95 ms':>9}{'q/s':>8}{'p50/ref':>9}{'q/s/ref':>9}")
    for workers in args.workers:
        reference: tuple[float, float] | None = None
        for model_threads, faiss_threads in itertools.product(range(1, cores + 1), repeat=2):
            barrier = ctx.Barrier(workers + 1)
            queue: mp.Queue[list[float]] = ctx.Queue()
            worker_args = (model_threads, faiss_threads, args.size, args.repeats, barrier, queue)
            procs = [ctx.Process(target=worker, args=worker_args) for _ in range(workers)]
            for proc in procs:
                proc.start()
            barrier.wait()
            began = time.perf_counter()
            timings = [t for _ in procs for t in queue.get()]
            wall = time.perf_counter() - began
            for proc in procs:
                proc.join()
            median, rate = statistics.median(timings), len(timings) / wall
            reference = reference or (median, rate)
            print(f"{workers:>7}{model_threads:>6}{faiss_threads:>6}{median * 1000:>9.2f}{p95(timings) * 1000:>9.2f}"
                  f"{rate:>8.1f}{median / reference[0]:>9.3f}{rate / reference[1]:>9.3f}")


if __name__ == "__main__":
    main()
