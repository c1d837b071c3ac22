"""Reading a question: the asker's school context, separated from the topic.

"how did a small rural primary improve attendance of disadvantaged pupils" is read as the
context *small · rural · primary* and the topic "how did improve attendance of disadvantaged
pupils". The context is for comparability (schools like the asker's rank higher); its words
no longer count as topic words in retrieval. The reader is shown what was read
(:meth:`ReadQuestion.summary`) and can undo any part of it (:meth:`ReadQuestion.without`).

What counts as context
----------------------
A word is context only when it describes a school, and only the asker's school or "a
school" the question asks about. First the descriptors are found: phase ("primary",
"two-form entry junior", "11-18", "PRU"), size ("small", "1FE", "84 pupils"), setting
("rural", "in a market town"), disadvantage, EAL and SEND ("about a third FSM", "high
SEND", "a resourced provision"), region ("in Cumbria", "North West") and governance ("MAT",
"LA maintained", "CofE"). Descriptors joined only by small words ("a", "in", "with",
"and", commas) make a phrase, which is context when something says it describes a school:

* the asker says so: "we're a ...", "our school is ...", "I'm head of a ...", "we have ...",
  or "our"/"my" comes before a school noun ("from our PRU");
* it is a school noun phrase ("a small rural primary", "rural schools") after "a", after
  "in", "for", "as" or "at", or in subject position ("how do large secondaries ..."); at
  the start of the question, after a comma or bracket, or ending a sentence ("persistent
  absence rural primary") it must name a kind of school: a bare "alternative provision
  for excluded pupils" is a topic;
* it states the school's make-up: a share or level of FSM, pupil premium, EAL or SEND
  ("40% pupil premium", "FSM 30%", "high EAL", "84 pupils on roll");
* it is a whole fragment on its own: "Rural, high FSM: ...", "(2FE, 40% PP)".

And a word is *not* context when it describes something else:

* an adjective before another noun describes that noun: "disadvantaged pupils", "small
  group tuition", "large classes" and "primary maths" are topic;
* a level before pupils describes the pupils: "high FSM pupils", "mostly EAL pupils";
* a key stage is topic ("KS2 reading") unless it qualifies a school ("a KS2 school");
* schools that the question is about, rather than the asker's, are topic: after "from",
  "to", "between", "with", "other", "feeder", "partner", "the", a number and the like
  ("transition from small rural primaries to secondary", "working with a large
  secondary"), and things being set up or joined ("how do we join a MAT", "setting up a
  federation"); where pupils live is not where the school is ("live in villages"). The feeder
  primaries in "transition from small rural primaries" are not the asker's school: read
  as context, their phase would keep out the secondary schools whose write-ups answer it.

The topic is the question with the context cut out and the punctuation tidied, not
rewritten ("how did improve attendance ..."): it is what retrieval searches for.

Only the first :data:`MAX_SCAN` characters are read (a question, not an essay); the topic
is made from them too. Every pattern is linear in the text, so any input is read in
bounded time. Text in other languages is left as topic.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

MAX_SCAN = 1000

KINDS = ("phase", "size", "setting", "disadvantage", "eal", "sen", "region", "governance")

Value = str | int | float


@dataclass(frozen=True)
class ContextPart:
    """One thing read about the asker's school.

    ``value`` is normalised: ``phase`` one of nursery, infant, junior, primary, middle,
    secondary, all-through, 16 plus, special, alternative provision; ``size`` "small",
    "large" or a number of pupils (int; form entry is converted at 30 a form a year);
    ``setting`` rural, urban, town, coastal or suburban; ``disadvantage``, ``eal`` and
    ``sen`` "high", "low" or a percentage (float), and ``sen`` also "resourced provision";
    ``region`` one of England's nine regions; ``governance`` multi-academy trust,
    single-academy trust, academy, maintained, federation, free school, faith school,
    voluntary aided or voluntary controlled. ``label`` is short text for the reader
    ("about 33% FSM", "Cumbria (North West)"); ``span`` is where it was written in the
    question (start, end).
    """

    kind: str
    value: Value
    label: str
    span: tuple[int, int]


@dataclass(frozen=True)
class _Word:
    """A descriptor inside a phrase read as context: the kinds it gave, and where it is."""

    kinds: frozenset[str]
    span: tuple[int, int]


@dataclass(frozen=True)
class _Phrase:
    """A stretch of the question read as context, and the descriptors in it."""

    span: tuple[int, int]
    words: tuple[_Word, ...]


@dataclass(frozen=True)
class ReadQuestion:
    """A question read: the original, its topic, and the context parts found in it."""

    original: str
    topic: str
    context: tuple[ContextPart, ...] = ()
    _phrases: tuple[_Phrase, ...] = field(default=(), repr=False, compare=False)
    _undone: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    def of_kind(self, kind: str) -> tuple[ContextPart, ...]:
        """The parts of one kind, in the order they were written."""
        return tuple(part for part in self.context if part.kind == kind)

    def without(self, kind: str) -> "ReadQuestion":
        """This reading with one kind of context undone: its words go back into the topic."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}; the kinds are {', '.join(KINDS)}")
        undone = self._undone | {kind}
        return replace(
            self,
            context=tuple(part for part in self.context if part.kind != kind),
            topic=_topic(self.original[:MAX_SCAN], self._phrases, undone),
            _undone=undone,
        )

    def summary(self) -> str:
        """The context in one line for the reader, e.g. "a small rural primary · about 33% FSM"."""
        return _summary(self.context)


# --- The lexicon ------------------------------------------------------------------------------
#
# Roles say how a descriptor sits in a phrase:
#   MOD    an adjective: it needs a school or place noun (or the asker saying so), and it is
#          topic when another noun follows it ("small group", "rural poverty");
#   PHASE  a phase word that is also a noun ("a small primary"); topic before a subject or
#          people noun ("primary maths", "secondary teachers") or "to" ("primary to secondary");
#   HEAD   a school, governance or area noun: it completes a noun phrase;
#   PLACE  a region or place: context after "in", "near", "around" or "at", or next to a school;
#   COMP   the school's make-up (FSM, EAL, SEND shares and levels, pupils on roll): context
#          wherever it is written;
#   LEVEL  a level of FSM, EAL or SEND ("high FSM", "lots of EAL"): as COMP, but before a pupil
#          noun ("high FSM pupils", "mostly EAL pupils") it describes pupils, and counts as NUM;
#   NUM    a number of pupils: context only inside a phrase that is context for another reason;
#   WEAK   a key stage: context only when it qualifies a school noun ("a KS2 school");
#   PLAIN  a phrase that contains a descriptor but is not one ("free school meals").

MOD, PHASE, HEAD, PLACE, COMP, LEVEL, NUM, WEAK, PLAIN = (
    "mod", "phase", "head", "place", "comp", "level", "num", "weak", "plain"
)

_Part = tuple[str, Value, str]  # kind, value, label


