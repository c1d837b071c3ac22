"""Results a busy teacher can read: title, school and summary first, at most two passages, one link,
table rows shown as rows, and only the words that matter marked."""

import re

import pytest
from flask import Flask

from commons.db import db
from commons.domain.table_rows import snippet_table
from commons.services.demo import load_demo
from indexer import Embedder
from indexer.snippets import make_snippet

RESULT = re.compile(r'<li class="result">\s*<article id="answer-\d+" aria-labelledby="result-\d+">(.*?)</article>',
                    re.S)
QUESTION = "persistent absence all pupils before and after in a moorland primary"


@pytest.fixture
def demo(app: Flask, app_embedder: Embedder) -> Flask:
    with app.app_context():
        load_demo(db.session, app_embedder)
    return app


def test_each_result_leads_with_title_school_and_summary_then_at_most_two_passages_and_one_link(demo: Flask) -> None:
    page = demo.test_client().get("/search", query_string={"q": QUESTION}).get_data(as_text=True)
    results = RESULT.findall(page)
    assert results
    for result in results:
        title = result.index("<h3")
        school = result.index('class="context-line"')
        summary = result.index('class="result__summary"')
        passages = result.find('class="passages"')
        assert title < school < summary < passages
        assert result.count('class="passage-hit"') <= 2
        links = re.findall(r'href="(/case-studies/[^"#]+)', result)
        assert len(links) == 1, links  # one link to the case study, not one per passage
        assert "Read this passage" not in result


def test_a_snippet_from_an_impact_table_is_shown_as_table_rows(demo: Flask) -> None:
    page = demo.test_client().get("/search", query_string={"q": QUESTION}).get_data(as_text=True)
    assert '<table class="snippet-table" tabindex="0">' in page  # it scrolls on a phone: keyboard access
    assert ('<th scope="row">Persistent absence (all pupils)</th><td>24% (20 of 83)</td><td>11% (9 of 82)</td>'
            in page)
    assert "Persistent absence (all pupils) 24% (20 of 83) 11% (9 of 82)" not in page


def test_snippet_table_finds_the_rows_a_snippet_shows_with_their_header() -> None:
    markdown = ("Attendance rose.\n\n| Measure | 2021/22 | 2023/24 |\n|---|---|---|\n"
                "| Persistent absence (all pupils) | 24% (20 of 83) | 11% (9 of 82) |\n"
                "| Sessions lost to **holidays** | 212 | 96 |\n\nThat is our own data.")
    shown = snippet_table(markdown, "… Persistent absence (all pupils) 24% (20 of 83) 11% (9 of 82) "
                                    "Sessions lost to holidays 212 96 …")
    assert shown is not None
    assert shown.header == ["Measure", "2021/22", "2023/24"]
    assert shown.rows == [["Persistent absence (all pupils)", "24% (20 of 83)", "11% (9 of 82)"],
                          ["Sessions lost to holidays", "212", "96"]]
    assert snippet_table(markdown, "Attendance rose.") is None
    assert snippet_table("No table | here", "No table | here") is None


@pytest.mark.parametrize(("question", "marked"), [
    ("how do we get pupils to school", ["pupils", "school"]),
    ("HOW DO WE GET TO SCHOOL", ["school"]),
    ("help with PE kit in Y6", ["PE", "kit", "Y6"]),
    ("what works to improve how pupils get to school", ["pupils", "school"]),
])
def test_only_the_words_that_matter_are_marked(question: str, marked: list[str]) -> None:
    text = ("Some pupils found it hard to get to school, which worked against improving. To help, PE kit was lent "
            "to pupils in Y6 to use.")
    snippet = make_snippet(text, question)
    found = [f.text for f in snippet.fragments if f.marked]
    assert sorted(set(found)) == sorted(marked)
    assert not {"to", "To", "get", "help", "use", "worked", "improving"} & set(found)
