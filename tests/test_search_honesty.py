"""Search a teacher can trust, on every surface: answers are counted and shown apart from the
nearest non-answers, what was read in the question is shown and can be undone, and the API and
the CLI give the same object.

The first tests use the fast stand-in model (they test the page, not the ranking); those on the
demo commons use the real model, since they depend on what answers.
"""

import html
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from commons.models import Collection
from commons.search.engine import search
from commons.search.extension import search_index
from commons.search.reading import KINDS
from commons.services import follows
from commons.services.collections import current_case_studies, smart_results
from tests.accounts import csrf_token

QUESTION = "how did a small rural primary improve attendance of disadvantaged pupils?"
GIBBERISH = "asdfghjkl qwerty"
NOTHING = "Nothing in the Commons answers this closely yet"


def _page(client: FlaskClient, url: str, **query: Any) -> str:
    response = client.get(url, query_string=query or None)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _links(page: str, text: str) -> list[str]:
    """The href of every link whose content contains ``text`` (markup and entities removed)."""
    found = []
    for href, body in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>(.*?)</a>', page, re.S):
        if text in html.unescape(re.sub(r"<[^>]+>", "", body)):
            found.append(html.unescape(href))
    return found


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _chips(page: str) -> list[str]:
    """The context parts shown as removable, by their visible label."""
    return [html.unescape(label) for label in re.findall(
        r'<a class="chip"[^>]*aria-label="Remove ‘[^"]*’ from how we read your question">(.*?) <span', page)]


def _answers_heading(page: str) -> str:
    match = re.search(r'<h2 class="results-heading">(.*?)</h2>', page, re.S)
    assert match, "no results heading"
    return html.unescape(match.group(1))


# --- The page, with the fast model --------------------------------------------------------------


def test_reading_this_as_shows_each_part_with_a_link_that_undoes_it_and_one_that_puts_it_back(
        client: FlaskClient) -> None:
    page = _page(client, "/search", q=QUESTION, context="2", phase="primary")
    assert "Reading this as:" in page and "a small rural primary" in page
    assert _chips(page) == ["small", "rural", "primary"]
    assert 'aria-label="Remove ‘rural’ from how we read your question"' in html.unescape(page)
    # this commons holds nothing, so no answers are ordered and the page does not say they are
    assert NOTHING in page and "Answers are ordered for a school like the one you describe" not in page

    remove_rural = next(u for u in _links(page, "rural") if "ignore=setting" in u)
    assert _query(remove_rural) == {"q": [QUESTION], "context": ["2"], "phase": ["primary"], "ignore": ["setting"]}
    undone = _page(client, remove_rural)
    assert _chips(undone) == ["small", "primary"]
    assert "a small primary" in undone and "rural" in undone.split("Searched as words")[1]
    # the search form keeps the undone part when a filter changes
    assert '<input type="hidden" name="ignore" value="setting" data-reading>' in undone

    remove_size = next(u for u in _links(undone, "small") if "ignore=size" in u)
    assert sorted(_query(remove_size)["ignore"]) == ["setting", "size"]
    both = _page(client, remove_size)
    assert _chips(both) == ["primary"]

    put_back = _links(both, "Put back")
    assert len(put_back) == 2
    rural_back = next(u for u in put_back if _query(u).get("ignore") == ["size"])
    assert sorted(_chips(_page(client, rural_back))) == ["primary", "rural"]


def test_search_the_words_exactly_as_typed_and_read_again(client: FlaskClient) -> None:
    page = _page(client, "/search", q=QUESTION)
    [exact] = _links(page, "Search the words exactly as typed")
    assert _query(exact) == {"q": [QUESTION], "read": ["0"]}
    as_typed = _page(client, exact)
    assert "Searching the words exactly as typed." in as_typed and _chips(as_typed) == []
    assert '<input type="hidden" name="read" value="0" data-reading>' in as_typed
    [again] = _links(as_typed, "Read my question again")
    assert _query(again) == {"q": [QUESTION]}
    assert _chips(_page(client, again)) == ["small", "rural", "primary"]


def test_unknown_kinds_to_ignore_are_dropped_not_fatal(client: FlaskClient) -> None:
    page = _page(client, "/search", q=QUESTION, ignore="colour", read="maybe")
    assert _chips(page) == ["small", "rural", "primary"]
    assert 'name="ignore"' not in page


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("small rural primary", "Add what you want to know"),
        ("PP", "We also searched for: PP → pupil premium"),
        ("attendance " * 455, "we searched with its first 1,000"),
        ("x" * 5000, "we searched with its first 1,000"),
        ("如何提高农村小学的出勤率", "works best with questions in English"),
        ("?!", "Your question has no words in it"),
    ],
)
def test_bad_input_gets_a_clear_page(client: FlaskClient, question: str, expected: str) -> None:
    page = html.unescape(_page(client, "/search", q=question))
    assert expected in page
    assert "Traceback" not in page


