"""Small things seen using the Commons as a new teacher, a hub lead and a data user (issue 17)."""

import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

from commons.domain.comparability import SchoolContext, compare, with_article
from commons.domain.vocabulary import evidence_description
from tests import samples
from tests.accounts import client_for, make_user

READER = SchoolContext(phase="primary", pupils=200, fsm_pct=20.0, sen_pct=12.0, eal_pct=5.0, setting="rural",
                       region="North West")


def test_articles_agree_with_the_word_after_them() -> None:
    urban = compare(READER, SchoolContext(phase="primary", pupils=200, fsm_pct=20.0, setting="urban"))
    assert next(f.note for f in urban.factors if f.key == "setting") == "an urban school, yours is rural"
    rural = compare(SchoolContext(phase="primary", setting="urban"), SchoolContext(phase="primary", setting="rural"))
    assert next(f.note for f in rural.factors if f.key == "setting") == "a rural school, yours is urban"
    assert with_article("all-through") == "an all-through" and with_article("early years") == "an early years"
    assert with_article("secondary") == "a secondary"


def test_comparable_is_never_shown_over_a_meaningful_gap() -> None:
    nineteen_points = SchoolContext(phase="primary", pupils=200, fsm_pct=39.0, sen_pct=12.0, eal_pct=5.0,
                                    setting="rural", region="North West")
    far_in_fsm = compare(READER, nineteen_points)
    assert far_in_fsm.similarity >= 0.7  # alike enough in the rest to have been called "Comparable"
    assert far_in_fsm.band == "Partly comparable"
    assert far_in_fsm.line().startswith("Partly comparable: ") and "FSM 39% (yours 20%)" in far_in_fsm.line()
    close = compare(READER, SchoolContext(phase="primary", pupils=210, fsm_pct=24.0, sen_pct=12.0, eal_pct=5.0,
                                          setting="rural", region="North West"))
    assert close.band == "Comparable"


def test_filter_and_form_choices_read_as_names(app: Flask) -> None:
    client = app.test_client()
    search = client.get("/search?q=attendance").get_data(as_text=True)
    for name in ("Yorkshire and the Humber", "East of England", "North East", "Alternative provision"):
        assert f">{name}</option>" in search
    assert "Yorkshire and the humber" not in search and "East of england" not in search
    my_school = client.get("/my-school").get_data(as_text=True)
    kind = re.search(r'<select id="ctx-provision" name="provision"[^>]*>(.*?)</select>', my_school, re.S)
    assert kind is not None and kind.group(1).count("Mainstream") == 1
    assert ">Yorkshire and the Humber</option>" in my_school


def test_self_reported_evidence_does_not_say_without_data_over_a_table_of_data(
        app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    impact = '\n  - measure: "Attendance"\n    before: "88%"\n    after: "94%"\n    period: "2023"\n    pupils: 19'
    samples.write(tmp_path, "with-figures", impact_table=impact, evidence_strength="self-reported")
    samples.write(tmp_path, "without-figures", title='"No table here"', evidence_strength="self-reported")
    assert runner.invoke(args=["import", str(tmp_path)]).exit_code == 0
    client = app.test_client()
    with_figures = client.get("/case-studies/with-figures").get_data(as_text=True)
    assert "without data shown" not in with_figures
    assert "figures it has not had checked by anyone outside the school" in with_figures
    assert "<table" in with_figures
    assert "without data shown" in client.get("/case-studies/without-figures").get_data(as_text=True)
    assert evidence_description("internal data", True).startswith("Internal data")


def test_the_home_page_does_not_take_focus_past_the_skip_link_and_menu(app: Flask) -> None:
    home = app.test_client().get("/").get_data(as_text=True)
    assert "autofocus" not in home
    assert home.index('class="skip-link"') < home.index('id="q"')


def test_filters_never_submit_on_change_and_update_is_visible_without_javascript(app: Flask) -> None:
    search = app.test_client().get("/search?q=attendance").get_data(as_text=True)
    assert "data-autosubmit" not in search
    details_end = search.index("</details>")
    update = search.index(">Update results</button>")
    assert update > details_end and update < search.index("</form>", details_end)
    script = (Path(__file__).parents[1] / "commons" / "static" / "search.js").read_text(encoding="utf-8")
    assert "requestSubmit" not in script and '"change"' not in script


def test_the_demonstration_banner_is_inside_the_header_landmark(app: Flask) -> None:
    page = app.test_client().get("/").get_data(as_text=True)
    header = page[page.index("<header"):page.index("</header>")]
    assert 'class="demo-banner"' in header and "Demonstration commons" in header
    assert "<aside" not in page.split("<main")[0]


def test_approve_and_reject_stay_together_on_the_admin_page(app: Flask) -> None:
    make_user(app, "admin@example.org", admin=True)
    make_user(app, "claimant@example.org", school=990003, status="pending", name="Pat Claimant")
    page = client_for(app, "admin").get("/admin").get_data(as_text=True)
    form = re.search(r'<form[^>]*class="inline decision"[^>]*>(.*?)</form>', page, re.S)
    assert form is not None and "Approve" in form.group(1) and "Reject" in form.group(1)
    css = (Path(__file__).parents[1] / "commons" / "static" / "style.css").read_text(encoding="utf-8")
    assert re.search(r"\.decision \{[^}]*flex-wrap: nowrap", css)


def test_every_page_has_an_icon_and_asking_for_favicon_ico_finds_it(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    icon = client.get("/favicon.ico")
    assert icon.status_code == 301 and icon.headers["Location"].endswith("/static/favicon.svg")
    assert client.get("/static/favicon.svg").status_code == 200
