"""In a real browser (Chromium): withdrawing with a confirmation and publishing again; a revision's
evidence strength and impact row in the public history; a new head from the home page to a
published case study; a hub lead from sign-in to a published collection. Each page is checked
with axe and for sideways scrolling at 320 pixels as well as 1280."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from commons.db import db
from commons.models import OutboxMessage, User
from commons.services import collections
from tests import samples
from tests.accounts import PASSWORD, make_user
from tests.browser import LiveServer, serious_accessibility_violations, sign_in
from tests.conftest import make_app

pytestmark = pytest.mark.browser
FELLSIDE = 990003
DEMO_SLUG = "fellside-teaching-head-sustainable-workload"


@pytest.fixture
def served(demo_copy: Path, embedder: object) -> Iterator[tuple[LiveServer, Flask]]:
    app: Flask = make_app(f"sqlite:///{demo_copy / 'commons.db'}", demo_copy, embedder)
    make_user(app, "head@fellside.example", school=FELLSIDE, name="Ann Example")
    make_user(app, "admin@commons.example", admin=True, name="Ada Admin")
    lead = make_user(app, "lead@fells-hub.example", name="Lee Lead")
    with app.app_context():
        collections.create_hub(db.session, "Fells Teaching School Hub", "teaching-school-hub",
                               db.session.get(User, lead))
        db.session.commit()
    with LiveServer(app) as server:
        yield server, app


WIDEST = """[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > 321)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


