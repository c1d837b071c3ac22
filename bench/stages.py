"""Where the search path's time goes, stage by stage, against corpus size, as ratios to the encoding.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/stages.py [--sizes 10000 100000 1000000] [--repeats 2]
        [--out bench/results] [--switch-intervals 0.005 0.001]

For each size (a synthetic commons, see bench/synthetic.py; "demo" for the demo commons) every
question (the benchmark's synthetic questions and the judged question set) is asked uncached
through the search service as the search page asks it: the question read, a reader's school
(a demo school, so the comparability blend runs), the filter "primary", answerability for the
candidates, answers first, snippets. Each stage of ``commons.search.engine.search`` is timed
by wrapping the function the engine calls for it (the engine itself is not changed):

* read: reading the question (context and topic) and the glossary's expansion;
* replicas: checking that the vector and lexical replicas are fresh (the change log);
* spelling: spelling fixes from the lexical index's words;
* catalogue: the facts about every published case study (read once per change);
* filters: the passages a filter allows;
* encode: the question on ONNX Runtime (the reference every ratio divides by). It runs on a
  helper thread from just after the question is read, beside everything up to the wait, so it
  is reported and not summed;
* lexical: the lexical search (on the asking thread, while the question is encoded);
* ahead: what else needs only the words, done while the question is encoded: the question's
  idf, glossary forms and named topics, and the lexical candidates' word signals (their passages'
  topic words, their titles', summaries' and topics'); the stages it calls count here, not in
  their own lines;
* wait: waiting for the encoding and the dense search, once everything that needs only the words is done;
* dense: the vector index search, on the same helper thread as soon as the question is encoded
  (beside the lexical search): reported, not summed;
* fuse, group: convex fusion of the two lists; passages grouped into case studies;
* answerability: each candidate's features and calibrated relevance (the word signals of the
  candidates the lexical search did not find, the cosines, the calibration);
* compare: comparing the reader's school with each candidate's;
* blend: the comparability blend among answers;
* hydrate: loading the shown case studies and passages from the database;
* snippets: the highlighted snippets;
* rest: the whole path less the stages above (cleaning the question, Python around them).

Prints per size the median and p95 of each stage in ms and as a ratio to the encoding's
median, the whole path's too; then the same texts encoded again alone, one after another,
and the whole path against that (the encoding inside the search runs beside the asking
thread's work and takes longer than alone); and writes ``stages.png``: each stage's median against corpus
size.

With ``--switch-intervals`` it instead asks every question under each interpreter switch interval
in turn, ``--repeats`` turns each, and prints the whole path's median under each (the app sets
1 ms, ``indexer.threads.SWITCH_INTERVAL``; Python's own is 5 ms).
"""

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import synthetic
from timing import p95

ROOT = Path(__file__).resolve().parent
JUDGED = ROOT.parent / "tests" / "data" / "judged"
# stage -> the functions of commons.search.engine that make it up
ENGINE_STAGES = {
    "read": ("read_question", "load_glossary"),
    "spelling": ("misspellings",),
    "catalogue": ("catalogue",),
    "filters": ("allowed_passage_ids",),
    "ahead": ("_words_ahead",),
    "fuse": ("_fuse",),
    "group": ("_group",),
    "answerability": ("_score",),
    "compare": ("_compare",),
    "blend": ("_blend",),
    "hydrate": ("_hydrate",),
    "snippets": ("make_snippets",),
}
OVERLAPPING = ("encode", "dense")  # on a helper thread, beside the stages up to the wait: reported, not summed
ORDER = ["read", "replicas", "spelling", "catalogue", "filters", "encode", "dense", "lexical", "ahead", "wait",
         "fuse", "group", "answerability", "compare", "blend", "hydrate", "snippets", "rest", "whole path"]


