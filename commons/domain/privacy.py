"""The privacy check run before a case study is published.

The Commons holds school-level information only: nothing in a case study should let a reader
identify a child, or reach a member of staff or a family directly. :func:`check` reads the
title, summary and sections (Markdown) and the impact table, and returns a
:class:`PrivacyWarning` for everything that looks personal, so that the author can fix it
before publishing. It never changes the text.

The checks are heuristics tuned to be precise on ordinary school prose ("Year 6 pupils",
"the child", "our SENCo, Mrs Patel" raise nothing), so they miss things a person would catch:

* **upn**: a letter then 12 digits, or a letter, 11 digits and a letter (``A123456789012``).
* **email**: anything shaped like ``name@domain.tld``.
* **phone**: a UK number starting ``0``, ``(0`` or ``+44`` with 10 or 11 digits in all, in up
  to three groups separated by spaces or hyphens. Years, ranges (``2022-2024``),
  percentages, decimals and money (``£2,400``) never start that way.
* **date-of-birth**: a full date (day, month and year, in figures or words) straight after
  "born", "DOB", "d.o.b.", "date of birth" or "birthdate", allowing only "on", "is", "was",
  "the" or a colon between ("born on the 3rd of May 2016"), or straight before "(DOB)". A
  bare year or month ("born in 2016", "summer-born children, from 1 September") is a cohort
  or another date, and is not flagged; nor is "born last week on 3 May 2016".
* **named-child**: a capitalised name straight after a lower-case, singular word for a child
  ("pupil", "child", "boy", "girl", "student", "learner", "son", "daughter": "a Year 5 pupil
  Jayden"); a name set off after such a word, singular or plural ("two pupils, Amy and Ben,",
  "one girl (Maya)"); or a possessive name before a family or casework word ("Tom's mum",
  "Leo's EHCP"). Capitalised words that often follow those nouns but are not names
  (:data:`NOT_NAMES`: Premium, Year, Ofsted, months, titles such as Mrs), single-letter
  labels ("Pupil A"), compounds ("a 31-pupil Northumberland school") and "St Mary's" are
  ignored. Names anywhere else ("Jack, in Year 5, ...", "Pupil Jack" opening a sentence,
  "pupil **Jack**") are not found, and an unusual capitalised word after "pupil" can be.
* **small-group**: an impact-table row for fewer than :data:`MIN_GROUP_SIZE` pupils.
"""

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

MIN_GROUP_SIZE = 6
IMPACT_FIELD = "impact"  # the field the impact table's warnings belong to
EXCERPT_LIMIT = 80

SCHOOL_LEVEL_ONLY = "the Commons holds school-level information only."
MESSAGES: dict[str, str] = {
    "upn": "This looks like a pupil's UPN (unique pupil number). Remove it: " + SCHOOL_LEVEL_ONLY,
    "email": "This looks like an email address. Remove it: " + SCHOOL_LEVEL_ONLY,
    "phone": "This looks like a phone number. Remove it: " + SCHOOL_LEVEL_ONLY,
    "date-of-birth": "This looks like a date of birth. Remove it: " + SCHOOL_LEVEL_ONLY,
    "named-child": (
        "This looks like a child's name. Describe the child instead, for example "
        "'a Year 5 pupil': " + SCHOOL_LEVEL_ONLY
    ),
    "small-group": (
        f"A group of fewer than {MIN_GROUP_SIZE} pupils can identify children; "
        "combine groups or remove the row."
    ),
}

UPN_PATTERN = re.compile(r"\b[A-Z]\d{11}[0-9A-Z]\b", re.IGNORECASE)
EMAIL_PATTERN = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")

# A candidate; PHONE_DIGITS then decides. Not glued to a word, number, sign or currency.
PHONE_PATTERN = re.compile(
    r"""
    (?<![\w£$€.,/+-])
    (?:\+44[ ]?(?:\(0\)[ ]?)?|\(?0)   # +44, +44 (0), 0 or (0
    \d{2,4}\)?                        # the rest of the area or mobile code
    (?:[ -]?\d{3,4}){1,2}             # the number, in one or two groups
    (?![\w%@]|[.,]\d)               # not part of a longer number, address or word
    """,
    re.VERBOSE,
)
PHONE_DIGITS = (10, 11)  # counting the leading 0 (or the 0 that +44 stands for)

