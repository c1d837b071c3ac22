"""Search latency and serving memory against corpus size, as ratios to the model's own encoding.

    .venv/bin/python bench/scale_latency.py [--sizes 10000 100000 1000000] [--whole-path-max 100000]
        [--vectors float32|float16|int8] [--repeats 3] [--out bench/results] [--memory-only]

The corpora are SYNTHETIC VARIATIONS of the demo commons (see bench/synthetic.py), made once
under bench/.cache/. For each size, in one run, it times per question:

* encode: the model's own ``encode`` of one question, sentence-transformers on torch (the
  reference every ratio divides by);
* encode onnx: the same model on ONNX Runtime, as the Commons runs it (indexer/onnx_model.py);
* index: the vector index search alone (the pool the search path asks for);
* whole path: the search service with an uncached question: encoding (ONNX), hybrid retrieval, a
  filter, the comparability blend for a reader's school, grouping and hydration;
* http: GET /search with a filter and an uncached question, through a real HTTP server in
  this process.

Sizes above ``--whole-path-max`` are measured for the index alone (no database is built).
It also measures recall@10 of the index against exact search for the questions, and, in a
fresh child process per size, the resident memory of the serving process (model loaded,
then index and lexical replicas) per passage against the raw float32 vector bytes.
Prints tables (median and p95 in ms, ratios to the encoding median) and writes a PNG.
"""

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
import synthetic
from timing import p95

ROOT = Path(__file__).resolve().parent


def rss() -> int:
    import psutil

    return int(psutil.Process().memory_info().rss)


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def build_index(n: int, vectors_option: str):  # type: ignore[no-untyped-def]
    """The vector index of n synthetic vectors (saved under bench/.cache/, built once)."""
    from indexer import VectorIndex
    from indexer.layout import IndexOptions

    options = IndexOptions(vectors=vectors_option)  # type: ignore[arg-type]
    folder = synthetic.CACHE / f"index-{n}-{vectors_option}"
    try:
        return VectorIndex.load(folder, "all-MiniLM-L6-v2", synthetic.DIM, options)
    except Exception:
        pass
    synthetic.check_fits(f"an index of {n:,} vectors", 3 * n * synthetic.DIM * 4)
    vecs = np.ascontiguousarray(synthetic.vectors(n))
    index = VectorIndex("all-MiniLM-L6-v2", synthetic.DIM, options)
    index.index(range(1, n + 1), vecs)
    index.save(folder)
    return index


def memory_child(n: int, vectors_option: str, whole: bool) -> dict[str, float]:
    """Run in a fresh process: RSS with the model loaded, then with the replicas loaded.

    For whole-path sizes the replicas are measured after the benchmark's questions have been
    searched once, so what searching keeps (cached term weights, filters) is counted.
    """
    from indexer import SentenceTransformerEmbedder
    from indexer.threads import set_threads

    set_threads()
    model = SentenceTransformerEmbedder()
    model.encode(["warm up"])
    gc.collect()
    before = rss()
    if whole:
        import sqlalchemy

        from commons import create_app
        from commons.db import db
        from commons.search.catalogue import catalogue
        from commons.search.extension import search_index

        folder = synthetic.database(n)
        app = create_app(_config(folder, vectors_option), embedder=model)
        with app.app_context():
            db.session.execute(sqlalchemy.text("select 1"))
            gc.collect()
            before = rss()  # the application loaded too: what follows grows with the commons
            vectors, _lexical = search_index.state.fresh_pair(db.session)  # both replicas stay loaded
            catalogue(db.session)  # what the search path keeps about every published case study
            db.session.rollback()
            from commons.search.engine import search

            reader, filters = _reader_and_filters()
            for question in synthetic.QUESTIONS:  # what searching keeps: term weights, length norms, filters
                search(db.session, search_index.state, question, reader=reader, filters=filters)
                db.session.rollback()
            gc.collect()
            after_vectors = rss()
            index_bytes = _index_bytes(vectors)
            count = len(vectors)
    else:
        index = build_index(n, vectors_option)
        gc.collect()
        after_vectors = rss()
        index_bytes = _index_bytes(index)
        count = len(index)
    return {"n": count, "model_rss": before, "serving_rss": after_vectors, "index_file_bytes": index_bytes}


