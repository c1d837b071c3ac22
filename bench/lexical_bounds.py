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


def shares(index: Any, query: Sequence[str], threshold: float, allowed: Iterable[int] | None,
           blocks: list[int]) -> tuple[int, float, float, dict[int, tuple[float, float]]]:
    """The question's postings; the share whose passages reach ``threshold`` by one bound per word, and
    the share in the words MaxScore reads whole; per block size, the share whose passages reach it by
    block-max, and the share in blocks holding such a passage."""
    repeats = Counter(query)
    weighed = []
    for token, n in repeats.items():
        term = index._terms.get(token)
        if term is not None:
            rows, weights = index._term_weights(term)
            if len(rows):
                weighed.append((rows, weights * np.float32(n)))
    size = index._n_rows
    usable = np.ones(size, dtype=bool)
    if allowed is not None:
        keep = index._allowed_rows(allowed)
        usable[:] = False
        usable[: len(keep)] = keep[:size]
    postings = sum(len(rows) for rows, _ in weighed)
    by_word = np.zeros(size, dtype=np.float32)
    for rows, weights in weighed:
        by_word[rows] += weights.max()
    reach = (by_word >= threshold) & usable
    word_share = sum(int(reach[rows].sum()) for rows, _ in weighed) / postings
    below, whole = 0.0, 0  # the words by bound, lowest first: those below the threshold together are skipped
    for rows, weights in sorted(weighed, key=lambda pair: float(pair[1].max())):
        below += float(weights.max())
        if below >= threshold:
            whole += len(rows)
    per_block = {}
    for block in blocks:
        bound = np.zeros(size, dtype=np.float32)
        for rows, weights in weighed:
            bound[rows] += _block_maxima(weights, block)
        reach = (bound >= threshold) & usable
        scored = sum(int(reach[rows].sum()) for rows, _ in weighed)
        decoded = sum(_blocks_reached(reach[rows], block) for rows, _ in weighed)
        per_block[block] = (scored / postings, min(decoded, postings) / postings)
    return postings, word_share, whole / postings, per_block


def _block_maxima(weights: npt.NDArray[np.float32], block: int) -> npt.NDArray[np.float32]:
    """Each posting's block's highest weight."""
    count = -(-len(weights) // block)
    padded = np.full(count * block, -np.inf, dtype=np.float32)
    padded[: len(weights)] = weights
    return np.repeat(padded.reshape(count, block).max(axis=1), block)[: len(weights)]


def _blocks_reached(reached: npt.NDArray[np.bool_], block: int) -> int:
    """Postings in the blocks that hold at least one reached passage."""
    count = -(-len(reached) // block)
    padded = np.zeros(count * block, dtype=bool)
    padded[: len(reached)] = reached
    return int(padded.reshape(count, block).any(axis=1).sum()) * block


def asked_through(size: str, model: Any, asked: list[str], reader: Any, filters: Any,
                  blocks: list[int]) -> tuple[str, list[tuple[int, float, float, dict[int, tuple[float, float]]]]]:
    """Every question asked through the search path, and each lexical search's shares (:func:`shares`)."""
    from commons.search import engine
    from indexer.lexical import LexicalIndex

    rows: list[tuple[int, float, float, dict[int, tuple[float, float]]]] = []
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
        postings = np.array([r[0] for r in rows], dtype=np.float64)
        tail = np.argsort(postings)[-max(1, len(rows) // 10):]
        print(f"\n{label}: {len(rows)} lexical searches with a full k "
              f"(median {np.median(postings):,.0f} postings; the tenth with most, median "
              f"{np.median(postings[tail]):,.0f})")
        print(f"  {'questions':12} {'bound':24} {'passages reach: share of postings':>34} {'blocks to decode':>17} "
              f"{'words read whole':>17}")
        for name, chosen in (("all", np.arange(len(rows))), ("tenth most", tail)):
            weight = postings[chosen] / postings[chosen].sum()
            word = float(sum(rows[i][1] * w for i, w in zip(chosen, weight, strict=True)))
            whole = float(sum(rows[i][2] * w for i, w in zip(chosen, weight, strict=True)))
            print(f"  {name:12} {'one per word (MaxScore)':24} {word:34.3f} {'':>17} {whole:17.3f}")
            for block in args.blocks:
                scored = float(sum(rows[i][3][block][0] * w for i, w in zip(chosen, weight, strict=True)))
                decoded = float(sum(rows[i][3][block][1] * w for i, w in zip(chosen, weight, strict=True)))
                print(f"  {name:12} {f'per block of {block}':24} {scored:34.3f} {decoded:17.3f}")


if __name__ == "__main__":
    main()