class Clock:
    """Time spent per stage in the question being asked.

    A stage called inside another counts in the outer one, except the wait for the encoding and
    the dense search, which counts on its own.
    """

    def __init__(self) -> None:
        self.now: dict[str, float] = {}
        self.encoded: list[str] = []  # the texts the search encoded (the question, with the glossary's forms)
        self._inside = threading.local()

    def wrap(self, stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            outer = getattr(self._inside, "stage", None)
            if outer is not None and stage != "wait":
                return fn(*args, **kwargs)
            self._inside.stage = stage
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self._inside.stage = outer
                self.now[stage] = self.now.get(stage, 0.0) + time.perf_counter() - start

        return timed


@contextmanager
def instrumented(clock: Clock, state: Any) -> Iterator[None]:
    """The engine's stages wrapped with the clock, put back as they were afterwards."""
    from concurrent.futures import Future

    from commons.search import engine
    from commons.search.glossary import Glossary
    from indexer.lexical import LexicalIndex
    from indexer.vector_index import VectorIndex

    saved: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, stage: str) -> None:
        original = getattr(owner, name)
        saved.append((owner, name, original))
        setattr(owner, name, clock.wrap(stage, original))

    for stage, names in ENGINE_STAGES.items():
        for name in names:
            patch(engine, name, stage)
    patch(Future, "result", "wait")
    patch(LexicalIndex, "search", "lexical")
    patch(VectorIndex, "search", "dense")
    patch(LexicalIndex, "corrections", "spelling")
    patch(Glossary, "expand", "read")
    patch(state, "fresh_pair", "replicas")
    patch(state, "encode_query", "encode")
    timed_encode = state.encode_query

    def encode_query(question: str) -> Any:
        clock.encoded.append(question)
        return timed_encode(question)

    state.encode_query = encode_query
    try:
        yield
    finally:
        for owner, name, original in reversed(saved):
            if owner is state:
                delattr(state, name)  # back to the class's method
            else:
                setattr(owner, name, original)


def measure(label: str, app: Any, asked: list[str], repeats: int) -> dict[str, list[float]]:
    from commons.db import db
    from commons.search.engine import search
    from commons.search.extension import search_index

    reader, filters = _reader_and_filters()
    times: dict[str, list[float]] = {stage: [] for stage in ORDER}
    with app.app_context():
        state = search_index.state
        search(db.session, state, "warm up the replicas", reader=reader, filters=filters)
        db.session.rollback()
        clock = Clock()
        with instrumented(clock, state):
            for _ in range(repeats):
                for question in asked:
                    state._queries.clear()  # every question is encoded afresh
                    clock.now = {}
                    start = time.perf_counter()
                    search(db.session, state, question, reader=reader, filters=filters)
                    whole = time.perf_counter() - start
                    db.session.rollback()
                    counted = sum(t for stage, t in clock.now.items() if stage not in OVERLAPPING)
                    for stage in ORDER:
                        if stage == "whole path":
                            times[stage].append(whole)
                        elif stage == "rest":
                            times[stage].append(max(0.0, whole - counted))
                        else:
                            times[stage].append(clock.now.get(stage, 0.0))
        alone = []  # the same texts encoded again, one after another with nothing beside them
        for text in clock.encoded:
            start = time.perf_counter()
            state.embedder.encode([text])
            alone.append(time.perf_counter() - start)
    encode = statistics.median(times["encode"])
    print(f"\n{label}: {len(asked)} questions x {repeats}, a reader's school and the filter 'primary'")
    print(f"  {'stage':14} {'p50 ms':>8} {'p95 ms':>8} {'p50/encode':>11} {'p95/encode':>11}")
    for stage in ORDER:
        values = times[stage]
        note = "  (on a helper thread, beside the stages before the wait)" if stage in OVERLAPPING else ""
        print(f"  {stage:14} {statistics.median(values) * 1000:8.2f} {p95(values) * 1000:8.2f} "
              f"{statistics.median(values) / encode:11.3f} {p95(values) / encode:11.3f}{note}")
    whole, bare = times["whole path"], statistics.median(alone)
    print(f"  the same texts encoded alone: p50 {bare * 1000:.2f} ms, so the encoding inside the search takes "
          f"{encode / bare:.2f}x that; the whole path p50 {statistics.median(whole) / bare:.2f}x, "
          f"p95 {p95(whole) / bare:.2f}x the encoding alone")
    return times


