"""Snippets that show why a passage matched: its best sentences, the question's words marked."""

import math
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from indexer.text import split_sentences
from indexer.tokenize import STOP_WORDS, tokenize, tokenize_each

WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’]*")
SNIPPET_WORDS = 45
# Words a question often has that say nothing about what it is about: searched, never marked.
UNMARKED = frozenset(
    """get gets getting got make makes making made help helps helped helping use uses used using do does did
    doing done go goes going went way ways thing things lot lots really also just well still even much many
    new good better best want wanted need needs needed come comes came coming work works worked working
    improve improves improved improving improvement among amongst within without across""".split()  # noqa: SIM905
)


def worth_marking(word: str) -> bool:
    """Whether a word of a passage that matches the question is worth marking: not a stop-word, not an
    everyday word (:data:`UNMARKED`), and not one or two letters unless an acronym or a number ("PE", "Y6")."""
    lower = word.lower().replace("’", "'")
    if lower in STOP_WORDS or lower.split("'")[0] in STOP_WORDS or lower in UNMARKED:
        return False
    if word.isdigit():  # "1" in "key stage 1" is not the "1" of "Year 1" or "tier 1"
        return len(word) > 1
    return len(word) > 2 or word.isupper() or any(c.isdigit() for c in word)


@dataclass(frozen=True)
class Fragment:
    """A run of snippet text; ``marked`` runs are the question's words."""

    text: str
    marked: bool


@dataclass(frozen=True)
class Snippet:
    fragments: list[Fragment]
    starts_mid_passage: bool
    ends_mid_passage: bool

    @property
    def text(self) -> str:
        return "".join(f.text for f in self.fragments)


@lru_cache(maxsize=50_000)
def _stem_of(word: str) -> str | None:
    tokens = tokenize(word)
    return tokens[0] if tokens else None


def best_sentences(text: str, question: str, max_words: int = SNIPPET_WORDS,
                   stem_overrides: Mapping[str, str] | None = None) -> tuple[list[str], int, int]:
    """The best-matching run of sentences; with the index of the first and the sentence count."""
    return _best_sentences(text, set(tokenize(question, stem_overrides)), max_words, stem_overrides)


def _best_sentences(text: str, terms: set[str], max_words: int,
                    stem_overrides: Mapping[str, str] | None) -> tuple[list[str], int, int]:
    sentences = split_sentences(text) or [text]
    best = 0
    if terms:
        scores = []
        for tokens in tokenize_each(sentences, stem_overrides):
            overlap = len(terms.intersection(tokens))
            scores.append(overlap + overlap / math.sqrt(1 + len(tokens)))
        best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    chosen = [sentences[best]]
    words = len(sentences[best].split())
    following = best + 1
    while following < len(sentences) and words + len(sentences[following].split()) <= max_words:
        chosen.append(sentences[following])
        words += len(sentences[following].split())
        following += 1
    return chosen, best, len(sentences)


def _in_decimal(text: str, start: int, end: int) -> bool:
    """Whether the digits at text[start:end] are part of a decimal or a larger figure ("40.2", "1,200")."""
    before = text[start - 2 : start] if start >= 2 else ""
    after = text[end : end + 2]
    return (len(before) == 2 and before[0].isdigit() and before[1] in ".,") or (
        len(after) == 2 and after[0] in ".," and after[1].isdigit())


def make_snippet(text: str, question: str, max_words: int = SNIPPET_WORDS,
                 stem_overrides: Mapping[str, str] | None = None) -> Snippet:
    """A snippet of a passage for a question, ready to render with the matches marked.

    ``stem_overrides`` are the lexical index's (see :func:`indexer.tokenize.tokenize`), so a word
    is marked exactly when the search would match it.
    """
    return make_snippets([text], question, max_words, stem_overrides)[0]


def make_snippets(texts: Sequence[str], question: str | Collection[str], max_words: int = SNIPPET_WORDS,
                  stem_overrides: Mapping[str, str] | None = None) -> list[Snippet]:
    """:func:`make_snippet` for several passages and one question (whose words are read once).

    The question may be given as the tokens the search looked for (its glossary forms and
    spelling fixes among them), so exactly the words it matched are marked.
    """
    overrides = {w.lower(): s for w, s in (stem_overrides or {}).items()}
    stems = set(tokenize(question, overrides)) if isinstance(question, str) else set(question)
    return [_snippet(text, stems, max_words, overrides) for text in texts]


def _snippet(text: str, stems: set[str], max_words: int, overrides: Mapping[str, str]) -> Snippet:
    chosen, first, total = _best_sentences(text, stems, max_words, overrides)
    joined = " ".join(chosen)
    truncated = False
    words = joined.split()
    if len(words) > max_words * 2:
        joined = " ".join(words[: max_words * 2])
        truncated = True
    fragments: list[Fragment] = []
    position = 0
    for match in WORD.finditer(joined):
        word = match.group(0)
        stem = (overrides.get(word.lower()) if overrides else None) or _stem_of(word)
        if stem is None or stem not in stems or not worth_marking(word):  # most words are not the question's
            continue
        if word.isdigit() and _in_decimal(joined, match.start(), match.end()):  # the "2" of "40.2"
            continue
        if match.start() > position:
            fragments.append(Fragment(joined[position : match.start()], False))
        fragments.append(Fragment(word, True))
        position = match.end()
    if position < len(joined):
        fragments.append(Fragment(joined[position:], False))
    return Snippet(fragments, starts_mid_passage=first > 0,
                   ends_mid_passage=truncated or first + len(chosen) < total)
