"""Writing in the browser: drafts, the privacy check, publishing, revisions and their diffs.

A draft holds the editor's fields. Publishing turns them into case-study source text in the
same format as `commons import` reads, validates it with the same parser and publishes it
with the same service, so the editor and the importer can never disagree.
"""

import difflib
import hashlib
import hmac
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from commons.domain import privacy
from commons.domain.case_study_format import (
    IMPACT_KEYS,
    MAX_IMPACT_ROWS,
    MAX_SECTION_CHARS,
    MAX_SUMMARY,
    MAX_TITLE,
    YEARS,
    CaseStudyFormatError,
    parse,
)
from commons.domain.errors import Invalid
from commons.domain.statuses import CaseStudyStatus, DraftStatus
from commons.domain.vocabulary import SECTIONS
from commons.models import CaseStudy, Draft, Revision, User, utcnow
from commons.services.publishing import publish_all
from indexer import Embedder

MAX_FIELD_CHARS = 20_000
TEXT_FIELDS = ["title", "summary", "years", "evidence_strength", "co_authors"]
TEXT_LIMITS = {"title": MAX_TITLE, "summary": MAX_SUMMARY, "years": 20, "evidence_strength": 40, "co_authors": 300}
FIELD_NAMES = {"co_authors": "Written with"}
MAX_IMPACT_CHARS = 120
NOT_PUBLISHED = ("{title} is not published now (it was withdrawn or unpublished), so this revision cannot "
                 "put it back; only an administrator can publish it again.")


def line_ends(text: str) -> str:
    """Line ends as the browser counted them: a textarea sends CRLF, which would count twice."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def fields_from_form(form: Any) -> dict[str, Any]:
    """The editor's fields from a submitted form: everything the author typed, kept as typed
    (never cut short: what is too long is reported by ``field_problems``)."""
    fields: dict[str, Any] = {name: line_ends(form.get(name) or "") for name in TEXT_FIELDS}
    fields["topics"] = form.getlist("topics")[:20]
    fields["open_to"] = form.getlist("open_to")[:3]
    fields["sections"] = {key: line_ends(form.get(f"section-{key}") or "") for key, _ in SECTIONS}
    rows = []
    for number in range(MAX_IMPACT_ROWS):
        row = {key: line_ends(form.get(f"impact-{number}-{key}") or "").strip() for key in IMPACT_KEYS}
        if any(row.values()):
            rows.append(row)
    fields["impact"] = rows
    return fields


def field_problems(fields: Mapping[str, Any]) -> dict[str, str]:
    """Fields too long to publish, by editor field, with their length and the limit."""
    problems: dict[str, str] = {}
    for name, limit in TEXT_LIMITS.items():
        value = str(fields.get(name) or "")
        if len(value) > limit:
            label = FIELD_NAMES.get(name, name.replace('_', ' ').capitalize())
            problems[name] = f"{label} is {len(value)} characters; keep it under {limit}."
    for key, heading in SECTIONS:
        value = str((fields.get("sections") or {}).get(key) or "")
        if len(value) > MAX_SECTION_CHARS:
            problems[f"section-{key}"] = f"{heading} is {len(value)} characters; keep it under {MAX_SECTION_CHARS}."
    for number, row in enumerate(fields.get("impact") or [], start=1):
        for key in IMPACT_KEYS:
            value = str(row.get(key) or "")
            if len(value) > MAX_IMPACT_CHARS:
                problems.setdefault("impact_table", f"Impact table, row {number}, {key} is {len(value)} characters; "
                                    f"keep it under {MAX_IMPACT_CHARS}.")
    return problems


def fields_from_revision(case_study: CaseStudy, revision: Revision) -> dict[str, Any]:
    front = revision.front_matter
    return {
        "title": revision.title, "summary": revision.summary,
        "years": str(front.get("years", f"{case_study.start_year}-{case_study.end_year}")),
        "evidence_strength": case_study.evidence_strength, "topics": list(case_study.topics),
        "open_to": list(case_study.open_to or []), "sections": dict(revision.sections),
        "impact": [{k: "" if r.get(k) is None else str(r.get(k)) for k in IMPACT_KEYS}
                   for r in case_study.impact_table or []],
    }


def new_draft(session: Session, user: User, school_urn: int) -> Draft:
    draft = Draft(school_urn=school_urn, fields={"sections": {}, "topics": [], "open_to": [], "impact": []},
                  created_by=user.id, updated_by=user.id)
    session.add(draft)
    session.flush()
    return draft


def draft_for_edit(session: Session, user: User, case_study: CaseStudy) -> Draft:
    """The working copy of a published case study: the open one, or a new one from the latest revision."""
    draft = session.scalar(select(Draft).where(Draft.case_study_id == case_study.id))
    if draft is None:
        latest = case_study.revisions[-1]
        draft = Draft(school_urn=case_study.school_urn, case_study_id=case_study.id,
                      fields=fields_from_revision(case_study, latest), created_by=user.id, updated_by=user.id)
        session.add(draft)
        session.flush()
    return draft


def save(draft: Draft, user: User, fields: dict[str, Any]) -> bool:
    """Keep what was typed. A change to a draft waiting for review takes it out of the review
    queue (a reviewer approves exactly what was sent): it waits again once its authors send it
    again. Answers whether this save took it out of the queue."""
    fields = {k: v for k, v in fields.items() if k != "submitted"}  # the status is a column, not a field
    left_queue = draft.status == DraftStatus.SUBMITTED and fields != draft.fields
    draft.fields = fields
    if left_queue:
        draft.status = DraftStatus.WRITING
    draft.updated_by = user.id
    draft.updated_at = utcnow()
    return left_queue


def send_for_review(draft: Draft) -> None:
    """Put a draft in the review queue (moderation): a reviewer approves exactly its fields as they are."""
    draft.status = DraftStatus.SUBMITTED


def waiting_for_review(session: Session, school_urns: list[int] | None = None) -> list[Draft]:
    """Drafts waiting for a reviewer, oldest change first: all of them, or those of these schools."""
    query = select(Draft).where(Draft.status == DraftStatus.SUBMITTED)
    if school_urns is not None:
        query = query.where(Draft.school_urn.in_(school_urns))
    return list(session.scalars(query.order_by(Draft.updated_at, Draft.id)))


def fingerprint(draft: Draft) -> str:
    """A digest of exactly what would be published: a reviewer's approval carries the one they read."""
    content = {"fields": {k: v for k, v in draft.fields.items() if k != "submitted"},
               "school": draft.school_urn, "case_study": draft.case_study_id}
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def same_fingerprint(draft: Draft, seen: str) -> bool:
    return hmac.compare_digest(seen.encode(), fingerprint(draft).encode())


