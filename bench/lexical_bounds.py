"""How much of a question's postings a lexical search that skips by upper bounds would still have to read.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/lexical_bounds.py [--sizes 1000000] [--blocks 128 32 16]

Every question of bench/stages.py is asked through the search path as the search page asks it
(a reader's school, the filter "primary"). For each lexical search, with the k-th best score it
found (the threshold no pruning could know better, nor sooner), it counts the postings of the
question's words that belong to passages whose upper bound reaches that score:

* by one bound per word (MaxScore's): the sum, over the question's words a passage holds, of
  each word's highest weight (times its repeats); and the postings of the words MaxScore must
  read whole (all but the lowest-bound words whose bounds together stay below the threshold);
* by a bound per block of postings (block-max): the same with the highest weight of the block
  of each word's postings the passage falls in;

and, for block-max, the postings in blocks that hold at least one such passage: what a walk that
skips whole blocks must still decode. The bounds are given the words each passage holds, which
a real search learns only by reading, so every share is the least such a search could read.
Prints the shares weighted by postings, over all questions and over the tenth with the most
postings (the tail of the lexical search's time), per size and block size.
"""

import argparse
import os
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import stages
import synthetic

Shares = dict[str, float]  # what share of a question's postings, by name (see :func:`shares`)


def shares(index: Any, query: Sequence[str], threshold: float, allowed: Iterable[int] | None,
           blocks: list[int]) -> tuple[int, Shares]:
    """The question's postings, and their shares: "reach by word" (whose passages reach ``threshold``
    by one bound per word), "read whole" (in the words MaxScore reads whole), and per block size
    "reach by block N" (by block-max) and "decode by block N" (in blocks holding such a passage)."""
    weighed = []
    for token, n in Counter(query).items():
        term = index._terms.get(token)
        if term is not None:
            rows, weights = index._term_weights(term)
            if len(rows):
                weighed.append((rows, weights * np.float32(n)))
    size = index._n_rows
    if allowed is None:
        usable = np.ones(size, dtype=bool)
    else:
        usable = np.zeros(size, dtype=bool)
        keep = index._allowed_rows(allowed)[:size]
        usable[: len(keep)] = keep
    postings = sum(len(rows) for rows, _ in weighed)

    def reaching(bounds: list[npt.NDArray[np.float32]]) -> list[npt.NDArray[np.bool_]]:
        """For each word, which of its postings' passages reach the threshold by these bounds."""
        total = np.zeros(size, dtype=np.float32)
        for (rows, _), bound in zip(weighed, bounds, strict=True):
            total[rows] += bound
        reach = (total >= threshold) & usable
        return [reach[rows] for rows, _ in weighed]

    found: Shares = {}
    found["reach by word"] = sum(int(r.sum()) for r in reaching([w.max(keepdims=True) for _, w in weighed])) / postings
    below, whole = 0.0, 0  # the words by bound, lowest first: those below the threshold together are skipped
    for rows, weights in sorted(weighed, key=lambda pair: float(pair[1].max())):
        below += float(weights.max())
        if below >= threshold:
            whole += len(rows)
    found["read whole"] = whole / postings
    for block in blocks:
        reached = reaching([_block_maxima(weights, block) for _, weights in weighed])
        found[f"reach by block {block}"] = sum(int(r.sum()) for r in reached) / postings
        found[f"decode by block {block}"] = sum(_in_blocks_reached(r, block) for r in reached) / postings
    return postings, found


def _block_maxima(weights: npt.NDArray[np.float32], block: int) -> npt.NDArray[np.float32]:
    """Each posting's block's highest weight."""
    count = -(-len(weights) // block)
    padded = np.full(count * block, -np.inf, dtype=np.float32)
    padded[: len(weights)] = weights
    return np.repeat(padded.reshape(count, block).max(axis=1), block)[: len(weights)]


def _in_blocks_reached(reached: npt.NDArray[np.bool_], block: int) -> int:
    """Postings in the blocks that hold at least one reached passage (the last block may be short)."""
    starts = np.arange(0, len(reached), block)
    hit = np.logical_or.reduceat(reached, starts) if len(reached) else np.zeros(0, dtype=bool)
    lengths = np.minimum(starts + block, len(reached)) - starts
    return int(lengths[hit].sum())


def asked_through(size: str, model: Any, asked: list[str], reader: Any, filters: Any,
                  blocks: list[int]) -> tuple[str, list[tuple[int, Shares]]]:
    """Every question asked through the search path, and each lexical search's shares (:func:`shares`)."""
    from commons.search import engine
    from indexer.lexical import LexicalIndex

    rows: list[tuple[int, Shares]] = []
    search = LexicalIndex.search

    def measured(index: Any, query: Any, k: int, allowed: Any = None) -> Any:
        found = search(index, query, k, allowed)
        if len(found) == k:  # fewer: every passage with a score is in the result, nothing to skip
            rows.append(shares(index, index._query_tokens(query), found[-1].score, allowed, blocks))
        return found

    LexicalIndex.search = measured  # type: ignore[method-assign,assignment]
    try:
        with synthetic.commons_app(size, model) as (label, app), app.app_context():
            from commons.db import db
            from commons.search.extension import search_index

            for question in asked:
                engine.search(db.session, search_index.state, question, reader=reader, filters=filters)
                db.session.rollback()
    finally:
        LexicalIndex.search = search  # type: ignore[method-assign]
    return label, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["1000000"], help="numbers of synthetic passages")
    parser.add_argument("--blocks", nargs="+", type=int, default=[128, 32, 16], help="postings per block")
    args = parser.parse_args()
    for size in args.sizes:
        synthetic.check_fits(f"--sizes {size}", int(size) * synthetic.DIM * 4 * 8)

    from indexer import SentenceTransformerEmbedder
    from indexer.threads import set_threads

    set_threads()
    model = SentenceTransformerEmbedder()
    asked = [*synthetic.QUESTIONS, *stages.questions()]
    reader, filters = stages._reader_and_filters()
    for size in args.sizes:
        label, rows = asked_through(size, model, asked, reader, filters, args.blocks)
        postings = np.array([count for count, _ in rows], dtype=np.float64)
        tail = np.argsort(postings)[-max(1, len(rows) // 10):]
        print(f"\n{label}: {len(rows)} lexical searches with a full k "
              f"(median {np.median(postings):,.0f} postings; the tenth with most, median "
              f"{np.median(postings[tail]):,.0f})")
        print(f"  {'questions':12} {'bound':24} {'passages reach: share of postings':>34} {'blocks to decode':>17} "
              f"{'words read whole':>17}")
        for name, chosen in (("all", np.arange(len(rows))), ("tenth most", tail)):
            share = {key: float(np.average([rows[i][1][key] for i in chosen], weights=postings[chosen]))
                     for key in rows[0][1]}  # weighted by each question's postings
            print(f"  {name:12} {'one per word (MaxScore)':24} {share['reach by word']:34.3f} {'':>17} "
                  f"{share['read whole']:17.3f}")
            for block in args.blocks:
                print(f"  {name:12} {f'per block of {block}':24} {share[f'reach by block {block}']:34.3f} "
                      f"{share[f'decode by block {block}']:17.3f}")

if __name__ == "__main__":
    main()
