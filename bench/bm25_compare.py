"""Our BM25 (``indexer.lexical``) against bm25s on BEIR collections, with the same stemmer.

    .venv/bin/python bench/bm25_compare.py ../shared/bench/scifact ../shared/bench/cranfield [--k1 1.2] [--b 0.75]

Each collection's documents (``title + " " + text``) are indexed by ``LexicalIndex`` and by
bm25s (method "lucene", the same k1 and b, PyStemmer's Snowball English stemmer), and every
judged test query is run against both. The bm25s rows separate the causes of a difference:

- ``bm25s``: its own tokenizer (``\\w\\w+``) and its English stop list (the reference baseline);
- ``bm25s, our stop words``: its own tokenizer with our stop words (same stemmer and stop words);
- ``bm25s, our tokens``: fed ``indexer.tokenize`` tokens, so only the scoring differs from ours;
- ``bm25s, our tokens, words once``: the same with each query word kept once, as our index
  did before it counted repeated query words.

Query sets: all test queries, the same by length in words, and long questions made from two
judged questions about the same documents: each test query followed by the judged query (of
any split) whose judged documents overlap its own most (Jaccard at least 0.3), judged by the
union of both judgements (the higher grade where both judge a document). No document text goes
into a question. nDCG@10 uses linear gains and a log2 discount (as trec_eval); R@100 is the
share of judged documents in the first 100. The last table has the median search time per
query of each system. ``--stem-override WORD=TOKEN`` (repeatable) is passed to our index only,
to measure a list of stem exceptions. ``--scale 10000 100000`` times our search alone (the
search path's pool of 200, median and p95 over repeats of every test and long question) on
larger corpora made by mixing the sentences of two random documents of the first collection;
run it with an older checkout first on ``PYTHONPATH`` to compare versions.

``--topic-check TOPIC QUESTION...`` measures the stem overrides where they matter: the demo case
studies (``commons/demo/case_studies``) are chunked and indexed as passages, each question is
searched with and without the overrides, and the case studies tagged with TOPIC count as the
relevant ones (their ranks, precision@10 and nDCG@10, case studies ranked by their best passage).
Tables are printed and written to ``bench/results/bm25_compare.txt``.
"""

import argparse
import json
import math
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bm25s
import Stemmer
from timing import p95

from indexer.lexical import DEFAULT_B, DEFAULT_K1, LexicalIndex
from indexer.tokenize import STOP_WORDS, tokenize

DEPTH = 100
LONG_MIN_JACCARD = 0.3
BUCKETS = ((1, 10), (11, 20), (21, 10_000))
RESULTS = Path(__file__).parent / "results"
DEMO = Path(__file__).resolve().parent.parent / "commons" / "demo" / "case_studies"
POOL = 200  # passages the search path asks each retriever for (COMMONS_SEARCH_POOL)
SENTENCE = re.compile(r"(?<=[.!?])\s+")

Qrels = dict[str, dict[str, int]]
Ranker = Callable[[str], list[int]]


@dataclass
class Collection:
    name: str
    doc_ids: list[str]
    texts: list[str]
    queries: dict[str, str]
    test: Qrels
    judged: Qrels  # every split's judgements, to pair questions for the long set


def _read_qrels(path: Path) -> Qrels:
    qrels: Qrels = defaultdict(dict)
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            columns = line.rstrip("\r\n").split("\t")
            if (number == 0 and columns[0] == "query-id") or len(columns) != 3:
                continue
            if int(columns[2]) > 0:
                qrels[columns[0]][columns[1]] = int(columns[2])
    return dict(qrels)


