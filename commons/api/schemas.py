"""The JSON API's requests and answers as pydantic models, in one place.

The same models validate what a client sends (query parameters and JSON bodies), shape what the
API answers, and are what the OpenAPI document (``commons/api/spec.py``) is generated from, so the
three cannot disagree. A model refuses with the API's own error codes: each problem is raised as
a ``PydanticCustomError`` whose type is the code (``bad_parameter``, ``wrong_type``, ``invalid``,
...) and :func:`problems` turns pydantic's list of them into the one ``Refused`` (code, status,
messages by field) the API renders.
"""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from commons.domain.case_study_format import IMPACT_KEYS, MAX_IMPACT_ROWS, MAX_SECTION_CHARS
from commons.domain.comparability import CONTEXT_LEVELS, DEFAULT_CONTEXT_LEVEL
from commons.domain.errors import Refused
from commons.domain.statuses import CaseStudyStatus, DraftStatus
from commons.domain.vocabulary import EVIDENCE_STRENGTHS, OFFERS, SECTION_HEADINGS, TOPICS
from commons.search.engine import QuestionProblem, clean_question
from commons.search.filters import CHOICES, FilterProblem, SearchFilters
from commons.search.reading import KINDS
from commons.services.authoring import MAX_IMPACT_CHARS, TEXT_LIMITS
from commons.services.browsing import MAX_PAGE

MAX_LIMIT = 50
MAX_OFFSET = 200
MAX_URN = 99_999_999
MAX_ID = 2**31 - 1
MAX_PUPILS = 1_000_000
YEARS: dict[str, Any] = {"type": "integer", "minimum": 1990, "maximum": 2100}


def refuse(code: str, field_message: str, message: str | None = None, keys: list[str] | None = None) -> \
        PydanticCustomError:
    """A problem with one field (``field_message``), raised from a validator as the API's ``code``; ``keys``
    names the parts of the field it is about (unknown keys of an object)."""
    return PydanticCustomError(code, message or field_message, {"field": field_message, "keys": keys or []})


# ---- query parameters ------------------------------------------------------------------------------

def _whole(low: int, high: int) -> Callable[[Any, ValidationInfo], int | None]:
    """A query parameter that is a whole number from ``low`` to ``high``."""
    def parse(raw: Any, info: ValidationInfo) -> int | None:
        if raw is None or isinstance(raw, int):
            return raw
        name = info.field_name
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise refuse("bad_parameter", f"{name} must be a whole number from {low} to {high}") from None
        if not low <= value <= high:
            raise refuse("bad_parameter", f"{name} must be from {low} to {high}, not {value}")
        return value
    return parse


def _question(raw: str) -> str:
    try:
        clean_question(raw)
    except QuestionProblem as problem:
        raise refuse("bad_question", str(problem)) from None
    return raw


def _kinds(kinds: list[str]) -> list[str]:
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise refuse("bad_parameter", f"ignore must be one of {', '.join(KINDS)}, not {', '.join(unknown)}")
    return kinds


Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"How many results (at most {MAX_LIMIT})."),
                  BeforeValidator(_whole(1, MAX_LIMIT))]
Offset = Annotated[int, Field(ge=0, le=MAX_OFFSET, description="How many results to skip."),
                   BeforeValidator(_whole(0, MAX_OFFSET))]
Urn = Annotated[int, Field(ge=1, le=MAX_URN)]
SchoolParameter = Annotated[int, Field(ge=1, le=MAX_URN), BeforeValidator(_whole(1, MAX_URN))]
Question = Annotated[str, AfterValidator(_question), WithJsonSchema(
    {"type": "string", "minLength": 1, "maxLength": 5000, "pattern": "[A-Za-z0-9]"})]
Kind = Annotated[str, WithJsonSchema({"type": "string", "enum": list(KINDS)})]


def _filter(name: str) -> Any:
    """A filter parameter: one of its choices (blank is no filter), checked with the others by ``Filtered``."""
    schema: dict[str, Any] = {"enum": list(CHOICES[name])} if name in CHOICES else YEARS
    return Field(None, description=f"Filter: {name.replace('_', ' ')}.", json_schema_extra=schema)