def publish_refusal(draft: Draft, user: User) -> str | None:
    """Why ``user`` may not publish ``draft`` at all, or None. A revision never brings back a case
    study that is no longer published (withdrawn by its school or unpublished by an administrator,
    perhaps after a report): only an administrator may do that."""
    existing = draft.case_study
    if existing is not None and existing.status != CaseStudyStatus.PUBLISHED and not user.is_admin:
        return NOT_PUBLISHED.format(title=f"“{existing.title}”")
    return None


def privacy_warnings(fields: dict[str, Any]) -> list[privacy.PrivacyWarning]:
    texts = {"title": fields.get("title", ""), "summary": fields.get("summary", ""),
             **{key: fields.get("sections", {}).get(key, "") for key, _ in SECTIONS}}
    rows = [dict(r, pupils=_int_or_none(r.get("pupils"))) for r in fields.get("impact", [])]
    return privacy.check(texts, rows)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def slug_for(title: str, school_name: str) -> str:
    words = re.findall(r"[a-z0-9]+", f"{school_name.split()[0] if school_name else ''} {title}".lower())
    return "-".join(words)[:80].strip("-") or "case-study"


def co_author_names(fields: Mapping[str, Any]) -> list[str]:
    """The names typed in "Written with", separated by commas, semicolons or lines, each once."""
    names: list[str] = []
    for name in re.split(r"[,;\n]", str(fields.get("co_authors") or "")):
        name = " ".join(name.split())
        if name and name not in names:
            names.append(name)
    return names