@dataclass(frozen=True)
class _Sense:
    role: str
    parts: tuple[_Part, ...] = ()
    school: bool = False  # a school noun: it lets a key stage count, and names a kind of school
    forms: float = 0.0  # form entry, converted to pupils once the phase is known


def _s(role: str, *parts: _Part, school: bool = False) -> _Sense:
    return _Sense(role, tuple(parts), school)


def _phase(value: str, label: str | None = None) -> _Part:
    return ("phase", value, label or value)


def _gov(value: str, label: str | None = None) -> _Part:
    return ("governance", value, label or value)


def _setting(value: str, label: str | None = None) -> _Part:
    return ("setting", value, label or value)


REGIONS = (
    "North East", "North West", "Yorkshire and the Humber", "East Midlands", "West Midlands",
    "East of England", "London", "South East", "South West",
)

# Places a question may name, by region. Names that are also English words are written with
# a capital in _CASE_PLACES and only count when written that way.
PLACES: dict[str, tuple[str, ...]] = {
    "North East": (
        "Northumberland", "Newcastle", "Newcastle upon Tyne", "Tyneside", "Gateshead", "Sunderland",
        "County Durham", "Durham", "Middlesbrough", "Teesside", "Hartlepool", "Darlington",
        "Stockton-on-Tees", "Redcar",
    ),
    "North West": (
        "Cumbria", "Carlisle", "Barrow-in-Furness", "Lancashire", "Blackpool", "Blackburn", "Burnley",
        "Preston", "Manchester", "Greater Manchester", "Salford", "Bolton", "Wigan", "Oldham", "Rochdale",
        "Stockport", "Liverpool", "Merseyside", "Wirral", "Knowsley", "Cheshire", "Warrington", "Crewe",
        "Lake District",
    ),
    "Yorkshire and the Humber": (
        "Yorkshire", "North Yorkshire", "West Yorkshire", "South Yorkshire", "East Yorkshire",
        "East Riding", "Leeds", "Bradford", "Sheffield", "Doncaster", "Rotherham", "Barnsley", "Wakefield",
        "Kirklees", "Huddersfield", "Calderdale", "Halifax", "Scarborough", "Harrogate", "Grimsby",
        "North East Lincolnshire", "North Lincolnshire", "Humberside", "Yorkshire Dales", "North York Moors",
    ),
    "East Midlands": (
        "Nottingham", "Nottinghamshire", "Derbyshire", "Leicester", "Leicestershire", "Lincolnshire",
        "Lincoln", "Northamptonshire", "Northampton", "Rutland", "Mansfield", "Chesterfield", "Boston",
        "Peak District",
    ),
    "West Midlands": (
        "Birmingham", "Coventry", "Wolverhampton", "Walsall", "Sandwell", "Solihull", "Black Country",
        "Stoke-on-Trent", "Staffordshire", "Shropshire", "Telford", "Herefordshire", "Hereford",
        "Worcestershire", "Worcester", "Warwickshire",
    ),
    "East of England": (
        "Norfolk", "Norwich", "Great Yarmouth", "Suffolk", "Ipswich", "Lowestoft", "Essex", "Southend",
        "Clacton", "Colchester", "Cambridgeshire", "Cambridge", "Peterborough", "Fenland", "the Fens", "Hertfordshire",
        "Bedfordshire", "Bedford", "Luton", "East Anglia",
    ),
    "London": (
        "Greater London", "Inner London", "Outer London", "north London", "south London", "east London",
        "west London", "Hackney", "Tower Hamlets", "Newham", "Southwark", "Lambeth", "Lewisham",
        "Croydon", "Camden", "Islington", "Haringey", "Ealing", "Barnet", "Enfield", "Westminster",
        "Greenwich", "Hounslow", "Harrow", "Barking and Dagenham", "Waltham Forest",
    ),
    "South East": (
        "Kent", "Medway", "Thanet", "Margate", "Surrey", "Sussex", "East Sussex", "West Sussex", "Brighton",
        "Hastings", "Hampshire", "Southampton", "Portsmouth", "Isle of Wight", "Berkshire",
        "Oxfordshire", "Oxford", "Buckinghamshire", "Milton Keynes",
    ),
    "South West": (
        "Cornwall", "Isles of Scilly", "Devon", "Plymouth", "Exeter", "Torbay", "Dorset", "Bournemouth",
        "Somerset", "Bristol", "Gloucestershire", "Gloucester", "Wiltshire", "Swindon",
    ),
}
_CASE_PLACES: dict[str, str] = {
    "Bath": "South West", "Hull": "Yorkshire and the Humber", "Derby": "East Midlands",
    "York": "Yorkshire and the Humber", "Slough": "South East", "Dudley": "West Midlands",
    "Brent": "London", "Poole": "South West",
}

_SCHOOL = _s(HEAD, school=True)
_AREA = _s(HEAD)
_PRIMARY, _SECONDARY = _phase("primary"), _phase("secondary")
_SIXTH = _phase("secondary", "secondary with sixth form")