class Query(BaseModel):
    """Query parameters: only the ones named are taken; a repeatable one is a list."""

    model_config = ConfigDict(extra="forbid")


class NoQuery(Query):
    """An endpoint that takes no query parameters."""


class Filtered(Query):
    """The search filters, checked by the one rule the web, the CLI and the API share."""

    phase: str | None = _filter("phase")
    provision: str | None = _filter("provision")
    region: str | None = _filter("region")
    setting: str | None = _filter("setting")
    fsm_band: str | None = _filter("fsm_band")
    size_band: str | None = _filter("size_band")
    topic: str | None = _filter("topic")
    evidence_strength: str | None = _filter("evidence_strength")
    open_to: str | None = _filter("open_to")
    year_from: str | None = _filter("year_from")
    year_to: str | None = _filter("year_to")

    @model_validator(mode="after")
    def _filters_are_known(self) -> "Filtered":
        try:
            self.filters()
        except FilterProblem as problem:
            raise refuse("bad_filter", str(problem)) from None
        return self

    def filters(self) -> SearchFilters:
        return SearchFilters.from_args({name: getattr(self, name) for name in Filtered.model_fields})


class _Search(Query):
    model_config = ConfigDict(json_schema_extra={"required": ["q"]})  # a missing question is refused as empty

    q: Question = Field("", validate_default=True, description="The question, with at least one letter or digit.")
    limit: Limit = 10
    offset: Offset = 0
    context: Annotated[int, Field(
        ge=0, le=len(CONTEXT_LEVELS) - 1,
        description="How much school context counts (0 not at all … 4 strongly); needs school."),
        BeforeValidator(_whole(0, len(CONTEXT_LEVELS) - 1))] = DEFAULT_CONTEXT_LEVEL
    school: SchoolParameter | None = Field(None, description="The reader's school URN: it orders the answers, "
                                           "instead of any school the question describes.")
    read: Annotated[int, Field(
        ge=0, le=1, json_schema_extra={"enum": [0, 1]},
        description="1 (the default) reads the question first: the asker's school context is set apart from the "
                    "topic and acronyms are expanded; 0 searches the words exactly as typed."),
        BeforeValidator(_whole(0, 1))] = 1
    ignore: Annotated[list[Kind], AfterValidator(_kinds), Field(
        description="Kinds of context read from the question to put back into the topic (repeat the parameter "
                    "for several), e.g. ignore=setting.")] = []


class SearchQuery(Filtered, _Search):
    """``GET /search``: the question, paging, the reader's school and how much it counts, and filters."""


class _Listing(Query):
    limit: Limit = 10
    offset: Offset = 0
    page: Annotated[int, Field(
        ge=1, le=MAX_PAGE, description="Which page of `limit` results; `offset` then skips that many more."),
        BeforeValidator(_whole(1, MAX_PAGE))] = 1
    school: SchoolParameter | None = Field(None, description="The reader's school URN: the case studies from the most "
                                    "comparable schools come first, each with `why`.")


class CaseStudiesQuery(Filtered, _Listing):
    """``GET /case-studies``: a page of the published case studies, filtered, perhaps for a reader's school."""


class DraftsQuery(Query):
    limit: Limit = 10
    offset: Offset = 0
    school: SchoolParameter | None = Field(None, description="Only this school's drafts.")


# ---- bodies ------------------------------------------------------------------------------------------

TYPE_ERRORS = {"string_type", "int_type", "bool_type", "float_type", "list_type", "dict_type", "model_type",
               "model_attributes_type", "none_required", "union_tag_invalid", "int_from_float"}


def _wrong(message: str, depth: int = 0) -> WrapValidator:
    """A wrong JSON type anywhere within ``depth`` levels of this field is refused with ``message``."""
    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as error:
            if any(e["type"] in TYPE_ERRORS and len(e["loc"]) <= depth for e in error.errors()):
                raise refuse("wrong_type", message) from None
            raise
    return WrapValidator(check)


