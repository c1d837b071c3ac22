"""The schools a hub looks after: an admin confirms each link; then the hub's owners and managers
(not its curators, not another hub) decide claims to write for the school and review its drafts."""

import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.test import TestResponse

from commons.db import db
from commons.models import CaseStudy, Draft, HubSchool, Membership, OutboxMessage, School, User
from commons.services import collections, hub_schools
from tests import samples
from tests.accounts import client_for, csrf_token, make_user, sign_in

LINKED, PENDING, UNLINKED = 990003, 990012, 990014  # linked to hub A: confirmed, waiting; not linked
ROLES = ["anonymous", "reader", "curator-a", "manager-a", "owner-a", "manager-b", "admin"]


@pytest.fixture
def world(app: Flask) -> dict[str, object]:
    """Hub A looks after LINKED (confirmed by an admin) and has asked for PENDING; hub B looks after
    nothing. A claimant waits at each of the three schools."""
    ids = {role: make_user(app, f"{role}@example.org", admin=role == "admin") for role in ROLES[1:]}
    claimants = {urn: make_user(app, f"claimant-{urn}@example.org", school=urn, status="pending",
                                name=f"Claimant {urn}")
                 for urn in (LINKED, PENDING, UNLINKED)}
    with app.app_context():
        user = lambda role: db.session.get(User, ids[role])  # noqa: E731
        hub_a = collections.create_hub(db.session, "Fells Teaching School Hub", "teaching-school-hub", user("owner-a"))
        collections.set_member(db.session, hub_a, user("manager-a"), "manager")
        collections.set_member(db.session, hub_a, user("curator-a"), "curator")
        hub_b = collections.create_hub(db.session, "Coast Trust", "trust", user("manager-b"))
        school = lambda urn: db.session.get(School, urn)  # noqa: E731
        hub_schools.decide_link(hub_schools.request_link(db.session, hub_a, school(LINKED), user("manager-a")),
                                user("admin"), "approved")
        hub_schools.request_link(db.session, hub_a, school(PENDING), user("manager-a"))
        db.session.commit()
        claims = {urn: db.session.scalar(select(Membership.id).where(Membership.user_id == uid))
                  for urn, uid in claimants.items()}
        return {"hub_a": hub_a.slug, "hub_b": hub_b.slug, "users": ids, "claims": claims}


def _status(app: Flask, claim_id: int) -> str:
    with app.app_context():
        claim = db.session.get(Membership, claim_id)
        assert claim is not None
        return claim.status


DECIDES = {("manager-a", LINKED), ("owner-a", LINKED), *(("admin", urn) for urn in (LINKED, PENDING, UNLINKED))}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("urn", [LINKED, PENDING, UNLINKED])
def test_who_may_decide_a_claim_to_write_for_a_school(app: Flask, world: dict, role: str, urn: int) -> None:
    client = client_for(app, role)
    token = csrf_token(client) if role != "anonymous" else ""
    claim_id = world["claims"][urn]
    response = client.post(f"/admin/claims/{claim_id}", data={"csrf_token": token, "decision": "approved"})
    if (role, urn) in DECIDES:
        assert response.status_code == 303 and _status(app, claim_id) == "approved"
        with app.app_context():
            decided_by = db.session.scalar(select(Membership.decided_by).where(Membership.id == claim_id))
            assert decided_by == world["users"][role]
            assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.to == f"claimant-{urn}@example.org"))
    else:
        assert response.status_code == (400 if role == "anonymous" else 403)  # 400: no session, no CSRF token
        assert _status(app, claim_id) == "pending"  # a refused attempt changes nothing


def test_a_hub_lead_never_decides_their_own_claim(app: Flask, world: dict) -> None:
    with app.app_context():
        own = Membership(user_id=world["users"]["manager-a"], school_urn=LINKED, status="pending")
        db.session.add(own)
        db.session.commit()
        own_id = own.id
    manager = client_for(app, "manager-a")
    approve = {"csrf_token": csrf_token(manager), "decision": "approved"}
    assert manager.post(f"/admin/claims/{own_id}", data=approve).status_code == 403
    assert _status(app, own_id) == "pending"
    page = manager.get(f"/hubs/{world['hub_a']}/claims").get_data(as_text=True)
    assert "your own claim" in page
    owner = client_for(app, "owner-a")
    reject = {"csrf_token": csrf_token(owner), "decision": "rejected"}
    assert owner.post(f"/admin/claims/{own_id}", data=reject).status_code == 303
    assert _status(app, own_id) == "rejected"


