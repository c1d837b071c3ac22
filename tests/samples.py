"""Valid case-study source text for tests, with hooks to break it in one place."""

from pathlib import Path

from commons.domain.vocabulary import SECTIONS

BODY = {
    "context": "We are a village primary of 38 pupils in two mixed-age classes.",
    "challenge": "Attendance of pupils eligible for free school meals was 88% in 2021/22.",
    "what-we-did": "We phoned families on the first morning of any absence and ran a breakfast club.",
    "active-ingredients": "A named adult who knows the family, and a same-day call.",
    "expertise": "A family support worker with ten years' experience of rural poverty.",
    "impact": "FSM attendance rose from 88% to 94% (2023/24, 9 pupils).",
    "cost-and-time": "About £2,400 a year and two hours of staff time a week.",
    "do-differently": "We would involve governors earlier and share the data termly.",
}


def front_matter(slug: str = "sample", urn: int = 990003, **overrides: str) -> dict[str, str]:
    fields = {
        "title": '"Breakfast and a phone call: attendance in a village school"',
        "school_urn": str(urn),
        "summary": '"A same-day phone call and a breakfast club lifted attendance."',
        "topics": "[attendance, disadvantage]",
        "years": '"2022-2024"',
        "evidence_strength": "internal data",
        "authors": '\n  - name: "Ann Example"\n    role: "Headteacher"',
        "published": "2024-07-01",
    }
    fields.update(overrides)
    return fields


def source(
    slug: str = "sample",
    urn: int = 990003,
    sections: dict[str, str] | None = None,
    drop_section: str | None = None,
    **fields: str,
) -> str:
    lines = ["---"]
    for key, value in front_matter(slug, urn, **fields).items():
        if value is not None:
            lines.append(f"{key}: {value}")
    lines.append("---")
    body = dict(BODY, **(sections or {}))
    for key, heading in SECTIONS:
        if key == drop_section:
            continue
        lines += ["", f"## {heading}", "", body[key]]
    return "\n".join(lines) + "\n"


def write(folder: Path, slug: str = "sample", **kwargs: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.md"
    path.write_text(source(slug, **kwargs), encoding="utf-8")  # type: ignore[arg-type]
    return path
