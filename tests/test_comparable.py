"""Comparable schools: the similarity function, the blended ranking, filters, GIAS import and pages."""

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from commons.db import db
from commons.domain.comparability import SchoolContext, compare
from commons.models import CaseStudy, School
from commons.search.engine import search
from commons.search.extension import search_index
from commons.search.filters import SearchFilters
from commons.services import schools
from tests import samples

pytestmark = pytest.mark.slow  # search behaviour: the real model

SMALL_RURAL_PRIMARY = SchoolContext(phase="primary", pupils=45, fsm_pct=20.0, sen_pct=18.0, eal_pct=2.0,
                                    setting="rural", region="North West", name="Reader primary")
QUESTION = "how did a village school improve attendance of pupils on free school meals?"


def test_similarity_blocks_phase_and_provision_and_explains_itself() -> None:
    like = SchoolContext(phase="primary", pupils=60, fsm_pct=24.0, setting="rural", region="North West")
    unlike = SchoolContext(phase="primary", pupils=600, fsm_pct=55.0, setting="urban", region="London")
    secondary = SchoolContext(phase="secondary", pupils=50, fsm_pct=20.0, setting="rural")
    special = SchoolContext(phase="primary", provision="special", pupils=45, fsm_pct=20.0, setting="rural")
    close, far = compare(SMALL_RURAL_PRIMARY, like), compare(SMALL_RURAL_PRIMARY, unlike)
    assert close.similarity > 0.8 > far.similarity
    assert close.line() == "Comparable: primary · 60 pupils (yours 45) · FSM 24% (yours 20%) · rural"
    twin = SchoolContext(phase="primary", pupils=45, fsm_pct=20.0, setting="rural")
    assert compare(SMALL_RURAL_PRIMARY, twin).line() == "Comparable: primary · 45 pupils · FSM 20% · rural"
    assert compare(SMALL_RURAL_PRIMARY, secondary).similarity == 0.0
    assert compare(SMALL_RURAL_PRIMARY, secondary).blocked == "secondary, yours is primary"
    assert compare(SMALL_RURAL_PRIMARY, special).blocked == "special, yours is mainstream"
    assert {f.key for f in far.differences()} == {"pupils", "fsm", "setting"}
    assert compare(SMALL_RURAL_PRIMARY, SchoolContext(phase="all-through")).blocked is None
    own = SchoolContext(phase="primary", pupils=40, urn=990003)
    assert compare(own, SchoolContext(phase="primary", pupils=38, urn=990003)).line().startswith("Your school: primary")


def _publish_pair(app: Flask, runner, tmp_path: Path) -> None:
    """The same work written up by a small rural primary and by a large urban secondary.

    The secondary's write-up says a little more about the question, so it is the more relevant.
    """
    samples.write(tmp_path / "in", "fellside-attendance", urn=990003)
    samples.write(tmp_path / "in", "stonebridge-attendance", urn=990025,
                  title='"Breakfast and a phone call: attendance in an urban secondary"',
                  sections={"challenge": "Attendance of pupils on free school meals was 88%. We needed to "
                            "improve attendance of pupils on free school meals quickly."})
    result = runner.invoke(args=["import", str(tmp_path / "in")])
    assert result.exit_code == 0, result.output


def test_a_small_rural_primary_reader_sees_schools_like_theirs_first(app: Flask, runner, tmp_path: Path) -> None:
    _publish_pair(app, runner, tmp_path)
    with app.app_context():
        state = search_index.state
        plain = search(db.session, state, QUESTION, reader=SMALL_RURAL_PRIMARY, context_level=0)
        order = [r.case_study.slug for r in plain.results]
        assert order == ["stonebridge-attendance", "fellside-attendance"]
        assert [r.relevance for r in plain.results] == sorted((r.relevance for r in plain.results), reverse=True)
        # no school set: the village school the question describes is the context, and it reorders the same way
        asked = search(db.session, state, QUESTION)
        assert asked.context_source == "question"
        assert [r.case_study.slug for r in asked.results] == ["fellside-attendance", "stonebridge-attendance"]
        blended = search(db.session, state, QUESTION, reader=SMALL_RURAL_PRIMARY)
        assert [r.case_study.slug for r in blended.results] == ["fellside-attendance", "stonebridge-attendance"]
        why = {r.case_study.slug: r.comparison.line() for r in blended.results}
        assert why["fellside-attendance"] == "Comparable: primary · 38 pupils (yours 45) · FSM 18% (yours 20%) · rural"
        assert why["stonebridge-attendance"].startswith("Different kind of school: secondary (yours primary)")