def test_linking_a_school_needs_an_admin_and_the_hub_page_lists_confirmed_schools(app: Flask, world: dict) -> None:
    hub = world["hub_a"]
    manager = client_for(app, "manager-a")
    token = csrf_token(manager)
    found = manager.get(f"/hubs/{hub}?school={UNLINKED}").get_data(as_text=True)
    assert "Ask to link" in found and "Priory Fields Primary School" in found
    for role in ("curator-a", "reader", "manager-b"):
        other = client_for(app, role)
        ask_to_link = {"csrf_token": csrf_token(other), "urn": UNLINKED}
        assert other.post(f"/hubs/{hub}/schools", data=ask_to_link).status_code == 403
    assert manager.post(f"/hubs/{hub}/schools", data={"csrf_token": token, "urn": UNLINKED}).status_code == 303
    with app.app_context():
        link = db.session.scalar(select(HubSchool).where(HubSchool.school_urn == UNLINKED))
        assert link.status == "pending" and link.requested_by == world["users"]["manager-a"]
        link_id = link.id
    # Until an admin confirms, the link gives the hub nothing.
    claim_url = f"/admin/claims/{world['claims'][UNLINKED]}"
    approve = {"csrf_token": token, "decision": "approved"}
    assert manager.post(claim_url, data=approve).status_code == 403
    assert manager.post(f"/hub-schools/{link_id}", data=approve).status_code == 403
    public = app.test_client().get(f"/hubs/{hub}").get_data(as_text=True)
    assert "Fellside Church of England Primary School" in public  # confirmed: listed for everyone
    assert "Corve Dale Primary School" not in public and "Priory Fields Primary School" not in public
    assert "waiting for an administrator" in manager.get(f"/hubs/{hub}").get_data(as_text=True)

    admin = client_for(app, "admin")
    assert "Priory Fields Primary School" in admin.get("/admin").get_data(as_text=True)
    confirmed = admin.post(f"/hub-schools/{link_id}", data={"csrf_token": csrf_token(admin), "decision": "approved"})
    assert confirmed.status_code == 303
    assert "Priory Fields Primary School" in app.test_client().get(f"/hubs/{hub}").get_data(as_text=True)
    school_page = app.test_client().get(f"/schools/{UNLINKED}").get_data(as_text=True)
    assert "Fells Teaching School Hub" in school_page
    assert manager.post(claim_url, data=approve).status_code == 303
    assert _status(app, world["claims"][UNLINKED]) == "approved"


def test_the_claims_and_reviews_page_is_for_owners_and_managers(app: Flask, world: dict) -> None:
    url = f"/hubs/{world['hub_a']}/claims"
    for role, expected in (("curator-a", 403), ("manager-b", 403), ("reader", 403), ("manager-a", 200), ("admin", 200)):
        assert client_for(app, role).get(url).status_code == expected, role
    manager = client_for(app, "manager-a")
    page = manager.get(url).get_data(as_text=True)
    assert f"Claimant {LINKED}" in page and f"Claimant {PENDING}" not in page and f"Claimant {UNLINKED}" not in page
    assert "publishe" in page and "without review" in page  # moderation is off: nothing waits
    decided = manager.post(f"/admin/claims/{world['claims'][LINKED]}",
                           data={"csrf_token": csrf_token(manager), "decision": "rejected", "next": url})
    assert decided.status_code == 303 and decided.headers["Location"].endswith(url)
    assert "No claims waiting for these schools." in manager.get(url).get_data(as_text=True)
    curator_view = client_for(app, "curator-a").get(f"/hubs/{world['hub_a']}").get_data(as_text=True)
    assert "Claims and reviews" not in curator_view
    empty = client_for(app, "manager-b").get(f"/hubs/{world['hub_b']}/claims").get_data(as_text=True)
    assert "No schools are linked to this hub yet." in empty


def _submit(app: Flask, email: str, urn: int, title: str) -> int:
    """A school author writes a draft and sends it for review (moderation is on)."""
    author = app.test_client()
    sign_in(author, email)
    token = csrf_token(author)
    editor = author.post("/author/drafts", data={"csrf_token": token, "school_urn": urn}).headers["Location"]
    form = {"csrf_token": token, "title": title, "summary": "A reading dog visited weekly.", "years": "2024",
            "evidence_strength": "self-reported", "topics": ["reading"], "action": "publish",
            **{f"section-{k}": v for k, v in samples.BODY.items()}}
    assert "Sent for review" in author.post(editor, data=form).get_data(as_text=True)
    return int(editor.rstrip("/").split("/")[-1])


def _fingerprint(review_page: TestResponse) -> str:
    """The fingerprint of the text a review page shows, which its approval form sends."""
    match = re.search(r'name="fingerprint" value="([0-9a-f]+)"', review_page.get_data(as_text=True))
    assert review_page.status_code == 200 and match is not None
    return match.group(1)


