"""Writing in a real browser without losing a word: the autosave and its status line, the warning
before leaving unsaved text, an expired security token recovered from with everything kept, "Add
a row" from the keyboard, the preview as readers will see it, and no sideways scrolling at 320 px."""

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from commons import CSRF_TIME_LIMIT
from commons.db import db
from commons.models import CaseStudy, Draft
from tests import samples
from tests.accounts import make_user
from tests.browser import LiveServer, serious_accessibility_violations, sign_in

pytestmark = pytest.mark.browser
SCHOOL = 990003
TITLE = "Walking buses in a fell village"
WIDTHS = [1280, 320]


@pytest.fixture
def served(app: Flask) -> Iterator[tuple[Flask, LiveServer]]:
    make_user(app, "head@fellside.example", school=SCHOOL, name="Ann Example")
    with LiveServer(app) as server:
        yield app, server
    app.config["WTF_CSRF_TIME_LIMIT"] = CSRF_TIME_LIMIT


def start_writing(page: Any, server: LiveServer, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, server.url, "head@fellside.example")
    page.get_by_role("button", name="Start writing").click()
    page.wait_for_url("**/author/drafts/*")


def draft_fields(app: Flask, page: Any) -> dict[str, Any]:
    draft_id = int(page.url.split("/author/drafts/")[1].split("?")[0].split("/")[0].split("#")[0])
    with app.app_context():
        draft = db.session.get(Draft, draft_id)
        assert draft is not None
        return dict(draft.fields)


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def type_sections(page: Any) -> None:
    for key, text in samples.BODY.items():
        page.locator(f"#f-section-{key}").fill(text)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_editor_saves_itself_and_says_so(served: tuple[Flask, LiveServer], page: Any, width: int) -> None:
    app, server = served
    start_writing(page, server, width)
    assert no_sideways_scroll(page)
    assert serious_accessibility_violations(page) == []
    status = page.locator("#autosave-status")
    answers: list[int] = []
    page.on("response", lambda response: answers.append(response.status) if "/autosave" in response.url else None)
    page.get_by_label("Title").focus()
    page.keyboard.type(TITLE)
    with page.expect_response(lambda response: "/autosave" in response.url and response.status == 200):
        page.keyboard.press("Tab")  # leaving the field saves it
    status.filter(has_text="Saved at").wait_for()
    assert draft_fields(app, page)["title"] == TITLE

    # the security token expired (or was tampered with) meanwhile: the autosave gets a fresh one and saves
    page.evaluate("document.querySelectorAll('input[name=csrf_token]').forEach(i => { i.value = 'stale'; })")
    page.get_by_label("Summary").fill("Two parent-led walking buses got children to school on time.")
    with page.expect_response(lambda response: "/autosave" in response.url and response.status == 200):
        page.get_by_label("Years of the work").focus()
    assert 400 in answers  # refused once, saved with the fresh token
    assert page.locator("input[name=csrf_token]").first.input_value() != "stale"
    assert draft_fields(app, page)["summary"].startswith("Two parent-led walking buses")
    assert serious_accessibility_violations(page) == []


def test_leaving_with_unsaved_text_asks_first_and_a_failed_autosave_says_why(
        served: tuple[Flask, LiveServer], page: Any) -> None:
    app, server = served
    start_writing(page, server, 1280)
    page.route("**/autosave", lambda route: route.abort())  # the connection is lost
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Summary").focus()
    page.locator("#autosave-status").filter(has_text="Not saved: no connection").wait_for()
    assert page.locator(".autosave-status--failed").count() == 1
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()  # stay on the page

    page.on("dialog", answer)
    assert draft_fields(app, page).get("title") in (None, "")  # never saved: hence the question
    with page.expect_event("dialog"):
        page.close(run_before_unload=True)
    assert asked == ["beforeunload"]


def test_saving_asks_nothing_on_the_way_out(served: tuple[Flask, LiveServer], page: Any) -> None:
    app, server = served
    start_writing(page, server, 1280)
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.accept()))
    page.get_by_label("Title").fill(TITLE)
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url("**saved=1")
    assert asked == [] and draft_fields(app, page)["title"] == TITLE


@pytest.mark.parametrize("width", WIDTHS)
def test_an_expired_token_loses_nothing_and_saving_again_works(
        served: tuple[Flask, LiveServer], page: Any, width: int) -> None:
    app, server = served
    start_writing(page, server, width)
    app.config["WTF_CSRF_TIME_LIMIT"] = -1  # every token has expired, as after a long afternoon's writing
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Written with (optional)").fill("Bob Smith")
    type_sections(page)
    page.get_by_label("Row 1: measure").fill("Persistent absence")
    status = page.locator("#autosave-status")
    status.filter(has_text="Not saved: Your session's security check expired").wait_for()  # tried twice

    save = page.get_by_role("button", name="Save draft")
    save.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#expired").inner_text().startswith(
        "Your session's security check expired; nothing you typed is lost: check it and save again.")
    assert page.get_by_label("Title").input_value() == TITLE
    assert page.get_by_label("Written with (optional)").input_value() == "Bob Smith"
    for key, text in samples.BODY.items():
        assert page.locator(f"#f-section-{key}").input_value() == text
    assert page.get_by_label("Row 1: measure").input_value() == "Persistent absence"
    assert draft_fields(app, page).get("title") in (None, "")  # nothing saved on a refused token
    assert no_sideways_scroll(page)
    assert serious_accessibility_violations(page) == []

    app.config["WTF_CSRF_TIME_LIMIT"] = CSRF_TIME_LIMIT
    page.get_by_role("button", name="Save draft").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url("**saved=1")
    fields = draft_fields(app, page)
    assert fields["title"] == TITLE and fields["sections"] == samples.BODY and fields["co_authors"] == "Bob Smith"