_LEXICON: list[tuple[str, _Sense]] = [
    # phase
    ("primary|primaries", _s(PHASE, _PRIMARY)),
    ("primary school|primary schools", _s(HEAD, _PRIMARY, school=True)),
    ("infant|infants", _s(PHASE, _phase("infant"))),
    ("infant school|infant schools|infants school", _s(HEAD, _phase("infant"), school=True)),
    ("junior|juniors", _s(PHASE, _phase("junior"))),
    ("junior school|junior schools", _s(HEAD, _phase("junior"), school=True)),
    ("first school|first schools", _s(HEAD, _phase("primary", "first school"), school=True)),
    ("middle school|middle schools|middle deemed secondary|middle deemed primary",
     _s(HEAD, _phase("middle"), school=True)),
    ("secondary|secondaries", _s(PHASE, _SECONDARY)),
    ("secondary school|secondary schools|high school|high schools|upper school|upper schools"
     "|secondary modern", _s(HEAD, _SECONDARY, school=True)),
    ("grammar school|grammar schools", _s(HEAD, _phase("secondary", "grammar school"), school=True)),
    ("comprehensive", _s(MOD, _phase("secondary", "comprehensive"))),
    ("secondary-age", _s(MOD, _phase("secondary", "secondary-age"))),
    ("primary-age", _s(MOD, _phase("primary", "primary-age"))),
    ("all-through", _s(PHASE, _phase("all-through"))),
    ("all-through school|all-through schools|through school", _s(HEAD, _phase("all-through"), school=True)),
    ("sixth form|post-16", _s(PHASE, _phase("16 plus", "sixth form"))),
    ("sixth form college|sixth form colleges|FE college|further education college",
     _s(HEAD, _phase("16 plus", "sixth form college"), school=True)),
    ("nursery|nurseries", _s(PHASE, _phase("nursery"))),
    ("nursery school|nursery schools|early years setting|early years settings",
     _s(HEAD, _phase("nursery"), school=True)),
    ("special school|special schools|special academy|special academies|special free school"
     "|SEMH school|special needs school", _s(HEAD, _phase("special"), school=True)),
    # the needs a special school is for: they join "an SEMH special academy" without adding a part
    ("SEMH|SLD|MLD|PMLD|ASD|ASC|autism|autistic|complex needs", _s(MOD)),
    ("alternative provision", _s(HEAD, _phase("alternative provision"))),  # also a service schools buy
    ("AP academy|AP academies|AP school|AP schools", _s(HEAD, _phase("alternative provision"), school=True)),
    ("PRU|PRUs|pupil referral unit|pupil referral units",
     _s(HEAD, _phase("alternative provision", "pupil referral unit"), school=True)),
    ("KS1|key stage 1|KS2|key stage 2", _s(WEAK, _PRIMARY)),
    ("KS3|key stage 3|KS4|key stage 4", _s(WEAK, _SECONDARY)),
    # size
    ("small|smaller|tiny", _s(MOD, ("size", "small", "small"))),
    ("large|larger|big|huge", _s(MOD, ("size", "large", "large"))),
    ("village school|village schools",
     _s(HEAD, _setting("rural", "village"), ("size", "small", "small"), school=True)),
    # setting
    ("rural|semi-rural", _s(MOD, _setting("rural"))),
    ("urban", _s(MOD, _setting("urban"))),
    ("inner-city", _s(MOD, _setting("urban", "inner-city"))),
    ("city|cities|city centre", _s(HEAD, _setting("urban", "city"))),
    ("coastal|seaside", _s(MOD, _setting("coastal"))),
    ("coast|by the sea", _s(HEAD, _setting("coastal"))),
    ("suburban", _s(MOD, _setting("suburban"))),
    ("suburb|suburbs", _s(HEAD, _setting("suburban"))),
    ("market town|market towns", _s(HEAD, _setting("town", "market town"))),
    ("town|towns|mill town|mining town|former mining town|ex mining town|post-industrial town",
     _s(HEAD, _setting("town"))),
    ("village|villages", _s(HEAD, _setting("rural", "village"))),
    ("countryside", _s(HEAD, _setting("rural"))),
    # disadvantage
    ("deprived|highly deprived|disadvantaged|high-poverty|low-income",
     _s(MOD, ("disadvantage", "high", "high disadvantage"))),
    ("affluent|advantaged", _s(MOD, ("disadvantage", "low", "affluent"))),
    # EAL and SEND
    ("multilingual", _s(MOD, ("eal", "high", "high EAL"))),
    ("resourced provision|additionally resourced provision|resource base|specialist resourced provision"
     "|SEN unit", _s(HEAD, ("sen", "resourced provision", "resourced provision"))),
    # governance
    ("academy|academies|converter academy|sponsored academy|sponsor-led academy",
     _s(HEAD, _gov("academy"), school=True)),
    ("multi-academy trust|multi-academy trusts|academy trust|academy trusts",
     _s(HEAD, _gov("multi-academy trust"))),
    ("trust|trusts", _s(HEAD, _gov("multi-academy trust", "trust"))),
    ("single-academy trust|standalone academy|stand-alone academy", _s(HEAD, _gov("single-academy trust"))),
    ("standalone", _s(MOD, _gov("single-academy trust", "standalone"))),
    ("maintained|local authority maintained|council maintained", _s(MOD, _gov("maintained"))),
    ("maintained school|maintained schools|local authority school|local authority schools",
     _s(HEAD, _gov("maintained"), school=True)),
    ("community school|community schools", _s(HEAD, _gov("maintained", "community school"), school=True)),
    ("federation|federations|hard federation|soft federation", _s(HEAD, _gov("federation"))),
    ("federated", _s(MOD, _gov("federation"))),
    ("free school|free schools", _s(HEAD, _gov("free school"), school=True)),
    ("church school|church schools", _s(HEAD, _gov("faith school", "church school"), school=True)),
    ("faith school|faith schools", _s(HEAD, _gov("faith school"), school=True)),
    ("church", _s(MOD, _gov("faith school", "church school"))),
    ("CofE|C of E|Church of England|Anglican", _s(MOD, _gov("faith school", "Church of England"))),
    ("Catholic|Roman Catholic", _s(MOD, _gov("faith school", "Catholic"))),
    ("Methodist|Jewish|Muslim|Islamic|Sikh|Hindu|faith", _s(MOD, _gov("faith school"))),
    ("voluntary aided", _s(MOD, _gov("voluntary aided"))),
    ("voluntary controlled", _s(MOD, _gov("voluntary controlled"))),
    # phrases that hold a descriptor but are topic words
    ("free school meal|free school meals|school meals|trust fund", _s(PLAIN)),
    # nouns that complete a phrase without saying anything themselves
    ("school|schools|setting|settings|college|colleges", _SCHOOL),
    ("area|areas|community|communities|catchment|neighbourhood|neighbourhoods|neighborhood|estate|estates"
     "|location|county|district|borough|ward|region", _AREA),
    # regions
    ("north east|the north east", _s(PLACE, ("region", "North East", "North East"))),
    ("north west|the north west", _s(PLACE, ("region", "North West", "North West"))),
    ("yorkshire and the humber|yorkshire and humber|yorkshire & humber|yorkshire & the humber",
     _s(PLACE, ("region", "Yorkshire and the Humber", "Yorkshire and the Humber"))),
    ("east midlands", _s(PLACE, ("region", "East Midlands", "East Midlands"))),
    ("west midlands", _s(PLACE, ("region", "West Midlands", "West Midlands"))),
    ("east of england", _s(PLACE, ("region", "East of England", "East of England"))),
    ("london", _s(PLACE, ("region", "London", "London"))),
    ("south east|the south east", _s(PLACE, ("region", "South East", "South East"))),
    ("south west|the south west", _s(PLACE, ("region", "South West", "South West"))),
]
_CASE_LEXICON: list[tuple[str, _Sense]] = [
    ("AP", _s(HEAD, _phase("alternative provision"))),
    ("MAT|MATs", _s(HEAD, _gov("multi-academy trust"))),
    ("LA maintained|LA", _s(MOD, _gov("maintained"))),
    ("LA school|LA schools", _s(HEAD, _gov("maintained"), school=True)),
    ("VA", _s(MOD, _gov("voluntary aided"))),
    ("VC", _s(MOD, _gov("voluntary controlled"))),
    ("RC", _s(MOD, _gov("faith school", "Catholic"))),
    ("ARP|SRP", _s(HEAD, ("sen", "resourced provision", "resourced provision"))),
]
for _region, _places in PLACES.items():
    for _place in _places:
        _LEXICON.append((_place, _s(PLACE, ("region", _region, f"{_place} ({_region})"))))
for _place, _region in _CASE_PLACES.items():
    _CASE_LEXICON.append((_place, _s(PLACE, ("region", _region, f"{_place} ({_region})"))))