MONTH_NAMES = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
ORDINAL = r"(?:st|nd|rd|th)?"
FULL_DATE = (
    r"(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{4}|\d{2})(?!\d)"  # 03/05/2016, 3.5.16
    r"|\d{4}-\d{2}-\d{2}"  # 2016-05-03
    rf"|\d{{1,2}}{ORDINAL}\s+(?:of\s+)?{MONTH_NAMES}\.?,?\s+\d{{4}}"  # 3rd May 2016
    rf"|{MONTH_NAMES}\.?\s+\d{{1,2}}{ORDINAL},?\s+\d{{4}})"  # May 3, 2016
)
BIRTH_CUE = r"(?:\bborn\b|\bDOB\b|\bd\.o\.b\b\.?|\bdate\s+of\s+birth\b|\bbirth\s*date\b)"
CUE_TO_DATE_GAP = r"[\s:=(-]*(?:(?:on|is|was)\s+)?(?:the\s+)?"  # "born on the", "DOB: "
DATE_OF_BIRTH_PATTERN = re.compile(
    rf"{BIRTH_CUE}{CUE_TO_DATE_GAP}{FULL_DATE}"
    rf"|{FULL_DATE}\s*[(,-]?\s*(?:DOB\b|d\.o\.b\b\.?)\)?",
    re.IGNORECASE,
)

CHILD_WORDS = r"(?:pupil|child|boy|girl|student|learner|son|daughter)"
NOT_IN_COMPOUND = r"(?<![\w-])"  # "a 31-pupil Northumberland school" names no child
NAME = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"  # at least two letters, so "Pupil A" is not a name
# "a Year 5 pupil Jayden": singular only, because "gave pupils Chromebooks" is not a name.
NAME_AFTER_CHILD_WORD_PATTERN = re.compile(
    rf"{NOT_IN_COMPOUND}{CHILD_WORDS}(?:[ \t]+|[ \t]*\n[ \t]*)(?P<name>{NAME})\b"
)
# "two pupils, Tom and Amy," or "one girl (Maya)": a name set off after the noun.
NAME_IN_APPOSITION_PATTERN = re.compile(
    rf"{NOT_IN_COMPOUND}(?:{CHILD_WORDS}s?|children)(?:,|[ \t]+\(|[ \t]+[-–])"
    rf"[ \t]*(?P<name>{NAME})(?=[ \t]*(?:,|\)|[-–]|and\b|&))"
)
FAMILY_WORDS = (
    r"(?:mum|mother|dad|father|parents?|carers?|foster\s+carers?|step-?(?:mum|dad)"
    r"|gran|granny|grandma|grandmother|nan|nana|grandad|grandpa|grandfather|grandparents"
    r"|aunt|auntie|uncle|brother|sister|siblings?|social\s+worker|EHCP|EHC\s+plan|IEP"
    r"|diagnosis|family(?!\s+(?:of|support|hub|services?|liaison|workers?|learning|team)\b))"
)
# "Tom's mum"; not "St Mary's family" (a school) or "Mrs Patel's mum" (a member of staff).
NAME_BEFORE_FAMILY_PATTERN = re.compile(
    rf"(?<!\bSt )(?<!\bSt\. )\b(?P<name>{NAME})['’]s\s+{FAMILY_WORDS}\b"
)
NAMED_CHILD_PATTERNS = (
    NAME_AFTER_CHILD_WORD_PATTERN,
    NAME_IN_APPOSITION_PATTERN,
    NAME_BEFORE_FAMILY_PATTERN,
)
TITLES = frozenset({"Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Sir", "Dame", "Prof", "Rev"})
# Capitalised words that follow a child word but are not names ("pupil Premium", "girls, Years").
NOT_NAMES = TITLES | {
    "The", "This", "That", "These", "Those", "Our", "We", "They", "He", "She", "It",
    "In", "On", "At", "And", "But", "Or", "For", "With", "From", "To", "Of", "As",
    "All", "Each", "Every", "Some", "Many", "Most", "Who", "Which", "When", "Where",
    "Year", "Years", "Reception", "Nursery", "Key", "Stage", "Sixth", "Form",
    "Premium", "Voice", "Parliament", "Council", "Referral", "Protection", "Led",
    "Progress", "Attendance", "Support", "Services", "Leaders", "Ambassadors",
    "English", "British", "Maths", "Mathematics", "Science", "Reading", "Writing", "Phonics",
    "Ofsted", "School", "Schools", "Academy", "Trust", "Term",
    "Autumn", "Spring", "Summer", "Winter", "Christmas", "Easter", "Ramadan",
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
}