@pytest.mark.parametrize("width", WIDTHS)
def test_add_a_row_from_the_keyboard_and_no_sideways_scroll(
        served: tuple[Flask, LiveServer], page: Any, width: int) -> None:
    app, server = served
    start_writing(page, server, width)
    assert page.locator(".impact-editor tbody tr").count() == 2
    page.get_by_role("button", name="Add a row").focus()
    page.keyboard.press("Enter")
    assert page.locator(".impact-editor tbody tr").count() == 3
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Row 3: measure"
    page.keyboard.type("Reading age gap")
    assert no_sideways_scroll(page)
    assert serious_accessibility_violations(page) == []
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Enter in a field saves, as it always did; it adds no row
    page.wait_for_url("**saved=1")
    assert draft_fields(app, page)["impact"] == [
        {"measure": "Reading age gap", "before": "", "after": "", "period": "", "pupils": ""}]
    assert page.locator(".impact-editor tbody tr").count() == 2


@pytest.mark.parametrize("width", WIDTHS)
def test_the_privacy_check_and_the_preview_fit_and_read_well(
        served: tuple[Flask, LiveServer], page: Any, width: int) -> None:
    app, server = served
    start_writing(page, server, width)
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Summary").fill("Walking buses got children in on time.")
    page.get_by_label("Years of the work").fill("2023-2024")
    page.get_by_label("Attendance", exact=True).check()
    page.get_by_label("Strength of evidence").select_option("internal data")
    type_sections(page)
    page.locator("#f-section-what-we-did").fill("Parents led **two walking buses**:\n\n- from the far farms")
    page.get_by_label("Row 1: measure").fill("Persistent absence")
    page.get_by_label("Row 1: pupils").fill("4")
    page.get_by_role("button", name="Publish").click()
    check = page.locator(".privacy-check")
    check.wait_for()
    assert no_sideways_scroll(page)
    assert serious_accessibility_violations(page) == []
    gap = page.evaluate("document.querySelector('.editor__actions').getBoundingClientRect().top"
                        " - document.querySelector('.privacy-check').getBoundingClientRect().bottom")
    assert 0 <= gap < 100  # the confirmation sits just above the Publish button

    page.get_by_role("button", name="Preview as readers will see it").click()
    page.wait_for_url("**/preview")
    assert "Preview, not published." in page.locator(".preview-banner").inner_text()
    assert page.locator("h1").inner_text() == TITLE
    assert page.locator("#what-we-did strong").inner_text() == "two walking buses"
    assert page.locator(".context-card").count() == 1 and page.locator("#adapt-heading").is_visible()
    assert no_sideways_scroll(page)
    assert serious_accessibility_violations(page) == []
    with app.app_context():
        assert db.session.scalar(select(CaseStudy.id)) is None  # a preview publishes nothing


CONTROLS = ("input:not([type=checkbox]):not([type=radio]):not([type=hidden]):not([type=submit]):not([type=button])"
            ", select, textarea")


def test_every_form_control_looks_alike(served: tuple[Flask, LiveServer], page: Any) -> None:
    """The fields a new head met as small browser defaults: sign-in, register, describe your school,
    the claim page's role, the search filters' years and the editor's title and years."""
    _, server = served
    seen: dict[str, list[str]] = {}
    for path in ["/sign-in", "/register", "/my-school", "/search?q=reading+for+pleasure"]:
        page.goto(server.url + path)
        seen[path] = page.locator(CONTROLS).evaluate_all(
            "els => els.map(e => [e.id || e.name, getComputedStyle(e).fontSize, getComputedStyle(e).borderTopWidth])")
    start_writing(page, server, 1280)
    page.goto(server.url + "/account/schools?school=Fellside")
    seen["claim"] = page.locator(CONTROLS).evaluate_all(
        "els => els.map(e => [e.id || e.name, getComputedStyle(e).fontSize, getComputedStyle(e).borderTopWidth])")
    page.go_back()
    seen["editor"] = page.locator(CONTROLS).evaluate_all(
        "els => els.map(e => [e.id || e.name, getComputedStyle(e).fontSize, getComputedStyle(e).borderTopWidth])")
    names = {name for controls in seen.values() for name, _, _ in controls}
    assert {"f-email", "f-password", "f-year_from", "f-title", "f-years", "f-co_authors", "ctx-pupils"} <= names
    assert any(name.startswith("role-") for name in names)
    unstyled = [(path, name, size, border) for path, controls in seen.items() for name, size, border in controls
                if float(size.removesuffix("px")) < 16 or border != "2px"]
    assert unstyled == []