_SEP = r"[\s\-]+"


def _key(text: str) -> str:
    return re.sub(r"[\s\-]+", " ", text.lower()).strip()


def _alternation(entries: Iterable[tuple[str, _Sense]], flags: int) -> tuple[re.Pattern[str], dict[str, _Sense]]:
    """One regular expression for many phrases (longest first), and each phrase's sense by key."""
    senses: dict[str, _Sense] = {}
    written: list[str] = []
    for phrases, sense in entries:
        for phrase in phrases.split("|"):
            key = _key(phrase)
            if key in senses:
                raise AssertionError(f"{phrase!r} is in the lexicon twice")
            senses[key] = sense
            written.append(phrase)
    written.sort(key=len, reverse=True)
    body = "|".join(_SEP.join(re.escape(w) for w in re.split(_SEP, p)) for p in written)
    return re.compile(rf"(?<![\w&])(?:{body})(?![\w&])", flags), senses


_WORDS_RE, _WORD_SENSES = _alternation(_LEXICON, re.IGNORECASE)
_CASE_RE, _CASE_SENSES = _alternation(_CASE_LEXICON, 0)

# --- Numbers, shares and levels ----------------------------------------------------------------

_NUMBER_WORDS = {
    "one": 1.0, "single": 1.0, "half": 0.5, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "six": 6.0,
    "seven": 7.0, "eight": 8.0, "nine": 9.0, "ten": 10.0, "one and a half": 1.5,
}
_APPROX = (
    r"(?:(?P<approx>about|around|roughly|approximately|approx\.?|nearly|almost|just\s+over|just\s+under"
    r"|over|under|more\s+than|less\s+than|fewer\s+than|c\.|circa|~)\s*)?"
)
_APPROX_LABEL = {
    "about": "about", "around": "about", "roughly": "about", "approximately": "about", "approx": "about",
    "approx.": "about", "c.": "about", "circa": "about", "~": "about", "nearly": "nearly", "almost": "nearly",
    "just over": "just over", "just under": "just under", "over": "over", "more than": "over",
    "under": "under", "less than": "under", "fewer than": "under",
}
_PCT = r"(?P<pct>\d{1,3}(?:\.\d{1,2})?)\s?(?:%|per\s?cent\b|percent\b)"
_FRACTIONS = {
    "a third": 33.0, "one third": 33.0, "a quarter": 25.0, "one quarter": 25.0, "a fifth": 20.0,
    "one fifth": 20.0, "a tenth": 10.0, "half": 50.0, "a half": 50.0, "two thirds": 67.0,
    "three quarters": 75.0, "one in three": 33.0, "one in four": 25.0, "one in five": 20.0, "one in ten": 10.0,
}
_FRAC = r"(?P<frac>" + "|".join(f.replace(" ", r"\s+") for f in sorted(_FRACTIONS, key=len, reverse=True)) + ")"
_QUANT = (
    r"(?P<quant>most|the\s+majority|a\s+majority|nearly\s+all|almost\s+all|over\s+half|more\s+than\s+half"
    r"|lots\s+of|a\s+lot\s+of|many|a\s+high\s+proportion\s+of|a\s+large\s+proportion\s+of"
    r"|a\s+large\s+number\s+of|large\s+numbers\s+of|a\s+high\s+number\s+of|high\s+numbers\s+of"
    r"|high\s+levels\s+of|a\s+significant\s+number\s+of|significant\s+numbers\s+of|mostly|largely|predominantly)"
)
_LEVEL = (
    r"(?P<level>very\s+high|high|higher\s+than\s+average|above[\s-]average|well\s+above\s+average"
    r"|very\s+low|low|lower\s+than\s+average|below[\s-]average)[\s-]+"
)
_WHO = (
    r"(?:\s+(?:of\s+)?(?:(?:our|the)\s+)?(?:pupils|children|students|kids|learners|families|cohort|intake))?"
    r"(?:\s+(?:are|is|get|have|has|claim|speak))?"
    r"(?:\s+(?:on|eligible\s+for|entitled\s+to|receive|receiving|qualify\s+for|attract|with))?\s+"
)
_FSM = r"(?P<fsm>fsm6?|ever[\s-]?6(?:\s+fsm)?|free\s+school\s+meals)"
_PP = r"(?P<pp>pupil\s+premium|pp)"
_DIS = r"(?P<dis>disadvantaged)"
_DEP = r"(?P<dep>deprivation|disadvantage)"
_EAL = r"(?P<eal>eal|english\s+as\s+an?\s+additional\s+language)"
_SEN = (
    r"(?P<sen>(?-i:SEND|SEN(?:\s+support)?|EHCPs?)"
    r"|special\s+educational\s+needs(?:\s+and\s+disabilit(?:y|ies))?)"
)
_END = r"(?![\w%])"

_WHOM = r"(?:\s+(?:pupils|children|students|learners|kids|families))?"
_SHARE_RE = re.compile(
    rf"(?<![\w.]){_APPROX}(?:{_PCT}|{_FRAC}){_WHO}(?:{_FSM}|{_PP}|{_DIS}|{_EAL}|{_SEN}){_WHOM}{_END}", re.IGNORECASE
)
_SHARE_AFTER_RE = re.compile(
    rf"(?<!\w)(?:{_FSM}|{_PP}|{_EAL}|{_SEN})\s*(?:(?:is|at|of)\s+)?[:=\-–]?\s*{_APPROX}{_PCT}{_END}",
    re.IGNORECASE,
)
_MANY_RE = re.compile(
    rf"(?<!\w)(?<!too\s)(?<!how\s)(?<!so\s){_QUANT}{_WHO}(?:{_FSM}|{_PP}|{_EAL}|{_SEN}){_END}", re.IGNORECASE
)
_FEW_RE = re.compile(  # "not many disadvantaged": a low share (a bare "few" or "a small number of" is often topic)
    rf"(?<!\w)(?P<quant>not\s+many|not\s+a\s+lot\s+of|hardly\s+any|very\s+few){_WHO}(?:{_FSM}|{_PP}|{_DIS}|{_EAL}|{_SEN})"
    rf"{_WHOM}{_END}",
    re.IGNORECASE,
)
_LEVEL_RE = re.compile(rf"(?<!\w){_LEVEL}(?:{_FSM}|{_PP}|{_DEP}|{_EAL}|{_SEN}){_END}", re.IGNORECASE)

