"""The history of a case study: what every revision changed, field by field, and who wrote it.

A revision keeps its whole front matter (evidence strength, topics, years, offers, authors,
impact table) beside its sections, so two revisions are compared on every field a reader
sees, not only on the text of the sections.
"""

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from commons.domain.vocabulary import EVIDENCE_STRENGTHS, OFFERS, TOPICS
from commons.models import CaseStudy, Draft, Revision, User
from commons.services import authoring
from commons.services.authoring import SectionDiff
from commons.services.publishing import clean_note, record_revision
from indexer import Embedder

IMPACT_FIELDS = ("measure", "before", "after", "period", "pupils")


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a case study's public history."""

    revision: Revision
    author: str
    changed: list[str]  # the headings of what changed since the revision before


def publish_draft(session: Session, draft: Draft, embedder: Embedder, publisher: User) -> CaseStudy:
    """``authoring.publish``, keeping the draft's "what changed" note and its writer with the new revision."""
    note, writer = draft.change_note, draft.updated_by
    case_study = authoring.publish(session, draft, embedder, publisher)
    record_revision(session, case_study, writer, note)
    return case_study


def keep_change_note(draft: Draft, note: str | None) -> None:
    """The editor's "what changed" box, kept with the draft until it is published."""
    if note is not None:
        draft.change_note = clean_note(note)


def diff(old: Revision, new: Revision) -> list[SectionDiff]:
    """Every field of two revisions compared: title and summary, then evidence strength, topics,
    years, offers, authors and impact table, then the sections (word by word)."""
    text = authoring.diff(old, new)  # title, summary, then the sections
    a, b = old.front_matter or {}, new.front_matter or {}
    details = [
        _value("Strength of evidence", _strength(a), _strength(b)),
        _value("Years of the work", str(a.get("years", "")), str(b.get("years", ""))),
        _items("Topics", _labels(a.get("topics"), TOPICS), _labels(b.get("topics"), TOPICS)),
        _items("Open to", _labels(a.get("open_to"), OFFERS), _labels(b.get("open_to"), OFFERS)),
        _items("Authors", _authors(a.get("authors")), _authors(b.get("authors"))),
        _items("Impact table", _impact_rows(a.get("impact_table")), _impact_rows(b.get("impact_table"))),
    ]
    return text[:2] + details + text[2:]


MAX_SUMMARISED = 50  # the newest revisions whose changed fields the history lists (each a bounded diff)


def history(session: Session, case_study: CaseStudy) -> list[HistoryEntry]:
    """The revisions, newest first, each with its author and the headings of what it changed
    (for the newest MAX_SUMMARISED; any two can still be compared)."""
    entries = []
    revisions = list(case_study.revisions)
    for position, revision in enumerate(revisions):
        before = revisions[position - 1] if position else None
        summarise = before is not None and position >= len(revisions) - MAX_SUMMARISED
        changed = [d.heading for d in diff(before, revision) if d.changed] if before is not None and summarise else []
        entries.append(HistoryEntry(revision, author_name(revision), changed))
    return entries[::-1]


def author_name(revision: Revision) -> str:
    """Who wrote a revision: its writer's account, else the authors its text credits (an import)."""
    if revision.author is not None:
        return revision.author.name
    names = [a.get("name", "") for a in (revision.front_matter or {}).get("authors") or [] if isinstance(a, dict)]
    return ", ".join(n for n in names if n) or "not recorded"


def _strength(front: dict[str, Any]) -> str:
    key = str(front.get("evidence_strength", ""))
    return EVIDENCE_STRENGTHS.get(key, key).split(":")[0]


def _labels(values: Any, vocabulary: dict[str, str]) -> list[str]:
    return [vocabulary.get(str(v), str(v)) for v in values or []]


def _authors(values: Any) -> list[str]:
    return [f"{a.get('name', '')}{' (' + a['role'] + ')' if a.get('role') else ''}"
            for a in values or [] if isinstance(a, dict)]


def _impact_rows(rows: Any) -> list[str]:
    out = []
    for row in rows or []:
        if not isinstance(row, dict):
            continue
        pupils = row.get("pupils")
        out.append(f"{row.get('measure', '')}: {row.get('before', '')} → {row.get('after', '')}"
                   f" ({row.get('period', '') or 'period not given'}, "
                   f"{'pupils not given' if pupils in (None, '') else str(pupils) + ' pupils'})")
    return out


def _value(heading: str, old: str, new: str) -> SectionDiff:
    if old == new:
        return SectionDiff(heading, False, escape(new))
    html = Markup("<del>{}</del> <ins>{}</ins>").format(old or "(none)", new or "(none)")
    return SectionDiff(heading, True, html)


def _items(heading: str, old: Iterable[str], new: Iterable[str]) -> SectionDiff:
    """A list compared item by item: removed items struck through, added ones underlined."""
    a, b = list(old), list(new)
    if a == b:
        return SectionDiff(heading, False, Markup("; ").join(b) if b else Markup("(none)"))
    lines: list[Markup] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            lines += [Markup("<li>{}</li>").format(item) for item in a[i1:i2]]
            continue
        lines += [Markup("<li><del>{}</del></li>").format(item) for item in a[i1:i2]]
        lines += [Markup("<li><ins>{}</ins></li>").format(item) for item in b[j1:j2]]
    return SectionDiff(heading, True, Markup("<ul class=\"diff__items\">{}</ul>").format(Markup("").join(lines)))