Hit = tuple[int, str, str]  # position in the field (or row number in the table), kind, excerpt

FOUND_IN_TEXT: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("upn", UPN_PATTERN),
    ("email", EMAIL_PATTERN),
    ("phone", PHONE_PATTERN),
    ("date-of-birth", DATE_OF_BIRTH_PATTERN),
)


@dataclass(frozen=True)
class PrivacyWarning:
    """One thing in a case study that looks personal, and what to do about it."""

    field: str  # a section key ("what-we-did"), "title", "summary", or "impact" for the table
    kind: str  # a key of MESSAGES
    excerpt: str  # the matching text (the measure, for small-group), at most EXCERPT_LIMIT
    message: str  # plain English, says what to do


def check(fields: dict[str, str], impact_rows: Sequence[Mapping[str, object]]) -> list[PrivacyWarning]:
    """Warnings for ``fields`` (name -> Markdown) and the impact table, in reading order.

    Fields come in the order given and each field's warnings in the order of the text; the
    impact table's warnings follow the "impact" field's, or come last when there is none.
    A field never repeats the same excerpt for the same kind.
    """
    table = list(_small_groups(impact_rows))
    found: list[PrivacyWarning] = []
    for name, text in fields.items():
        found += _unique(name, sorted(_found_in(text), key=lambda hit: hit[0]))
        if name == IMPACT_FIELD:
            found += _unique(name, table)
            table = []
    return found + _unique(IMPACT_FIELD, table)


def _found_in(text: str) -> Iterator[Hit]:
    for kind, pattern in FOUND_IN_TEXT:
        for match in pattern.finditer(text):
            if kind != "phone" or _is_phone_number(match.group()):
                yield match.start(), kind, match.group()
    yield from _named_children(text)


def _is_phone_number(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate.replace("(0)", ""))
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    return len(digits) in PHONE_DIGITS


def _named_children(text: str) -> Iterator[Hit]:
    """Names found by any of NAMED_CHILD_PATTERNS, once each ("pupil Tom's mum" is one)."""
    matches = sorted(
        (match for pattern in NAMED_CHILD_PATTERNS for match in pattern.finditer(text)),
        key=lambda match: match.start(),
    )
    covered = 0
    for match in matches:
        name_at = match.start("name")
        if match.group("name") in NOT_NAMES or _after_title(text, name_at) or name_at < covered:
            continue
        covered = match.end()
        yield match.start(), "named-child", " ".join(match.group().split())


def _after_title(text: str, position: int) -> bool:
    """Whether the word before ``position`` is a title, as in "Mrs Patel" (staff, not a child)."""
    before = text[max(0, position - 6) : position].split()
    return bool(before) and before[-1].rstrip(".") in TITLES


def _small_groups(rows: Iterable[Mapping[str, object]]) -> Iterator[Hit]:
    for position, row in enumerate(rows):
        pupils = row.get("pupils")
        if isinstance(pupils, int) and not isinstance(pupils, bool) and pupils < MIN_GROUP_SIZE:
            yield position, "small-group", str(row.get("measure", "")).strip()


def _unique(field: str, hits: Iterable[Hit]) -> list[PrivacyWarning]:
    seen: set[tuple[str, str]] = set()
    warnings = []
    for _, kind, excerpt in hits:
        key = (kind, excerpt.casefold())
        if key not in seen:
            seen.add(key)
            warnings.append(PrivacyWarning(field, kind, _shorten(excerpt), MESSAGES[kind]))
    return warnings


def _shorten(excerpt: str) -> str:
    if len(excerpt) <= EXCERPT_LIMIT:
        return excerpt
    return excerpt[: EXCERPT_LIMIT - 1] + "…"