def _no_nul(value: Any) -> Any:
    return value.replace("\x00", "") if isinstance(value, str) else value


def _unique(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(dict.fromkeys(value))
    return value


def _known(choices: list[str] | tuple[str, ...]) -> Callable[[list[str]], list[str]]:
    def check(values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in choices]
        if unknown:
            raise refuse("invalid", f"{', '.join(map(repr, unknown))} not known; choose from {', '.join(choices)}")
        return values
    return check


def _strength(value: str) -> str:
    if value and value not in EVIDENCE_STRENGTHS:
        raise refuse("invalid", f"must be one of: {', '.join(EVIDENCE_STRENGTHS)}")
    return value


def _section_key(key: str) -> str:
    if key not in SECTION_HEADINGS:
        raise refuse("unknown_field", "is not a known section",
                     f"Unknown section {key!r}; the sections are {', '.join(SECTION_HEADINGS)}.")
    return key


def _pupils(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= MAX_PUPILS:
            raise refuse("invalid", f"must be a number of pupils from 0 to {MAX_PUPILS}")
        value = str(value)
    if not isinstance(value, str):
        raise refuse("wrong_type", "must be a string or a whole number")
    if len(value) > MAX_IMPACT_CHARS:
        raise refuse("invalid", f"is {len(value)} characters; keep it under {MAX_IMPACT_CHARS}")
    return value.replace("\x00", "").strip()


def _strip(value: str) -> str:
    return value.strip()


Text = Annotated[str, _wrong("must be a string"), BeforeValidator(_no_nul)]
Strength = Annotated[str, Field(max_length=TEXT_LIMITS["evidence_strength"]), _wrong("must be a string"),
                     BeforeValidator(_no_nul), AfterValidator(_strength),
                     WithJsonSchema({"type": "string", "enum": ["", *EVIDENCE_STRENGTHS]})]
Topic = Annotated[str, WithJsonSchema({"type": "string", "enum": list(TOPICS)})]
Offer = Annotated[str, WithJsonSchema({"type": "string", "enum": list(OFFERS)})]
SectionText = Annotated[str, Field(max_length=MAX_SECTION_CHARS), _wrong("must be a string (Markdown)"),
                        BeforeValidator(_no_nul)]
SECTIONS_SCHEMA = {"type": "object", "additionalProperties": False,
                   "description": "Markdown by section; a PATCH changes only the sections given.",
                   "properties": {key: {"type": "string", "maxLength": MAX_SECTION_CHARS, "description": heading}
                                  for key, heading in SECTION_HEADINGS.items()}}
Cell = Annotated[str, Field(max_length=MAX_IMPACT_CHARS), _wrong("must be a string"), BeforeValidator(_no_nul),
                 AfterValidator(_strip)]
Pupils = Annotated[str, PlainValidator(_pupils), WithJsonSchema(
    {"anyOf": [{"type": "string", "maxLength": MAX_IMPACT_CHARS},
               {"type": "integer", "minimum": 0, "maximum": MAX_PUPILS}]})]


class Body(BaseModel):
    """A JSON object: only its fields, each of its exact JSON type (no "5" for 5)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class ImpactRow(Body):
    measure: Cell = ""
    before: Cell = ""
    after: Cell = ""
    period: Cell = ""
    pupils: Pupils = ""

    @model_validator(mode="before")
    @classmethod
    def _only_known_keys(cls, row: Any) -> Any:
        if isinstance(row, dict):
            unknown = sorted(set(row) - set(IMPACT_KEYS))
            if unknown:
                raise refuse("unknown_field", "is not a known field",
                             f"Unknown impact field(s) {', '.join(unknown)}; a row has {', '.join(IMPACT_KEYS)}.",
                             keys=unknown)
        return row


def _rows_with_something(rows: list[ImpactRow]) -> list[ImpactRow]:
    return [row for row in rows if any(row.model_dump().values())]


class DraftFields(Body):
    """The editor's fields, any of them; a PATCH changes only the fields given."""

    title: Annotated[Text, Field(max_length=TEXT_LIMITS["title"])] = ""
    summary: Annotated[Text, Field(max_length=TEXT_LIMITS["summary"], description="One or two sentences.")] = ""
    years: Annotated[Text, Field(max_length=TEXT_LIMITS["years"],
                                 description="A year or a range, e.g. \"2022-2024\".")] = ""
    evidence_strength: Strength = ""
    co_authors: Annotated[Text, Field(max_length=TEXT_LIMITS["co_authors"], description=(
        "Colleagues who wrote it with you, separated by commas: credited with you (\"Written by\") when it is "
        "published."))] = ""
    topics: Annotated[list[Topic], Field(max_length=len(TOPICS)), AfterValidator(_known(TOPICS)),
                      _wrong("must be a list of strings", depth=1), BeforeValidator(_unique)] = []
    open_to: Annotated[list[Offer], Field(max_length=len(OFFERS)), AfterValidator(_known(OFFERS)),
                       _wrong("must be a list of strings", depth=1), BeforeValidator(_unique)] = []
    sections: Annotated[dict[Annotated[str, AfterValidator(_section_key)], SectionText], _wrong(
        f"must be an object whose keys are section keys ({', '.join(SECTION_HEADINGS)})"),
        WithJsonSchema(SECTIONS_SCHEMA)] = {}
    impact: Annotated[list[ImpactRow], Field(max_length=MAX_IMPACT_ROWS, description="The impact table, replaced "
                      "whole."), AfterValidator(_rows_with_something),
                      _wrong(f"must be a list of objects with {', '.join(IMPACT_KEYS)}", depth=1)] = []

    def given(self) -> dict[str, Any]:
        """The fields the client sent, checked and cleaned."""
        return self.model_dump(exclude_unset=True, include=set(DraftFields.model_fields))


class _School(Body):
    school_urn: Annotated[StrictInt, _wrong("must be a whole number (the school's URN)"),
                          WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_URN})]


