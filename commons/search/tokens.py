"""The Commons' words as its lexical index reads them: the stem overrides it is built with.

Snowball stems "attendance" and "attended" alike, so a question about attendance would match a
case study where a pupil attended a club; the index keeps attendance apart (and its common
misspellings with it: "attendence" would otherwise be stemmed to "attend"). Whatever compares
a question's tokens with other text (titles, summaries) reads that text the same way.
"""

from collections.abc import Sequence

from indexer.tokenize import tokenize_each

STEM_OVERRIDES = {"attendance": "attendance", "attendances": "attendance", "attendence": "attendance",
                  "attendences": "attendance", "attendace": "attendance", "attendanse": "attendance"}


def tokens_of_each(texts: Sequence[str]) -> list[list[str]]:
    """Each text's tokens as the Commons' lexical index makes them."""
    return tokenize_each(texts, STEM_OVERRIDES)
