"""Real English words, so that a rare word is not "corrected" into a common one.

The lexical index proposes a spelling correction for any question word no case study holds
(``LexicalIndex.corrections``): "absense" is searched as "absence". But a real word the
Commons happens not to hold, such as "choir", "insurance" or "catering", is then searched as
the nearest word it does hold ("choice", "insecurity", "charter"), and a question about
something the Commons knows nothing of looks answered. A correction is only made for a word
that is not a real word.

The word list is the whole-word part of the bundled model's vocabulary (about 22,000
lowercase English words, names and common abbreviations), with the stems of those words so
that "scaring" counts as real because "scare" is; a few apostrophe-less contractions teachers
type ("dont", "cant") are added. Without the bundled model the list is empty and every
correction stands.
"""

from functools import cache
from pathlib import Path

from indexer.tokenize import tokenize

CONTRACTIONS = frozenset({
    "dont", "cant", "wont", "didnt", "doesnt", "isnt", "arent", "wasnt", "werent", "havent", "hasnt",
    "couldnt", "shouldnt", "wouldnt", "im", "ive", "weve", "theyve", "youve", "ill", "id",
})


def _vocabulary_file() -> Path | None:
    try:
        from indexer.embedding import default_model_path

        path = default_model_path() / "vocab.txt"
    except (ImportError, OSError, ValueError):
        return None
    return path if path.is_file() else None


@cache
def real_word_stems() -> frozenset[str]:
    """The tokens (stems) of every real word: a question token in here is never a misspelling."""
    path = _vocabulary_file()
    words: set[str] = set(CONTRACTIONS)
    if path is not None:
        for line in path.read_text(encoding="utf-8").splitlines():
            word = line.strip()
            if len(word) >= 3 and word.isascii() and word.isalpha() and word.islower():
                words.add(word)
    stems: set[str] = set()
    for word in words:
        stems.update(tokenize(word))
    return frozenset(stems)


def misspellings(fixes: dict[str, str]) -> dict[str, str]:
    """The proposed corrections whose word is not a real word (the others are rare, not wrong)."""
    real = real_word_stems()
    return {token: fix for token, fix in fixes.items() if token not in real}
