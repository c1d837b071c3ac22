"""Search filters, applied before the nearest-neighbour search, so a filtered search still finds k results.

A filter narrows the case studies by the context of the school *when the work was done*
(the case study's snapshot), by topic, evidence strength and years. It becomes the set of
passage ids both retrievers may return, so a filtered search still finds k results
whenever k exist.

The published case studies are read once per change of the commons (see
:mod:`commons.search.catalogue`), and the passages a set of filters lets through are kept
for the most recent filter combinations, so a filtered search does not read every case study.
"""


from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from commons.domain.comparability import (
    PHASE_CHOICES,
    PROVISIONS,
    REGIONS,
    SETTINGS,
    context_from_fields,
)
from commons.domain.vocabulary import EVIDENCE_STRENGTHS, OFFERS, TOPICS
from commons.search.catalogue import Catalogue, catalogue

# band key -> (label, lowest included, highest excluded)
FSM_BANDS: dict[str, tuple[str, float, float]] = {
    "0-10": ("under 10% FSM", 0, 10),
    "10-20": ("10–20% FSM", 10, 20),
    "20-35": ("20–35% FSM", 20, 35),
    "35-100": ("35% FSM or more", 35, 101),
}
SIZE_BANDS: dict[str, tuple[str, float, float]] = {
    "0-100": ("under 100 pupils", 0, 100),
    "100-250": ("100–249 pupils", 100, 250),
    "250-600": ("250–599 pupils", 250, 600),
    "600-1200": ("600–1,199 pupils", 600, 1200),
    "1200-": ("1,200 pupils or more", 1200, float("inf")),
}


class FilterProblem(ValueError):
    """A filter value that is not one of the choices; the message names the field."""


@dataclass(frozen=True)
class SearchFilters:
    phase: str | None = None
    provision: str | None = None
    region: str | None = None
    setting: str | None = None
    fsm_band: str | None = None
    size_band: str | None = None
    topic: str | None = None
    evidence_strength: str | None = None
    year_from: int | None = None
    year_to: int | None = None
    open_to: str | None = None  # "any", or one of OFFERS: schools open to visits, peer review, support

    def active(self) -> bool:
        return any(value is not None for value in asdict(self).values())

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_args(cls, args: Any) -> "SearchFilters":
        """From request arguments or CLI options; blank means no filter, anything unknown is refused."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = args.get(f.name)
            raw = raw.strip() if isinstance(raw, str) else raw
            if raw in (None, ""):
                continue
            choices = CHOICES.get(f.name)
            if choices is not None and raw not in choices:
                raise FilterProblem(f"{f.name.replace('_', ' ')}: {raw!r} is not one of "
                                    f"{', '.join(choices)}")
            if f.name.startswith("year_"):
                try:
                    raw = int(raw)
                except (TypeError, ValueError):
                    raise FilterProblem(f"{f.name.replace('_', ' ')}: {raw!r} is not a year") from None
                if not 1990 <= raw <= 2100:
                    raise FilterProblem(f"{f.name.replace('_', ' ')}: {raw} is not a plausible year")
            values[f.name] = raw
        return cls(**values)

    def matches(self, case_study: Any) -> bool:
        """Whether a case study (or a catalogue entry, which has the same fields) passes."""
        context = getattr(case_study, "context", None) or context_from_fields(case_study.school_snapshot or {})
        if self.phase and context.phase != self.phase:
            return False
        if self.provision and context.provision != self.provision:
            return False
        if self.region and context.region != self.region:
            return False
        if self.setting and context.setting != self.setting:
            return False
        if self.fsm_band and not _in_band(context.fsm_pct, FSM_BANDS[self.fsm_band]):
            return False
        if self.size_band and not _in_band(context.pupils, SIZE_BANDS[self.size_band]):
            return False
        if self.topic and self.topic not in (case_study.topics or []):
            return False
        if self.evidence_strength and case_study.evidence_strength != self.evidence_strength:
            return False
        if self.year_from is not None and case_study.end_year < self.year_from:
            return False
        if self.year_to is not None and case_study.start_year > self.year_to:
            return False
        if not self.open_to:
            return True
        offers = case_study.open_to or []
        return bool(offers) if self.open_to == "any" else self.open_to in offers


CHOICES: dict[str, list[str]] = {
    "phase": PHASE_CHOICES,
    "provision": PROVISIONS,
    "region": REGIONS,
    "setting": SETTINGS,
    "fsm_band": list(FSM_BANDS),
    "size_band": list(SIZE_BANDS),
    "topic": list(TOPICS),
    "evidence_strength": list(EVIDENCE_STRENGTHS),
    "open_to": ["any", *OFFERS],
}


def _in_band(value: float | None, band: tuple[str, float, float]) -> bool:
    return value is not None and band[1] <= value < band[2]


def allowed_case_studies(session: Session, filters: SearchFilters) -> set[int]:
    """Ids of the published case studies the filters let through."""
    return {s.id for s in catalogue(session).studies.values() if filters.matches(s)}


RECENT_FILTERS = 64


def allowed_passage_ids(
    session: Session, filters: SearchFilters, known: Catalogue | None = None
) -> npt.NDArray[np.int64]:
    """The live passages of the case studies the filters let through, as a sorted id array.

    Kept for the :data:`RECENT_FILTERS` most recent filter combinations until the next
    change of the commons. ``known`` is the catalogue when the caller already has it.
    """
    known = known or catalogue(session)
    found = known.filtered.get(filters)
    if found is not None:
        return found
    ids = np.sort(known.passages_of({s.id for s in known.studies.values() if filters.matches(s)}))
    if len(known.filtered) >= RECENT_FILTERS:
        known.filtered.pop(next(iter(known.filtered)), None)
    known.filtered[filters] = ids
    return ids


def allowed_passages(session: Session, case_study_ids: set[int]) -> set[int]:
    """The live passages of these case studies."""
    return set(catalogue(session).passages_of(case_study_ids).tolist())