def checked(page: Any) -> None:
    """axe finds nothing serious at 1280 pixels, and at 320 the page does not scroll sideways."""
    page.set_viewport_size({"width": 1280, "height": 900})
    assert serious_accessibility_violations(page) == [], page.url
    page.set_viewport_size({"width": 320, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, (page.url, page.evaluate(WIDEST))
    assert serious_accessibility_violations(page) == [], page.url
    page.set_viewport_size({"width": 1280, "height": 900})


def tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement && document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"{selector} was never reached with Tab")


def test_withdraw_with_a_confirmation_and_a_reason_then_publish_it_again(served: tuple[LiveServer, Flask],
                                                                        page: Any) -> None:
    server, _ = served
    base = server.url
    sign_in(page, base, "head@fellside.example")
    page.goto(f"{base}/case-studies/{DEMO_SLUG}")
    page.get_by_role("button", name="Withdraw").click()
    page.wait_for_url(f"**/case-studies/{DEMO_SLUG}/withdraw")
    assert page.locator("h1").inner_text().startswith("Withdraw “")
    page.goto(f"{base}/search?q=teaching+head+workload+in+a+tiny+school")
    assert "making a teaching headship" in page.locator("main").inner_text()  # nothing happened yet

    page.goto(f"{base}/case-studies/{DEMO_SLUG}/withdraw")
    checked(page)
    tab_to(page, "main button[type=submit]")  # by keyboard, with no reason first
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    assert "Say why you are withdrawing it" in page.locator(".error-message").inner_text()
    checked(page)
    tab_to(page, "#f-reason")
    page.keyboard.type("Our staffing changed; we will update it next term.")
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/author#published-h")
    assert "is withdrawn" in page.locator(".notice--ok").inner_text()
    assert "Our staffing changed; we will update it next term." in page.locator("main").inner_text()
    checked(page)
    page.goto(f"{base}/search?q=teaching+head+workload+in+a+tiny+school")
    assert "making a teaching headship" not in page.locator("main").inner_text()

    page.goto(f"{base}/author")
    page.get_by_role("link", name=re.compile("Publish it again")).click()
    page.wait_for_url(f"**/case-studies/{DEMO_SLUG}/republish")
    checked(page)
    page.get_by_label("What changed (optional)").fill("Back, with this term's staffing.")
    page.get_by_role("button", name="Publish it again").click()
    page.wait_for_url(f"**/case-studies/{DEMO_SLUG}?published=1")
    assert "making a teaching headship" in page.locator("h1").inner_text()
    page.get_by_role("link", name=re.compile(r"History \(2 revisions\)")).click()
    assert "Back, with this term's staffing." in page.locator("main").inner_text()
    page.goto(f"{base}/search?q=teaching+head+workload+in+a+tiny+school")
    assert "making a teaching headship" in page.locator("main").inner_text()


def test_a_revision_of_evidence_strength_and_an_impact_row_shows_in_the_public_history(
        served: tuple[LiveServer, Flask], browser: Any) -> None:
    server, _ = served
    base = server.url
    head = browser.new_context().new_page()
    sign_in(head, base, "head@fellside.example")
    head.goto(f"{base}/case-studies/{DEMO_SLUG}")
    head.get_by_role("button", name="Edit").click()
    head.wait_for_url("**/author/drafts/*")
    head.get_by_label("Strength of evidence").select_option("internal data")
    head.get_by_label("Row 1: measure").fill("Head's working hours a week")
    head.get_by_label("Row 1: before").fill("62")
    head.get_by_label("Row 1: after").fill("51")
    head.get_by_label("Row 1: period").fill("2023-2024")
    head.get_by_label("Row 1: pupils").fill("38")
    head.get_by_label("What changed (optional)").fill("Added our timesheet figures.")
    head.get_by_role("button", name="Publish this revision").click()
    head.wait_for_url(f"**/case-studies/{DEMO_SLUG}?published=1")
    head.context.close()

    reader = browser.new_context().new_page()
    reader.goto(f"{base}/case-studies/{DEMO_SLUG}")
    dates = reader.locator(".case-study__dates").inner_text()
    assert "Updated" in dates
    reader.get_by_role("link", name=re.compile(r"History \(2 revisions\)")).click()
    entry = reader.locator("li.history__entry").first
    assert "Strength of evidence" in entry.inner_text() and "Impact table" in entry.inner_text()
    assert "Added our timesheet figures." in entry.inner_text() and "By Ann Example" in entry.inner_text()
    checked(reader)
    entry.get_by_role("link", name="See what changed in revision 2").click()
    strength = reader.locator("section.diff", has_text="Strength of evidence")
    assert strength.locator("del").inner_text() == "Self-reported"
    assert strength.locator("ins").inner_text() == "Internal data"
    impact = reader.locator("section.diff", has_text="Impact table")
    assert impact.locator("ins").inner_text() == "Head's working hours a week: 62 → 51 (2023-2024, 38 pupils)"
    checked(reader)
    reader.context.close()


def test_a_new_head_goes_from_the_home_page_to_a_published_case_study(served: tuple[LiveServer, Flask],
                                                                      browser: Any) -> None:
    server, app = served
    base = server.url
    head = browser.new_context().new_page()
    head.goto(base + "/")
    head.get_by_role("link", name="Share your school's work").first.click()
    head.wait_for_url("**/share")
    checked(head)
    head.get_by_role("link", name="Create an account").click()
    head.get_by_label("Your name").fill("Nia Newhead")
    head.get_by_label("Email address").fill("nia@corve.example")
    head.get_by_label("Choose a password").fill(PASSWORD)
    head.get_by_role("button", name="Create account").click()
    assert "a link to sign in" in head.locator("main").inner_text()
    checked(head)
    with app.app_context():
        mail = db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == "nia@corve.example")).one()
    link = re.search(r"http://\S+/sign-in\?next=\S+", mail.body)
    assert link is not None
    head.goto(base + "/sign-in?" + link.group(0).split("?", 1)[1])
    head.get_by_label("Email address").fill("nia@corve.example")
    head.get_by_label("Password").fill(PASSWORD)
    head.get_by_role("button", name="Sign in").click()
    head.wait_for_url("**/account/schools")

    head.get_by_label("School name, postcode or URN").fill("Corve Dale")
    head.get_by_role("button", name="Find").click()
    head.get_by_role("button", name=re.compile("I work here")).click()  # nothing given: refused, nothing lost
    assert "Say what you do at the school" in head.locator(".error-summary").inner_text()
    head.get_by_label("Your role").fill("Headteacher")
    head.get_by_label("A note that shows you work there").fill("I am named as head on the school's website.")
    head.get_by_role("button", name=re.compile("I work here")).click()
    head.wait_for_url("**/account/schools")
    assert "two working days" in head.locator(".notice--ok").inner_text()
    checked(head)

    admin = browser.new_context().new_page()
    sign_in(admin, base, "admin@commons.example")
    admin.goto(base + "/admin")
    checked(admin)
    claim = admin.locator("li", has_text="Nia Newhead").first
    assert "I am named as head on the school's website." in claim.inner_text()
    claim.get_by_role("button", name="Approve").click()
    admin.context.close()

    head.get_by_role("link", name="Your case studies").click()
    head.get_by_role("button", name="Start writing").click()
    head.wait_for_url("**/author/drafts/*")
    head.get_by_label("Title").fill("A reading buddy scheme in a dale school")
    head.get_by_label("Summary").fill("Older pupils read with younger ones three mornings a week.")
    head.get_by_label("Years of the work").fill("2023-2024")
    head.get_by_label("Reading and phonics", exact=True).check()
    head.get_by_label("Strength of evidence").select_option("internal data")
    for key, text in samples.BODY.items():
        head.locator(f"#f-section-{key}").fill(text)
    head.get_by_role("button", name="Publish").click()
    head.wait_for_url("**/case-studies/**published=1")
    assert head.locator("h1").inner_text() == "A reading buddy scheme in a dale school"
    checked(head)
    head.context.close()


