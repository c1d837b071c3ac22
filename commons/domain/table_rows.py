"""Table rows in a snippet, shown as rows.

A passage's searched text is its Markdown flattened: a table row such as
``| Persistent absence | 24% (20 of 83) | 11% (9 of 82) |`` becomes the line
"Persistent absence 24% (20 of 83) 11% (9 of 82)", and a snippet made of such lines runs
the cells together. :func:`snippet_table` finds the rows of the passage's tables that a
snippet shows and gives them back as cells, with the header of their table, so a page can
show them as a small table instead.
"""

import re
from dataclasses import dataclass

from indexer.text import markdown_to_text

_ROW = re.compile(r"^\s*\|.*\|\s*$")
_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
MAX_ROWS = 4


@dataclass(frozen=True)
class SnippetTable:
    header: list[str]
    rows: list[list[str]]


def _cells(line: str) -> list[str]:
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [markdown_to_text(cell).replace("\n", " ").strip() for cell in inner.split("|")]


def _tables(markdown: str) -> list[tuple[list[str], list[list[str]]]]:
    """Each Markdown table of a passage: its header cells and its body rows' cells."""
    tables: list[tuple[list[str], list[list[str]]]] = []
    lines = markdown.splitlines()
    i = 0
    while i + 1 < len(lines):
        if _ROW.match(lines[i]) and _RULE.match(lines[i + 1]):
            header, rows = _cells(lines[i]), []
            i += 2
            while i < len(lines) and _ROW.match(lines[i]):
                rows.append(_cells(lines[i]))
                i += 1
            tables.append((header, rows))
        else:
            i += 1
    return tables


def snippet_table(markdown: str, snippet_text: str) -> SnippetTable | None:
    """The table rows a snippet shows, with their table's header; None when it shows no table row.

    Only one table's rows are given (the first table the snippet reaches), at most :data:`MAX_ROWS`.
    """
    if "|" not in markdown:
        return None
    flat = " ".join(snippet_text.split())
    for header, rows in _tables(markdown):
        shown = [row for row in rows if " ".join(" ".join(row).split()) in flat and any(row)]
        if shown:
            return SnippetTable([c for c in header], [r[:len(header)] for r in shown[:MAX_ROWS]])
    return None