def load(directory: Path) -> Collection:
    doc_ids, texts = [], []
    with (directory / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            doc_ids.append(str(record["_id"]))
            texts.append(f"{record.get('title') or ''} {record.get('text') or ''}")
    with (directory / "queries.jsonl").open(encoding="utf-8") as handle:
        queries = {str(r["_id"]): str(r.get("text") or "") for r in map(json.loads, handle) if r}
    test = _read_qrels(directory / "qrels" / "test.tsv")
    judged: Qrels = {}
    for path in sorted((directory / "qrels").glob("*.tsv")):
        for query, grades in _read_qrels(path).items():
            judged.setdefault(query, {}).update(grades)
    return Collection(directory.name, doc_ids, texts, queries, test, judged)


def long_questions(collection: Collection) -> tuple[dict[str, str], Qrels]:
    """Each test question followed by the judged question about the most nearly the same documents."""
    questions: dict[str, str] = {}
    qrels: Qrels = {}
    for query, grades in collection.test.items():
        best, best_overlap = None, 0.0
        for other, other_grades in collection.judged.items():
            if other == query or other not in collection.queries:
                continue
            overlap = len(grades.keys() & other_grades.keys()) / len(grades.keys() | other_grades.keys())
            if overlap > best_overlap:
                best, best_overlap = other, overlap
        if best is None or best_overlap < LONG_MIN_JACCARD:
            continue
        key = f"{query}+{best}"
        questions[key] = f"{collection.queries[query]} {collection.queries[best]}"
        union = dict(grades)
        for doc, grade in collection.judged[best].items():
            union[doc] = max(grade, union.get(doc, 0))
        qrels[key] = union
    return questions, qrels


def ndcg_at_10(ranked: list[str], grades: dict[str, int]) -> float:
    gain = sum(grades.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:10]))
    ideal = sum(g / math.log2(rank + 2) for rank, g in enumerate(sorted(grades.values(), reverse=True)[:10]))
    return gain / ideal if ideal else 0.0


def recall_at_100(ranked: list[str], grades: dict[str, int]) -> float:
    return len(set(ranked[:DEPTH]) & grades.keys()) / len(grades)


def top_rows(scores: np.ndarray[Any, Any], k: int) -> list[int]:
    """Rows of the k best positive scores, ties by row (as ``LexicalIndex`` breaks them)."""
    rows = np.flatnonzero(scores > 0)
    if len(rows) > k:
        rows = rows[np.argpartition(-scores[rows], k - 1)[:k]]
    return rows[np.lexsort((rows, -scores[rows]))].tolist()  # type: ignore[no-any-return]


class Bm25sRanker:
    """bm25s over the given tokens; queries are tokenized the same way."""

    def __init__(self, corpus_tokens: list[list[str]], query_tokens: Callable[[str], list[str]],
                 k1: float, b: float) -> None:
        self.query_tokens = query_tokens
        self.retriever = bm25s.BM25(k1=k1, b=b, method="lucene")
        self.retriever.index(corpus_tokens, show_progress=False)
        self.vocabulary: dict[str, int] = self.retriever.vocab_dict

    def __call__(self, question: str) -> list[int]:
        known = [t for t in self.query_tokens(question) if t in self.vocabulary]
        if not known:
            return []
        return top_rows(np.asarray(self.retriever.get_scores(known)), DEPTH)


def rankers(collection: Collection, k1: float, b: float, overrides: dict[str, str]) -> dict[str, Ranker]:
    stemmer = Stemmer.Stemmer("english")

    def bm25s_tokens(texts: list[str], stopwords: str | list[str]) -> list[list[str]]:
        tokens = bm25s.tokenize(texts, stopwords=stopwords, stemmer=stemmer, return_ids=False, show_progress=False)
        return [list(t) for t in tokens]

    def bm25s_split(stopwords: str | list[str]) -> Callable[[str], list[str]]:
        return lambda text: bm25s_tokens([text], stopwords)[0]

    def once(text: str) -> list[str]:
        return list(dict.fromkeys(tokenize(text)))

    stock, ours_stop = "en", sorted(STOP_WORDS)
    ours_tokens = [tokenize(text) for text in collection.texts]
    result: dict[str, Ranker] = {
        "bm25s": Bm25sRanker(bm25s_tokens(collection.texts, stock), bm25s_split(stock), k1, b),
        "bm25s, our stop words": Bm25sRanker(bm25s_tokens(collection.texts, ours_stop), bm25s_split(ours_stop), k1, b),
        "bm25s, our tokens": Bm25sRanker(ours_tokens, tokenize, k1, b),
        "bm25s, our tokens, words once": Bm25sRanker(ours_tokens, once, k1, b),
    }
    # stem_overrides only when asked, so that the script also runs against an index from before it had them
    index = LexicalIndex(k1=k1, b=b, **({"stem_overrides": overrides} if overrides else {}))
    index.index(range(len(collection.texts)), collection.texts)
    result["ours" + (" (stem overrides)" if overrides else "")] = lambda q: [h.id for h in index.search(q, DEPTH)]
    return result