def test_a_question_that_is_only_context_says_what_was_read_and_what_to_add(client: FlaskClient) -> None:
    page = html.unescape(_page(client, "/search", q="small rural primary"))
    assert "Reading this as:" in page and "a small rural primary" in page
    assert "Add what you want to know" in page and "small rural primary: how do we improve attendance?" in page
    assert NOTHING not in page and 'class="results-heading"' not in page
    assert "Answers are ordered" not in page
    # the schools it describes can be browsed: the listing with the filters the description gives
    browse = _links(page, "Browse the case studies from schools like this")
    assert browse and parse_qs(urlsplit(browse[0]).query) == {"phase": ["primary"], "setting": ["rural"]}
    listing = html.unescape(_page(client, browse[0]))
    assert "Rural" in listing or "rural" in listing
    high = _links(html.unescape(_page(client, "/search", q="a large secondary, lots of pupil premium")),
                  "Browse the case studies from schools like this")
    assert high and parse_qs(urlsplit(high[0]).query) == {"phase": ["secondary"], "fsm_band": ["35-100"]}


def test_an_empty_commons_says_nothing_answers_and_invites_the_network_and_authors(client: FlaskClient) -> None:
    page = html.unescape(_page(client, "/search", q="attendance"))
    assert NOTHING in page
    assert _links(page, "Ask your network") == ["/hubs"]
    assert [u for u in _links(page, "Find leaders") if "?" in u] == ["/peers?q=attendance"]
    assert _links(page, "Write it up for the Commons") == ["/author"]


def test_api_validates_read_and_ignore(client: FlaskClient) -> None:
    bad = client.get("/api/v1/search?q=attendance&ignore=colour")
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_parameter"
    assert "setting" in bad.get_json()["message"]
    assert client.get("/api/v1/search?q=attendance&read=2").status_code == 400
    assert client.get("/api/v1/search?q=attendance&read=yes").status_code == 400

    read = client.get("/api/v1/search", query_string={"q": QUESTION}).get_json()["read_as"]
    assert [part["kind"] for part in read["context"]] == ["size", "setting", "phase"]
    assert read["summary"] == "a small rural primary" and read["read"] is True
    assert read["context_source"] == "question" and "rural" not in read["topic"]
    assert all(set(e) == {"term", "means"} for e in read["expansions"])

    undone = client.get("/api/v1/search", query_string=[("q", QUESTION), ("ignore", "setting"),
                                                        ("ignore", "size")]).get_json()["read_as"]
    assert [part["kind"] for part in undone["context"]] == ["phase"] and "rural" in undone["topic"]

    as_typed = client.get("/api/v1/search", query_string={"q": QUESTION, "read": "0"}).get_json()["read_as"]
    assert as_typed == {"read": False, "topic": QUESTION, "context": [], "summary": "", "expansions": [],
                        "searched_as": [], "context_source": None, "asks_about_rules": None}

    jargon = client.get("/api/v1/search?q=PP").get_json()["read_as"]
    assert jargon["expansions"] == [{"term": "PP", "means": "pupil premium"}]