def _reader_and_filters():  # type: ignore[no-untyped-def]
    """The reader's school and the filter every whole-path search uses (a demo school, primary)."""
    from commons.domain.comparability import context_from_fields
    from commons.search.filters import SearchFilters

    reader = context_from_fields(synthetic.base().studies[0]["school_snapshot"], 990001)  # type: ignore[arg-type]
    return reader, SearchFilters(phase="primary")


def _index_bytes(index) -> int:  # type: ignore[no-untyped-def]
    import faiss

    return int(faiss.serialize_index(index._faiss).nbytes)


def _config(folder: Path, vectors_option: str) -> dict[str, object]:
    return {"COMMONS_DATABASE_URL": f"sqlite:///{folder}/commons.db", "COMMONS_INSTANCE_PATH": str(folder),
            "COMMONS_SECRET_KEY": "benchmark", "COMMONS_INDEX_DIR": str(folder / f"index-{vectors_option}"),
            "COMMONS_INDEX_VECTORS": vectors_option}


def measure_size(n: int, whole: bool, args: argparse.Namespace, reference, model) -> dict[str, object]:  # type: ignore[no-untyped-def]
    from indexer.recall import exact_top_k, recall_at_k

    questions = synthetic.QUESTIONS
    qvecs = model.encode(questions)
    row: dict[str, object] = {"n": n, "timings": {}}
    timings: dict[str, list[float]] = {"encode": [], "encode onnx": [], "index": []}
    if whole:
        from commons import create_app
        from commons.db import db
        from commons.search.engine import search
        from commons.search.extension import search_index

        folder = synthetic.database(n)
        app = create_app(_config(folder, args.vectors), embedder=model)
        timings.update({"whole path": [], "http": []})
        with app.app_context():
            state = search_index.state
            start = time.perf_counter()
            vectors, _ = state.fresh_pair(db.session)
            row["replicas_ready_s"] = time.perf_counter() - start
            reader, filters = _reader_and_filters()
            search(db.session, state, questions[0], reader=reader, filters=filters)
            server = _serve(app)
            url = f"http://127.0.0.1:{server.server_port}/search?"
            urllib.request.urlopen(url + urllib.parse.urlencode({"q": questions[0]})).read()
            for _ in range(args.repeats):
                for i, q in enumerate(questions):
                    timings["encode"] += timed(lambda q=q: reference.encode([q]), 1)
                    timings["encode onnx"] += timed(lambda q=q: model.encode([q]), 1)
                    timings["index"] += timed(lambda i=i: vectors.search(qvecs[i], state.settings.pool), 1)
                    state._queries.clear()
                    timings["whole path"] += timed(
                        lambda q=q: search(db.session, state, q, reader=reader, filters=filters), 1
                    )
                    db.session.rollback()
                    state._queries.clear()
                    link = url + urllib.parse.urlencode({"q": q, "phase": "primary"})
                    timings["http"] += timed(lambda link=link: urllib.request.urlopen(link).read(), 1)
            server.shutdown()
            db.session.close()
            db.engine.dispose()
    else:
        vectors = build_index(n, args.vectors)
        for _ in range(args.repeats):
            for i, q in enumerate(questions):
                timings["encode"] += timed(lambda q=q: reference.encode([q]), 1)
                timings["encode onnx"] += timed(lambda q=q: model.encode([q]), 1)
                timings["index"] += timed(lambda i=i: vectors.search(qvecs[i], 200), 1)
    if vectors.layout.is_ivf or args.vectors != "float32":
        truth = exact_top_k(np.asarray(synthetic.vectors(n)), np.arange(1, n + 1, dtype=np.int64), qvecs, 10)
        found = np.array([[h.id for h in vectors.search(v, 10)] for v in qvecs])
        row["recall@10"] = recall_at_k(found, truth)
    row["index_type"] = vectors.index_type
    row["nprobe"] = vectors.nprobe
    row["timings"] = timings
    return row


