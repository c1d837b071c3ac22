"""Reading a question: the asker's school context is taken out of the topic, and only that."""

import pytest

from commons.search.reading import KINDS, MAX_SCAN, ContextPart, ReadQuestion, read_question

HOME_RURAL = "how did a small rural primary improve attendance of disadvantaged pupils"
HOME_BOYS = "getting reluctant boys to read for pleasure"
HOME_JUNIOR = "we're a two-form entry junior in a market town, about a third FSM, and our Year 3s can't decode"

# (question, the context read as (kind, value) in the order written, the topic left)
READINGS: list[tuple[str, list[tuple[str, object]], str]] = [
    # the home page questions
    (HOME_RURAL, [("size", "small"), ("setting", "rural"), ("phase", "primary")],
     "how did improve attendance of disadvantaged pupils"),
    (HOME_JUNIOR, [("size", 240), ("phase", "junior"), ("setting", "town"), ("disadvantage", 33.0)],
     "our Year 3s can't decode"),
    # only context
    ("small rural primary", [("size", "small"), ("setting", "rural"), ("phase", "primary")], ""),
    ("we're small and rural", [("size", "small"), ("setting", "rural")], ""),
    # phase
    ("how do small rural primaries manage transition to secondary",
     [("size", "small"), ("setting", "rural"), ("phase", "primary")], "how do manage transition to secondary"),
    ("phonics in a KS1 and KS2 school", [("phase", "primary")], "phonics"),
    ("we're an 11-18 comprehensive in Leeds with 1,400 students",
     [("phase", "secondary"), ("region", "Yorkshire and the Humber"), ("size", 1400)], ""),
    ("as a 1FE infant school, how do we teach phonics", [("size", 90), ("phase", "infant")], "how do we teach phonics"),
    ("we are a large secondary with a sixth form", [("size", "large"), ("phase", "secondary")], ""),
    ("we're a PRU", [("phase", "alternative provision")], ""),
    ("how can a special school support autistic pupils", [("phase", "special")], "how can support autistic pupils"),
    # the needs a special school is for belong to its description
    ("in our SEMH special school, restraint", [("phase", "special")], "restraint"),
    ("we are an autism special school", [("phase", "special")], ""),
    ("we're an all-through school", [("phase", "all-through")], ""),
    ("maintained nursery school outdoor learning", [("governance", "maintained"), ("phase", "nursery")],
     "outdoor learning"),
    ("reading in a suburban junior", [("setting", "suburban"), ("phase", "junior")], "reading"),
    ("small group tuition in a large secondary", [("size", "large"), ("phase", "secondary")], "small group tuition"),
    # size
    ("we have 84 pupils", [("size", 84)], ""),
    ("roll of about 1,100", [("size", 1100)], ""),
    ("tiny village school with 12 children", [("size", "small"), ("setting", "rural"), ("size", 12)], ""),
    ("an 84-pupil village primary in Devon",
     [("size", 84), ("setting", "rural"), ("phase", "primary"), ("region", "South West")], ""),
    ("how did a village school improve attendance of pupils on free school meals?",
     [("setting", "rural"), ("size", "small")], "how did improve attendance of pupils on free school meals?"),
    ("small primary (90 on roll), mixed-age classes", [("size", "small"), ("phase", "primary"), ("size", 90)],
     "mixed-age classes"),
    ("a primary with 30 pupils in Year 6 who struggle", [("phase", "primary")],
     "30 pupils in Year 6 who struggle"),
    # no word left dangling at the front where the context was cut
    ("As a large inner-city secondary with 40% EAL, how have schools improved reading at KS3?",
     [("size", "large"), ("setting", "urban"), ("phase", "secondary"), ("eal", 40.0)],
     "how have schools improved reading at KS3?"),
    ("In a small rural primary, what works for phonics?",
     [("size", "small"), ("setting", "rural"), ("phase", "primary")], "what works for phonics?"),
    ("As a result of falling rolls in our small rural primary, how do we plan?",
     [("size", "small"), ("setting", "rural"), ("phase", "primary")], "As a result of falling rolls how do we plan?"),
    # setting
    ("inner-city primary, behaviour", [("setting", "urban"), ("phase", "primary")], "behaviour"),
    ("a coastal academy and teacher recruitment", [("setting", "coastal"), ("governance", "academy")],
     "teacher recruitment"),
    ("rural schools and attendance", [("setting", "rural")], "attendance"),
    ("Rural, high FSM: what helps attendance?", [("setting", "rural"), ("disadvantage", "high")],
     "what helps attendance?"),
    # disadvantage
    ("what works in a school with high FSM", [("disadvantage", "high")], "what works"),
    ("improve attendance (FSM 30%)", [("disadvantage", 30.0)], "improve attendance"),
    ("reading for pleasure (2FE, 40% PP)", [("size", 420), ("disadvantage", 40.0)], "reading for pleasure"),
    ("40% pupil premium, how do we spend it", [("disadvantage", 40.0)], "how do we spend it"),
    ("affluent area, low FSM, boys' writing", [("disadvantage", "low")], "boys' writing"),
    ("a deprived area with 60% EAL", [("disadvantage", "high"), ("eal", 60.0)], ""),
    # EAL and SEND
    ("most children have EAL, how do we teach vocabulary", [("eal", "high")], "how do we teach vocabulary"),
    ("we have high SEND and a resourced provision for autism", [("sen", "high"), ("sen", "resourced provision")],
     "for autism"),
    ("SEND 20%, EHCP 4%", [("sen", 20.0), ("sen", 4.0)], ""),
    # region
    ("how do schools in Cumbria reduce persistent absence", [("region", "North West")],
     "how do schools reduce persistent absence"),
    ("phonics in the North West", [("region", "North West")], "phonics"),
    # governance
    ("I'm head of a small CofE primary in Norfolk",
     [("size", "small"), ("governance", "faith school"), ("phase", "primary"), ("region", "East of England")], ""),
    ("we're in a MAT", [("governance", "multi-academy trust")], ""),
    ("our school is an LA maintained primary", [("governance", "maintained"), ("phase", "primary")], ""),
    ("a Catholic voluntary aided secondary",
     [("governance", "faith school"), ("governance", "voluntary aided"), ("phase", "secondary")], ""),
    ("we're a single-academy trust", [("governance", "single-academy trust")], ""),
    ("a free school in Birmingham", [("governance", "free school"), ("region", "West Midlands")], ""),
    ("we have a large number of EAL pupils", [("eal", "high")], ""),
    ("NELI in reception with lots of EAL", [("eal", "high")], "NELI in reception"),
    ("secondary-age pupils in alternative provision", [("phase", "alternative provision")], "secondary-age pupils"),
    # a school noun phrase that ends the question, as in keyword searches
    ("persistent absence rural primary", [("setting", "rural"), ("phase", "primary")], "persistent absence"),
    ("middle school taking Year 5 from several first schools", [("phase", "middle")],
     "taking Year 5 from several first schools"),
    ("We're an RI 11-16 high school in the Fens", [("phase", "secondary"), ("region", "East of England")], ""),
    # "our" is the asker's school, whatever comes before it
    ("pupils rarely get back into mainstream from our PRU", [("phase", "alternative provision")],
     "pupils rarely get back into mainstream"),
    ("our small rural primary's approach to attendance",
     [("size", "small"), ("setting", "rural"), ("phase", "primary")], "approach to attendance"),
]

