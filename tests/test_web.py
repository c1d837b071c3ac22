"""The pages a teacher sees, and the bad input they might type."""

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from commons.db import db
from commons.models import CaseStudy

QUESTION = "how did a small rural primary improve attendance of disadvantaged pupils?"


@pytest.fixture(scope="module")
def web(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()


@pytest.fixture(scope="module")
def a_case_study(demo_app: Flask) -> CaseStudy:
    with demo_app.app_context():
        found = db.session.scalar(select(CaseStudy).order_by(CaseStudy.id).limit(1))
        assert found is not None
        return found


def test_home_explains_the_commons_and_offers_the_question_box(web: FlaskClient) -> None:
    page = web.get("/").get_data(as_text=True)
    assert "How did other schools improve?" in page
    assert 'name="q"' in page and "fictional" in page
    assert "CC BY 4.0" in page


def test_search_groups_passages_by_case_study_with_context_cards(web: FlaskClient) -> None:
    response = web.get("/search", query_string={"q": QUESTION})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('class="result"') == 10
    assert 'class="context-line"' in page and "pupils" in page and "FSM" in page
    assert "#p-" in page


def test_case_study_page_has_sections_anchors_context_and_licence(web: FlaskClient, a_case_study: CaseStudy) -> None:
    page = web.get(f"/case-studies/{a_case_study.slug}").get_data(as_text=True)
    for anchor in ("context", "challenge", "what-we-did", "active-ingredients", "expertise",
                   "impact", "cost-and-time", "do-differently"):
        assert f'id="{anchor}"' in page
    assert 'id="p-' in page
    assert "CC BY 4.0" in page and "Please credit it as" in page
    assert "Fictional school" in page


def test_school_page_lists_its_case_studies(web: FlaskClient, a_case_study: CaseStudy) -> None:
    page = web.get(f"/schools/{a_case_study.school_urn}").get_data(as_text=True)
    assert a_case_study.title.replace("'", "&#39;") in page


@pytest.mark.parametrize("path", ["/case-studies/no-such-thing", "/schools/1", "/nowhere"])
def test_missing_things_get_a_friendly_404(web: FlaskClient, path: str) -> None:
    response = web.get(path)
    assert response.status_code == 404
    assert "We couldn&#39;t find that page" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("", "Type a question to search the Commons"),
        ("   ", "Type a question to search the Commons"),
        ("?!... ---", "Your question has no words in it"),
        ("attendance " * 500, "we searched with its first 1,000"),
        ("如何提高农村小学的出勤率", "works best with questions in English"),
        ("как улучшить посещаемость", "works best with questions in English"),
    ],
)
def test_awkward_questions_get_a_helpful_page(web: FlaskClient, question: str, expected: str) -> None:
    response = web.get("/search", query_string={"q": question})
    assert response.status_code == 200
    assert expected in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/search?q=reading", "/nowhere"])
def test_every_page_carries_security_headers(web: FlaskClient, path: str) -> None:
    headers = web.get(path).headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


def test_cli_search_prints_the_same_top_results_as_the_web(demo_app: Flask, web: FlaskClient) -> None:
    result = demo_app.test_cli_runner().invoke(args=["search", QUESTION, "-n", "5"])
    assert result.exit_code == 0, result.output
    cli_slugs = [line.split("/case-studies/")[1].split("#")[0]
                 for line in result.output.splitlines() if "/case-studies/" in line]
    page = web.get("/search", query_string={"q": QUESTION}).get_data(as_text=True)
    web_slugs = []
    for chunk in page.split('<li class="result">')[1:]:
        web_slugs.append(chunk.split('href="/case-studies/')[1].split("#")[0])
    assert cli_slugs == web_slugs[:5]
    assert len(cli_slugs) == 5
