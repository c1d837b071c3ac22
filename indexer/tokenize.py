"""Tokens for lexical search: lowercase words and numbers, English stop-words out, stemmed.

Acronyms and programme names survive as tokens ("FSM" -> "fsm", "KS2" -> "ks2",
"Read Write Inc." -> "read", "write", "inc"). Accents and typographic ligatures are folded
first ("naïve" -> "naive", "classiﬁcation" -> "classification"), so such words are not cut in two.

Stemming conflates some words a collection needs apart (Snowball stems both "attendance" and
"attended" to "attend"). ``stem_overrides`` maps a word to the token it stands for instead of
its stem, as Lucene's stemmer-override filter does: ``{"attendance": "attendance",
"attendances": "attendance"}`` keeps attendance apart from attending. The library has no
such list of its own; the application passes one.
"""

import re
import threading
import unicodedata
from collections.abc import Mapping, Sequence

import Stemmer

TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
STOP_WORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have
    haven't having he he'd he'll he's her here here's hers herself him himself his how how's i
    i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my
    myself no nor not of off on once only or other ought our ours ourselves out over own same
    shan't she she'd she'll she's should shouldn't so some such than that that's the their
    theirs them themselves then there there's these they they'd they'll they're they've this
    those through to too under until up very was wasn't we we'd we'll we're we've were weren't
    what what's when when's where where's which while who who's whom why why's with won't
    would wouldn't you you'd you'll you're you've your yours yourself yourselves""".split()  # noqa: SIM905  (170 words read better as text)
)

_local = threading.local()  # a stemmer is not safe to share between threads: one per thread


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")  # it keeps its own cache of stems
    return stemmer


COMBINING_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _fold(text: str) -> str:
    """Compatibility forms and accents folded away: "ﬁ" -> "fi", "é" -> "e" (the apostrophe kept)."""
    return COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text.replace("’", "'")))


def tokenize(text: str, stem_overrides: Mapping[str, str] | None = None) -> list[str]:
    """Stemmed, stop-word-free tokens of a text, in order.

    A word in ``stem_overrides`` (lowercase keys) becomes the token given there instead of its stem.
    """
    return _stemmed(_bases(text), stem_overrides)


def tokenize_each(texts: Sequence[str], stem_overrides: Mapping[str, str] | None = None) -> list[list[str]]:
    """:func:`tokenize` of each text, the words of all of them stemmed in one call (a passage's sentences)."""
    each = [_bases(text) for text in texts]
    stems = _stemmed([base for bases in each for base in bases], stem_overrides)
    tokens, start = [], 0
    for bases in each:
        tokens.append(stems[start : start + len(bases)])
        start += len(bases)
    return tokens


def _bases(text: str) -> list[str]:
    """A text's words, lowercased and folded, stop-words out, each cut at its apostrophe ("school's")."""
    words = TOKEN.findall((text if text.isascii() else _fold(text)).lower())
    return [w.split("'")[0] if "'" in w else w for w in words if w not in STOP_WORDS]


def _stemmed(bases: list[str], stem_overrides: Mapping[str, str] | None) -> list[str]:
    stems: list[str] = _stemmer().stemWords(bases)  # one call for the lot: much cheaper than word by word
    if not stem_overrides:
        return stems
    return [stem_overrides.get(w) or stem for w, stem in zip(bases, stems, strict=True)]
