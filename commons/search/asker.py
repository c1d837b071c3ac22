"""The asker's school, as read from their question, in the terms comparability uses.

"We're a small rural primary, about a third FSM" gives a :class:`SchoolContext` with phase
primary, rural and 33% FSM. It stands in for the reader's school when they
have not set one, so the answers can be reordered by how comparable their schools are.
Only figures the asker gave become numbers ("84 pupils", "two-form entry" at 30 a form a
year): a word such as "small" stays a word, shown in "Reading this as" but not invented into a
roll that comparisons would then print as the asker's own. A share given as a word ("lots of
pupil premium", "low EAL") is compared at a typical figure for the word, and shown as the word
("FSM 41% (yours high)"), never as that figure.
"""

from commons.domain.comparability import SchoolContext
from commons.search.reading import ReadQuestion

PHASES = {
    "nursery": "early years",
    "infant": "primary",
    "junior": "primary",
    "primary": "primary",
    "middle": "secondary",
    "secondary": "secondary",
    "all-through": "all-through",
    "16 plus": "sixth form",
    "sixth form": "sixth form",
}
PROVISIONS = {"special": "special", "alternative provision": "alternative provision"}
# a market town may be counted urban or "rural town and fringe": left unknown rather than guessed
SETTINGS = {"rural": "rural", "village": "rural", "coastal": None, "urban": "urban", "inner-city": "urban",
            "inner city": "urban", "market town": None, "town": "urban", "suburban": "urban", "city": "urban"}
LEVELS = {"disadvantage": {"high": 40.0, "low": 8.0}, "eal": {"high": 40.0, "low": 5.0},
          "sen": {"high": 25.0, "low": 8.0}}
GOVERNANCE = ("academy", "trust", "mat", "free school")


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def context_from_reading(reading: ReadQuestion) -> SchoolContext | None:
    """The school the question describes, or None when it describes none."""
    found: dict[str, object] = {}
    phase, provision = None, "mainstream"
    for part in reading.context:
        if part.kind == "phase":  # "a secondary pupil referral unit" is both a phase and a provision
            word = str(part.value).lower()
            phase = phase or PHASES.get(word)
            provision = PROVISIONS.get(word, provision)
        found.setdefault(part.kind, part.value)
    if not found:
        return None
    size = _number(found.get("size"))  # "small" gives no figure: comparisons would show it as "yours 100"
    pupils = int(size) if size is not None else None
    place = next((p for p in reading.context if p.kind == "setting"), None)
    setting = None
    if place is not None:  # the words as written first: a "market town" is not any "town"
        label, written = place.label.lower(), str(place.value).lower()
        setting = SETTINGS[label] if label in SETTINGS else SETTINGS.get(written)
    percentages: dict[str, float | None] = {}
    levels: list[tuple[str, str]] = []
    for kind, key in (("disadvantage", "fsm"), ("eal", "eal"), ("sen", "sen")):
        value = found.get(kind)
        percentages[kind] = _number(value)
        if percentages[kind] is None and str(value).lower() in LEVELS[kind]:
            percentages[kind] = LEVELS[kind][str(value).lower()]
            levels.append((key, str(value).lower()))
    governance_word = str(found.get("governance") or "").lower()
    governance = None
    if governance_word:
        governance = "academy" if any(word in governance_word for word in GOVERNANCE) else "maintained"
    region = found.get("region")
    return SchoolContext(
        phase=phase, provision=provision, pupils=pupils, fsm_pct=percentages["disadvantage"],
        sen_pct=percentages["sen"], eal_pct=percentages["eal"], setting=setting,
        region=str(region) if region else None, governance=governance, name="The school in your question",
        levels=tuple(levels),
    )