def query_sets(collection: Collection) -> list[tuple[str, dict[str, str], Qrels]]:
    test = {q: collection.queries[q] for q in collection.test}
    sets = [("all", test, collection.test)]
    for low, high in BUCKETS:
        chosen = {q: t for q, t in test.items() if low <= len(t.split()) <= high}
        label = f"{low}-{high} words" if high < 10_000 else f"{low}+ words"
        sets.append((label, chosen, {q: collection.test[q] for q in chosen}))
    questions, qrels = long_questions(collection)
    sets.append(("long (two questions)", questions, qrels))
    return sets


def evaluate(collection: Collection, rankers_: dict[str, Ranker]) -> tuple[list[str], dict[str, list[float]]]:
    lines = []
    times: dict[str, list[float]] = defaultdict(list)
    header = f"{'queries':22} {'n':>4} {'words':>5}  " + "  ".join(f"{name:>30}" for name in rankers_)
    lines.append(f"## {collection.name}: nDCG@10 / R@100 ({len(collection.texts)} documents)")
    lines.append(header)
    for label, questions, qrels in query_sets(collection):
        if not questions:
            continue
        cells = []
        for name, rank in rankers_.items():
            ndcg, recall = [], []
            for query, question in questions.items():
                start = time.perf_counter()
                rows = rank(question)
                times[name].append(time.perf_counter() - start)
                ranked = [collection.doc_ids[r] for r in rows]
                ndcg.append(ndcg_at_10(ranked, qrels[query]))
                recall.append(recall_at_100(ranked, qrels[query]))
            cells.append(f"{statistics.fmean(ndcg):.4f} / {statistics.fmean(recall):.4f}")
        words = statistics.fmean(len(q.split()) for q in questions.values())
        lines.append(f"{label:22} {len(questions):>4} {words:>5.1f}  " + "  ".join(f"{c:>30}" for c in cells))
    return lines, times


