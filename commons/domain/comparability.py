"""How comparable two schools are, and where they differ.

One function, :func:`compare`, scores a school's context against the reader's and explains
itself. Its weights live in :data:`WEIGHTS` and nowhere else:

* **Hard blocks**: the phase (primary, secondary, all-through, early years, sixth form) and the
  kind of provision (mainstream, special, alternative provision) must be compatible, or the
  similarity is 0 whatever else is alike. An all-through school is compatible with primary
  and secondary readers.
* **Weighted distance** over the variables known for both schools, each difference scaled by
  what counts as "a whole step apart" (:data:`SCALES`) and capped there:
  ``distance = sqrt(sum(w * min(1, |dx| / scale)^2) / sum(w))``; pupils on roll are compared
  on a log scale (180 and 360 pupils are as far apart as 600 and 1,200).
* **Tie-breaks**: the same region, then the same governance, add a little
  (:data:`TIE_BREAKS`). ``similarity = min(1, 1 - distance + tie-breaks)``.
* **The label** matches the gap: "Comparable" from a similarity of 0.7 only when % FSM, the
  strongest signal, is within its meaningful margin (:data:`MARGINS`: 10 points); "Partly
  comparable" from 0.4.

Inspection outcomes are never used. A difference is *meaningful* (shown in "Before you
adapt this") when it passes the margin in :data:`MARGINS`.
"""

import math
from dataclasses import asdict, dataclass, field
from typing import Any

WEIGHTS: dict[str, float] = {
    "fsm": 0.35,  # % eligible for free school meals: the strongest signal of disadvantage
    "pupils": 0.25,  # pupils on roll, log scale
    "eal": 0.15,  # % English as an additional language
    "setting": 0.15,  # urban or rural
    "sen": 0.10,  # % SEN support or EHCP
}
SCALES: dict[str, float] = {
    "fsm": 40.0,  # percentage points
    "pupils": math.log(8.0),  # a school eight times the size is a whole step apart
    "eal": 30.0,
    "setting": 1.0,
    "sen": 15.0,
}
MARGINS: dict[str, float] = {
    "fsm": 10.0,  # percentage points
    "pupils": math.log(1.5),  # half as big again
    "eal": 10.0,
    "sen": 5.0,
}
TIE_BREAKS: dict[str, float] = {"region": 0.03, "governance": 0.01}

# "How much should school context count?": the share of the ranking given to comparability.
CONTEXT_LEVELS: list[tuple[str, float]] = [
    ("Not at all", 0.0),
    ("A little", 0.15),
    ("Somewhat", 0.3),
    ("A lot", 0.45),
    ("Strongly", 0.6),
]
DEFAULT_CONTEXT_LEVEL = 2  # comparability counts, relevance leads

PHASE_GROUPS: dict[str, str] = {
    "nursery": "early years",
    "primary": "primary",
    "middle deemed primary": "primary",
    "secondary": "secondary",
    "middle deemed secondary": "secondary",
    "16 plus": "sixth form",
    "all-through": "all-through",
}
PHASE_CHOICES = ["primary", "secondary", "all-through", "early years", "sixth form"]
PROVISIONS = ["mainstream", "special", "alternative provision"]
SETTINGS = ["urban", "rural"]
REGIONS = [
    "North East", "North West", "Yorkshire and the Humber", "East Midlands", "West Midlands",
    "East of England", "London", "South East", "South West",
]


@dataclass(frozen=True, slots=True)
class SchoolContext:
    """What comparability looks at, from a school, a case study's snapshot or a form.

    One is held for every published case study (``services/catalogue.py``), hence the slots.
    """

    phase: str | None  # one of PHASE_CHOICES, or None when not known
    provision: str = "mainstream"
    pupils: int | None = None
    fsm_pct: float | None = None
    sen_pct: float | None = None
    eal_pct: float | None = None
    setting: str | None = None  # "urban" or "rural"
    region: str | None = None
    governance: str | None = None  # "academy" or "maintained"
    name: str | None = None
    urn: int | None = None
    # shares given as a word, not a figure ("lots of pupil premium"): ("fsm", "high"), compared
    # at a typical figure for the word but never shown as a figure the reader did not give
    levels: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SchoolContext":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def phase_group(gias_phase: str | None) -> str | None:
    """The phase a reader means, from GIAS ``PhaseOfEducation``; None for "Not applicable"."""
    return PHASE_GROUPS.get((gias_phase or "").strip().lower())