def test_filtered_searches_return_k_results_inside_the_filter(demo_app: Flask) -> None:
    with demo_app.app_context():
        state = search_index.state
        published = db.session.scalars(select(CaseStudy).where(CaseStudy.status == "published")).all()
        for filters in (SearchFilters(phase="secondary"), SearchFilters(setting="rural"),
                        SearchFilters(topic="reading", phase="primary"), SearchFilters(fsm_band="35-100"),
                        SearchFilters(evidence_strength="external evaluation"), SearchFilters(open_to="any")):
            inside = {c.slug for c in published if filters.matches(c)}
            assert inside, filters
            k = min(8, len(inside))
            results = search(db.session, state, "improving attendance", limit=k, filters=filters,
                             order="retrieval").results
            assert len(results) == k, filters  # the retrievers find k inside the filter
            assert {r.case_study.slug for r in results} <= inside, filters
            shown = search(db.session, state, "improving attendance", limit=k, filters=filters).results
            assert {r.case_study.slug for r in shown} <= inside, filters
        none = search(db.session, state, "attendance", filters=SearchFilters(phase="sixth form", topic="early-years"))
        assert none.results == [] and "No published case study matches these filters" in none.notices[0]


def _gias_csv(rows: list[dict[str, str]]) -> bytes:
    header = ["URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName",
              "TypeOfEstablishment (name)", "EstablishmentTypeGroup (name)", "PhaseOfEducation (name)",
              "StatutoryLowAge", "StatutoryHighAge", "GOR (name)", "Town", "Postcode", "UrbanRural (name)",
              "NumberOfPupils", "PercentageFSM", "Trusts (name)", "OfstedRating (name)", "OfstedLastInsp",
              "SchoolWebsite"]
    lines = [",".join(header)]
    for row in rows:
        lines.append(",".join(f'"{row.get(h, "")}"' for h in header))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def test_gias_import_reads_the_real_format_and_updates_without_duplicates(app: Flask, runner, tmp_path: Path) -> None:
    rows = [
        {"URN": "145001", "LA (name)": "Cumberland", "EstablishmentName": "Ænon Fell Primary – St Bega’s",
         "TypeOfEstablishment (name)": "Academy converter", "PhaseOfEducation (name)": "Primary",
         "StatutoryLowAge": "4", "StatutoryHighAge": "11", "GOR (name)": "North West", "Town": "Keswick",
         "Postcode": "CA12 4AB", "UrbanRural (name)": "(England/Wales) Rural village", "NumberOfPupils": "57",
         "PercentageFSM": "SUPP", "Trusts (name)": "Fells Learning Trust", "OfstedLastInsp": "04-10-2022",
         "SchoolWebsite": "https://example.invalid"},
        {"URN": "145002", "EstablishmentName": "Harbour Special School",
         "TypeOfEstablishment (name)": "Community special school", "PhaseOfEducation (name)": "Not applicable",
         "GOR (name)": "South West", "NumberOfPupils": "", "PercentageFSM": "44.1"},
    ]
    csv_file = tmp_path / "edubasealldata.csv"
    csv_file.write_bytes(_gias_csv(rows))
    result = runner.invoke(args=["schools", "import", str(csv_file)])
    assert result.exit_code == 0, result.output
    assert "2 added, 0 updated" in result.output
    with app.app_context():
        fell = db.session.get(School, 145001)
        assert fell is not None and fell.name == "Ænon Fell Primary – St Bega’s"
        assert fell.fsm_pct is None and fell.pupils == 57 and fell.trust == "Fells Learning Trust"
        assert schools.context(fell).governance == "academy" and schools.context(fell).setting == "rural"
        assert schools.provision(db.session.get(School, 145002)) == "special"
        before = db.session.scalar(select(func.count()).select_from(School))
    rows[0]["NumberOfPupils"] = "61"
    csv_file.write_bytes(_gias_csv(rows))
    again = runner.invoke(args=["schools", "import", str(csv_file)])
    assert "0 added, 2 updated" in again.output, again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(School)) == before
        assert db.session.get(School, 145001).pupils == 61


@pytest.mark.parametrize("content, expected", [
    (b"URN;EstablishmentName;TypeOfEstablishment (name);PhaseOfEducation (name)\r\n1;A;B;C\r\n", "another delimiter"),
    (b"URN,EstablishmentName\r\n1,A\r\n", "missing column(s) TypeOfEstablishment (name), PhaseOfEducation (name)"),
    (b"PK\x03\x04\x00\x00binary spreadsheet", "not a text CSV file"),
    (b"URN,EstablishmentName,TypeOfEstablishment (name),PhaseOfEducation (name),PercentageFSM\r\n1,A,B,Primary,140\r\n",
     "line 2, PercentageFSM: '140' is not between 0 and 100"),
])
def test_a_bad_gias_file_changes_nothing_and_says_why(
    app: Flask, runner, tmp_path: Path, content: bytes, expected: str
) -> None:
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(School))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(content)
    result = runner.invoke(args=["schools", "import", str(bad)])
    assert result.exit_code != 0
    assert expected in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(School)) == before


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the form has no CSRF token"
    return match.group(1)


