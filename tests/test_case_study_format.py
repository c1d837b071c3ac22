import pytest

from commons.domain.case_study_format import CaseStudyFormatError, parse
from tests.samples import source


def problems_of(text: str) -> list[str]:
    with pytest.raises(CaseStudyFormatError) as caught:
        parse(text, "cs.md", default_slug="cs")
    return [str(p) for p in caught.value.problems]


def test_a_valid_file_parses_into_fields_and_sections() -> None:
    parsed = parse(source(), "cs.md", default_slug="cs")
    assert parsed.slug == "cs"
    assert parsed.school_urn == 990003
    assert parsed.topics == ["attendance", "disadvantage"]
    assert (parsed.start_year, parsed.end_year) == (2022, 2024)
    assert parsed.evidence_strength == "internal data"
    assert parsed.authors == [{"name": "Ann Example", "role": "Headteacher"}]
    assert list(parsed.sections) == [
        "context", "challenge", "what-we-did", "active-ingredients",
        "expertise", "impact", "cost-and-time", "do-differently",
    ]


def test_a_missing_section_is_named() -> None:
    found = problems_of(source(drop_section="cost-and-time"))
    assert len(found) == 1
    assert "cs.md, line" in found[0] and "'## Cost and time' is missing" in found[0]


def test_bad_yaml_names_the_line() -> None:
    text = source(title='"unclosed quote')
    found = problems_of(text)
    assert found[0].startswith("cs.md, line ") and "front matter" in found[0]
    assert "not valid YAML" in found[0]


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("evidence_strength", "anecdote", "evidence_strength: 'anecdote' must be one of"),
        ("topics", "[reading, astrology]", "topics: 'astrology' is not a topic"),
        ("years", '"2024-2021"', "years: '2024-2021' must run forwards"),
        ("school_urn", "abc", "school_urn: 'abc' is not a URN"),
        ("published", '"last June"', "published: 'last June' must be a date"),
    ],
)
def test_bad_field_values_name_line_and_field(field: str, value: str, expected: str) -> None:
    text = source(**{field: value})
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith(f"{field}:"))
    found = problems_of(text)
    assert len(found) == 1
    assert found[0].startswith(f"cs.md, line {line}, {expected}")


def test_missing_required_field_and_unknown_field() -> None:
    text = source(summary=None, colour="blue")  # type: ignore[arg-type]
    found = problems_of(text)
    assert any("summary: is missing" in p for p in found)
    assert any("colour: is not a known field" in p for p in found)


def test_an_unknown_heading_and_an_empty_section_are_reported() -> None:
    text = source(sections={"impact": ""}).replace("## Cost and time", "## Costs")
    found = problems_of(text)
    assert any("'## Costs' is not a section of the template" in p for p in found)
    assert any("'## Impact and evidence' is empty" in p for p in found)
    assert any("'## Cost and time' is missing" in p for p in found)


def test_no_front_matter() -> None:
    assert problems_of("## Context\n\ntext") == [
        "cs.md, line 1, front matter: the file must start with a line '---', then the front matter, then '---'"
    ]