def provision_of(establishment_type: str | None) -> str:
    kind = (establishment_type or "").lower()
    if "special" in kind:
        return "special"
    if "pupil referral" in kind or "alternative provision" in kind:
        return "alternative provision"
    return "mainstream"


def setting_of(urban_rural: str | None) -> str | None:
    value = (urban_rural or "").lower()
    if "rural" in value:
        return "rural"
    if "urban" in value:
        return "urban"
    return None


def governance_of(establishment_type: str | None, trust: str | None) -> str | None:
    kind = (establishment_type or "").lower()
    if trust or "academy" in kind or "free school" in kind:
        return "academy"
    if kind:
        return "maintained"
    return None


def context_from_fields(fields: dict[str, Any], urn: int | None = None) -> SchoolContext:
    """From a School's attributes or a case study's snapshot (the same GIAS-named keys)."""
    kind = fields.get("establishment_type")
    return SchoolContext(
        phase=phase_group(fields.get("phase")),
        provision=provision_of(kind),
        pupils=fields.get("pupils"),
        fsm_pct=fields.get("fsm_pct"),
        sen_pct=fields.get("sen_pct"),
        eal_pct=fields.get("eal_pct"),
        setting=setting_of(fields.get("urban_rural")),
        region=fields.get("region"),
        governance=governance_of(kind, fields.get("trust")),
        name=fields.get("name"),
        urn=urn,
    )


def phases_compatible(a: str | None, b: str | None) -> bool:
    if a is None or b is None or a == b:
        return True
    return "all-through" in (a, b) and {a, b} <= {"all-through", "primary", "secondary"}


@dataclass
class Factor:
    """One variable of the comparison, as the reader sees it."""

    key: str
    label: str
    theirs: str
    yours: str | None
    alike: bool
    meaningful_difference: bool
    note: str = ""


@dataclass
class Comparison:
    """The explanation object the web pages, the API and the CLI all render."""

    similarity: float
    blocked: str | None
    factors: list[Factor] = field(default_factory=list)
    own_school: bool = False  # the reader's own school (then as now)

    @property
    def band(self) -> str:
        if self.own_school:
            return "Your school"
        if self.blocked:
            return "Different kind of school"
        if self.similarity >= 0.7 and not any(f.key == "fsm" and f.meaningful_difference for f in self.factors):
            return "Comparable"  # never over a meaningful gap in FSM, however alike the rest
        if self.similarity >= 0.4:
            return "Partly comparable"
        return "Different context"

    def differences(self) -> list[Factor]:
        return [f for f in self.factors if f.meaningful_difference]

    def line(self) -> str:
        """"Comparable: primary · 212 pupils (yours 180) · FSM 41% (yours 38%) · rural"."""
        parts = []
        for factor in self.factors:
            if factor.key in ("region", "governance"):
                continue
            if factor.key in ("sen", "eal") and not factor.meaningful_difference:
                continue  # kept short: SEN and EAL are named when they differ
            shown = factor.theirs
            # "FSM 41%" against a reader's "41%" is the same value: no "(yours 41%)".
            if factor.yours is not None and factor.yours not in (factor.theirs, *factor.theirs.split()):
                shown += f" (yours {factor.yours})"
            parts.append(shown)
        return f"{self.band}: " + " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "similarity": round(self.similarity, 4),
            "band": self.band,
            "own_school": self.own_school,
            "blocked": self.blocked,
            "line": self.line(),
            "factors": [asdict(f) for f in self.factors],
        }


def with_article(words: str) -> str:
    """"a rural school", "an urban school", "an all-through school"."""
    return ("an " if words[:1].lower() in "aeiou" and words[:1] else "a ") + words


def _pct(value: float | None) -> str:
    return f"{value:.0f}%"