def compare_switch_intervals(label: str, app: Any, asked: list[str], repeats: int, intervals: list[float]) -> None:
    """The whole path under each switch interval, taking turns, so the machine's drift falls on all alike."""
    import contextlib
    import io

    set_by_app = sys.getswitchinterval()
    whole: dict[float, list[float]] = {interval: [] for interval in intervals}
    encode: dict[float, list[float]] = {interval: [] for interval in intervals}
    try:
        for _ in range(repeats):
            for interval in intervals:
                sys.setswitchinterval(interval)
                with contextlib.redirect_stdout(io.StringIO()):  # the stage tables: not what is compared here
                    times = measure(label, app, asked, 1)
                whole[interval].append(statistics.median(times["whole path"]))
                encode[interval].append(statistics.median(times["encode"]))
    finally:
        sys.setswitchinterval(set_by_app)
    print(f"\n{label}: {len(asked)} questions under each switch interval, {repeats} turns each "
          f"(the app sets {set_by_app * 1000:g} ms)")
    print(f"  {'interval ms':>11} {'whole path p50 ms, each turn':>40} {'mean':>7} {'encoding inside, mean':>22}")
    for interval in intervals:
        turns = " ".join(f"{value * 1000:6.2f}" for value in whole[interval])
        print(f"  {interval * 1000:11g} {turns:>40} {statistics.mean(whole[interval]) * 1000:7.2f} "
              f"{statistics.mean(encode[interval]) * 1000:22.2f}")


def _reader_and_filters() -> tuple[Any, Any]:
    from commons.domain.comparability import context_from_fields
    from commons.search.filters import SearchFilters

    reader = context_from_fields(synthetic.base().studies[0]["school_snapshot"], 990001)  # type: ignore[arg-type]
    return reader, SearchFilters(phase="primary")


def questions() -> list[str]:
    from commons.ops.judged import read_questions

    return [q.question for q in read_questions(JUDGED, "all")]


def plot(rows: list[tuple[int, dict[str, list[float]]]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 5))
    sizes = [n for n, _ in rows]
    colours = plt.get_cmap("tab20").colors  # type: ignore[attr-defined]
    for n, stage in enumerate(ORDER):
        medians = [statistics.median(times[stage]) * 1000 for _, times in rows]
        if max(medians) < 0.05 and stage != "encode":
            continue  # too small to see
        style = {"linewidth": 3} if stage in ("whole path", "encode") else {"linestyle": ("-", "--", ":")[n % 3]}
        ax.plot(sizes, medians, marker="o", label=stage, color=colours[n % len(colours)], **style)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("passages (synthetic variations of the demo commons)")
    ax.set_ylabel("median ms per question")
    ax.set_title("The search path's stages against corpus size")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))  # beside the lines, not over them
    ax.grid(True, which="both", alpha=0.3)
    path = out / "stages.png"
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["10000", "100000"],
                        help="numbers of synthetic passages, and/or demo")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "results")
    parser.add_argument("--switch-intervals", type=float, nargs="+", metavar="SECONDS",
                        help="instead: compare these interpreter switch intervals, taking turns in one process "
                             "(each repeat asks every question once under each), and print the whole path under each")
    args = parser.parse_args()
    for size in args.sizes:  # refuse before doing anything
        if size != "demo":
            synthetic.check_fits(f"--sizes {size}", int(size) * synthetic.DIM * 4 * 8)

    from indexer import SentenceTransformerEmbedder
    from indexer.threads import set_threads

    set_threads()
    model = SentenceTransformerEmbedder()
    model.encode(["warm up"])
    asked = questions()
    print(f"the Commons encodes with {model.active_runtime}; ratios divide by that encoding's median")
    rows: list[tuple[int, dict[str, list[float]]]] = []
    for size in args.sizes:
        asked_here = asked if size == "demo" else [*synthetic.QUESTIONS, *asked]
        with synthetic.commons_app(size, model) as (label, app):
            if args.switch_intervals:
                compare_switch_intervals(label, app, asked_here, args.repeats, args.switch_intervals)
                continue
            times = measure(label, app, asked_here, args.repeats)
        if size != "demo":
            rows.append((int(size), times))
    if len(rows) >= 2:
        args.out.mkdir(parents=True, exist_ok=True)
        print(f"\nplot: {plot(rows, args.out)}")


if __name__ == "__main__":
    main()
