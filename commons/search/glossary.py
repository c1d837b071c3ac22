"""England's school vocabulary, and widening a question with it.

The entries live in ``glossary.yaml`` beside this module; its opening comments say how to
add one. Each entry is a term with the forms that mean the same ("PP", "pupil premium",
"disadvantaged"). :meth:`Glossary.expand` finds the forms written in a question and returns
the other forms of the same entries, so that "PP attendance" also searches for "pupil
premium", and "pupil premium attendance" also searches for "PP". What was added is kept
with what triggered it, so the reader can be shown "PP → pupil premium".

Matching is by whole words and ignores case, hyphens, commas and extra spaces; a plural
"s" is allowed. In an entry marked ``ambiguous`` (a short form that is also an everyday
word, like "PE" or "TA") a form written with capitals only counts when written that way.
The longest form wins where forms overlap: "special educational needs and disabilities"
is SEND, not SEN. An entry marked ``together`` is a phrase whose words mean something else
alone ("special measures" is not about special schools): a text that uses it is searched for
what it means instead of its words.

This module uses only the standard library and PyYAML, so it can sit below everything else.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PATH = Path(__file__).with_name("glossary.yaml")
FIELDS = ("term", "means", "also", "ambiguous", "together", "note")
MAX_TEXT = 2000  # only this much of a text is read: a question, not a document
MAX_FORM = 120  # a longer "form" is a mistake in the file

_SEPARATORS = r"[\s,\-/]+"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # LibYAML when PyYAML was built with it: ten times faster
_Fail = Callable[[str], "GlossaryError"]
_PLURAL = r"(?:['’]?s)?"


class GlossaryError(ValueError):
    """A glossary file that cannot be used. The message names the file, the entry and the field."""


@dataclass(frozen=True)
class Entry:
    """One glossary entry: a term and the forms that mean the same."""

    term: str
    means: tuple[str, ...]
    also: tuple[str, ...] = ()
    ambiguous: bool = False
    together: bool = False  # its words mean something else alone: they are searched only as what it means
    note: str = ""

    @property
    def forms(self) -> tuple[str, ...]:
        """The term, then its long forms, then its other synonyms."""
        return (self.term, *self.means, *self.also)


@dataclass(frozen=True)
class Expanded:
    """What one entry added to a text: the form found, as written, and the forms added."""

    term: str
    found: str
    added: tuple[str, ...]
    shown: str
    searched_as: str = ""  # the form written in place of a phrase whose words count only together

    def note(self) -> str:
        """The line shown to the reader, e.g. "PP → pupil premium"."""
        return f"{self.found} → {self.shown}"


@dataclass(frozen=True)
class Expansion:
    """The forms a text gained from the glossary, in the order their triggers appear."""

    text: str
    items: tuple[Expanded, ...] = ()
    searched: str | None = None  # the text with each phrase whose words count only together rewritten

    @property
    def phrases(self) -> tuple[str, ...]:
        """Every added form, each once."""
        return tuple(phrase for item in self.items for phrase in item.added)

    @property
    def terms(self) -> tuple[str, ...]:
        """The terms of the entries that added something."""
        return tuple(item.term for item in self.items)

    def notes(self) -> tuple[str, ...]:
        """One line per entry for the reader: ("PP → pupil premium", ...)."""
        return tuple(item.note() for item in self.items)

    def searched_text(self) -> str:
        """The text as its topic is searched: a phrase whose words count only together written as what it means.

        "coming out of special measures" is searched as "coming out of inadequate Ofsted
        judgement", so "special" does not find special schools.
        """
        return self.text if self.searched is None else self.searched

    def expanded_text(self) -> str:
        """The searched text followed by the other added forms, for a keyword search."""
        if not self.items:
            return self.text
        rest = [phrase for item in self.items for phrase in item.added if phrase != item.searched_as]
        return " ".join([self.searched_text(), *rest])

    def __bool__(self) -> bool:
        return bool(self.items)


def quoted_words(phrase: str) -> str:
    """The words of a phrase, each quoted, for a reader: “special” and “measures”."""
    words = [f"“{word}”" for word in phrase.split()]
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def _key(form: str) -> str:
    """How forms are compared: lower case, separators made one space, "KS 2" written "ks2"."""
    key = re.sub(_SEPARATORS, " ", form.strip().lower()).strip()
    return re.sub(r"(?<=[^\W\d_]) (?=\d)", "", key)


def _pattern(form: str) -> str:
    """A regular expression for a form: its words in order, any separators between them.

    Where a word runs from letters into digits ("KS2", "P8") a space or hyphen may come between.
    """
    words = [w for w in re.split(_SEPARATORS, form.strip()) if w]
    return _SEPARATORS.join(
        r"[\s\-]?".join(re.escape(chunk) for chunk in re.split(r"(?<=[^\W\d_])(?=\d)", word)) for word in words
    )


def _exact_case(entry: Entry, form: str) -> bool:
    """In an ambiguous entry, a form written with capitals must be matched as written."""
    return entry.ambiguous and form != form.lower()


class Glossary:
    """A checked set of entries, and the matcher built from them.

    Construct one from :func:`load_glossary`, or directly from entries (checked the same way).
    """

    def __init__(self, entries: Iterable[Entry], source: str = "glossary", lines: Sequence[int] = ()) -> None:
        self.source = source
        self._entries = tuple(entries)
        self._by_key: dict[str, Entry] = {}
        self._form_of: dict[str, str] = {}
        self._whole: dict[str, re.Pattern[str]] = {}  # each form as whole words, to see if a text has it
        alternatives: list[tuple[int, str]] = []
        for index, entry in enumerate(self._entries, start=1):
            for form in entry.forms:
                key = _key(form)
                other = self._by_key.get(key)
                if other is not None:
                    where = "this entry" if other is entry else f"the entry for {other.term!r}"
                    line = f", line {lines[index - 1]}" if index <= len(lines) else ""
                    raise GlossaryError(
                        f"{source}: entry {index} ({entry.term!r}){line}, field '{_field_of(entry, form)}': "
                        f"{form!r} is already in {where} (ignoring case, spaces and hyphens); "
                        "a word or phrase may appear in only one entry"
                    )
                self._by_key[key] = entry
                self._form_of[key] = form
                pattern = _pattern(form)
                exact = _exact_case(entry, form)
                self._whole[key] = re.compile(rf"(?<!\w){pattern}{_PLURAL}(?!\w)", 0 if exact else re.IGNORECASE)
                alternatives.append((len(key), pattern if exact else f"(?i:{pattern})"))
        alternatives.sort(key=lambda item: -item[0])  # the longest form wins at a position
        body = "|".join(pattern for _, pattern in alternatives) or "(?!)"
        self._matcher = re.compile(rf"(?<!\w)(?:{body}){_PLURAL}(?!\w)")

    @property
    def entries(self) -> tuple[Entry, ...]:
        return self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, form: str) -> Entry | None:
        """The entry a form belongs to, ignoring case and separators; None if it has none."""
        return self._by_key.get(_key(form))

    def _entry_for(self, matched: str) -> tuple[Entry, str] | None:
        key = _key(matched)
        if key not in self._by_key:
            key = re.sub(r"['’]?s$", "", key)  # the plural
        entry = self._by_key.get(key)
        return None if entry is None else (entry, self._form_of[key])

    def expand(self, text: str) -> Expansion:
        """The forms to add to ``text``: for each entry found, its forms the text lacks.

        Only the first ``MAX_TEXT`` characters are read. A form already in the text, or already
        added for an earlier entry, is not added again; an entry that would add nothing is left
        out. In a text written all in capitals, ambiguous entries are ignored (it is shouting,
        not acronyms). An entry marked ``together`` never adds its term, and every place the text
        writes the term is searched as its first long form.
        """
        scan = text[:MAX_TEXT]
        searched: str | None = None
        shouting = not any(c.islower() for c in scan) and len(scan.split()) > 3
        seen: set[int] = set()
        taken: set[str] = set()
        items: list[Expanded] = []
        for match in self._matcher.finditer(scan):
            found = self._entry_for(match.group(0))
            if found is None:
                continue
            entry, form = found
            if id(entry) in seen or (shouting and entry.ambiguous):
                continue
            seen.add(id(entry))
            term = self._whole[_key(entry.term)]
            rewritten = entry.together and term.search(scan) is not None
            added = tuple(f for f in entry.forms
                          if not (entry.together and f is entry.term)  # its words are never searched
                          and _key(f) not in taken and not self._whole[_key(f)].search(scan))
            if not added and not rewritten:
                continue
            taken.update(_key(f) for f in added)
            if rewritten:
                shown = entry.means[0]
                searched = term.sub(shown, text if searched is None else searched)
            else:
                short = " " not in _key(form) and (form == entry.term or form in entry.also)
                preferred = entry.means[0] if short else entry.term
                shown = preferred if preferred in added else added[0]
            items.append(Expanded(term=entry.term, found=match.group(0), added=added, shown=shown,
                                  searched_as=shown if rewritten else ""))
        return Expansion(text=text, items=tuple(items), searched=searched)


def _field_of(entry: Entry, form: str) -> str:
    if form is entry.term:
        return "term"
    return "means" if form in entry.means else "also"


def load_glossary(path: str | Path | None = None) -> Glossary:
    """The glossary in ``path``, or the shipped one (read once and kept) when ``path`` is None.

    Raises :class:`GlossaryError` naming the file, the entry (its number, counting from 1,
    its line and its term) and the field, for a file that is missing, is not YAML, or has an
    entry that breaks the rules written at the top of ``glossary.yaml``.
    """
    if path is None:
        return _default_glossary()
    return _load(Path(path))


@lru_cache(maxsize=1)
def _default_glossary() -> Glossary:
    return _load(DEFAULT_PATH)


def _load(path: Path) -> Glossary:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GlossaryError(f"{path}: cannot be read ({exc})") from exc
    return parse_glossary(text, source=str(path))


def parse_glossary(text: str, source: str = "glossary") -> Glossary:
    """A glossary from YAML text; ``source`` names it in error messages."""
    try:
        data = yaml.load(text, Loader=_LOADER)  # nosec B506 - CSafeLoader or SafeLoader: no objects built
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise GlossaryError(f"{source}{where}: not valid YAML ({problem})") from exc
    if data is None or root is None:
        raise GlossaryError(f"{source}: has no entries")
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        raise GlossaryError(f"{source}: must be a list of entries, each starting with '- term:'")
    lines = [node.start_mark.line + 1 for node in root.value]
    entries = [_entry(item, index, lines[index - 1], source) for index, item in enumerate(data, start=1)]
    return Glossary(entries, source, lines)


def _entry(item: Any, index: int, line: int, source: str) -> Entry:
    term = item.get("term") if isinstance(item, dict) else None
    named = f" ({term!r})" if isinstance(term, str) else ""

    def fail(field: str, problem: str) -> GlossaryError:
        return GlossaryError(f"{source}: entry {index}{named}, line {line}, field '{field}': {problem}")

    if not isinstance(item, dict):
        raise fail("term", "each entry must be a mapping that starts with 'term:'")
    unknown = sorted(str(k) for k in item if k not in FIELDS)
    if unknown:
        raise fail(unknown[0], f"unknown field; the fields are {', '.join(FIELDS)}")
    if "term" not in item:
        raise fail("term", "missing; every entry needs a term")
    entry_term = _text(item["term"], lambda problem: fail("term", problem))
    if "means" not in item:
        raise fail("means", "missing; give at least one long form, e.g. means: [pupil premium]")
    means = _texts(item["means"], lambda problem: fail("means", problem))
    if not means:
        raise fail("means", "empty; give at least one long form")
    also = _texts(item.get("also") or [], lambda problem: fail("also", problem))
    ambiguous = item.get("ambiguous", False)
    if not isinstance(ambiguous, bool):
        raise fail("ambiguous", "must be true or false")
    together = item.get("together", False)
    if not isinstance(together, bool):
        raise fail("together", "must be true or false")
    note = item.get("note") or ""
    if not isinstance(note, str):
        raise fail("note", "must be text")
    return Entry(term=entry_term, means=means, also=also, ambiguous=ambiguous, together=together, note=note)


def _text(value: Any, fail: _Fail) -> str:
    if not isinstance(value, str):
        raise fail(f"{value!r} is not text; put it in quotes (YAML reads words like no, on and 16 otherwise)")
    text = value.strip()
    if not re.search(r"\w", text):
        raise fail("empty; write a word or phrase")
    if len(text) > MAX_FORM:
        raise fail(f"longer than {MAX_FORM} characters")
    return text


def _texts(value: Any, fail: _Fail) -> tuple[str, ...]:
    if isinstance(value, str):
        raise fail("must be a list, e.g. [pupil premium]; a single form still goes in brackets")
    if not isinstance(value, list):
        raise fail(f"{value!r} is not a list of words or phrases")
    return tuple(_text(v, fail) for v in value)