def compare(reader: SchoolContext, theirs: SchoolContext) -> Comparison:
    """How comparable ``theirs`` is to the reader's school, with the reasons."""
    factors: list[Factor] = []
    blocked = None

    phase_ok = phases_compatible(reader.phase, theirs.phase)
    provision_ok = reader.provision == theirs.provision
    if theirs.provision != "mainstream":
        note = "" if provision_ok else f"{theirs.provision}, yours is {reader.provision}"
        factors.append(Factor("provision", "Provision", theirs.provision, reader.provision, provision_ok,
                              not provision_ok, note))
    if theirs.phase:
        factors.append(Factor("phase", "Phase", theirs.phase, reader.phase, reader.phase == theirs.phase,
                              not phase_ok,
                              "" if phase_ok else f"{with_article(str(theirs.phase))} school, yours is {reader.phase}"))
    elif theirs.provision == "mainstream":
        factors.append(Factor("phase", "Phase", "phase not published", reader.phase, False, False))
    if not provision_ok:
        blocked = f"{theirs.provision}, yours is {reader.provision}"
    elif not phase_ok:
        blocked = f"{theirs.phase}, yours is {reader.phase}"

    total_weight = 0.0
    squared = 0.0

    def numeric(key: str, label: str, mine: float | None, other: float | None, shown: str,
                yours: str | None, difference: float | None, note: str) -> None:
        nonlocal total_weight, squared
        if other is None:
            return
        if mine is None or difference is None:
            factors.append(Factor(key, label, shown, None, False, False))
            return
        step = min(1.0, abs(difference) / SCALES[key])
        total_weight += WEIGHTS[key]
        squared += WEIGHTS[key] * step * step
        meaningful = abs(difference) >= MARGINS[key]
        factors.append(Factor(key, label, shown, yours, abs(difference) < MARGINS[key] / 2, meaningful,
                              note if meaningful else ""))

    if theirs.pupils is not None:
        ratio = None
        if reader.pupils and theirs.pupils and reader.pupils > 0 and theirs.pupils > 0:
            ratio = math.log(theirs.pupils / reader.pupils)
        size = "larger" if (ratio or 0) > 0 else "smaller"
        numeric("pupils", "Pupils", reader.pupils, theirs.pupils, f"{theirs.pupils:,} pupils",
                f"{reader.pupils:,}" if reader.pupils is not None else None, ratio,
                f"{theirs.pupils:,} pupils against your {reader.pupils or 0:,}: a much {size} school, "
                "so staffing, timetabling and cost may not scale the same way")
    for key, label, mine, other, what in (
        ("fsm", "FSM", reader.fsm_pct, theirs.fsm_pct, "eligible for free school meals"),
        ("sen", "SEN", reader.sen_pct, theirs.sen_pct, "with SEN support or an EHCP"),
        ("eal", "EAL", reader.eal_pct, theirs.eal_pct, "with English as an additional language"),
    ):
        if other is None:
            continue
        difference = None if mine is None else other - mine
        direction = "more" if (difference or 0) > 0 else "fewer"
        word = dict(reader.levels).get(key)
        yours = word if word else _pct(mine) if mine is not None else None
        numeric(key, label, mine, other, f"{label} {_pct(other)}", yours, difference,
                f"{_pct(other)} of pupils {what} against your {yours or _pct(0)}{' share' if word else ''}: "
                f"{direction} pupils {what}")
    if theirs.setting:
        differs = reader.setting is not None and reader.setting != theirs.setting
        if reader.setting is not None:
            total_weight += WEIGHTS["setting"]
            squared += WEIGHTS["setting"] * (1.0 if differs else 0.0)
        factors.append(Factor("setting", "Setting", theirs.setting, reader.setting,
                              reader.setting == theirs.setting, differs,
                              f"{with_article(theirs.setting)} school, yours is {reader.setting}" if differs else ""))
    bonus = 0.0
    if theirs.region:
        same = reader.region == theirs.region
        bonus += TIE_BREAKS["region"] if same else 0.0
        factors.append(Factor("region", "Region", theirs.region, reader.region, same, False))
    if theirs.governance:
        same = reader.governance == theirs.governance
        bonus += TIE_BREAKS["governance"] if same else 0.0
        factors.append(Factor("governance", "Governance", theirs.governance, reader.governance, same, False))

    if blocked:
        similarity = 0.0
    elif total_weight == 0:
        similarity = 0.5  # nothing to compare on: neither like nor unlike
    else:
        similarity = min(1.0, 1.0 - math.sqrt(squared / total_weight) + bonus)
    own = reader.urn is not None and reader.urn == theirs.urn
    return Comparison(similarity=similarity, blocked=blocked, factors=factors, own_school=own)