def test_the_openapi_document_describes_the_new_fields_and_parameters(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    parameters = {p["name"]: p for p in document["paths"]["/api/v1/search"]["get"]["parameters"]}
    assert parameters["ignore"]["schema"]["items"]["enum"] == list(KINDS) and parameters["ignore"]["explode"]
    assert parameters["read"]["schema"]["enum"] == [0, 1]
    schemas = document["components"]["schemas"]
    result = schemas["SearchResults"]["properties"]["results"]["items"]["allOf"][1]["properties"]
    assert result["relevance"]["maximum"] == 1 and result["answers"]["type"] == "boolean"
    assert set(schemas["ReadAs"]["required"]) >= {"topic", "context", "summary", "expansions", "context_source"}


# --- On the demo commons, with the real model ---------------------------------------------------


@pytest.fixture(scope="module")
def web(demo_app: Flask) -> FlaskClient:
    return demo_app.test_client()


def test_the_heading_counts_only_the_answers(web: FlaskClient) -> None:
    page = _page(web, "/search", q=QUESTION)
    shown = page.count('<li class="result">')
    assert shown >= 1
    heading = _answers_heading(page)
    answers = int(heading.split()[0])  # every answer counts, those on later pages ("More results") too
    assert heading == f"{answers} case stud{'y answers' if answers == 1 else 'ies answer'} “{QUESTION}”"
    assert answers >= shown and ((answers > shown) == ("More results" in page))
    assert NOTHING not in page


def test_nearest_results_are_shown_after_the_answers_and_never_as_answers(web: FlaskClient) -> None:
    """Some demo question has answers and near misses; the near misses are in their own section."""
    for question in ("PP", "reducing teacher marking workload without losing feedback quality", "attendance"):
        page = _page(web, "/search", q=question)
        if 'class="result result--nearest"' in page:
            break
    else:
        pytest.skip("no demo question here has both answers and near misses")
    answers_part, near_part = page.split('<section class="nearest"')
    assert '<li class="result">' in answers_part and 'result--nearest' not in answers_part
    assert "Also near, but not close answers" in near_part
    assert near_part.count("Not a close match") == near_part.count('class="result result--nearest"')
    answers = answers_part.count('<li class="result">')
    assert _answers_heading(page).startswith(f"{answers} case stud")


def test_gibberish_answers_nothing_and_shows_the_nearest_apart_with_an_invitation(web: FlaskClient) -> None:
    page = html.unescape(_page(web, "/search", q=GIBBERISH))
    assert '<li class="result">' not in page and 'class="results-heading"' not in page
    assert NOTHING in page
    nearest = page.count('class="result result--nearest"')
    assert 1 <= nearest <= 3
    assert "Nearest we have" in page and page.count("Not a close match") == nearest
    assert page.index(NOTHING) < page.index("Nearest we have") < page.index("Ask your network")
    assert _links(page, "Ask your network") == ["/hubs"]
    assert [u for u in _links(page, "Find leaders") if "?" in u] == [f"/peers?q={GIBBERISH.replace(' ', '+')}"]
    assert _links(page, "Write it up for the Commons") == ["/author"]


def test_with_my_school_set_the_page_says_whose_school_ranks(demo_app: Flask) -> None:
    client = demo_app.test_client()
    client.post("/my-school", data={"csrf_token": csrf_token(client), "urn": "990003"})
    page = html.unescape(re.sub(r"<[^>]+>", "", _page(client, "/search", q=QUESTION)))
    assert re.search(r"Ranked for your school, .+ \(set in My school\); the school described in your question "
                     r"is shown but not used\.", page)
    assert "Answers are ordered for a school like the one you describe" not in page
    anonymous = html.unescape(_page(demo_app.test_client(), "/search", q=QUESTION))
    assert "Answers are ordered for a school like the one you describe" in anonymous


def test_control_characters_in_a_question_are_not_shown_back(web: FlaskClient) -> None:
    page = _page(web, "/search", q="\x00Can teachers be\x07 required to do lunchtime duty?")
    assert "\x00" not in page and "\x07" not in page
    assert 'value="Can teachers be required to do lunchtime duty?"' in page


def test_a_question_in_another_language_gets_one_notice_not_two_that_disagree(web: FlaskClient) -> None:
    notices = _api(web, "如何提高农村小学的出勤率")["notices"]
    assert any(n.startswith("The case studies in the Commons are written in English") for n in notices)
    assert not any("very common words" in n for n in notices)


def _api(client: FlaskClient, question: str, **more: Any) -> dict[str, Any]:
    response = client.get("/api/v1/search", query_string={"q": question, **more})
    assert response.status_code == 200
    data: dict[str, Any] = response.get_json()
    return data


def test_api_results_carry_relevance_and_whether_they_answer_answers_first(web: FlaskClient) -> None:
    for question in (QUESTION, GIBBERISH, "PP"):
        data = _api(web, question, limit=12)
        flags = [r["answers"] for r in data["results"]]
        assert flags == sorted(flags, reverse=True), "answers first, then the nearest"
        for r in data["results"]:
            assert isinstance(r["answers"], bool) and isinstance(r["relevance"], float)
            assert 0.0 <= r["relevance"] <= 1.0 and round(r["relevance"], 4) == r["relevance"]
    assert not any(r["answers"] for r in _api(web, GIBBERISH)["results"])
    assert _api(web, QUESTION)["read_as"]["context_source"] == "question"
    assert _api(web, QUESTION, school=990003)["read_as"]["context_source"] == "school"
    assert _api(web, GIBBERISH)["read_as"]["context_source"] is None


def test_cli_json_is_the_api_object_for_the_same_question(demo_app: Flask) -> None:
    result = demo_app.test_cli_runner().invoke(args=["search", "--json", QUESTION, "-n", "5"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert {"question", "read_as", "results"} <= set(printed)
    assert all({"slug", "title", "relevance", "answers"} <= set(r) for r in printed["results"])
    api = demo_app.test_client().get("/api/v1/search", query_string={"q": QUESTION, "limit": 5},
                                     base_url=demo_app.config["COMMONS_PUBLIC_URL"]).get_json()
    assert printed == api


def test_cli_plain_text_says_what_it_read_and_when_nothing_answers(demo_app: Flask) -> None:
    runner = demo_app.test_cli_runner()
    read = runner.invoke(args=["search", QUESTION, "-n", "3"])
    assert read.exit_code == 0 and "Reading this as: a small rural primary · topic:" in read.output
    nothing = runner.invoke(args=["search", GIBBERISH])
    assert nothing.exit_code == 0
    assert "Nothing in the Commons answers this closely yet. Nearest we have:" in nothing.output
    assert nothing.output.count("(not a close match)") == len(re.findall(r"^\d+\. ", nothing.output, re.M)) >= 1


def test_collections_feeds_and_find_leaders_list_only_answers(demo_app: Flask, web: FlaskClient) -> None:
    with demo_app.app_context():
        from commons.db import db

        state = search_index.state
        nothing = Collection(title="Nothing", smart_query=f"q={GIBBERISH.replace(' ', '+')}", smart_limit=10)
        assert smart_results(db.session, state, nothing).results == []
        assert current_case_studies(db.session, state, nothing) == []
        attendance = Collection(title="Attendance", smart_query="q=attendance", smart_limit=10)
        found = smart_results(db.session, state, attendance)
        assert found.results and all(r.answers for r in found.results)
        assert follows.entries(db.session, state, "search", f"q={GIBBERISH}") == []
        answering = search(db.session, state, "attendance", limit=50, nearest=0, snippets=False)
        entries = follows.entries(db.session, state, "search", "q=attendance")
        assert entries and {e.case_study.id for e in entries} <= {r.case_study.id for r in answering.answers}
    peers = html.unescape(_page(web, "/peers", q=GIBBERISH))
    assert "No school open to visits or support has written about this yet" in peers


RULES_QUESTION = "Can teachers be required to do lunchtime duty?"


def test_a_question_about_the_rules_says_where_rules_are_answered_on_every_surface(demo_app: Flask,
                                                                                   web: FlaskClient) -> None:
    page = html.unescape(_page(web, "/search", q=RULES_QUESTION))
    assert NOTHING in page
    assert "This reads as a question about what the rules require or allow (“Can teachers be required”)" in page
    assert _links(page, "https://www.gov.uk/browse/education") == ["https://www.gov.uk/browse/education"]
    assert _links(page, "search your words exactly as typed") == [
        "/search?q=Can+teachers+be+required+to+do+lunchtime+duty%3F&read=0#reading"]
    assert "Nearest we have" in page  # the lunchtime study is still offered, marked as not answering
    api = web.get("/api/v1/search", query_string={"q": RULES_QUESTION}).get_json()
    assert api["read_as"]["asks_about_rules"] == "Can teachers be required"
    assert api["answer_count"] == 0 and not any(r["answers"] for r in api["results"])
    assert any("GOV.UK" in notice for notice in api["notices"])
    cli = demo_app.test_cli_runner().invoke(args=["search", RULES_QUESTION])
    assert "GOV.UK" in cli.output and "Nothing in the Commons answers this closely yet" in cli.output
    # a question about the rules that case studies match strongly is told where rules are answered too
    eligible = web.get("/api/v1/search", query_string={"q": "Who is eligible for service pupil premium?"}).get_json()
    assert eligible["read_as"]["asks_about_rules"] == "Who is eligible"
    assert any("GOV.UK" in notice for notice in eligible["notices"])
    # a question about improving the same thing is answered, with no such notice
    improving = web.get("/api/v1/search", query_string={"q": "calmer lunchtimes with midday supervisors"}).get_json()
    assert improving["read_as"]["asks_about_rules"] is None and improving["answer_count"] >= 1
    assert not any("GOV.UK" in notice for notice in improving["notices"])


def test_a_phrase_searched_only_as_what_it_means_is_said_so_not_as_also_searched(demo_app: Flask,
                                                                                 web: FlaskClient) -> None:
    question = "coming out of special measures with PP pupils"
    page = html.unescape(_page(web, "/search", q=question))
    assert ("We searched “special measures” as “inadequate Ofsted judgement”: on their own, “special” and "
            "“measures” would find other things." in page)
    assert "We also searched for: PP → pupil premium" in page and "special measures →" not in page
    read = web.get("/api/v1/search", query_string={"q": question}).get_json()["read_as"]
    assert read["searched_as"] == [{"term": "special measures", "means": "inadequate Ofsted judgement"}]
    assert read["expansions"] == [{"term": "PP", "means": "pupil premium"}]
    cli = demo_app.test_cli_runner().invoke(args=["search", question])
    assert ("We searched “special measures” as “inadequate Ofsted judgement”: on their own, “special” and "
            "“measures” would find other things." in cli.output)
