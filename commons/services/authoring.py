"""Writing in the browser: drafts, the privacy check, publishing, revisions and their diffs.

A draft holds the editor's fields. Publishing turns them into case-study source text in the
same format as `commons import` reads, validates it with the same parser and publishes it
with the same service, so the editor and the importer can never disagree.
"""

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from commons.domain import privacy
from commons.domain.case_study_format import IMPACT_KEYS, MAX_IMPACT_ROWS, CaseStudyFormatError, parse
from commons.domain.vocabulary import SECTIONS
from commons.models import CaseStudy, Draft, Revision, User, utcnow
from commons.services.publishing import publish_all
from indexer import Embedder

MAX_FIELD_CHARS = 20_000
TEXT_FIELDS = ["title", "summary", "years", "evidence_strength"]


def moderation_on(config: Mapping[str, Any]) -> bool:
    """``COMMONS_MODERATION``: authors' publishes wait in a review queue."""
    return str(config.get("COMMONS_MODERATION", "")).lower() in ("1", "true", "yes", "on")


class DraftProblems(ValueError):
    """What stops a draft being published, by editor field ("section-impact", "title", ...)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def fields_from_form(form: Any) -> dict[str, Any]:
    """The editor's fields from a submitted form: everything the author typed, kept as typed."""
    fields: dict[str, Any] = {name: (form.get(name) or "")[:MAX_FIELD_CHARS] for name in TEXT_FIELDS}
    fields["topics"] = form.getlist("topics")[:20]
    fields["open_to"] = form.getlist("open_to")[:3]
    fields["sections"] = {key: (form.get(f"section-{key}") or "")[:MAX_FIELD_CHARS] for key, _ in SECTIONS}
    rows = []
    for number in range(MAX_IMPACT_ROWS):
        row = {key: (form.get(f"impact-{number}-{key}") or "").strip()[:120] for key in IMPACT_KEYS}
        if any(row.values()):
            rows.append(row)
    fields["impact"] = rows
    return fields


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


def save(draft: Draft, user: User, fields: dict[str, Any]) -> None:
    """Keep what was typed; a draft sent for review stays in the review queue."""
    draft.fields = {**fields, "submitted": True} if draft.fields.get("submitted") else fields
    draft.updated_by = user.id
    draft.updated_at = utcnow()


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


def authors_for(draft: Draft, writer: User) -> list[dict[str, str]]:
    """Who is credited: a revision keeps the case study's authors and adds whoever wrote it."""
    authors = [dict(a) for a in draft.case_study.authors] if draft.case_study else []
    if all(a.get("name") != writer.name for a in authors):
        authors.append({"name": writer.name, "role": _role(writer, draft.school_urn)})
    return authors


def source_text(draft: Draft, writer: User, slug: str) -> str:
    """The draft as case-study source text (the format `commons import` reads)."""
    fields = draft.fields
    impact = []
    for row in fields.get("impact", []):
        pupils = _int_or_none(row.get("pupils"))
        impact.append({**{k: row.get(k, "") for k in IMPACT_KEYS[:4]},
                       "pupils": pupils if pupils is not None else (row.get("pupils") or None)})
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
    return "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---\n\n" + "\n".join(body)


def _role(user: User, school_urn: int) -> str:
    return next((m.role_at_school for m in user.memberships if m.school_urn == school_urn), "")


def publish(session: Session, draft: Draft, embedder: Embedder) -> CaseStudy:
    """Publish a draft as a new case study or a new revision; raises DraftProblems. The draft is spent.

    The person credited is whoever last wrote in the draft (not an admin who approves it).
    """
    writer = session.get(User, draft.updated_by)
    assert writer is not None
    existing = draft.case_study
    slug = existing.slug if existing else slug_for(draft.fields.get("title", ""), draft.school.name)
    if existing is None:
        base, number = slug, 2
        while session.scalar(select(CaseStudy.id).where(CaseStudy.slug == slug)) is not None:
            slug, number = f"{base[:76]}-{number}", number + 1
    try:
        parsed = parse(source_text(draft, writer, slug), path="editor", default_slug=slug)
    except CaseStudyFormatError as error:
        raise DraftProblems(_editor_errors(error)) from None
    missing = [heading for key, heading in SECTIONS if not parsed.sections.get(key, "").strip()]
    if missing:
        raise DraftProblems({"sections": f"Write something in every section; still empty: {', '.join(missing)}."})
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


@dataclass
class SectionDiff:
    heading: str
    changed: bool
    html: Markup


def diff(old: Revision, new: Revision) -> list[SectionDiff]:
    """Word-level differences, section by section, with <del> and <ins> marks."""
    pairs = [("Title", old.title, new.title), ("Summary", old.summary, new.summary)]
    pairs += [(heading, old.sections.get(key, ""), new.sections.get(key, "")) for key, heading in SECTIONS]
    return [SectionDiff(heading, a != b, _word_diff(a, b)) for heading, a, b in pairs]


def _word_diff(old: str, new: str) -> Markup:
    """Changed runs of words; a short unchanged run between two changes joins them, so a rewritten
    sentence reads as one deletion and one insertion rather than a word-by-word patchwork."""
    a, b = re.findall(r"\S+|\s+", old), re.findall(r"\S+|\s+", new)
    chunks: list[list[str]] = []  # [kind, old text, new text]
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
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