# Questions with school words that describe something else: nothing is context.
TOPIC_ONLY = [
    "SEMH pupils in mainstream",
    "autistic pupils and lunchtimes",
    HOME_BOYS,
    "how do we improve attendance",
    "improve attendance of disadvantaged pupils",  # the pupils the work is for
    "the most disadvantaged pupils",
    "how do we support high FSM pupils",
    "transition from small rural primaries to secondary",  # feeder schools, not the asker's
    "working with a large secondary on transition",
    "primary to secondary transition",
    "KS2 reading",  # a key stage is a topic word unless it qualifies a school
    "KS3 curriculum design",
    "primary maths mastery",
    "middle leaders development",
    "our sixth form results",
    "large classes and behaviour",
    "rural poverty and attendance",
    "small steps in maths",
    "how do we join a MAT",  # a trust to be joined is not the asker's governance
    "setting up a federation",
    "building trust with parents",
    "alternative provision for excluded pupils",
    "what was the London Challenge",
    "lessons from the London Challenge",
    "Year 7-11 behaviour",
    "SEND provision in mainstream",
    "supporting EAL pupils in maths",
    "PP, SEND, EHCP, SALT",  # only jargon: the glossary's business, not context
    "too many SEN support pupils are withdrawn for interventions",
    "only a few children speak in discussions, mostly EAL pupils",  # the pupils, not the school
    "funding for alternative provision",
    "most of our disadvantaged students live in villages",
    "results drop below what the first schools reported",
    "we are not in a trust",
]


