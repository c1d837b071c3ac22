"""The impact chart: well-formed, accessible, escaped, free of inline styles, and to scale."""

import xml.etree.ElementTree as ET

import pytest
from markupsafe import Markup

from commons.web.impact_chart import BAR_MAX_WIDTH, impact_svg, parse_value

SVG = "{http://www.w3.org/2000/svg}"
ABSENCE = {
    "measure": "Persistent absence",
    "before": "24%",
    "after": "11%",
    "period": "2022–2024",
    "pupils": 84,
}
COST = {"measure": "Cost per pupil", "before": "£1,200", "after": "£800", "period": "", "pupils": None}
UNCHARTABLE = [
    {"measure": "Parents' view", "before": "mixed", "after": "positive", "period": "", "pupils": 40},
    {"measure": "Units differ", "before": "88%", "after": "94", "period": "", "pupils": 40},
    {"measure": "Negative", "before": "-0.32", "after": "0.05", "period": "", "pupils": 120},
    {"measure": "Missing", "before": "", "after": "3", "period": "", "pupils": None},
    {"measure": "Not given", "period": "", "pupils": None},
]


def parsed(rows: list[dict], title: str = "Impact") -> ET.Element:
    return ET.fromstring(str(impact_svg(rows, title)))


def bar_width(svg: ET.Element, which: str, row: int = 0) -> float:
    bars = svg.findall(f"{SVG}rect[@class='impact-bar-{which}']")
    return float(bars[row].get("width", ""))


def test_the_chart_is_well_formed_labelled_svg() -> None:
    svg = parsed([ABSENCE, COST], "What changed")
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    assert svg.get("viewBox", "").startswith("0 0 640 ")
    title_id, desc_id = svg.get("aria-labelledby", "").split()
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert (title.get("id"), title.text) == (title_id, "What changed")
    assert desc.get("id") == desc_id


def test_the_description_says_each_row_in_words() -> None:
    desc = parsed([ABSENCE, COST]).find(f"{SVG}desc")
    assert desc is not None and desc.text == (
        "Persistent absence: 24% before, 11% after (2022–2024, 84 pupils). "
        "Cost per pupil: £1,200 before, £800 after."
    )


def test_the_numbers_are_printed_beside_the_bars() -> None:
    texts = ["".join(t.itertext()) for t in parsed([ABSENCE]).iter(f"{SVG}text")]
    assert texts == ["Persistent absence (2022–2024, 84 pupils)", "Before", "24%", "After", "11%"]


def test_long_headings_are_shortened_but_described_in_full() -> None:
    long = {**ABSENCE, "measure": "Pupils reading at the expected standard " * 4}
    svg = parsed([long])
    heading = "".join(next(svg.iter(f"{SVG}text")).itertext())
    assert len(heading) <= 76 and "…" in heading and heading.endswith("(2022–2024, 84 pupils)")
    desc = svg.find(f"{SVG}desc")
    assert desc is not None and desc.text and long["measure"].strip() in desc.text


def test_hostile_text_comes_out_escaped() -> None:
    hostile = {**ABSENCE, "measure": "<script>alert(1)</script>", "before": "24%"}
    markup = impact_svg([hostile], 'Impact "&" <b>more</b>')
    assert "<script" not in markup and "<b>" not in markup
    svg = ET.fromstring(str(markup))
    assert svg.find(f".//{SVG}script") is None
    assert "<script>alert(1)</script>" in "".join(svg.itertext())
    title = svg.find(f"{SVG}title")
    assert title is not None and title.text == 'Impact "&" <b>more</b>'


def test_there_is_no_inline_style_or_script() -> None:
    markup = impact_svg([ABSENCE, COST], "Impact")
    svg = ET.fromstring(str(markup))
    assert all("style" not in element.attrib for element in svg.iter())
    assert not any(element.tag in {f"{SVG}style", f"{SVG}script"} for element in svg.iter())
    assert "style=" not in markup and "<script" not in markup


def test_bars_use_the_house_colours() -> None:
    svg = parsed([ABSENCE])
    fills = {rect.get("class"): rect.get("fill") for rect in svg.iter(f"{SVG}rect")}
    assert fills == {"impact-bar-before": "#505a5f", "impact-bar-after": "#1d70b8"}


def test_bar_widths_reflect_the_values() -> None:
    svg = parsed([ABSENCE, COST])
    assert bar_width(svg, "after") < bar_width(svg, "before")
    # Percentages are drawn on a 0-100 scale; other values against the larger of the pair.
    assert bar_width(svg, "before") == pytest.approx(0.24 * BAR_MAX_WIDTH, abs=0.1)
    assert bar_width(svg, "after") == pytest.approx(0.11 * BAR_MAX_WIDTH, abs=0.1)
    assert bar_width(svg, "before", 1) == pytest.approx(BAR_MAX_WIDTH)
    assert bar_width(svg, "after", 1) == pytest.approx(BAR_MAX_WIDTH * 800 / 1200, abs=0.1)


def test_zero_values_draw_empty_bars() -> None:
    svg = parsed([{**COST, "before": "0", "after": "0"}])
    assert bar_width(svg, "before") == bar_width(svg, "after") == 0


def test_the_height_grows_with_the_rows() -> None:
    heights = [float(parsed([ABSENCE] * n).get("height", "")) for n in (1, 2, 3)]
    assert heights[0] < heights[1] < heights[2]
    assert parsed([ABSENCE] * 3).get("viewBox") == f"0 0 640 {heights[2]:g}"


@pytest.mark.parametrize("row", UNCHARTABLE, ids=lambda row: row["measure"])
def test_an_unchartable_row_gives_empty_markup(row: dict) -> None:
    result = impact_svg([row], "Impact")
    assert isinstance(result, Markup) and result == ""


def test_unchartable_rows_are_left_out_of_a_chart() -> None:
    svg = parsed([UNCHARTABLE[0], ABSENCE, UNCHARTABLE[1]])
    desc = svg.find(f"{SVG}desc")
    assert desc is not None and desc.text and desc.text.startswith("Persistent absence:")
    assert "Parents' view" not in desc.text and "Units differ" not in desc.text
    assert len(svg.findall(f"{SVG}rect")) == 2


def test_no_rows_give_empty_markup() -> None:
    assert impact_svg([], "Impact") == Markup("")


def test_different_charts_have_different_ids() -> None:
    first, second = parsed([ABSENCE]), parsed([COST])
    assert first.get("aria-labelledby") != second.get("aria-labelledby")
    assert impact_svg([ABSENCE], "Impact") == impact_svg([ABSENCE], "Impact")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("88%", (88.0, "%")),
        (" 94.5% ", (94.5, "%")),
        ("94.5 %", (94.5, "%")),
        ("£ 800", (800.0, "£")),
        ("24", (24.0, "")),
        ("3.2", (3.2, "")),
        ("+0.4", (0.4, "")),
        ("£1,200", (1200.0, "£")),
        ("£1,200.50", (1200.5, "£")),
        ("12,345,678", (12345678.0, "")),
        ("1,2", None),
        ("-3", None),
        ("n/a", None),
        ("", None),
        ("12 pupils", None),
    ],
)
def test_values_are_read_as_written(text: str, expected: tuple[float, str] | None) -> None:
    assert parse_value(text) == expected