def authors_for(draft: Draft, writer: User) -> list[dict[str, str]]:
    """Who is credited: a revision keeps the case study's authors and adds whoever wrote it,
    then everyone named in "Written with" who is not credited yet."""
    authors = [dict(a) for a in draft.case_study.authors] if draft.case_study else []
    if all(a.get("name") != writer.name for a in authors):
        authors.append({"name": writer.name, "role": _role(writer, draft.school_urn)})
    for name in co_author_names(draft.fields):
        if all(a.get("name") != name for a in authors):
            authors.append({"name": name, "role": ""})
    return authors


def credited_names(draft: Draft) -> list[str]:
    """Who a revision keeps crediting whatever its "Written with" says: the case study's authors."""
    return [a.get("name", "") for a in draft.case_study.authors] if draft.case_study else []


@dataclass(frozen=True)
class PreviewPassage:
    id: str
    markdown: str


@dataclass(frozen=True)
class DraftPreview:
    """A draft shaped like a published case study, for the page readers will see (nothing is saved)."""

    slug: str
    title: str
    summary: str
    topics: list[str]
    evidence_strength: str
    open_to: list[str]
    start_year: int | None
    end_year: int | None
    impact_table: list[dict[str, Any]]
    authors: list[dict[str, str]]
    published_on: date
    school_snapshot: None
    by_section: dict[str, list[PreviewPassage]]


def preview(session: Session, draft: Draft) -> DraftPreview:
    """``draft`` as it would be published now, credited as publishing it would credit it."""
    fields = draft.fields
    writer = session.get(User, draft.updated_by)
    assert writer is not None
    found = YEARS.match(str(fields.get("years") or "").strip())
    start = int(found.group(1)) if found else None
    end = int(found.group(2) or found.group(1)) if found else None
    impact = _impact_rows(fields)
    sections = fields.get("sections") or {}
    return DraftPreview(
        slug=draft.case_study.slug if draft.case_study else f"draft-{draft.id}",
        title=str(fields.get("title") or "").strip() or "Untitled draft",
        summary=str(fields.get("summary") or ""), topics=list(fields.get("topics") or []),
        evidence_strength=str(fields.get("evidence_strength") or ""), open_to=list(fields.get("open_to") or []),
        start_year=start, end_year=end, impact_table=impact, authors=authors_for(draft, writer),
        published_on=(draft.case_study.published_on if draft.case_study else None) or utcnow().date(),
        school_snapshot=None,
        by_section={key: [PreviewPassage(f"preview-{key}", str(sections[key]))]
                    for key, _ in SECTIONS if str(sections.get(key) or "").strip()},
    )