class NewDraft(DraftFields, _School):
    """A new draft: the school it is about, and any of the editor's fields."""


class Publish(Body):
    confirm_privacy: Annotated[StrictBool, _wrong("must be true or false"), Field(
        description="Publish although the privacy check flagged something (the web editor's confirmation).")] = False
    fingerprint: Annotated[StrictStr | None, _wrong("must be the draft's fingerprint, a string", depth=1), Field(
        description="The draft's fingerprint as you read it: refused (409) if the draft changed since.")] = None


class NoBody(Body):
    """An endpoint that takes no fields (an empty body, or an empty object)."""


def problems(error: ValidationError, model: type[BaseModel]) -> Refused:
    """The one answer for what pydantic refused: unknown fields first, then wrong types (400), then content
    that cannot be accepted (422); query parameters answer 400 with the first problem's code."""
    unknown: dict[str, str] = {}
    wrong: dict[str, str] = {}
    invalid: dict[str, str] = {}
    messages: dict[str, str] = {}
    for e in error.errors():
        where = _where(e["loc"])
        kind = e["type"]
        ctx = e.get("ctx") or {}
        field_message = str(ctx.get("field", e["msg"]))
        if kind == "extra_forbidden":
            unknown[where] = "is not a known field"
        elif kind == "unknown_field":
            unknown.update({f"{where}.{key}" if key else where: field_message for key in ctx.get("keys") or [""]})
            messages.setdefault("unknown_field", e["msg"])
        elif kind in TYPE_ERRORS or kind == "wrong_type":
            wrong[where] = field_message if kind == "wrong_type" else "has the wrong type"
        elif issubclass(model, Query):
            return Refused(400, kind if kind in QUERY_CODES else "bad_parameter", e["msg"])
        else:
            invalid[where] = _content_message(e, field_message)
    if unknown:
        top = sorted(name for name in unknown if "." not in name and "[" not in name)
        allowed = [field.alias or name for name, field in model.model_fields.items()]
        message = (f"Unknown field(s): {', '.join(top)}; this takes {', '.join(allowed) or 'no fields'}." if top
                   else messages.get("unknown_field", "Unknown field(s)."))
        return Refused(400, "unknown_field", message, errors=unknown)
    if wrong:
        return Refused(400, "wrong_type", "Some fields have the wrong type.", errors=wrong)
    return Refused(422, "invalid", "Some fields cannot be accepted as they are.", errors=invalid)