def mixed_corpus(collection: Collection, size: int) -> list[str]:
    """``size`` documents, each the first half of one random document's sentences and the second half of another's."""
    rng = np.random.default_rng(size)
    first, second = rng.integers(0, len(collection.texts), size), rng.integers(0, len(collection.texts), size)
    out = []
    for a, b in zip(first.tolist(), second.tolist(), strict=True):
        one, two = SENTENCE.split(collection.texts[a]), SENTENCE.split(collection.texts[b])
        out.append(" ".join(one[: len(one) // 2 + 1] + two[len(two) // 2 :]))
    return out


def scale_timing(collection: Collection, sizes: list[int], repeats: int, k1: float, b: float) -> list[str]:
    questions = [collection.queries[q] for q in collection.test] + list(long_questions(collection)[0].values())
    lines = [f"## our search alone at scale, ms per question (pool {POOL}; {len(questions)} questions of "
             f"{collection.name}, test and long, x{repeats})",
             f"{'documents':>10} {'build s':>8} {'p50':>8} {'p95':>8}"]
    print("\n" + "\n".join(lines), flush=True)
    for size in sizes:
        texts = mixed_corpus(collection, size)
        index = LexicalIndex(k1=k1, b=b)
        start = time.perf_counter()
        index.index(range(size), texts)
        built = time.perf_counter() - start
        del texts
        for question in questions:  # warm the term-weight cache, as a serving process is
            index.search(question, POOL)
        times = []
        for _ in range(repeats):
            for question in questions:
                start = time.perf_counter()
                index.search(question, POOL)
                times.append(time.perf_counter() - start)
        lines.append(f"{size:>10} {built:>8.1f} {statistics.median(times) * 1000:>8.3f} {p95(times) * 1000:>8.3f}")
        print(lines[-1], flush=True)
    return lines


def topic_check(topic: str, questions: list[str], overrides: dict[str, str], k1: float, b: float) -> list[str]:
    import yaml

    from indexer.chunking import Section, chunk_document

    owner: list[int] = []
    passages: list[str] = []
    tagged: set[int] = set()
    for number, path in enumerate(sorted(DEMO.glob("*.md"))):
        _, front, body = path.read_text(encoding="utf-8").split("---", 2)
        meta = yaml.safe_load(front)
        parts = re.split(r"^## (.+)$", body, flags=re.MULTILINE)
        sections = [Section(f"s{i}", parts[i], parts[i + 1]) for i in range(1, len(parts), 2)]
        for chunk in chunk_document(str(meta["title"]), sections):
            owner.append(number)
            passages.append(chunk.embed_text)
        if topic in meta.get("topics", []):
            tagged.add(number)
    lines = [f"## stem overrides on the demo case studies: ranks of the {len(tagged)} tagged {topic!r} "
             f"(of {len(set(owner))}; {len(passages)} passages), P@10, nDCG@10", f"overrides: {overrides}"]
    for label, given in (("without", {}), ("with", overrides)):
        index = LexicalIndex(k1=k1, b=b, **({"stem_overrides": given} if given else {}))
        index.index(range(len(passages)), passages)
        for question in questions:
            ranked: list[int] = []
            for hit in index.search(question, len(passages)):
                if owner[hit.id] not in ranked:
                    ranked.append(owner[hit.id])
            ranks = [r + 1 for r, study in enumerate(ranked) if study in tagged]
            grades = {str(study): 1 for study in tagged}
            ndcg = ndcg_at_10([str(study) for study in ranked], grades)
            precision = sum(r <= 10 for r in ranks) / 10
            lines.append(f"{label:8} {question:42} ranks {ranks}  P@10 {precision:.1f}  nDCG@10 {ndcg:.4f}")
    return lines


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("collections", type=Path, nargs="+")
    parser.add_argument("--k1", type=float, default=DEFAULT_K1)
    parser.add_argument("--b", type=float, default=DEFAULT_B)
    parser.add_argument("--stem-override", action="append", default=[], metavar="WORD=TOKEN",
                        help="a stem exception for our index, e.g. attendance=attendance (repeatable)")
    parser.add_argument("--scale", type=int, nargs="*", default=[], metavar="N",
                        help="also time our search alone on N mixed documents made from the first collection")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--topic-check", nargs="+", default=[], metavar="TOPIC_THEN_QUESTIONS",
                        help="a demo topic, then questions: how the stem overrides rank the case studies with it")
    args = parser.parse_args(None if argv is None else list(argv))
    overrides = dict(item.split("=", 1) for item in args.stem_override)
    out = [f"k1={args.k1} b={args.b}, Snowball English (PyStemmer), bm25s {bm25s.__version__}"
           + (f", our stem overrides {overrides}" if overrides else "")]
    timing = ["## median search time per query, ms (tokenizing the question included; every query set)",
              f"{'collection':12} " + "  ".join(f"{name:>30}" for name in ("ours", "bm25s, our tokens"))]
    for directory in args.collections:
        collection = load(directory)
        systems = rankers(collection, args.k1, args.b, overrides)
        lines, times = evaluate(collection, systems)
        out += ["", *lines]
        ours = next(name for name in systems if name.startswith("ours"))
        timing.append(f"{collection.name:12} " + "  ".join(
            f"{statistics.median(times[name]) * 1000:>30.3f}" for name in (ours, "bm25s, our tokens")))
        print("\n".join(["", *lines]), flush=True)
    out += ["", *timing]
    print("\n" + "\n".join(timing))
    if args.topic_check:
        lines = topic_check(args.topic_check[0], args.topic_check[1:], overrides, args.k1, args.b)
        print("\n" + "\n".join(lines))
        out += ["", *lines]
    if args.scale:
        out += ["", *scale_timing(load(args.collections[0]), args.scale, args.repeats, args.k1, args.b)]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bm25_compare.txt").write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