def _impact_rows(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """The draft's impact rows as a case study holds them: pupils a number where it is one."""
    rows = []
    for row in fields.get("impact") or []:
        pupils = _int_or_none(row.get("pupils"))
        rows.append({**{k: row.get(k, "") for k in IMPACT_KEYS[:4]},
                     "pupils": pupils if pupils is not None else (row.get("pupils") or None)})
    return rows


def source_text(draft: Draft, writer: User, slug: str) -> str:
    """The draft as case-study source text (the format `commons import` reads)."""
    fields = draft.fields
    impact = _impact_rows(fields)
    front: dict[str, Any] = {
        "title": fields.get("title", ""), "slug": slug, "school_urn": draft.school_urn,
        "summary": fields.get("summary", ""), "topics": fields.get("topics", []),
        "years": fields.get("years", ""), "evidence_strength": fields.get("evidence_strength", ""),
        "authors": authors_for(draft, writer),
        "published": (draft.case_study.published_on if draft.case_study else None) or utcnow().date(),
    }
    if fields.get("open_to"):
        front["open_to"] = fields["open_to"]
    if impact:
        front["impact_table"] = impact
    body = [f"## {heading}\n\n{fields.get('sections', {}).get(key, '').strip()}\n" for key, heading in SECTIONS]
    return "---\n" + _front_matter(front) + "---\n\n" + "\n".join(body)


class _OneLineDumper(yaml.SafeDumper):
    """Writes every text on one line, so a line of the author's ('---') can never end the front matter."""


def _one_line_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if any(c in value for c in "\n\r\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_OneLineDumper.add_representer(str, _one_line_text)


def _front_matter(front: dict[str, Any]) -> str:
    return yaml.dump(front, Dumper=_OneLineDumper, allow_unicode=True, sort_keys=False, width=2**31 - 1)


def _role(user: User, school_urn: int) -> str:
    return next((m.role_at_school for m in user.memberships if m.school_urn == school_urn), "")


def publish(session: Session, draft: Draft, embedder: Embedder, publisher: User) -> CaseStudy:
    """Publish a draft as a new case study or a new revision; raises Invalid (by editor field). The draft is spent.

    The person credited is whoever last wrote in the draft (not an admin who approves it).
    ``publisher`` is who publishes it (the author, or the reviewer who approves it).
    """
    writer = session.get(User, draft.updated_by)
    assert writer is not None
    refusal = publish_refusal(draft, publisher)
    if refusal:
        raise Invalid(code="cannot_publish", errors={"publish": refusal})
    too_long = field_problems(draft.fields)
    if too_long:
        raise Invalid(code="cannot_publish", errors=too_long)
    existing = draft.case_study
    slug = existing.slug if existing else slug_for(draft.fields.get("title", ""), draft.school.name)
    if existing is None:
        base, number = slug, 2
        while session.scalar(select(CaseStudy.id).where(CaseStudy.slug == slug)) is not None:
            slug, number = f"{base[:76]}-{number}", number + 1
    try:
        parsed = parse(source_text(draft, writer, slug), path="editor", default_slug=slug)
    except CaseStudyFormatError as error:
        raise Invalid(code="cannot_publish", errors=_editor_errors(error)) from None
    missing = [heading for key, heading in SECTIONS if not parsed.sections.get(key, "").strip()]
    if missing:
        raise Invalid(code="cannot_publish", errors={
            "sections": f"Write something in every section; still empty: {', '.join(missing)}."})
    publish_all(session, [parsed], embedder, update=existing is not None)
    case_study = session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
    assert case_study is not None
    session.delete(draft)
    session.flush()
    return case_study


def _editor_errors(error: CaseStudyFormatError) -> dict[str, str]:
    """Parser problems, re-addressed to the editor's fields."""
    errors: dict[str, str] = {}
    for problem in error.problems:
        name = problem.field
        for key, heading in SECTIONS:
            if heading.lower() in problem.message.lower() or name == key:
                name = f"section-{key}"
        errors.setdefault(name, problem.message)
    return errors


@dataclass(frozen=True)
class SectionDiff:
    heading: str
    changed: bool
    html: Markup


DIFF_CACHE_SIZE = 128
_diff_cache: OrderedDict[tuple[int, int, str], list[SectionDiff]] = OrderedDict()
_diff_cache_lock = threading.Lock()


def diff(old: Revision, new: Revision) -> list[SectionDiff]:
    """Word-level differences, section by section, with <del> and <ins> marks.

    Revisions never change, so the differences between two are kept (the most recently asked
    DIFF_CACHE_SIZE pairs), keyed by their ids and a digest of their text.
    """
    pairs = [("Title", old.title, new.title), ("Summary", old.summary, new.summary)]
    pairs += [(heading, old.sections.get(key, ""), new.sections.get(key, "")) for key, heading in SECTIONS]
    digest = hashlib.sha256(json.dumps(pairs, ensure_ascii=False).encode("utf-8")).hexdigest()
    key = (old.id, new.id, digest)
    with _diff_cache_lock:
        if key in _diff_cache:
            _diff_cache.move_to_end(key)
            return list(_diff_cache[key])
    found = [SectionDiff(heading, a != b, _word_diff(a, b)) for heading, a, b in pairs]
    with _diff_cache_lock:
        _diff_cache[key] = found
        while len(_diff_cache) > DIFF_CACHE_SIZE:
            _diff_cache.popitem(last=False)
    return list(found)


def _word_diff(old: str, new: str) -> Markup:
    """Changed runs of words; a short unchanged run between two changes joins them, so a rewritten
    sentence reads as one deletion and one insertion rather than a word-by-word patchwork."""
    a, b = re.findall(r"\S+|\s+", old), re.findall(r"\S+|\s+", new)
    chunks: list[list[str]] = []  # [kind, old text, new text]
    for op, i1, i2, j1, j2 in _opcodes(a, b):
        old_text, new_text = "".join(a[i1:i2]), "".join(b[j1:j2])
        if op == "equal":
            chunks.append(["equal", old_text, new_text])
        elif chunks and chunks[-1][0] == "change":
            chunks[-1][1] += old_text
            chunks[-1][2] += new_text
        elif (len(chunks) >= 2 and chunks[-1][0] == "equal" and len(chunks[-1][1].split()) <= 2
              and chunks[-2][0] == "change"):
            glue = chunks.pop()[1]
            chunks[-1][1] += glue + old_text
            chunks[-1][2] += glue + new_text
        else:
            chunks.append(["change", old_text, new_text])
    out = []
    for kind, old_text, new_text in chunks:
        if kind == "equal":
            out.append(str(escape(old_text)))
            continue
        if old_text:
            out.append(f"<del>{escape(old_text)}</del>")
        if new_text:
            out.append(f"<ins>{escape(new_text)}</ins>")
    return Markup("".join(out))  # nosec B704 - every piece of text was escaped above


Opcode = tuple[str, int, int, int, int]
MAX_WORD_DIFF = 400_000  # compared word by word when (old words) × (new words) is at most this


def _opcodes(a: list[str], b: list[str]) -> list[Opcode]:
    """difflib's opcodes turning ``a`` into ``b``, in bounded time whatever the length.

    The common start and end are set aside first (linear); what is left is compared word by word
    when it is small, else sentence by sentence (lines and sentences rarely repeat, so that is
    fast), and each changed run of sentences word by word when that is small, else whole.
    """
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    ops: list[Opcode] = [("equal", 0, start, 0, start)] if start else []
    ops += _middle_opcodes(a, b, start, len(a) - end, start, len(b) - end)
    if end:
        ops.append(("equal", len(a) - end, len(a), len(b) - end, len(b)))
    return ops


def _middle_opcodes(a: list[str], b: list[str], i1: int, i2: int, j1: int, j2: int) -> list[Opcode]:
    if i1 == i2 and j1 == j2:
        return []
    if i1 == i2 or j1 == j2:
        return [("insert" if i1 == i2 else "delete", i1, i2, j1, j2)]
    if (i2 - i1) * (j2 - j1) <= MAX_WORD_DIFF:
        matcher = difflib.SequenceMatcher(None, a[i1:i2], b[j1:j2], autojunk=False)
        return [(op, i1 + x1, i1 + x2, j1 + y1, j1 + y2) for op, x1, x2, y1, y2 in matcher.get_opcodes()]
    units_a, units_b = _sentences(a, i1, i2), _sentences(b, j1, j2)
    texts_a = ["".join(a[s:e]) for s, e in units_a]
    texts_b = ["".join(b[s:e]) for s, e in units_b]
    ops: list[Opcode] = []
    for op, u1, u2, v1, v2 in difflib.SequenceMatcher(None, texts_a, texts_b).get_opcodes():
        x1 = units_a[u1][0] if u1 < len(units_a) else i2
        x2 = units_a[u2 - 1][1] if u2 > u1 else x1
        y1 = units_b[v1][0] if v1 < len(units_b) else j2
        y2 = units_b[v2 - 1][1] if v2 > v1 else y1
        if op == "equal":
            ops.append(("equal", x1, x2, y1, y2))
        elif (x2 - x1) * (y2 - y1) <= MAX_WORD_DIFF and (x2 - x1, y2 - y1) != (i2 - i1, j2 - j1):
            ops += _middle_opcodes(a, b, x1, x2, y1, y2)
        else:
            ops.append(("replace" if x1 < x2 and y1 < y2 else "delete" if x1 < x2 else "insert", x1, x2, y1, y2))
    return ops


def _sentences(tokens: list[str], start: int, stop: int) -> list[tuple[int, int]]:
    """Token ranges of the sentences and lines in ``tokens[start:stop]``."""
    units: list[tuple[int, int]] = []
    begin = start
    for position in range(start, stop):
        token = tokens[position]
        if "\n" in token or (token[-1] in ".!?:;" and not token.isspace()):
            units.append((begin, position + 1))
            begin = position + 1
    if begin < stop:
        units.append((begin, stop))
    return units