QUERY_CODES = {"bad_parameter", "bad_filter", "bad_question"}


def _where(loc: tuple[int | str, ...]) -> str:
    """A field's name as the API gives it: ``title``, ``sections.context``, ``impact[0].pupils``."""
    where = ""
    for part in loc:
        if part == "[key]":
            continue
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return where


def _content_message(e: Any, field_message: str) -> str:
    ctx = e.get("ctx") or {}
    if e["type"] in ("string_too_long", "too_long") and isinstance(e["input"], str):
        return f"is {len(e['input'])} characters; keep it under {ctx['max_length']}"
    if e["type"] == "too_long":
        return (f"has {len(e['input'])} rows; at most {ctx['max_length']}" if e["loc"] == ("impact",)
                else f"at most {ctx['max_length']}")
    if e["type"] == "missing":
        return "is required: the school's URN" if e["loc"] == ("school_urn",) else "is required"
    return field_message


# ---- answers -----------------------------------------------------------------------------------------

class Answer(BaseModel):
    """Part of an answer: the fields named are checked and documented; any others pass through."""

    model_config = ConfigDict(extra="allow")


class PrivacyWarning(Answer):
    field: str
    kind: str
    excerpt: str = ""
    message: str


class Error(Answer):
    """Every refusal: a machine code and a message; `errors` by field, or privacy `warnings`."""

    error: str
    message: str
    errors: dict[str, str] = {}
    warnings: list[PrivacyWarning] = []


class SchoolRef(Answer):
    urn: int = 0
    name: str = ""


class CaseStudySummary(Answer):
    slug: str
    title: str
    summary: str = ""
    school: SchoolRef
    topics: list[str] = []
    url: str
    api_url: str = ""


class Why(Answer):
    """Why a case study is comparable to the reader's school (null without one)."""

    similarity: float = 0
    band: str = ""
    blocked: str | None = None
    own_school: bool = False
    line: str = ""
    factors: list[dict[str, Any]] = []