def test_a_hub_lead_goes_from_sign_in_to_a_published_collection(served: tuple[LiveServer, Flask],
                                                               browser: Any) -> None:
    server, _ = served
    base = server.url
    lead = browser.new_context().new_page()
    sign_in(lead, base, "lead@fells-hub.example")
    assert "Fells Teaching School Hub" in lead.locator("#hubs-h + ul").inner_text()
    checked(lead)
    lead.get_by_role("navigation", name="Main").get_by_role("link", name="Your hubs").click()
    lead.wait_for_url("**/hubs/fells-teaching-school-hub")
    lead.get_by_label("New collection title").fill("Workload in small schools")
    lead.get_by_role("button", name="Start a collection").click()
    lead.wait_for_url("**/collections/workload-in-small-schools")
    lead.get_by_label("Question or words to search for").fill("head teacher workload in a small school")
    lead.get_by_role("button", name="Find", exact=True).click()
    first = lead.locator("ul.find-results li").first
    title = first.locator("a").first.inner_text()
    first.get_by_role("button", name=re.compile("to this collection")).click()
    lead.wait_for_url("**/collections/workload-in-small-schools?find=**")
    assert f"Added “{title}”" in lead.locator(".notice--ok").inner_text()
    assert "already in this collection" in lead.locator("ul.find-results li", has_text=title).inner_text()
    assert lead.locator("li.collection__item h2").all_inner_texts() == [title]
    assert "drag a case study by its handle" in lead.locator("#reorder-hint").inner_text()
    checked(lead)
    lead.get_by_role("link", name="See it as a reader will").click()
    assert "This is how readers will see this collection once it is published" in lead.locator("main").inner_text()
    assert lead.locator("text=Collection settings").count() == 0
    checked(lead)
    lead.get_by_role("link", name="Back to editing it").click()
    lead.get_by_label("Published: anyone can read it").check()
    lead.get_by_role("button", name="Save settings").click()
    lead.context.close()

    reader = browser.new_context().new_page()
    reader.goto(base + "/collections/workload-in-small-schools")
    assert reader.locator("li.collection__item h2").all_inner_texts() == [title]
    checked(reader)
    reader.context.close()