def test_hand_entered_nonsense_is_refused_field_by_field(client: FlaskClient) -> None:
    token = _csrf(client.get("/my-school").get_data(as_text=True))
    response = client.post("/my-school/describe", data={
        "csrf_token": token, "phase": "primary", "pupils": "-5", "fsm_pct": "140", "eal_pct": "lots",
    })
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Pupils on roll must be between 1 and 10,000; you entered -5." in page
    assert "Free school meals must be between 0 and 100; you entered 140." in page
    assert "EAL must be a number" in page
    assert 'value="140"' in page  # what was typed is kept
    forged = client.post("/my-school/describe", data={"phase": "primary"})  # no CSRF token: nothing saved,
    refused = forged.get_data(as_text=True)  # what was typed shown again to send with a fresh token
    assert forged.status_code == 400 and "security check expired; nothing you typed is lost" in refused
    assert '<input id="again-phase" name="phase" value="primary">' in refused


def test_choosing_my_school_changes_search_and_case_study_pages(demo_app: Flask) -> None:
    client = demo_app.test_client()
    found = client.get("/my-school?school=Fellside").get_data(as_text=True)
    assert "Fellside Church of England Primary School" in found
    lookup = client.get("/schools/lookup?q=CA9 9ZC").get_json()
    assert lookup[0]["urn"] == 990003
    chosen = {"csrf_token": _csrf(found), "urn": "990003", "next": "/search?q=attendance"}
    response = client.post("/my-school", data=chosen)
    assert response.status_code == 303 and response.headers["Location"] == "/search?q=attendance"
    page = client.get("/search?q=attendance").get_data(as_text=True)
    assert "How much should school context count?" in page
    assert "(yours 38)" in page
    study = client.get("/case-studies/kingsmead-progress-8-gap-empty-buckets").get_data(as_text=True)
    assert "Before you adapt this" in study and "Keep these tight" in study
    assert "Different kind of school" in study
    like_mine = client.get("/schools-like-mine").get_data(as_text=True)
    ranked = like_mine.split('<ol class="schools-like-mine">')[1].split("</ol>")[0]
    assert "Fellside Church of England Primary School" not in ranked  # not your own school
    lines = re.findall(r'class="why-line[^"]*"><span class="visually-hidden">Why this school: </span>(.*?)</p>', ranked)
    assert lines and all(": primary" in line or ": all-through" in line for line in lines)
    assert lines[0].startswith("Comparable: primary")
    corve = client.get("/schools/990012").get_data(as_text=True)
    assert "Open to other schools" in corve and "Peer review on peer review" in corve
    peers = client.get("/peers?q=peer review of teaching").get_data(as_text=True)
    assert "How to ask" in peers and "Open to:" in peers
    offsite = {"csrf_token": _csrf(found), "urn": "990003", "next": "https://evil.example/"}
    assert client.post("/my-school", data=offsite).headers["Location"] == "/my-school"


def test_cli_search_with_a_school_prints_why(demo_app: Flask) -> None:
    runner = demo_app.test_cli_runner()
    result = runner.invoke(args=["search", "--school", "990003", "--setting", "rural", "attendance"])
    assert result.exit_code == 0, result.output
    assert "Comparable: primary" in result.output or "Partly comparable" in result.output
    bad = demo_app.test_cli_runner().invoke(args=["search", "--phase", "infant", "attendance"])
    assert bad.exit_code != 0 and "phase: 'infant' is not one of" in bad.output


def test_a_share_given_as_a_word_is_shown_as_the_word_never_as_an_invented_figure() -> None:
    from commons.search.asker import context_from_reading
    from commons.search.reading import read_question

    question = "a rural primary with lots of pupil premium: how do we improve attendance?"
    asker = context_from_reading(read_question(question))
    assert asker is not None and asker.levels == (("fsm", "high"),)
    similar = compare(asker, SchoolContext(phase="primary", fsm_pct=41.0, setting="rural"))
    unlike = compare(asker, SchoolContext(phase="primary", fsm_pct=9.0, setting="rural"))
    fsm = next(f for f in similar.factors if f.key == "fsm")
    assert (fsm.theirs, fsm.yours) == ("FSM 41%", "high")
    assert "(yours high)" in similar.line() and "40%" not in similar.line()
    note = next(f for f in unlike.factors if f.key == "fsm").note
    assert note.startswith("9% of pupils eligible for free school meals against your high share") and "40%" not in note