class ContextPart(Answer):
    kind: Kind
    value: Annotated[str | int | float, WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number"}]})]
    label: str


class Expansion(Answer):
    term: str
    means: str


class ReadAs(Answer):
    """How the question was read before it was searched: the asker's own school context is set apart from the
    topic, and the glossary adds the long forms of acronyms."""

    read: bool = Field(description="False when the words were searched exactly as typed.")
    topic: str = Field(description="What was searched for.")
    context: list[ContextPart] = Field(description="What the question says about the asker's school.")
    summary: str = Field(description="The context in one line, e.g. \"a small rural primary\".")
    expansions: list[Expansion] = Field(description="Terms in the question and what the glossary also searched "
                                                    "for beside them (\"PP\" also as \"pupil premium\").")
    searched_as: list[Expansion] = Field(
        [], description="Phrases whose words alone mean something else, searched only as what they mean "
                        "(\"special measures\" as \"inadequate Ofsted judgement\", so that \"special\" does not "
                        "find special schools).")
    context_source: Literal["school", "question"] | None = Field(
        description="Whose school ordered the answers: `school` (the `school` parameter; the context in the "
                    "question is shown but not used), `question` (the school the question describes), or null "
                    "(relevance alone).")
    asks_about_rules: str | None = Field(
        None, description="The words that ask what the rules require or allow (\"be required\", \"who is "
                          "eligible\"), or null. The Commons holds schools' accounts of improvement, not "
                          "statutory guidance, so such a question seldom has an answer here.")


class Passage(Answer):
    id: int = 0
    section: str = ""
    heading: str = ""
    text: str = ""
    url: str = ""


class SearchResult(CaseStudySummary):
    score: float = Field(0, description="What the order follows: relevance, blended with comparability among "
                                        "the answers.")
    relevance: float = Field(ge=0, le=1, description="Calibrated: how likely it answers the question, with the "
                                                     "same meaning from question to question.")
    answers: bool = Field(description="Whether it answers the question closely.")
    why: Why | None = None
    passages: list[Passage] = []


class SearchResults(Answer):
    question: str
    notices: list[str] = []
    limit: int = 0
    offset: int = 0
    answer_count: int = Field(0, ge=0, description="How many case studies answer the question (at most 50), however "
                                                   "many this page shows.")
    read_as: ReadAs
    results: list[SearchResult] = Field(
        description="In rank order: the case studies that answer the question, then at most a few of the nearest "
                    "the Commons has (`answers` false), which are not answers.")


class ListedCaseStudy(CaseStudySummary):
    published_on: str | None = None
    why: Why | None = None


class CaseStudyPage(Answer):
    total: int = Field(description="How many case studies the filters let through.")
    limit: int = 0
    offset: int = Field(0, description="Where this page starts.")
    page: int = 0
    order: Literal["newest", "comparable"] = "newest"
    next: str | None = Field(description="The next page, or null at the end.")
    items: list[ListedCaseStudy]


class CaseStudy(Answer):
    slug: str
    title: str
    summary: str = ""
    school: dict[str, Any] = {}
    topics: list[str] = []
    start_year: int = 0
    end_year: int = 0
    evidence_strength: str = ""
    authors: list[dict[str, Any]] = []
    open_to: list[str] = []
    impact_table: list[dict[str, Any]] = []
    published_on: str | None = None
    revision: int = 0
    sections: dict[str, str]
    source: str = ""
    url: str = ""
    licence: str
    licence_url: str = ""
    attribution: str


class Revision(Answer):
    number: int = 0
    title: str = ""
    published_at: str = ""


class Revisions(Answer):
    slug: str = ""
    revisions: list[Revision] = []


class School(Answer):
    urn: int
    name: str


class Hub(Answer):
    slug: str
    name: str
    kind: str = ""
    description: str = ""
    collections: list[str] = []


class Hubs(Answer):
    items: list[Hub] = []


class Collection(Answer):
    slug: str
    title: str
    smart_query: str | None = None
    items: list[dict[str, Any]]


class CaseStudyLink(Answer):
    """The published case study a draft revises."""

    slug: str
    url: str
    api_url: str


class DraftSchool(Answer):
    urn: int
    name: str


class DraftContent(Answer):
    title: str
    summary: str
    years: str
    evidence_strength: str
    co_authors: str
    topics: list[str]
    open_to: list[str]
    sections: dict[str, str]
    impact: list[dict[str, str]]


class Draft(Answer):
    id: int
    school: DraftSchool
    case_study: CaseStudyLink | None = Field(description="The published case study it revises.")
    submitted: bool = Field(description="Waiting for review (moderation); a change to the draft takes it out of "
                                        "the queue until it is published (sent) again.")
    fingerprint: str = Field("", description="A digest of the draft's content: give it when publishing to publish "
                                             "exactly the text you read (409 if it changed since).")
    fields: DraftContent
    created_at: str = ""
    updated_at: str = ""
    url: str
    api_url: str


class DraftPage(Answer):
    total: int
    limit: int = 0
    offset: int = 0
    items: list[Draft]


class Published(Answer):
    status: Literal[CaseStudyStatus.PUBLISHED]
    slug: str
    revision: int = 0
    url: str
    api_url: str = ""


class SentForReview(Answer):
    status: Literal[DraftStatus.SUBMITTED]
    message: str
    draft: Draft


def dump(model: type[Answer], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` checked against ``model`` and made JSON-ready: exactly its keys, none invented."""
    return model.model_validate(data).model_dump(mode="json", exclude_unset=True)


# ---- path parameters (matched by the routes; documented here) -----------------------------------------

Slug = Annotated[str, Field(pattern="^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=120)]
DraftId = Annotated[int, Field(ge=1, le=MAX_ID)]
