"""The privacy check: what it flags, what ordinary school prose it leaves alone, and order."""

from pathlib import Path

import pytest

from commons.domain.privacy import MESSAGES, PrivacyWarning, check

DEMO_CASE_STUDIES = Path(__file__).parent.parent / "commons" / "demo" / "case_studies"


def found(text: str) -> list[tuple[str, str]]:
    return [(w.kind, w.excerpt) for w in check({"what-we-did": text}, [])]


def row(measure: str = "Attendance", pupils: int | None = 84) -> dict:
    return {"measure": measure, "before": "88%", "after": "94%", "period": "2023/24",
            "pupils": pupils}


@pytest.mark.parametrize(
    ("kind", "text", "excerpt"),
    [
        ("upn", "Her UPN is A123456789012 on the form.", "A123456789012"),
        ("upn", "Logged as K12345678901B.", "K12345678901B"),
        ("email", "Write to j.smith@ashcombe.sch.uk for the plan.", "j.smith@ashcombe.sch.uk"),
        ("email", "[Email Ann](mailto:ann+head@example.org).", "ann+head@example.org"),
        ("phone", "Ring the office on 01234 567890.", "01234 567890"),
        ("phone", "Text 07700 900123 to book.", "07700 900123"),
        ("phone", "From abroad: +44 7700 900123.", "+44 7700 900123"),
        ("phone", "Call (0113) 496 0000 any time.", "(0113) 496 0000"),
        ("phone", "Call +44 (0)113 496 0000.", "+44 (0)113 496 0000"),
        ("phone", "Mobile 07700900123 only.", "07700900123"),
        ("phone", "Office 0113-496-0000.", "0113-496-0000"),
        ("phone", "Our line: 020 7946 0000.", "020 7946 0000"),
        ("date-of-birth", "He was born on 3 May 2016 in Leeds.", "born on 3 May 2016"),
        ("date-of-birth", "DOB: 03/05/2016.", "DOB: 03/05/2016"),
        ("date-of-birth", "Date of birth 2016-05-03.", "Date of birth 2016-05-03"),
        ("date-of-birth", "d.o.b. 3.5.16, Year 2.", "d.o.b. 3.5.16"),
        ("date-of-birth", "born on the 3rd of May, 2016", "born on the 3rd of May, 2016"),
        ("date-of-birth", "born May 3rd, 2016", "born May 3rd, 2016"),
        ("date-of-birth", "Jo, 12/05/2016 (DOB), joined.", "12/05/2016 (DOB)"),
        ("named-child", "A Year 5 pupil Jayden read every day.", "pupil Jayden"),
        ("named-child", "The boy, Tom, came in late.", "boy, Tom"),
        ("named-child", "Two pupils, Amy and Ben, led it.", "pupils, Amy"),
        ("named-child", "One girl (Maya) said it helped.", "girl (Maya"),
        ("named-child", "Tom's mum rang every morning.", "Tom's mum"),
        ("named-child", "We met Aisha’s foster carer weekly.", "Aisha’s foster carer"),
        ("named-child", "Then Leo's EHCP was agreed.", "Leo's EHCP"),
        ("named-child", "a quiet student\nPriya joined", "student Priya"),
    ],
)
def test_personal_information_is_flagged(kind: str, text: str, excerpt: str) -> None:
    assert found(text) == [(kind, excerpt)]


@pytest.mark.parametrize(
    "text",
    [
        # upn
        "Our URN is 990003 and our DfE number 123/4567.",
        "Reference AB12345678901 is a purchase order.",
        "A12345678901 has only eleven digits.",
        # email
        "Email the office through the contact form, or find us @AshcombeSchool.",
        # phone
        "Attendance rose over 2022-2024 and again in 2024/25.",
        "Persistent absence fell from 24% to 11%, and 88% to 94%.",
        "It cost £2,400 a year, or £12,000 in total.",
        "Years 2019 2020 2021 2022 all looked alike.",
        "We start at 9.30am; breakfast is 8.40am to 9.15am.",
        "Scores rose from 0.5 to 0.75; the ratio was 1:30.",
        "Progress 8 moved from -0.32 to 0.05 across 2021-2023.",
        "Dates 01/09/2023 to 20/07/2024.",
        # date of birth
        "Summer-born children, from 1 September 2023, had a longer settling-in.",
        "The pupils were born in 2016 and 2017.",
        "Children born between 1 April and 31 August 2017 were summer-born.",
        "We opened on 3 May 2016.",
        # named child
        "Year 6 pupils read daily, and every Year 6 pupil had a reading buddy.",
        "The child settled quickly; each child had a key adult.",
        "Pupils eligible for free school meals attended 88% of sessions.",
        "Our SENCo, Mrs Patel, trained the team with Mr Jones.",
        "Mrs Patel's mum was a governor here for years.",
        "We spent the pupil Premium grant and the Pupil Premium plus on tutors.",
        "Pupil A and Child B are anonymised; pupil X improved most.",
        "We are part of St Mary's family of schools.",
        "We work with Lambeth's family support team.",
        "A 31-pupil Northumberland school and a 1,180-pupil West Bromwich academy.",
        "A 1,980-student London secondary.",
        "Each child I spoke to agreed, and every pupil in Year 4 took part.",
        "Ofsted's report praised the school council.",
        "The pupil Voice survey ran in September; the student Council met on Monday.",
        "We gave boys, girls and staff the same survey.",
    ],
)
def test_ordinary_school_prose_is_not_flagged(text: str) -> None:
    assert found(text) == []


