"""Getting started as a writer: a route from the home page, a welcome mail that says what to do
next, a first dashboard that leads somewhere, a claim that carries something to check, and a
hub lead's way to their hubs."""

from flask import Flask
from sqlalchemy import select

from commons.db import db
from commons.models import Hub, HubMember, Membership, OutboxMessage, User
from tests.accounts import PASSWORD, csrf_token, make_user, sign_in

SCHOOL = 990003
PUBLIC = "http://127.0.0.1:5000"  # the default COMMONS_PUBLIC_URL


def test_the_home_page_and_the_menu_lead_a_writer_to_the_steps(app: Flask) -> None:
    client = app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert home.count('href="/share"') == 2  # the menu and the home page itself
    steps = client.get("/share").get_data(as_text=True)
    for step in ("Create an account", "Say which school you work for", "Write", "Publish", "two working days"):
        assert step in steps
    assert 'href="/register"' in steps


def test_registering_says_what_next_and_mails_a_sign_in_link(app: Flask) -> None:
    client = app.test_client()
    page = client.post("/register", data={"csrf_token": csrf_token(client), "email": "new@school.example",
                                          "name": "Nia New", "password": PASSWORD})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "a link to sign in" in text and "say which school you work for" in text
    assert 'href="/sign-in?next=/account/schools"' in text
    with app.app_context():
        mail = db.session.scalars(select(OutboxMessage)).one()
    assert f"{PUBLIC}/sign-in?next=/account/schools" in mail.body
    assert "Say which school you work for" in mail.body and "two working days" in mail.body


def test_a_first_dashboard_leads_to_claiming_a_school_not_to_tokens(app: Flask) -> None:
    make_user(app, "reader@example.org")
    client = app.test_client()
    sign_in(client, "reader@example.org")
    page = client.get("/author").get_data(as_text=True)
    assert "Say which school you work for" in page
    assert "Write for another school" not in page and "API tokens" not in page


def test_a_claim_needs_a_role_and_something_to_check_and_keeps_what_was_typed(app: Flask) -> None:
    user_id = make_user(app, "teacher@example.org")
    client = app.test_client()
    sign_in(client, "teacher@example.org")
    token = csrf_token(client)
    refused = client.post("/account/schools", data={"csrf_token": token, "urn": SCHOOL, "school": "Fellside",
                                                    "role": "", "work_email": "", "evidence": ""})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Say what you do at the school" in text and "Give your email address at the school, or a note" in text
    bad_email = client.post("/account/schools", data={"csrf_token": token, "urn": SCHOOL, "school": "Fellside",
                                                      "role": "Head of English", "work_email": "not an address"})
    assert bad_email.status_code == 400 and 'value="Head of English"' in bad_email.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Membership).where(Membership.user_id == user_id)) is None

    done = client.post("/account/schools", data={"csrf_token": token, "urn": SCHOOL, "role": "Head of English",
                                                 "work_email": "", "evidence": "On the staff page of the website."},
                       follow_redirects=True)
    text = done.get_data(as_text=True)
    assert "waiting to be confirmed" in text and "usually decides within two working days" in text
    pending = client.get("/author").get_data(as_text=True)
    assert "is waiting to be confirmed" in pending and "we email you when they do" in pending

    make_user(app, "admin@example.org", admin=True)
    admin = app.test_client()
    sign_in(admin, "admin@example.org")
    queue = admin.get("/admin").get_data(as_text=True)
    assert "Head of English" in queue and "On the staff page of the website." in queue
    assert "School email address: not given" in queue


def test_a_hub_lead_finds_their_hubs_from_the_menu_and_the_dashboard(app: Flask) -> None:
    lead = make_user(app, "lead@hub.example", name="Lee Lead")
    with app.app_context():
        hub = Hub(slug="north-hub", name="North Hub", kind="teaching-school-hub")
        db.session.add(hub)
        db.session.flush()
        db.session.add(HubMember(hub_id=hub.id, user_id=lead, role="owner"))
        db.session.commit()
    client = app.test_client()
    sign_in(client, "lead@hub.example")
    page = client.get("/author").get_data(as_text=True)
    assert '<a href="/hubs/north-hub">Your hubs</a>' in page  # the menu
    assert "<h2 id=\"hubs-h\">Your hubs</h2>" in page and "/hubs/north-hub/claims" in page
    assert "first say which school" not in page
    with app.app_context():
        assert db.session.get(User, lead) is not None