_COUNT = r"(?P<n>\d{1,3}(?:,\d{3})+|\d{2,5})"
_NOUN = r"(?:pupils?|students?|children|learners|kids)"
_PUPILS_RE = re.compile(
    rf"(?<![\w.,]){_APPROX}{_COUNT}\s?{_NOUN}(?P<roll>\s+on\s+(?:the\s+)?roll)?{_END}", re.IGNORECASE
)
_ON_ROLL_RE = re.compile(rf"(?<![\w.,]){_APPROX}{_COUNT}\s+on\s+(?:the\s+)?roll{_END}", re.IGNORECASE)
_ROLL_RE = re.compile(
    rf"(?<!\w)(?:(?:a\s+)?roll|number\s+on\s+roll|(?-i:NOR))(?:\s+(?:is|of))?\s*[:=]?\s*{_APPROX}{_COUNT}"
    rf"(?:\s?{_NOUN})?{_END}",
    re.IGNORECASE,
)
_N_PUPIL_RE = re.compile(rf"(?<![\w.,]){_COUNT}[\s-]pupil{_END}", re.IGNORECASE)
_FORMS_RE = re.compile(
    r"(?<![\w.])(?P<f>one\s+and\s+a\s+half|one|single|half|two|three|four|five|six|seven|eight|nine|ten"
    r"|\d{1,2}(?:\.5)?)[\s-]*form[\s-]*(?:of[\s-]+)?entry(?!\w)"
    r"|(?<![\w.])(?P<fe>\d{1,2}(?:\.5)?)\s?fe(?!\w)",
    re.IGNORECASE,
)
_CLASSES_RE = re.compile(
    r"(?<![\w.])(?P<c>one|two|three|four|five|six|seven|[1-7])-class(?!\w)", re.IGNORECASE
)
_AGES_RE = re.compile(r"(?<![\w.])(?P<a>\d{1,2})\s?(?:-|–|to)\s?(?P<b>\d{1,2})(?![\w%]|\.\d)")
_AGE_PHASES: dict[tuple[int, int], _Part] = {
    **{(a, 11): _PRIMARY for a in (2, 3, 4, 5)},
    **{(a, 7): _phase("infant") for a in (3, 4, 5)},
    (7, 11): _phase("junior"),
    **{(a, 9): _phase("primary", "first school") for a in (3, 4, 5)},
    **{ab: _phase("middle") for ab in ((8, 12), (9, 13), (9, 12), (10, 13))},
    (11, 16): _SECONDARY, (11, 18): _SIXTH, (11, 19): _SIXTH, (13, 18): _SIXTH,
    **{(a, b): _phase("all-through") for a in (2, 3, 4) for b in (16, 18, 19)},
    (16, 18): _phase("16 plus", "sixth form"), (16, 19): _phase("16 plus", "sixth form"),
}
_MEASURES = {"fsm": "FSM", "pp": "pupil premium", "dis": "disadvantaged", "dep": "", "eal": "EAL", "sen": ""}
_KIND_OF = {"fsm": "disadvantage", "pp": "disadvantage", "dis": "disadvantage", "dep": "disadvantage",
            "eal": "eal", "sen": "sen"}


def _measure(match: re.Match[str]) -> tuple[str, str]:
    """The kind and the label word of the measure a share or level names."""
    for name, label in _MEASURES.items():
        written = match.groupdict().get(name)
        if written:
            return _KIND_OF[name], label or " ".join(written.split())
    raise AssertionError("a share with no measure")


def _approx(match: re.Match[str]) -> str:
    written = match.groupdict().get("approx")
    return _APPROX_LABEL.get(" ".join(written.lower().split()), "") if written else ""


def _share(match: re.Match[str]) -> _Sense | None:
    kind, measure = _measure(match)
    approx = _approx(match)
    if match.groupdict().get("pct"):
        value = float(match.group("pct"))
        if value > 100:
            return None
    else:
        value = _FRACTIONS[" ".join(match.group("frac").lower().split())]
        approx = approx or "about"
    number = f"{value:g}%"
    return _s(COMP, (kind, value, f"{approx} {number} {measure}".strip()))


def _many(match: re.Match[str]) -> _Sense:
    kind, measure = _measure(match)
    return _s(LEVEL, (kind, "high", f"high {measure}"))


def _few(match: re.Match[str]) -> _Sense:
    kind, measure = _measure(match)
    return _s(LEVEL, (kind, "low", f"low {'disadvantage' if measure == 'disadvantaged' else measure}"))


def _level(match: re.Match[str]) -> _Sense:
    kind, measure = _measure(match)
    level = "high" if any(w in match.group("level").lower() for w in ("high", "above")) else "low"
    return _s(LEVEL, (kind, level, f"{level} {measure}"))


def _count(match: re.Match[str]) -> int | None:
    value = int(match.group("n").replace(",", ""))
    return value if 10 <= value <= 5000 else None


def _pupils_part(match: re.Match[str], value: int) -> _Part:
    approx = _approx(match)
    return ("size", value, f"{approx} {value:,} pupils".strip())


def _pupils(match: re.Match[str]) -> _Sense | None:
    value = _count(match)
    if value is None:
        return None
    return _s(COMP if match.groupdict().get("roll") else NUM, _pupils_part(match, value))


def _on_roll(match: re.Match[str]) -> _Sense | None:
    value = _count(match)
    return None if value is None else _s(COMP, _pupils_part(match, value))


def _n_pupil(match: re.Match[str]) -> _Sense | None:
    value = _count(match)
    return None if value is None else _s(MOD, ("size", value, f"{value:,} pupils"))


_FORM_LABELS = {0.5: "half", 1.0: "one", 1.5: "one-and-a-half", 2.0: "two", 3.0: "three", 4.0: "four",
                5.0: "five", 6.0: "six", 7.0: "seven", 8.0: "eight", 9.0: "nine", 10.0: "ten"}


def _forms(match: re.Match[str]) -> _Sense:
    written = " ".join((match.group("f") or match.group("fe")).lower().split())
    forms = _NUMBER_WORDS[written] if written in _NUMBER_WORDS else float(written)
    label = f"{_FORM_LABELS.get(forms, f'{forms:g}')}-form entry"
    return _Sense(MOD, (("size", 0, label),), forms=forms)


def _classes(match: re.Match[str]) -> _Sense:
    written = match.group("c").lower()
    count = int(written) if written.isdigit() else int(_NUMBER_WORDS[written])
    return _s(MOD, ("size", count * 25, f"{written}-class"))


def _ages(match: re.Match[str], scan: str) -> _Sense | None:
    part = _AGE_PHASES.get((int(match.group("a")), int(match.group("b"))))
    before = scan[max(0, match.start() - 8) : match.start()].lower()
    if part is None or re.search(r"(?:\by|\byrs?|\byears?)\s*$", before):
        return None  # "Years 7-11" are year groups, not ages
    return _s(PHASE, part)


