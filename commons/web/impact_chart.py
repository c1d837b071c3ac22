"""A case study's impact table drawn as a small bar chart, in SVG, on the server.

The chart sits beside the HTML table (which stays the full record) and shows, for each row
whose before and after values are both numbers, a pair of horizontal bars. Each pair is
scaled on its own, to the larger of the two values, or to 100 for percentages, so a row
about attendance and a row about pounds can share a chart without one flattening the other.

Why it is built this way:

* **No script and no inline styles.** The site's Content-Security-Policy forbids both, so
  the chart uses presentation attributes (``fill``, ``font-size``) and works without
  JavaScript.
* **Accessible.** The ``<svg>`` is ``role="img"``, labelled by its ``<title>`` and a
  ``<desc>`` that says every charted row in words ("Persistent absence: 24% before, 11%
  after (2022–2024, 84 pupils)."). The numbers are printed beside the bars, so nothing
  depends on colour or bar length, and both colours pass WCAG AA contrast on white.
* **Safe.** Every piece of text passes through :func:`markupsafe.escape`.

Values are read as written by the author: ``88%``, ``24``, ``3.2``, ``£1,200``, ``+0.4``.
Rows with a value that is not a number, is negative, or whose two values have different
units (``88%`` and ``94``) are left out of the chart.
"""

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
PADDING = 8
ROW_HEIGHT = 84  # a measure label and two bars
LABEL_BASELINE = 18  # of the measure label, from the top of its row
BAR_TOP = 28  # of the before bar, from the top of its row
BAR_HEIGHT = 20
BAR_GAP = 6
BAR_X = 64  # bars start after their "Before" / "After" labels
BAR_MAX_WIDTH = 440  # leaves room for the value ("£12,345,678") after the longest bar
VALUE_GAP = 6
TEXT_BASELINE = 15  # of text beside a bar, from the bar's top
HEADING_LIMIT = 76  # characters of a row's visible heading; the <desc> always has it all

FONT = 'font-family="system-ui, -apple-system, Segoe UI, Arial, sans-serif"'
TEXT_COLOUR = "#0b0c0c"
BAR_COLOURS = {"Before": "#505a5f", "After": "#1d70b8"}
PERCENT_SCALE = 100.0

# An optional currency sign, a number with optional thousands commas and decimals, and an
# optional per cent sign. No minus: a negative value cannot be drawn as a bar from zero.
VALUE_PATTERN = re.compile(
    r"(?P<currency>[£$€]?)\s*\+?(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"\s*(?P<percent>%?)"
)


@dataclass(frozen=True)
class ChartRow:
    """One row of the impact table that can be drawn: its text as written and its numbers."""

    measure: str
    before: str
    after: str
    period: str
    pupils: int | None
    before_value: float
    after_value: float
    scale: float  # the value that a full-length bar stands for


def impact_svg(rows: Sequence[Mapping[str, object]], title: str) -> Markup:
    """The impact table ``rows`` as an accessible SVG chart titled ``title``.

    Each row has measure, before, after, period and pupils. Returns ``Markup("")`` when no
    row has numbers to draw.
    """
    chartable = [row for row in map(chart_row, rows) if row is not None]
    if not chartable:
        return Markup("")
    ident = _chart_id(title, chartable)
    height = 2 * PADDING + ROW_HEIGHT * len(chartable)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="impact-chart" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" {FONT} font-size="15" fill="{TEXT_COLOUR}">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(" ".join(map(describe, chartable)))}</desc>',
        *(_row_svg(row, PADDING + ROW_HEIGHT * i) for i, row in enumerate(chartable)),
        "</svg>",
    ]
    return Markup("\n".join(parts))  # nosec B704 - numbers and escaped text only


def chart_row(row: Mapping[str, object]) -> ChartRow | None:
    """``row`` ready to draw, or None when its before and after are not comparable numbers."""
    before, after = str(row.get("before") or "").strip(), str(row.get("after") or "").strip()
    parsed_before, parsed_after = parse_value(before), parse_value(after)
    if parsed_before is None or parsed_after is None or parsed_before[1] != parsed_after[1]:
        return None
    (before_value, unit), (after_value, _) = parsed_before, parsed_after
    larger = max(before_value, after_value)
    pupils = row.get("pupils")
    return ChartRow(
        measure=str(row.get("measure") or "").strip(),
        before=before,
        after=after,
        period=str(row.get("period") or "").strip(),
        pupils=pupils if isinstance(pupils, int) and not isinstance(pupils, bool) else None,
        before_value=before_value,
        after_value=after_value,
        scale=max(larger, PERCENT_SCALE) if unit.endswith("%") else larger,
    )


def parse_value(text: str) -> tuple[float, str] | None:
    """``text`` as (number, unit), e.g. "£1,200" -> (1200.0, "£"), "88%" -> (88.0, "%")."""
    match = VALUE_PATTERN.fullmatch(text.strip())
    if match is None:
        return None
    number = float(match["number"].replace(",", ""))
    return number, match["currency"] + match["percent"]


def describe(row: ChartRow) -> str:
    """The row in words: "Persistent absence: 24% before, 11% after (2022–2024, 84 pupils)."."""
    sentence = f"{row.measure}: {row.before} before, {row.after} after"
    context = _context(row)
    return f"{sentence} ({context})." if context else f"{sentence}."


def _context(row: ChartRow) -> str:
    """When and for how many: "2022–2024, 84 pupils", either part, or ""."""
    pupils = "" if row.pupils is None else f"{row.pupils:,} pupil{'' if row.pupils == 1 else 's'}"
    return ", ".join(part for part in (row.period, pupils) if part)


def _chart_id(title: str, rows: list[ChartRow]) -> str:
    """An id for the title and desc, stable for the same chart and distinct between charts."""
    digest = hashlib.sha1(repr((title, rows)).encode(), usedforsecurity=False).hexdigest()
    return f"impact-chart-{digest[:10]}"


def _row_svg(row: ChartRow, top: int) -> str:
    """The measure (bold) with its context, then the before and after bars."""
    context = _fit(_context(row), HEADING_LIMIT // 2)
    room = HEADING_LIMIT - len(context) - 3 if context else HEADING_LIMIT  # 3 for " ()"
    heading = f'<tspan font-weight="bold">{escape(_fit(row.measure, room))}</tspan>'
    if context:
        heading += f" ({escape(context)})"
    after_top = top + BAR_TOP + BAR_HEIGHT + BAR_GAP
    return "\n".join(
        [
            f'<text x="0" y="{top + LABEL_BASELINE}">{heading}</text>',
            _bar("Before", row.before, row.before_value, row.scale, top + BAR_TOP),
            _bar("After", row.after, row.after_value, row.scale, after_top),
        ]
    )


def _fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bar(name: str, shown: str, value: float, scale: float, top: int) -> str:
    """A labelled bar: its name on the left, the bar, and the value as written after it."""
    width = BAR_MAX_WIDTH * value / scale if scale else 0.0
    baseline = top + TEXT_BASELINE
    return (
        f'<text x="0" y="{baseline}">{name}</text>'
        f'<rect class="impact-bar-{name.lower()}" x="{BAR_X}" y="{top}" width="{width:.1f}" '
        f'height="{BAR_HEIGHT}" fill="{BAR_COLOURS[name]}"/>'
        f'<text x="{BAR_X + width + VALUE_GAP:.1f}" y="{baseline}">{escape(shown)}</text>'
    )
