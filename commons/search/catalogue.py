"""What the search path needs to know about every published case study, cached per change.

Filters, grouping passages by case study and "more from comparable schools" all need a
few facts about *every* published case study (its school's context then, its topics, its
passages). Reading them from the database for each search costs time in proportion to the
commons. Every publish and withdrawal writes the change log, so the newest change number
says whether anything could have changed: the facts are read once per change number and
shared by every search until the next change.

After a change only the case studies the change log names since the last catalogue are read
again, and the rest carried over: a published case study's facts change only when it is
published, revised or withdrawn, and each of those writes the change log for its passages
(``services/publishing.py``). Many changes at once (a bulk import) are read whole.
"""

import pickle  # nosec B403 - only ever reads back what this module has just written
import sys
import threading
from array import array
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, cast
from weakref import WeakKeyDictionary

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from commons.domain.comparability import SchoolContext, context_from_fields
from commons.models import CaseStudy, Change, Passage
from commons.search.source import LIVE, DatabaseChangeSource
from commons.search.tokens import tokens_of_each
from indexer.memory import release_free_memory


@dataclass(frozen=True, slots=True)
class PublishedStudy:
    """The facts about one published case study that filters and comparisons read.

    Held for every published case study, so kept small: slots, tuples, repeated strings
    shared, and the snapshot only as the context it gives.
    """

    id: int
    topics: tuple[str, ...]
    evidence_strength: str
    years: tuple[int, int]  # the first and last (one tuple for every case study of the same years)
    open_to: tuple[str, ...]
    context: SchoolContext  # the school's context when the work was done, its URN the school's
    # what its author says it is about: the distinct tokens of its title, then of its summary, as
    # the numbers of :data:`WORDS` (unsigned 32-bit); ``title_tokens`` of them are the title's
    about: bytes = b""
    title_tokens: int = 0

    # each of these would be a number of its own for every case study, ``context``'s URN a second copy
    @property
    def school_urn(self) -> int:
        return cast(int, self.context.urn)

    @property
    def start_year(self) -> int:
        return self.years[0]

    @property
    def end_year(self) -> int:
        return self.years[1]


class Words:
    """Every token of a published title or summary, kept once and numbered.

    Only added to (under the catalogue's lock), so a number never changes and every catalogue,
    old or new, reads its studies' tokens from the same list. The words of a withdrawn case
    study stay: a few strings, against reading and tokenizing titles for every search.
    """

    def __init__(self) -> None:
        self.number: dict[str, int] = {}
        self.word: list[str] = []

    def numbers(self, tokens: Iterable[str]) -> list[int]:
        found = []
        for token in tokens:
            number = self.number.get(token)
            if number is None:
                number = self.number[token] = len(self.word)
                self.word.append(token)
            found.append(number)
        return found

    def repack(self) -> None:
        """Every word made again, together, after a whole read (see :func:`_read`): words first met
        among a read's short-lived objects would each keep a block of the freed memory from the system."""
        words: list[str] = pickle.loads(pickle.dumps(self.word, protocol=pickle.HIGHEST_PROTOCOL))  # nosec B301
        self.number = {word: number for number, word in enumerate(words)}
        self.word = words  # a search reading the old list still finds the same words in it


WORDS = Words()