# --- Reading -------------------------------------------------------------------------------------

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_GLUE = _words(
    """a an the one our my this their its and or with in at for on of near around within very quite fairly
    really relatively rather extremely slightly mainly mostly largely predominantly only just also both part
    most based located situated set serving friendly lovely happy busy diverse inclusive vibrant growing
    popular oversubscribed undersubscribed mixed mixed-age mainstream state state-funded non-selective
    selective good outstanding average typical ordinary co-educational coeducational single-sex boys girls
    ri inadequate all-age remote isolated semh asd sld mld pmld north south east west central northern southern eastern
    western , ( ) / & - – ' ’"""
)
_DETERMINERS = frozenset({"a", "an", "one", "our", "my", "this"})
_PREPOSITIONS = frozenset({"in", "at", "for", "on", "near", "around", "within"})
_PLACE_PREPOSITIONS = frozenset({"in", "at", "near", "around", "within"})
_JOINERS = frozenset({"and", "or", ",", "(", ")", "/", "&", "-", "–", "'", "’"})
_LEAD_PUNCTUATION = frozenset({",", "(", "-", "–"})
_SENTENCE_END = frozenset({".", "?", "!", ";"})
_FROM_TO = frozenset({"from", "to", "into", "across", "between", "among", "amongst"})
_END_PUNCTUATION = frozenset({",", ")", ".", "?", "!", ";", ":", "-", "–", "—"})
_LICENSORS = _words(
    """as like running run lead leading led head heads headteacher headteachers principal teacher teach work
    do does did can could should would might may will have has are were is was how what why where when"""
)
_BLOCKERS = _words(
    """from to into between across among amongst than other others another feeder feeders partner partners
    nearby neighbouring neighboring local visit visits visiting visited vs versus join joins joining joined
    become becomes becoming became convert converting converted leave leaving left form forming create
    creating start starting open opening up merge merging merger against unlike compared compare comparing
    about different not never live lives living lived come comes coming came travel travels travelling
    arrive arrives arriving go goes several some many all few two three four five six seven eight nine ten
    twelve dozen these those"""
)
_PHASE_FOLLOWERS = _words(
    """to into maths math mathematics english reading writing phonics science history geography music art pe
    computing languages mfl re spelling curriculum curricula teacher teachers teaching trainee trainees training
    leader leaders leadership lead leads head heads headteacher headteachers colleague colleagues staff senco
    sencos ta tas pupil pupils children child students student learners kids age aged ages year
    years year-olds olds months weeks phase phases class classes classroom classrooms provision sector sats test
    tests assessment assessments results outcomes data transition transfer education level subject subjects
    department departments partner partners feeder feeders cluster clusters network networks care sport
    practitioners workforce model approach schooling life admissions places budget budgets funding offer
    intervention interventions strategy strategies team teams nurse nurses worker workers practice liaison
    links visits induction readiness ready expectations standards pedagogy lesson lessons homework exam exams
    mocks options pathways specialist specialists review plan"""
)
_PUPIL_NOUNS = _words(
    "pupil pupils child children student students learners kids boys girls families cohort cohorts group groups"
)
_COHORTS = _words("year years reception class classes set sets group groups key")
_IDENTITY_RE = re.compile(
    r"(?:\bwe\s*['’]\s*re|\bwe\s+are|\bwe\s*['’]\s*ve\s+got|\bwe\s+have|\bwe\s+(?:work|serve)"
    r"|\b(?:our|my)\s+school\s*(?:is|['’]s)"
    r"|\bi\s*(?:['’]\s*m|\s+am)(?:\s+(?:the|a|an))?(?:\s+[\w-]+)?(?:\s+(?:head|headteacher|head\s+teacher|principal|deputy"
    r"|deputy\s+head|assistant\s+head|teacher|senco|sendco|leader|governor|ta|trustee|ceo|[\w-]+\s+lead))?"
    r"|\bi\s+(?:work|teach|lead|run|head|chair)(?:\s+up)?)\s*$",
    re.IGNORECASE,
)
_TOKEN_RE = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*|\S")


@dataclass
class _Unit:
    start: int
    end: int
    text: str  # lower case
    kind: str  # "desc", "glue", "word" or "punct"
    sense: _Sense | None = None


def _descriptors(scan: str) -> list[tuple[int, int, _Sense]]:
    """Every descriptor in the text, overlaps settled leftmost then longest."""
    found: list[tuple[int, int, _Sense]] = []
    for regex, senses in ((_WORDS_RE, _WORD_SENSES), (_CASE_RE, _CASE_SENSES)):
        for m in regex.finditer(scan):
            found.append((m.start(), m.end(), senses[_key(m.group(0))]))
    handlers = (
        (_SHARE_RE, _share), (_SHARE_AFTER_RE, _share), (_MANY_RE, _many), (_FEW_RE, _few), (_LEVEL_RE, _level),
        (_PUPILS_RE, _pupils), (_ON_ROLL_RE, _on_roll), (_ROLL_RE, _on_roll), (_N_PUPIL_RE, _n_pupil),
        (_FORMS_RE, _forms), (_CLASSES_RE, _classes),
    )
    for regex, handler in handlers:
        for m in regex.finditer(scan):
            sense = handler(m)
            if sense is not None:
                found.append((m.start(), m.end(), sense))
    for m in _AGES_RE.finditer(scan):
        age = _ages(m, scan)
        if age is not None:
            found.append((m.start(), m.end(), age))
    found.sort(key=lambda item: (item[0], item[0] - item[1]))
    chosen: list[tuple[int, int, _Sense]] = []
    for item in found:
        if not chosen or item[0] >= chosen[-1][1]:
            chosen.append(item)
    return chosen


def _units(scan: str) -> list[_Unit]:
    units: list[_Unit] = []
    at = 0

    def words(upto: int) -> None:
        for m in _TOKEN_RE.finditer(scan, at, upto):
            text = m.group(0).lower()
            if text in _GLUE:
                kind = "glue"
            elif m.group(0)[0].isalnum():
                kind = "word"
            else:
                kind = "punct"
            units.append(_Unit(m.start(), m.end(), text, kind))

    for start, end, sense in _descriptors(scan):
        words(start)
        units.append(_Unit(start, end, _key(scan[start:end]), "word" if sense.role == PLAIN else "desc", sense))
        at = end
    words(len(scan))
    return units


def _drop_modifiers(units: list[_Unit]) -> None:
    """Turn descriptors that modify another noun back into plain words, right to left."""
    for i in range(len(units) - 1, -1, -1):
        unit = units[i]
        if unit.kind != "desc" or unit.sense is None:
            continue
        nxt = units[i + 1] if i + 1 < len(units) else None
        role = unit.sense.role
        drop = False
        if role == MOD:
            drop = nxt is not None and (nxt.kind == "word" or nxt.text in _PUPIL_NOUNS)
        elif role == LEVEL and nxt is not None and nxt.text in _PUPIL_NOUNS:
            # "high FSM pupils", "mostly EAL pupils": a group of pupils unless the phrase is about the school
            unit.sense = replace(unit.sense, role=NUM)
            unit.end, nxt.kind = nxt.end, "glue"
        elif role == PHASE:
            drop = nxt is not None and nxt.kind in ("word", "glue") and nxt.text in _PHASE_FOLLOWERS
        elif role == NUM:
            # "30 pupils in Year 6" is a year group, not the school's roll
            words = [u.text for u in units[i + 1 : i + 3]]
            drop = len(words) == 2 and words[0] in ("in", "of", "from", "across", "at") and (
                words[1] in _COHORTS or re.fullmatch(r"y\d{1,2}|ks\d", words[1]) is not None
            )
        elif role == WEAK:
            j = i + 1
            while j < len(units) and units[j].kind == "glue" and units[j].text in ("and", "&", ",", "/", "or"):
                j += 1
            after = units[j] if j < len(units) else None
            drop = not (
                after is not None
                and after.kind == "desc"
                and after.sense is not None
                and (after.sense.school or after.sense.role == WEAK)
            )
        if drop:
            unit.kind = "word"


