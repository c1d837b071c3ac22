"""How soon a question's vector is ready when it is encoded beside other work, as the search does.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/encode_beside.py [--busy 0 2 4 8] [--turns 3]

The search encodes the question on a helper thread while the asking thread goes on with Python
(the lexical search, the word signals). The helper needs the GIL to start and again between
its steps, and waits for it while the asking thread runs. For each judged question (the
repository's judged question set) the question is handed to a helper thread, the asking
thread runs pure Python for ``--busy`` ms, and the time from the hand-over to the vector being
ready is recorded, for two ways of encoding one text, taking turns in one process:

* one text: ``SentenceTransformerEmbedder.encode([question])`` as the Commons runs it (on ONNX
  Runtime, the single-text path of ``indexer/onnx_model.py``);
* batch path: the same text through the batch path that several texts take (``OnnxModel._batch``).

Prints the median and p95 in ms for each, and as a ratio to the one-text path's median with
nothing beside it (``--busy 0``, the reference, measured in the same run). The process's switch
interval is the Commons' own (``indexer.threads.SWITCH_INTERVAL``).
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from stages import questions
from timing import p95


def busy(ms: float) -> None:
    """Pure Python for ``ms`` milliseconds: it lets go of the GIL only when the interpreter makes it."""
    end = time.perf_counter() + ms / 1000
    while time.perf_counter() < end:
        sum(range(50))


def ready_after(encode: Callable[[str], object], asked: list[str], busy_ms: float,
                helper: ThreadPoolExecutor) -> list[float]:
    """Per question, seconds from handing it to the helper to its vector being ready there."""
    out = []
    for question in asked:
        start = time.perf_counter()
        done = helper.submit(lambda q=question: (encode(q), time.perf_counter())[1])
        busy(busy_ms)
        out.append(done.result() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--busy", type=float, nargs="+", default=[0, 2, 4, 8], help="ms of Python beside the encoding")
    parser.add_argument("--turns", type=int, default=3)
    args = parser.parse_args()

    from indexer import SentenceTransformerEmbedder
    from indexer.threads import set_threads

    set_threads()
    model = SentenceTransformerEmbedder()
    onnx = model.onnx
    if onnx is None:
        raise SystemExit("the model is not running on ONNX Runtime here, so there is no batch path to compare")
    ways: dict[str, Callable[[str], object]] = {
        "one text": lambda q: model.encode([q]),
        "batch path": lambda q: onnx._batch([q]),
    }
    asked = questions()
    for encode in ways.values():
        encode("warm up")
    times: dict[tuple[str, float], list[float]] = {(way, b): [] for way in ways for b in args.busy}
    with ThreadPoolExecutor(1) as helper:
        for _ in range(args.turns):
            for b in args.busy:
                for way, encode in ways.items():
                    times[(way, b)] += ready_after(encode, asked, b, helper)
    reference = statistics.median(times[("one text", 0)]) if 0 in args.busy else None
    print(f"{len(asked)} judged questions x {args.turns} turns, switch interval {sys.getswitchinterval() * 1000:g} ms")
    print(f"  {'busy ms':>7} {'way':<11} {'p50 ms':>7} {'p95 ms':>7} {'p50/ref':>8}")
    for b in args.busy:
        for way in ways:
            values = times[(way, b)]
            ratio = f"{statistics.median(values) / reference:8.2f}" if reference else ""
            print(f"  {b:7g} {way:<11} {statistics.median(values) * 1000:7.2f} {p95(values) * 1000:7.2f} {ratio}")


if __name__ == "__main__":
    main()