@pytest.mark.parametrize(("question", "context", "topic"), READINGS, ids=[q[:50] for q, _, _ in READINGS])
def test_reading(question: str, context: list[tuple[str, object]], topic: str) -> None:
    read = read_question(question)
    assert [(part.kind, part.value) for part in read.context] == context
    assert read.topic == topic
    assert read.original == question


@pytest.mark.parametrize("question", TOPIC_ONLY)
def test_topic_words_are_not_context(question: str) -> None:
    read = read_question(question)
    assert read.context == ()
    assert read.topic == question
    assert read.summary() == ""


def test_the_home_page_questions_read_as_they_should() -> None:
    rural = read_question(HOME_RURAL)
    assert rural.summary() == "a small rural primary"
    assert [p.label for p in rural.context] == ["small", "rural", "primary"]
    assert "attendance of disadvantaged pupils" in rural.topic
    assert not {"small", "rural", "primary"} & set(rural.topic.split())

    junior = read_question(HOME_JUNIOR)
    assert junior.summary() == "a two-form entry junior in a market town · about 33% FSM"
    assert {p.kind: p.label for p in junior.context} == {
        "size": "two-form entry", "phase": "junior", "setting": "market town", "disadvantage": "about 33% FSM",
    }
    assert junior.topic == "our Year 3s can't decode"

    boys = read_question(HOME_BOYS)
    assert boys.context == () and boys.topic == HOME_BOYS


def test_spans_point_at_what_was_written() -> None:
    read = read_question(HOME_JUNIOR)
    written = {part.kind: HOME_JUNIOR[slice(*part.span)] for part in read.context}
    assert written == {
        "size": "two-form entry", "phase": "junior", "setting": "market town", "disadvantage": "about a third FSM",
    }


@pytest.mark.parametrize(
    ("question", "labels", "summary"),
    [
        ("we're an inner city, multilingual, three form entry primary in Birmingham",
         ["inner-city", "high EAL", "three-form entry", "primary", "Birmingham (West Midlands)"],
         "a three-form entry inner-city primary · high EAL · Birmingham (West Midlands)"),
        ("we're a secondary with a sixth form, 40% pupil premium, in a trust",
         ["secondary with sixth form", "40% pupil premium", "trust"],
         "a secondary with sixth form · 40% pupil premium · trust"),
        ("a large MAT secondary", ["large", "multi-academy trust", "secondary"],
         "a large secondary · multi-academy trust"),
        ("we have 84 pupils and high SEND", ["84 pupils", "high SEND"], "84 pupils · high SEND"),
        ("we're an urban primary", ["urban", "primary"], "an urban primary"),
        ("we're a one-form entry primary", ["one-form entry", "primary"], "a one-form entry primary"),
    ],
)
def test_labels_and_summary(question: str, labels: list[str], summary: str) -> None:
    read = read_question(question)
    assert [part.label for part in read.context] == labels
    assert read.summary() == summary


