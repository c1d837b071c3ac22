"""The search page's "Reading this as" control: what was read in the question, and how to undo it.

Each part of the asker's context read from the question links to the same search with that
kind of context undone (``ignore=<kind>``, repeatable); an undone part links back; "Search
the words exactly as typed" is ``read=0``. Every link keeps the rest of the search (the
question, the filters, how much context counts), so the control works without JavaScript.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import url_for
from werkzeug.datastructures import MultiDict

from commons.domain.comparability import SchoolContext
from commons.search.asker import context_from_reading
from commons.search.engine import SearchResults
from commons.search.filters import CHOICES, FSM_BANDS, SIZE_BANDS
from commons.search.glossary import quoted_words
from commons.search.reading import KINDS, read_question

KIND_NAMES = {"phase": "phase", "size": "size", "setting": "setting", "disadvantage": "disadvantage",
              "eal": "EAL", "sen": "SEND", "region": "region", "governance": "governance"}


def reading_args(args: MultiDict[str, str]) -> tuple[frozenset[str], bool]:
    """The kinds of context the reader undid (unknown kinds are dropped) and whether to read the question."""
    return frozenset(k for k in args.getlist("ignore") if k in KINDS), args.get("read", "1").strip() != "0"


@dataclass(frozen=True)
class Part:
    """One part of the asker's context: shown with a link that undoes it (or, once undone, puts it back)."""

    kind: str
    label: str
    url: str

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)


@dataclass(frozen=True)
class ReadingControl:
    read: bool  # False: the words were searched exactly as typed
    summary: str  # the context in one line, "a small rural primary"
    topic: str  # what was searched for
    parts: list[Part] = field(default_factory=list)  # each links to the search without it
    removed: list[Part] = field(default_factory=list)  # each links to the search with it back
    expansions: tuple[tuple[str, str], ...] = ()
    searched_as: tuple[tuple[str, str, str], ...] = ()  # (phrase, what it was searched as, its words quoted)
    has_answers: bool = False
    context_source: str | None = None
    school_name: str | None = None
    toggle_url: str = ""  # read=0 when reading, else back to reading
    hidden: list[tuple[str, str]] = field(default_factory=list)  # for the search form, so a filter change keeps them
    browse_url: str | None = None  # a question that only describes a school: its case studies, as a listing

    @property
    def has_topic(self) -> bool:
        return any(c.isalnum() for c in self.topic)

    @property
    def shown(self) -> bool:
        """Whether there is anything to show: context read or undone, the glossary's additions, or reading off."""
        return bool(not self.read or self.parts or self.removed or self.expansions or self.searched_as)


def _url(args: Mapping[str, list[str]], **changes: list[str]) -> str:
    """The search again with these changes, opening at "Reading this as", where the keyboard was."""
    values = {k: v for k, v in {**args, **changes}.items() if v}
    return url_for("main.search") + "?" + urlencode(values, doseq=True) + "#reading"


def reading_control(results: SearchResults, args: MultiDict[str, str], school_name: str | None) -> ReadingControl:
    """The control for a search that ran (``results``), from the page's own arguments."""
    ignored, read = reading_args(args)
    current = args.to_dict(flat=False)
    kinds = sorted(ignored, key=KINDS.index)
    hidden = [("ignore", kind) for kind in kinds] + ([] if read else [("read", "0")])
    reading = results.reading
    if reading is None:
        return ReadingControl(read=False, summary="", topic=results.question, expansions=results.expansions,
                              context_source=results.context_source, school_name=school_name,
                              toggle_url=_url(current, read=[]), hidden=hidden)
    parts = [Part(p.kind, p.label, _url(current, ignore=[*kinds, p.kind])) for p in reading.context]
    original = read_question(results.question)
    removed = [Part(kind, " · ".join(p.label for p in original.of_kind(kind)),
                    _url(current, ignore=[k for k in kinds if k != kind]))
               for kind in kinds if original.of_kind(kind)]
    described = context_from_reading(reading) if not any(c.isalnum() for c in reading.topic) else None
    browse = browse_url(described) if described is not None else None
    return ReadingControl(read=True, summary=reading.summary(), topic=reading.topic, parts=parts, removed=removed,
                          expansions=results.expansions,
                          searched_as=tuple((term, means, quoted_words(term)) for term, means in results.searched_as),
                          has_answers=bool(results.answer_count),
                          context_source=results.context_source,
                          school_name=school_name, toggle_url=_url(current, read=["0"]), hidden=hidden,
                          browse_url=browse)


def browse_url(context: SchoolContext) -> str | None:
    """The listing of case studies from schools like this one, with the filters its description gives."""
    values: dict[str, str] = {}
    if context.phase in CHOICES["phase"]:
        values["phase"] = context.phase
    if context.provision != "mainstream" and context.provision in CHOICES["provision"]:
        values["provision"] = context.provision
    if context.setting in CHOICES["setting"]:
        values["setting"] = context.setting
    if context.region in CHOICES["region"]:
        values["region"] = context.region
    for name, bands, value in (("fsm_band", FSM_BANDS, context.fsm_pct), ("size_band", SIZE_BANDS, context.pupils)):
        band = next((key for key, (_, low, high) in bands.items() if value is not None and low <= value < high), None)
        if band is not None:
            values[name] = band
    return url_for("browse.all_case_studies") + "?" + urlencode(values) if values else None