@dataclass(frozen=True)
class Catalogue:
    """Published case studies and their passages as of one change number."""

    position: int
    studies: dict[int, PublishedStudy]
    owner: npt.NDArray[np.int32]  # passage id -> case study id, -1 when not live
    study_ids: npt.NDArray[np.int64]  # published case studies with passages, ascending
    starts: npt.NDArray[np.int64]  # study_ids[i]'s passages are passage_ids[starts[i]:starts[i + 1]]
    passage_ids: npt.NDArray[np.int32]  # ids as the database keeps them (32-bit): half the memory of int64
    filtered: dict[Any, npt.NDArray[np.int64]] = field(default_factory=dict, compare=False)  # see search_filters

    def about(self, case_study_ids: Iterable[int],
              only: Collection[str] | None = None) -> dict[int, tuple[frozenset[str], frozenset[str]]]:
        """The tokens of each published case study's title and of its summary (as the lexical index reads them).

        With ``only``, just those of these tokens (a question's words): the numbers are compared, and
        only the tokens found become strings.
        """
        words = WORDS.word
        wanted = None if only is None else {n for n in map(WORDS.number.get, only) if n is not None}
        found = {}
        for case_study_id in case_study_ids:
            study = self.studies.get(case_study_id)
            if study is None:
                continue
            numbers = memoryview(study.about).cast("I")
            title: Iterable[int] = numbers[: study.title_tokens].tolist()
            summary: Iterable[int] = numbers[study.title_tokens :].tolist()
            if wanted is not None:
                title, summary = wanted.intersection(title), wanted.intersection(summary)
            found[case_study_id] = (frozenset([words[n] for n in title]), frozenset([words[n] for n in summary]))
        return found

    def owners(self, passage_ids: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Each passage's case study, -1 for a passage that is not live."""
        found = np.full(len(passage_ids), -1, dtype=np.int64)
        inside = (passage_ids >= 0) & (passage_ids < len(self.owner))
        found[inside] = self.owner[passage_ids[inside]]
        return found

    def passages_of(self, case_study_ids: set[int]) -> npt.NDArray[np.int64]:
        """The live passages of these case studies, case study by case study."""
        wanted = np.fromiter(case_study_ids, dtype=np.int64, count=len(case_study_ids))
        wanted = np.intersect1d(wanted, self.study_ids)
        if not len(wanted):
            return np.zeros(0, dtype=np.int64)
        at = np.searchsorted(self.study_ids, wanted)
        lengths = self.starts[at + 1] - self.starts[at]
        offsets = np.repeat(self.starts[at] - np.cumsum(lengths) + lengths, lengths)
        return self.passage_ids[offsets + np.arange(int(lengths.sum()))].astype(np.int64)


READ_BATCH = 5_000  # rows read at a time, so reading a large commons does not hold every row at once
UPDATE_AT_MOST = 500  # case studies changed since the last catalogue beyond which it is read whole
_CACHE: "WeakKeyDictionary[Engine | Connection, Catalogue]" = WeakKeyDictionary()
_LOCK = threading.Lock()


def catalogue(session: Session, position: int | None = None) -> Catalogue:
    """The catalogue as of the newest change the session can see (read again only after a change).

    ``position`` is that change when the caller has just read it (the search replicas' own), so
    the change log is not asked twice.
    """
    bind = session.get_bind()
    if position is None:
        position = DatabaseChangeSource(session, 0).last_change()
    cached = _CACHE.get(bind)
    if cached is not None and cached.position == position:
        return cached
    with _LOCK:
        cached = _CACHE.get(bind)
        if cached is not None and cached.position == position:
            return cached
        built = None
        if cached is not None and cached.position < position:
            built = _updated(session, cached, position)
        if built is None:
            built = _read(session, position)
        _CACHE[bind] = built
        return built


def _updated(session: Session, old: Catalogue, position: int) -> Catalogue | None:
    """``old`` with the case studies changed since it was made read again (None: too many, read it whole)."""
    changed = set(session.scalars(
        select(Change.case_study_id).where(Change.seq > old.position, Change.seq <= position).distinct()
        .limit(UPDATE_AT_MOST + 1)))
    if len(changed) > UPDATE_AT_MOST:
        return None
    studies = {i: study for i, study in old.studies.items() if i not in changed}
    studies.update(_read_studies(session, changed))
    kept = old.passage_ids[~np.isin(old.owner[old.passage_ids], list(changed))]
    pairs = np.concatenate([np.stack([kept, old.owner[kept].astype(np.int64)], axis=1),
                            _passage_pairs(session, changed)])
    return Catalogue(position, studies, *_arranged(pairs))


def _read(session: Session, position: int) -> Catalogue:
    # The facts are made one by one among each row's short-lived objects (the row, its decoded
    # snapshot), so they end up scattered over many of the allocator's blocks, and a block goes
    # back to the system only when nothing in it lives. So they are written out as bytes, the
    # scattered originals let go (and the freed pages returned), and only then read back, packed
    # together: the serving process grew by 1,977 B per added passage instead of 2,134 B from
    # 10,000 to 100,000 passages (bench/scale_latency.py's serving memory). The words of titles
    # and summaries first met in this read are made again together for the same reason: left
    # among the tokenizer's short-lived strings they took it to 2,375 B, made again 1,978 B
    # (the version before the words, on the same day: 2,008 B).
    packed = pack(_read_studies(session))
    WORDS.repack()
    owner, study_ids, starts, passage_ids = _arranged(_passage_pairs(session))
    release_free_memory()
    return Catalogue(position, unpack(packed), owner, study_ids, starts, passage_ids)


def pack(studies: dict[int, PublishedStudy]) -> bytes:
    """The facts as bytes, read back by :func:`unpack` in this process only."""
    return pickle.dumps(studies, protocol=pickle.HIGHEST_PROTOCOL)


def unpack(packed: bytes) -> dict[int, PublishedStudy]:
    studies = pickle.loads(packed)  # nosec B301 - bytes this process has just written (pack)
    return cast(dict[int, PublishedStudy], studies)


def _read_studies(session: Session, only: set[int] | None = None) -> dict[int, PublishedStudy]:
    """The facts of every published case study, or of those of ``only`` that are published.

    Titles and summaries are tokenized a batch of rows at a time (one call of the stemmer).
    """
    studies: dict[int, PublishedStudy] = {}
    query = (select(CaseStudy.id, CaseStudy.school_urn, CaseStudy.topics, CaseStudy.school_snapshot,
                    CaseStudy.evidence_strength, CaseStudy.start_year, CaseStudy.end_year, CaseStudy.open_to,
                    CaseStudy.title, CaseStudy.summary)
             .where(CaseStudy.status == LIVE))
    if only is not None:
        query = query.where(CaseStudy.id.in_(only))
    result = session.execute(query.execution_options(yield_per=READ_BATCH))
    lists: dict[tuple[str, ...], tuple[str, ...]] = {}  # one copy of each list of topics or offers
    shared_years: dict[tuple[int, int], tuple[int, int]] = {}  # and of each pair of years
    for rows in result.partitions():
        tokens = tokens_of_each([text or "" for row in rows for text in (row.title, row.summary)])
        for n, row in enumerate(rows):
            snapshot = {k: _shared(v) for k, v in (row.school_snapshot or {}).items()}
            topics = tuple(map(_shared, row.topics or []))
            open_to = tuple(map(_shared, row.open_to or []))
            title = list(dict.fromkeys(tokens[2 * n]))
            summary = list(dict.fromkeys(tokens[2 * n + 1]))
            years = (row.start_year, row.end_year)
            studies[row.id] = PublishedStudy(
                row.id, lists.setdefault(topics, topics), _shared(row.evidence_strength),
                shared_years.setdefault(years, years), lists.setdefault(open_to, open_to),
                context_from_fields(snapshot, row.school_urn),
                array("I", WORDS.numbers(title + summary)).tobytes(), len(title),
            )
    return studies


def _passage_pairs(session: Session, only: set[int] | None = None) -> npt.NDArray[np.int64]:
    """(passage id, case study id) of every live passage, or of the live passages of ``only``."""
    query = (select(Passage.id, Passage.case_study_id)
             .join(CaseStudy, CaseStudy.id == Passage.case_study_id)
             .where(CaseStudy.status == LIVE))
    if only is not None:
        query = query.where(Passage.case_study_id.in_(only))
    result = session.execute(query.execution_options(yield_per=READ_BATCH))
    parts = [np.array(part, dtype=np.int64).reshape(-1, 2) for part in result.partitions()]
    return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64)


def _arranged(pairs: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64],
                                                     npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """Each live passage's case study, and each case study's passages (see :class:`Catalogue`)."""
    owner = np.full(int(pairs[:, 0].max()) + 1 if len(pairs) else 0, -1, dtype=np.int32)
    owner[pairs[:, 0]] = pairs[:, 1]
    ordered = pairs[np.lexsort((pairs[:, 0], pairs[:, 1]))]
    study_col = ordered[:, 1]
    starts_of_study = np.r_[True, study_col[1:] != study_col[:-1]]
    first = np.flatnonzero(starts_of_study) if len(ordered) else np.zeros(0, dtype=np.int64)
    return owner, study_col[first].copy(), np.r_[first, len(ordered)].astype(np.int64), ordered[:, 0].astype(np.int32)


def _shared(value: Any) -> Any:
    """One copy of each repeated string (phases, regions, topics...) however many studies use it."""
    return sys.intern(value) if isinstance(value, str) else value