@dataclass
class _Group:
    lead: list[_Unit]
    core: list[_Unit]


def _chains(units: list[_Unit]) -> Iterable[tuple[int, list[_Group]]]:
    """Runs of descriptors joined by glue, split where a determiner or preposition starts a new phrase.

    Yields the index of the unit before each run (-1 at the start) and the run's groups.
    """
    i = 0
    while i < len(units):
        if units[i].kind not in ("desc", "glue"):
            i += 1
            continue
        start = i
        while i < len(units) and units[i].kind in ("desc", "glue"):
            i += 1
        run = units[start:i]
        groups: list[_Group] = []
        pending: list[_Unit] = []
        for unit in run:
            if unit.kind == "glue":
                pending.append(unit)
                continue
            if groups and any(g.text in _DETERMINERS or g.text in _PREPOSITIONS for g in pending):
                groups.append(_Group(lead=pending, core=[unit]))
            elif groups:
                groups[-1].core.extend([*pending, unit])
            else:
                groups.append(_Group(lead=pending, core=[unit]))
            pending = []
        if groups:
            yield start - 1, groups


def _licensed(
    group: _Group, before: _Unit | None, after: _Unit | None, scan: str, first: bool
) -> tuple[bool, int]:
    """Whether a group describes the asker's school, and where the text taken out with it starts.

    The checks, in order: the asker says so ("we're a ..."); "our"/"my" before a school noun;
    a blocking word before it ("from", "join", "other", a number); the school's make-up
    ("40% FSM"); "with" or "the" before it; then a school noun after "a", "in", "for", a verb
    like "do" or "as", at the start, or ending a sentence; a place after "in"; a fragment that
    stands alone between punctuation.
    """
    senses = [u.sense for u in group.core if u.kind == "desc" and u.sense is not None]
    lead = [u.text for u in group.lead]
    lead_start = group.lead[0].start if group.lead else group.core[0].start
    # taken out with the phrase: "in a", "for our", "very", "with", but not "and" or a comma
    start = next((u.start for u in group.lead if u.text not in _JOINERS), group.core[0].start)
    if first:
        window = scan[max(0, lead_start - 80) : lead_start]
        identity = _IDENTITY_RE.search(window)
        if identity is not None:
            return True, lead_start - len(window) + identity.start()
    word = before.text if before is not None and before.kind == "word" else None
    has_head = any(s.role in (HEAD, PHASE) for s in senses)
    has_place = any(s.role == PLACE for s in senses)
    if (has_head or has_place) and ("our" in lead or "my" in lead):
        # the asker's own school, whatever comes before it: "back into mainstream from our PRU"
        return True, before.start if before is not None and word in _FROM_TO else start
    if word is not None and (word in _BLOCKERS or word.isdigit()):
        return False, start
    if any(s.role in (COMP, LEVEL) for s in senses):
        return True, start
    determiner = any(w in _DETERMINERS for w in lead)
    preposition = any(w in _PREPOSITIONS - {"for"} for w in lead) or (
        "for" in lead and any(s.school or s.role == PHASE for s in senses)  # not "funding for AP"
    )
    if "with" in lead or ("the" in lead and not (determiner or preposition)):
        return False, start  # "working with a large secondary", "what the first schools reported"
    after_punctuation = before is None or before.kind == "punct" or any(w in _LEAD_PUNCTUATION for w in lead)
    fragment_end = after is None or after.text in _END_PUNCTUATION
    sentence_end = after is None or after.text in _SENTENCE_END
    # A bare noun for a service is usually the topic ("alternative provision for excluded
    # pupils"); a phase or school noun, or more than one descriptor, names a kind of school.
    specific = len(senses) >= 2 or any(s.role == PHASE or (s.school and s.parts) for s in senses)
    if has_head and (
        determiner
        or preposition
        or word in _LICENSORS
        or (sentence_end and specific)  # "persistent absence rural primary"
        or (after_punctuation and (specific or fragment_end))
    ):
        return True, before.start if before is not None and word == "as" else start
    if has_place and any(w in _PLACE_PREPOSITIONS for w in lead):
        return True, start
    return after_punctuation and fragment_end, start


def _read(scan: str) -> tuple[list[ContextPart], list[_Phrase]]:
    units = _units(scan)
    _drop_modifiers(units)
    parts: list[tuple[ContextPart, float]] = []
    phrases: list[_Phrase] = []
    index = {id(unit): i for i, unit in enumerate(units)}
    for before_index, groups in _chains(units):
        before = units[before_index] if before_index >= 0 else None
        previous_licensed = False
        for n, group in enumerate(groups):
            last = group.core[-1]
            after_index = index[id(last)] + 1
            after = units[after_index] if after_index < len(units) else None
            if previous_licensed:
                ok, start = True, group.lead[0].start if group.lead else group.core[0].start
            else:
                preceding = before if n == 0 else groups[n - 1].core[-1]
                ok, start = _licensed(group, preceding, after, scan, first=n == 0)
            previous_licensed = ok
            descs = [(u, u.sense) for u in group.core if u.kind == "desc" and u.sense is not None]
            if not ok or not any(sense.parts for _, sense in descs):
                continue
            words: list[_Word] = []
            for unit, sense in descs:
                words.append(_Word(frozenset(kind for kind, _, _ in sense.parts), (unit.start, unit.end)))
                for kind, value, label in sense.parts:
                    parts.append((ContextPart(kind, value, label, (unit.start, unit.end)), sense.forms))
            phrases.append(_Phrase((start, last.end), tuple(words)))
    return _settle(parts), phrases


_YEARS_IN_PHASE = {"infant": 3, "junior": 4, "primary": 7, "middle": 4, "secondary": 5, "all-through": 12,
                   "16 plus": 2, "nursery": 2}