def test_the_demo_case_studies_raise_nothing() -> None:
    for path in sorted(DEMO_CASE_STUDIES.glob("*.md")):
        assert check({"text": path.read_text(encoding="utf-8")}, []) == [], path.name


@pytest.mark.parametrize(
    ("pupils", "flagged"),
    [(0, True), (1, True), (5, True), (6, False), (84, False), (None, False)],
)
def test_small_groups_in_the_impact_table_are_flagged(pupils: int | None, flagged: bool) -> None:
    warnings = check({}, [row("Attendance of pupils with EHCPs", pupils)])
    expected = [
        PrivacyWarning(
            "impact",
            "small-group",
            "Attendance of pupils with EHCPs",
            "A group of fewer than 6 pupils can identify children; "
            "combine groups or remove the row.",
        )
    ]
    assert warnings == (expected if flagged else [])


def test_warnings_follow_field_order_then_position() -> None:
    fields = {
        "title": "Helping Tom's mum get to school",
        "what-we-did": (
            "Ring 01234 567890 or email head@example.org. A pupil Jayden, UPN A123456789012."
        ),
        "impact": "The boy, Sam, said so.",
        "do-differently": "Email office@example.org sooner.",
    }
    warnings = check(fields, [row("Small group", 3)])
    assert [(w.field, w.kind) for w in warnings] == [
        ("title", "named-child"),
        ("what-we-did", "phone"),
        ("what-we-did", "email"),
        ("what-we-did", "named-child"),
        ("what-we-did", "upn"),
        ("impact", "named-child"),
        ("impact", "small-group"),
        ("do-differently", "email"),
    ]


def test_table_warnings_come_last_without_an_impact_field() -> None:
    warnings = check({"summary": "Email a@example.org."}, [row("A", 2), row("B", 40), row("C", 4)])
    assert [(w.field, w.excerpt) for w in warnings] == [
        ("summary", "a@example.org"),
        ("impact", "A"),
        ("impact", "C"),
    ]


def test_the_same_excerpt_is_reported_once_per_field() -> None:
    text = "Email a@example.org, or A@example.org, or b@example.org. Then a@example.org again."
    fields = {"what-we-did": text, "impact": "a@example.org"}
    warnings = check(fields, [row("Boys", 3), row("Boys", 4)])
    assert [(w.field, w.kind, w.excerpt) for w in warnings] == [
        ("what-we-did", "email", "a@example.org"),
        ("what-we-did", "email", "b@example.org"),
        ("impact", "email", "a@example.org"),
        ("impact", "small-group", "Boys"),
    ]


def test_a_name_is_reported_once_when_two_patterns_find_it() -> None:
    assert found("The pupil Jayden's mum called.") == [("named-child", "pupil Jayden")]


def test_excerpts_are_short() -> None:
    long_measure = "Attendance " * 20
    warnings = check({}, [row(long_measure, 2)])
    assert len(warnings[0].excerpt) <= 80 and warnings[0].excerpt.endswith("…")


@pytest.mark.parametrize("kind", sorted(MESSAGES))
def test_every_message_says_what_to_do(kind: str) -> None:
    message = MESSAGES[kind]
    assert message.endswith(".")
    assert any(action in message for action in ("Remove it", "remove the row", "Describe"))


def test_upn_message_explains_the_rule() -> None:
    (warning,) = check({"context": "UPN A123456789012"}, [])
    assert warning.message == (
        "This looks like a pupil's UPN (unique pupil number). Remove it: "
        "the Commons holds school-level information only."
    )


def test_nothing_personal_means_no_warnings() -> None:
    assert check({"title": "Breakfast and a phone call", "impact": "Attendance rose."}, [row()]) == []