def test_a_hub_reviews_its_schools_drafts_when_moderation_is_on(app: Flask, world: dict) -> None:
    app.config["COMMONS_MODERATION"] = "1"
    make_user(app, "author@example.org", school=LINKED, name="Ruth Armitage")
    make_user(app, "elsewhere@example.org", school=UNLINKED, name="Sam Elsewhere")
    ours = _submit(app, "author@example.org", LINKED, "Reading dogs on Fridays")
    theirs = _submit(app, "elsewhere@example.org", UNLINKED, "Reading dogs elsewhere")
    hub = world["hub_a"]
    manager = client_for(app, "manager-a")
    token = csrf_token(manager)
    queue = manager.get(f"/hubs/{hub}/claims").get_data(as_text=True)
    assert "Reading dogs on Fridays" in queue and "Reading dogs elsewhere" not in queue
    assert manager.get(f"/hubs/{hub}/reviews/{ours}").status_code == 200
    assert manager.get(f"/hubs/{hub}/reviews/{theirs}").status_code == 404

    for role, draft_id in (("curator-a", ours), ("manager-b", ours), ("reader", ours), ("manager-a", theirs)):
        other = client_for(app, role)
        other_token = csrf_token(other)
        publish = {"csrf_token": other_token, "confirm_privacy": "yes"}
        assert other.post(f"/admin/drafts/{draft_id}/publish", data=publish).status_code == 404
        send_back = {"csrf_token": other_token, "note": "No."}
        assert other.post(f"/admin/drafts/{draft_id}/return", data=send_back).status_code == 404
    with app.app_context():  # refused attempts changed nothing
        assert db.session.scalar(select(CaseStudy)) is None
        assert all(db.session.get(Draft, d).status == "submitted" for d in (ours, theirs))

    returned = manager.post(f"/admin/drafts/{ours}/return",
                            data={"csrf_token": token, "note": "Say how many pupils took part.",
                                  "next": f"/hubs/{hub}/claims"})
    assert returned.status_code == 303 and returned.headers["Location"].endswith(f"/hubs/{hub}/claims")
    with app.app_context():
        assert db.session.get(Draft, ours).status == "writing"
        mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to == "author@example.org",
                                                             OutboxMessage.subject.like("Returned%")))
        assert mail is not None and "Say how many pupils took part." in mail.body
    assert "Reading dogs on Fridays" not in manager.get(f"/hubs/{hub}/claims").get_data(as_text=True)

    ours = _submit(app, "author@example.org", LINKED, "Reading dogs on Fridays")  # sent again, as it was
    approval = {"csrf_token": token, "fingerprint": _fingerprint(manager.get(f"/hubs/{hub}/reviews/{ours}"))}
    published = manager.post(f"/admin/drafts/{ours}/publish", data=approval)
    assert published.status_code == 303
    with app.app_context():  # credited to its author, not to the reviewer
        case_study = db.session.scalar(select(CaseStudy).where(CaseStudy.title == "Reading dogs on Fridays"))
        assert case_study is not None and [a["name"] for a in case_study.authors] == ["Ruth Armitage"]
    admin = client_for(app, "admin")  # admins keep every power
    assert "Reading dogs elsewhere" in admin.get("/admin").get_data(as_text=True)
    review = admin.get(f"/admin/drafts/{theirs}/review")
    approval = {"csrf_token": csrf_token(admin), "fingerprint": _fingerprint(review)}
    assert admin.post(f"/admin/drafts/{theirs}/publish", data=approval).status_code == 303


def test_a_hub_lead_does_not_review_their_own_draft(app: Flask, world: dict) -> None:
    app.config["COMMONS_MODERATION"] = "1"
    with app.app_context():
        db.session.add(Membership(user_id=world["users"]["manager-a"], school_urn=LINKED, status="approved"))
        db.session.commit()
    own = _submit(app, "manager-a@example.org", LINKED, "My own reading plan")
    manager = client_for(app, "manager-a")
    by_manager = {"csrf_token": csrf_token(manager), "confirm_privacy": "yes"}
    assert manager.post(f"/admin/drafts/{own}/publish", data=by_manager).status_code == 404
    owner = client_for(app, "owner-a")
    by_owner = {"csrf_token": csrf_token(owner), "fingerprint": _fingerprint(owner.get(f"/admin/drafts/{own}/review"))}
    assert owner.post(f"/admin/drafts/{own}/publish", data=by_owner).status_code == 303


def test_the_school_page_shows_what_it_offers_how_to_ask_and_who_looks_after_it(app: Flask, world: dict, runner,
                                                                                tmp_path: Path) -> None:
    samples.write(tmp_path / "in", "breakfast-calls", urn=LINKED, open_to="[visits, peer-review]")
    samples.write(tmp_path / "in", "reading-corner", urn=LINKED, title='"A reading corner"', topics="[reading]",
                  open_to="[visits]")
    samples.write(tmp_path / "in", "quiet-work", urn=PENDING, title='"Quiet work"')
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    page = app.test_client().get(f"/schools/{LINKED}").get_data(as_text=True)
    offers = page[page.index('id="offers-h"'):]
    visits = offers[offers.index("<li>Visits on "):].split("from", 1)[0]
    assert all(topic in visits for topic in ("reading and phonics", "attendance", "disadvantaged pupils"))
    assert "Peer review on attendance, disadvantaged pupils," in offers
    assert "/case-studies/breakfast-calls#ask" in offers and "How to ask" in offers and "URN 990003" in offers
    assert "Open to other schools: visits, peer review" in page and "Looked after by" in page
    quiet = app.test_client().get(f"/schools/{PENDING}").get_data(as_text=True)
    assert "has not said it is open to visits" in quiet and "Looked after by" not in quiet  # the link is not confirmed