def _settle(found: list[tuple[ContextPart, float]]) -> list[ContextPart]:
    """Form entry made into pupils, a sixth form joined to its secondary, repeats merged."""
    phases = [part for part, _ in found if part.kind == "phase"]
    phase = phases[0] if phases else None
    years = _YEARS_IN_PHASE.get(str(phase.value), 7) if phase is not None else 7
    if phase is not None and phase.label == "secondary with sixth form":
        years = 7
    parts: list[ContextPart] = []
    for part, forms in found:
        if forms:
            part = replace(part, value=round(forms * 30 * years))
        parts.append(part)
    values = {part.value for part in parts if part.kind == "phase"}
    if "secondary" in values and "16 plus" in values:
        parts = [
            replace(p, label="secondary with sixth form") if p.kind == "phase" and p.value == "secondary" else p
            for p in parts
            if not (p.kind == "phase" and p.value == "16 plus")
        ]
    settled: list[ContextPart] = []
    for part in parts:
        same = next((i for i, p in enumerate(settled) if (p.kind, p.value) == (part.kind, part.value)), None)
        if same is None:
            settled.append(part)
        elif len(part.label) > len(settled[same].label):
            settled[same] = replace(settled[same], label=part.label)
    return settled


# "schools like ours" asks for comparable schools, which the context does; as topic words
# "like" and "ours" would only match case studies that happen to use them
_LIKE_OURS_RE = re.compile(
    r"(?<!\w)(?:(?:other|similar)\s+)?(?P<noun>schools?|settings?|ones)\s+(?:(?:just|rather)\s+)?(?:like|similar\s+to)\s+"
    r"(?:ours|mine|us|our\s+own|my\s+own|our\s+school|my\s+school)(?!\w)"
    r"|(?<!\w)similar\s+schools(?:\s+to\s+(?:ours|mine|us))?(?!\w)",
    re.IGNORECASE,
)


def _without_like_ours(topic: str) -> str:
    def noun(match: re.Match[str]) -> str:
        said = (match.group("noun") or "schools").lower()
        return "schools" if said == "ones" else said

    return _tidy(_LIKE_OURS_RE.sub(noun, topic)) if _LIKE_OURS_RE.search(topic) else topic


def _topic(scan: str, phrases: Iterable[_Phrase], undone: frozenset[str]) -> str:
    """The scanned text without its context phrases; undone words stay."""
    return _without_like_ours(_cut(scan, phrases, undone))


def _cut(scan: str, phrases: Iterable[_Phrase], undone: frozenset[str]) -> str:
    removed = [False] * len(scan)
    for phrase in phrases:
        if not any(word.kinds - undone for word in phrase.words):
            continue
        start, end = phrase.span
        for i in range(start, end):
            removed[i] = True
        for word in phrase.words:
            if word.kinds and word.kinds <= undone:
                for i in range(*word.span):
                    removed[i] = False
    if not any(removed):
        whole = " ".join(scan.split())
        return whole if re.search(r"[^\W_]", whole) else ""
    # A phrase cut from a sentence takes its possessive "'s", and the comma that closed it.
    i = 0
    while i < len(scan):
        if not removed[i]:
            i += 1
            continue
        j = i
        while j < len(scan) and removed[j]:
            j += 1
        if scan[j : j + 2] in ("'s", "’s") and not scan[j + 2 : j + 3].isalnum():
            removed[j] = removed[j + 1] = True
            j += 2
        k = j
        while k < len(scan) and scan[k].isspace():
            k += 1
        prev = scan[:i].rstrip()
        if k < len(scan) and scan[k] == "," and prev and prev[-1].isalnum():
            for m in range(j, k + 1):
                removed[m] = True
        i = max(j, k)
    kept = "".join(" " if removed[i] else c for i, c in enumerate(scan))
    return _tidy(kept)


# words left at the front once the context before or after them is cut: "As [a large secondary
# with 40% EAL], how have schools ...", "[A small rural primary] with lots of mixed-age classes"
_DANGLING_RE = re.compile(
    r"^(?:(?:and|but|so|or|with|where|we['’]re|we\s+are|i['’]m|i\s+am)\s+"
    r"|(?:as|at|in|for|from)\s+(?=(?:how|what|which|who|why|when|where|can|could|do|does|did|is|are|should"
    r"|would|has|have|any)\b))",
    re.IGNORECASE,
)


def _tidy(text: str) -> str:
    text = " ".join(text.split())
    text = re.sub(r"\(\s*[,;:]?\s*\)", " ", text)
    text = re.sub(r"\s+([,.;:?!)])", r"\1", text)
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"([,;:])(?:\s?[,;:])+", r"\1", text)
    text = " ".join(text.split())
    while True:
        trimmed = text.lstrip(" ,;:.-–—)")
        trimmed = _DANGLING_RE.sub("", trimmed, count=1)
        if trimmed == text:
            break
        text = trimmed
    text = text.rstrip(" ,;:-–—(")
    return text if re.search(r"[^\W_]", text) else ""


def read_question(text: str) -> ReadQuestion:
    """Read a question: the asker's school context, and the topic left when it is taken out.

    Never fails on text: empty, very long (only the first :data:`MAX_SCAN` characters are
    read), or in another language (nothing is taken as context).
    """
    if not isinstance(text, str):
        raise TypeError(f"a question is text, not {type(text).__name__}")
    scan = text[:MAX_SCAN]
    parts, phrases = _read(scan)
    return ReadQuestion(
        original=text,
        topic=_topic(scan, phrases, frozenset()),
        context=tuple(parts),
        _phrases=tuple(phrases),
    )


# --- The summary -----------------------------------------------------------------------------------

_NOUN_PHASES = {"infant": "infant school", "all-through": "all-through school", "special": "special school",
                "middle": "middle school"}
_ADJECTIVE_SETTINGS = frozenset({"rural", "urban", "inner-city", "coastal", "suburban", "village", "city"})


def _summary(context: tuple[ContextPart, ...]) -> str:
    adjectives: list[str] = []
    items: list[str] = []
    suffix = ""
    sizes = [p for p in context if p.kind == "size"]
    word = next((p.label for p in sizes if p.value in ("small", "large")), None)
    shape = next((p.label for p in sizes if p.label.endswith(("form entry", "-class"))), None)
    adjectives.extend(label for label in (word, shape) if label)
    items.extend(p.label for p in sizes if isinstance(p.value, int) and p.label not in (word, shape))
    for part in (p for p in context if p.kind == "setting"):
        if part.label in _ADJECTIVE_SETTINGS:
            adjectives.append(part.label)
        elif not suffix and part.value == "town":
            suffix = f" in a {part.label}"
        else:
            items.append(part.label)
    phases = [p for p in context if p.kind == "phase"]
    # a special school or alternative provision is the noun; another phase describes it
    phases.sort(key=lambda p: p.value in ("special", "alternative provision"))
    if phases:
        adjectives.extend(p.label for p in phases[:-1])
        noun = _NOUN_PHASES.get(phases[-1].label, phases[-1].label)
    else:
        noun = "school"
    for kind in ("disadvantage", "eal", "sen", "governance", "region"):
        items.extend(p.label for p in context if p.kind == kind)
    if adjectives or phases or suffix:
        phrase = " ".join([*adjectives, noun]) + suffix
        article = "an" if re.match(r"(?:[aei]|o(?!ne)|u(?!ni)|11|18|8)", phrase, re.IGNORECASE) else "a"
        items.insert(0, f"{article} {phrase}")
    return " · ".join(items)