def _serve(app):  # type: ignore[no-untyped-def]
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def plot(rows: list[dict[str, object]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for step in ("encode", "encode onnx", "index", "whole path", "http"):
        points = [(r["n"], statistics.median(r["timings"][step]) * 1000) for r in rows if step in r["timings"]]  # type: ignore[index]
        if points:
            ax.plot(*zip(*points, strict=True), marker="o", label=f"{step} (median)")
    ax.set_xscale("log")
    ax.set_xlabel("passages (synthetic variations of the demo commons)")
    ax.set_ylabel("ms per question")
    ax.set_title("Search latency against corpus size")
    ax.legend()
    ax.grid(True, which="both", alpha=0.3)
    path = out / "scale_latency.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--whole-path-max", type=int, default=100_000)
    parser.add_argument("--vectors", default="float32", choices=["float32", "float16", "int8"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    parser.add_argument("--memory-only", action="store_true",
                        help="only the serving memory (no timings, no plot): a few minutes instead of many")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        print(json.dumps(memory_child(args.memory_child, args.vectors, args.memory_child <= args.whole_path_max)))
        return
    for n in args.sizes:  # refuse before doing anything
        per_passage = synthetic.DIM * 4 * (3 if n > args.whole_path_max else 8)
        synthetic.check_fits(f"--sizes {n}", n * per_passage)
    if args.memory_only:
        serving_memory(args)
        return
    from indexer import SentenceTransformerEmbedder
    from indexer.threads import set_threads

    set_threads()
    print("The corpora are synthetic variations of the demo commons (bench/synthetic.py).")
    reference = SentenceTransformerEmbedder(runtime="torch")  # sentence-transformers' own encode
    model = SentenceTransformerEmbedder()  # as the Commons runs it: ONNX Runtime
    for embedder in (reference, model):
        embedder.encode(["warm up"])
    print(f"the Commons encodes with {model.active_runtime}; ratios divide by sentence-transformers' own encode")
    rows = []
    for n in args.sizes:
        whole = n <= args.whole_path_max
        print(f"\n== {n:,} passages ({'whole path and http' if whole else 'index only'}) ==", flush=True)
        row = measure_size(n, whole, args, reference, model)
        rows.append(row)
        timings: dict[str, list[float]] = row["timings"]  # type: ignore[assignment]
        enc = statistics.median(timings["encode"])
        recall = f" recall@10={row['recall@10']:.3f}" if "recall@10" in row else ""
        print(f"index {row['index_type']} nprobe={row['nprobe']}{recall}")
        onnx = statistics.median(timings["encode onnx"])
        print(f"{'step':<12}{'median ms':>10}{'p95 ms':>10}{'median/enc':>12}{'p95/enc':>10}{'median/onnx':>13}")
        for step, values in timings.items():
            med, tail = statistics.median(values), p95(values)
            print(f"{step:<12}{med * 1000:>10.2f}{tail * 1000:>10.2f}"
                  f"{med / enc:>12.3f}{tail / enc:>10.3f}{med / onnx:>13.3f}")
    serving_memory(args)
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"\nplot: {plot(rows, args.out)}")


def serving_memory(args: argparse.Namespace) -> None:
    """The serving process's resident memory at each size, each in a fresh child process."""
    print("\n== serving memory (fresh process per size) ==")
    print("fixed: the model (and, for whole-path sizes, the application) loaded; per passage: what the")
    print("replicas (vector index; lexical index and case-study facts for whole-path sizes) add, over raw")
    print(f"float32 vector bytes ({synthetic.DIM * 4} B per passage)")
    print(f"{'passages':>10}{'what':>8}{'fixed MiB':>11}{'serving MiB':>13}"
          f"{'B/passage':>11}{'ratio':>7}{'index B/p':>11}")
    raw = synthetic.DIM * 4
    whole_points = []
    for n in args.sizes:
        command = [sys.executable, __file__, "--memory-child", str(n), "--vectors", args.vectors,
                   "--whole-path-max", str(args.whole_path_max)]
        child = subprocess.run(command, capture_output=True, text=True, check=True)
        m = json.loads(child.stdout.strip().splitlines()[-1])
        per = (m["serving_rss"] - m["model_rss"]) / m["n"]
        what = "whole" if n <= args.whole_path_max else "index"
        if what == "whole":
            whole_points.append((m["n"], m["serving_rss"]))
        print(f"{m['n']:>10,}{what:>8}{m['model_rss'] / 2**20:>11.0f}{m['serving_rss'] / 2**20:>13.0f}{per:>11.0f}"
              f"{per / raw:>7.2f}{m['index_file_bytes'] / m['n']:>11.0f}")
    if len(whole_points) >= 2:
        (n0, r0), (n1, r1) = whole_points[0], whole_points[-1]
        slope = (r1 - r0) / (n1 - n0)
        print(f"whole serving process, {n0:,} to {n1:,} passages: {slope:.0f} B per added passage = "
              f"{slope / raw:.2f}x raw vector bytes; fixed overhead (intercept) {(r0 - slope * n0) / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