def test_form_entry_becomes_pupils_for_the_phase() -> None:
    assert read_question("we're a 2FE primary").of_kind("size")[0].value == 420
    assert read_question("we're a two-form entry junior").of_kind("size")[0].value == 240
    assert read_question("we're a one form entry infant school").of_kind("size")[0].value == 90


def test_without_puts_a_part_back_into_the_topic() -> None:
    read = read_question(HOME_JUNIOR)
    no_fsm = read.without("disadvantage")
    assert [p.kind for p in no_fsm.context] == ["size", "phase", "setting"]
    assert no_fsm.topic == "about a third FSM, and our Year 3s can't decode"
    assert no_fsm.summary() == "a two-form entry junior in a market town"
    assert read.context != no_fsm.context  # the original reading is unchanged
    assert len(read.context) == 4

    rural = read_question(HOME_RURAL).without("size")
    assert rural.summary() == "a rural primary"
    assert "small" in rural.topic.split()

    everything = read
    for kind in KINDS:
        everything = everything.without(kind)
    assert everything.context == ()
    assert everything.topic == HOME_JUNIOR
    assert read.without("region").topic == read.topic  # nothing of that kind: nothing changes


def test_without_an_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown kind"):
        read_question(HOME_RURAL).without("colour")


def test_long_input_is_read_in_bounded_work() -> None:
    long = ("we're a small rural primary and " + "attendance matters " * 400)[:5000]
    assert len(long) == 5000
    read = read_question(long)
    assert read.original == long
    assert [p.kind for p in read.context] == ["size", "setting", "phase"]
    assert len(read.topic) <= MAX_SCAN
    assert read.topic.startswith("attendance matters")

    # shapes that make careless regular expressions backtrack: they return, with nothing read
    for hostile in ("40%" + " " * 4990 + "x", "1" * 5000, ", " * 2500, "about " * 900, "we're a " * 600):
        assert len(read_question(hostile).topic) <= MAX_SCAN


@pytest.mark.parametrize(
    "question",
    [
        "Wie verbessern wir die Anwesenheit an einer kleinen ländlichen Grundschule?",
        "Comment améliorer l'assiduité dans une petite école rurale ?",
        "¿Cómo mejorar la asistencia en una escuela rural pequeña?",
        "学校の出席率を上げるには？",
        "مدرسة ابتدائية صغيرة",
    ],
)
def test_other_languages_are_left_as_topic(question: str) -> None:
    read = read_question(question)
    assert read.context == ()
    assert read.topic == question


@pytest.mark.parametrize("question", ["", "   ", "?!", "\n\t", "()", "\x00"])
def test_empty_and_blank_questions(question: str) -> None:
    read = read_question(question)
    assert read.context == ()
    assert read.topic == ""
    assert read.summary() == ""


def test_a_question_must_be_text() -> None:
    with pytest.raises(TypeError):
        read_question(None)  # type: ignore[arg-type]


def test_read_question_is_a_frozen_value() -> None:
    read = read_question(HOME_RURAL)
    assert isinstance(read, ReadQuestion)
    assert all(isinstance(part, ContextPart) and part.kind in KINDS for part in read.context)
    with pytest.raises(AttributeError):
        read.topic = "x"  # type: ignore[misc]
    assert read == read_question(HOME_RURAL)


@pytest.mark.parametrize(("question", "topic"), [
    ("we're a small rural primary: how did schools like ours improve attendance?",
     "how did schools improve attendance?"),
    ("how have similar schools to mine reduced exclusions", "how have schools reduced exclusions"),
    ("a school like ours, coastal town secondary: reading age catch up", "a school, reading age catch up"),
    ("how do other schools like us run breakfast clubs?", "how do schools run breakfast clubs?"),
])
def test_schools_like_ours_asks_for_comparable_schools_and_is_not_searched_as_topic(question: str, topic: str) -> None:
    assert read_question(question).topic == topic
