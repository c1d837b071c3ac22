"""The reader's own school: found by name, postcode or URN, or described by hand.

What is kept (in the visit's session, or later a profile) is small: a URN, or the hand-entered
context. :func:`reader_context` turns it back into a :class:`SchoolContext` for comparison.
"""

import re
from dataclasses import replace
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.orm import Session

from commons.domain.comparability import (
    Comparison,
    SchoolContext,
    compare,
)
from commons.domain.errors import Invalid
from commons.domain.statuses import CaseStudyStatus
from commons.models import CaseStudy, School
from commons.services import schools

POSTCODE = re.compile(r"^[A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d?[A-Za-z]{0,2}$")
MAX_PUPILS = 10_000


def find_schools(session: Session, query: str, limit: int = 12) -> list[School]:
    """Schools whose name, postcode or URN matches what the reader typed."""
    text = " ".join((query or "").split())
    if len(text) < 2:
        return []
    urn = re.search(r"\b(\d{5,7})\b", text)
    if urn:
        found = session.get(School, int(urn.group(1)))
        if found is not None:
            return [found]
    if POSTCODE.match(text):
        compact = text.replace(" ", "").upper()
        by_postcode = session.scalars(
            select(School).where(School.postcode.is_not(None))
            .where(_compact(School.postcode).like(f"{compact}%")).order_by(School.name).limit(limit)
        ).all()
        if by_postcode:
            return list(by_postcode)
    words = [w for w in re.split(r"[^\w']+", text) if w]
    statement = select(School)
    for word in words[:6]:
        pattern = f"%{word.lower()}%"
        statement = statement.where(or_(
            School.name.ilike(pattern), School.town.ilike(pattern), cast(School.urn, String).like(pattern)
        ))
    return list(session.scalars(statement.order_by(School.name).limit(limit)))


def _compact(column: Any) -> Any:
    return func.upper(func.replace(column, " ", ""))


def chosen(session: Session, urn: int | None) -> SchoolContext:
    """The context of the school a reader chose from the list; :class:`Invalid` (``urn``) when there is none."""
    school = session.get(School, urn) if urn is not None else None
    if school is None:
        raise Invalid(errors={"urn": "We could not find that school. Search again by name, postcode or URN."})
    return schools.context(school)


def schools_like(session: Session, reader: SchoolContext, most: int = 20) -> list[tuple[Comparison, School,
                                                                                     list[CaseStudy]]]:
    """The schools with published case studies most like the reader's (never the reader's own), the
    most similar first, each with how it compares and its published case studies; those the
    comparison rules out are left out."""
    published = session.scalars(
        select(School).join(CaseStudy).where(CaseStudy.status == CaseStudyStatus.PUBLISHED).distinct())
    ranked = []
    for school in published:
        if school.urn == reader.urn:
            continue
        comparison = compare(reader, schools.context(school))
        if not comparison.blocked:
            studies = [c for c in school.case_studies if c.status == CaseStudyStatus.PUBLISHED]
            ranked.append((comparison, school, studies))
    ranked.sort(key=lambda item: -item[0].similarity)
    return ranked[:most]


def described(*, phase: str, provision: str, pupils: int | None, fsm_pct: float | None, sen_pct: float | None,
              eal_pct: float | None, region: str | None, setting: str | None) -> SchoolContext:
    """A school described by hand (the web's describe-your-school form checks each field), named by what was said."""
    context = SchoolContext(phase=phase, provision=provision, pupils=pupils, fsm_pct=fsm_pct, sen_pct=sen_pct,
                            eal_pct=eal_pct, setting=setting, region=region)
    return replace(context, name=described_name(context))


def described_name(context: SchoolContext) -> str:
    """A school described by hand, named by what was said of it: "A rural primary school of 180 pupils".

    Never "your school": the name is also shown to others (the school a question goes to).
    """
    kind = {"special": "special school", "alternative provision": "alternative provision"}.get(context.provision)
    if kind is None:
        kind = {"sixth form": "sixth form", "early years": "early years setting"}.get(
            context.phase or "", f"{context.phase} school" if context.phase else "school")
    words = " ".join(part for part in (context.setting, kind) if part)
    size = f" of {context.pupils:,} pupils" if context.pupils is not None else ""
    article = "An" if words[:1].lower() in "aeiou" else "A"
    return f"{article} {words}{size}"


def manual_form(context: SchoolContext | None) -> dict[str, str]:
    """The "describe your school" form filled with what was kept, to change it rather than start again."""
    if context is None or context.urn is not None:
        return {}

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return {name: text(getattr(context, name)) for name in
            ("phase", "provision", "pupils", "fsm_pct", "sen_pct", "eal_pct", "region", "setting")}


def stored_form(context: SchoolContext) -> dict[str, Any]:
    """What to keep for a reader: the URN for a known school, else the hand-entered context."""
    if context.urn is not None:
        return {"urn": context.urn}
    return {"manual": context.to_dict()}


def reader_context(session: Session, stored: dict[str, Any] | None) -> SchoolContext | None:
    """The reader's school from what was kept, or None (also when the school has gone)."""
    if not stored:
        return None
    if "urn" in stored:
        school = session.get(School, stored["urn"])
        return schools.context(school) if school is not None else None
    if "manual" in stored:
        try:
            context = SchoolContext.from_dict(stored["manual"])
        except TypeError:
            return None
        return replace(context, name=described_name(context))  # earlier ones were "Your school (described by hand)"
    return None
