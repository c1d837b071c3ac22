"""Hardening of accounts and mail (issue 15): each test is named after the defect it keeps fixed.

1 reset poisoning through the Host header, 6 registration timing, 16 unlimited mail,
23 weak passwords, 26 hub members and account enumeration, 27 API tokens after a reset,
30 reset links in the admin outbox, 15 sessions that outlived signing out; 26 also covers the
members list, where adding a member is an invitation shown as the address typed until accepted.
"""

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from commons import create_app, trusted_hosts
from commons.db import db
from commons.models import ApiToken, HubMember, OutboxMessage, User
from commons.ops.migrate import upgrade
from commons.services import accounts, api_tokens, collections, hub_invitations
from commons.web.helpers import hide_token_links, public_link
from tests.accounts import PASSWORD, csrf_token, make_user, sign_in, without_csrf

PUBLIC = "http://127.0.0.1:5000"  # the default COMMONS_PUBLIC_URL
WEAK = ["            ", "aaaaaaaaaaaa", "password1234", "Password1234!", "abcabcabcabc", "qwertyuiop12",
        "123456789012", "iloveyou2024", "  football  2024"]


def outbox(app: Flask, to: str | None = None) -> list[OutboxMessage]:
    with app.app_context():
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        if to is not None:
            statement = statement.where(OutboxMessage.to == to)
        found = list(db.session.scalars(statement))
        db.session.expunge_all()
        return found


def forgot(client: FlaskClient, email: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return client.post("/forgot-password", data={"csrf_token": csrf_token(client), "email": email}, **kwargs)


def register(client: FlaskClient, email: str, password: str = PASSWORD, **kwargs: object):  # type: ignore[no-untyped-def]
    return client.post("/register", data={"csrf_token": csrf_token(client), "name": "Sam Head", "email": email,
                                          "password": password}, **kwargs)


def reset_link(app: Flask, email: str) -> str:
    body = outbox(app, email)[-1].body
    return "/" + body.split(app.config["COMMONS_PUBLIC_URL"] + "/", 1)[1].split()[0]


def test_defect_01_reset_mail_links_use_the_public_url_not_the_host(app: Flask) -> None:
    make_user(app, "head@example.org")
    app.config["WTF_CSRF_ENABLED"] = False  # the forged Host would not carry the session's cookie
    client = app.test_client()
    forged = {"base_url": "http://evil.example"}
    client.post("/forgot-password", data={"email": "head@example.org"}, **forged)
    client.post("/register", data={"email": "head@example.org", "name": "X", "password": PASSWORD}, **forged)
    client.post("/register", data={"email": "new@example.org", "name": "Y", "password": PASSWORD}, **forged)
    mails = outbox(app)
    assert len(mails) == 3
    for mail in mails:
        assert "evil.example" not in mail.body, mail.body
        assert f"{PUBLIC}/" in mail.body, mail.body
    assert f"{PUBLIC}/reset-password/" in mails[0].body
    # ask-the-author mails are built with the same helper
    with app.test_request_context("/", base_url="http://evil.example"):
        assert public_link("questions.mine") == f"{PUBLIC}/questions/asked"
        assert public_link("questions.question", question_id=7) == f"{PUBLIC}/questions/7"


def test_defect_01_a_configured_public_url_refuses_other_hosts(database_url: str, tmp_path: Path,
                                                               fast_embedder: object) -> None:
    assert trusted_hosts({}) == [] and trusted_hosts({"COMMONS_PUBLIC_URL": PUBLIC}) == []
    app = create_app({"TESTING": True, "COMMONS_DATABASE_URL": database_url,
                      "COMMONS_INSTANCE_PATH": str(tmp_path / "instance"), "COMMONS_SECRET_KEY": "test-secret",
                      "COMMONS_PUBLIC_URL": "https://commons.example.org/",
                      "COMMONS_TRUSTED_HOSTS": "www.commons.example.org, 10.0.0.5"},
                     embedder=fast_embedder)  # type: ignore[arg-type]
    assert app.config["TRUSTED_HOSTS"] == ["commons.example.org", "www.commons.example.org", "10.0.0.5"]
    with app.app_context():
        upgrade(db.engine)
    make_user(app, "head@example.org")
    client = app.test_client()
    assert client.get("/sign-in", base_url="https://evil.example").status_code == 400
    assert client.get("/sign-in", base_url="https://www.commons.example.org").status_code == 200
    page = client.get("/sign-in", base_url="https://commons.example.org")
    assert page.status_code == 200
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/forgot-password", data={"email": "head@example.org"},
                       base_url="https://commons.example.org").status_code == 200
    [mail] = outbox(app, "head@example.org")
    assert "https://commons.example.org/reset-password/" in mail.body
    with app.app_context():
        db.engine.dispose()


def test_defect_06_registering_an_existing_address_costs_a_password_hash_too(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    make_user(app, "head@example.org")
    hashed: list[str] = []
    real = accounts.hash_password

    def counting(password: str) -> str:
        hashed.append(password)
        return real(password)

    monkeypatch.setattr(accounts, "hash_password", counting)
    client = app.test_client()
    existing = register(client, "head@example.org", "an existing address tried again")
    assert existing.status_code == 200 and hashed == ["an existing address tried again"]
    fresh = register(client, "new@example.org", "a brand new account's password")
    assert fresh.status_code == 200 and len(hashed) == 2
    assert without_csrf(existing.get_data(as_text=True)) == without_csrf(fresh.get_data(as_text=True))


def test_defect_16_account_mails_are_limited_per_recipient_and_per_client(app: Flask) -> None:
    make_user(app, "head@example.org")
    client = app.test_client()
    pages = [forgot(client, "head@example.org") for _ in range(accounts.MAX_MAILS_PER_CLIENT)]
    assert {page.status_code for page in pages} == {200}  # the same page, sent or not: no enumeration
    assert len({page.get_data(as_text=True) for page in pages}) == 1
    assert len(outbox(app, "head@example.org")) == accounts.MAX_MAILS_PER_RECIPIENT

    # another client cannot top the same recipient up (not even by registering the address)
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.44"
    assert forgot(other, "head@example.org").status_code == 200
    assert register(other, "head@example.org").status_code == 200
    assert len(outbox(app, "head@example.org")) == accounts.MAX_MAILS_PER_RECIPIENT

    # the first client has asked for as many mails as it may this hour, whatever the address
    refused = register(client, "someone-else@example.org")
    assert refused.status_code == 429 and accounts.TOO_MANY_MAILS in refused.get_data(as_text=True)
    assert forgot(client, "nobody@example.org").status_code == 429
    assert outbox(app, "someone-else@example.org") == []
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "someone-else@example.org")) is None
    # other mail to the recipient (ask the author, claims) is not counted against account mail
    assert accounts.ACCOUNT_MAIL_SUBJECTS == (accounts.SUBJECT_REGISTERED_ALREADY, accounts.SUBJECT_WELCOME,
                                              accounts.SUBJECT_RESET)


@pytest.mark.parametrize("password", WEAK)
def test_defect_23_blank_repetitive_and_common_passwords_are_refused_on_web_and_cli(
        app: Flask, runner, password: str) -> None:  # type: ignore[no-untyped-def]
    page = register(app.test_client(), "new@example.org", password)
    assert page.status_code == 400
    message = accounts.password_problem(password)
    assert message is not None
    assert message.split(".")[0].replace("'", "&#39;") in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "new@example.org")) is None
    cli = runner.invoke(args=["users", "create-admin", "admin@example.org", "--password", password])
    assert cli.exit_code != 0 and "password:" in cli.output and message.split(".")[0] in cli.output

    make_user(app, "head@example.org")
    client = app.test_client()
    forgot(client, "head@example.org")
    refused = client.post(reset_link(app, "head@example.org"),
                          data={"csrf_token": csrf_token(client), "password": password})
    assert refused.status_code == 400


def test_defect_23_good_passwords_are_still_accepted() -> None:
    for password in (PASSWORD, "my dog likes cheese on toast", "Tr0ub4dor&3-horse", "a long enough password"):
        assert accounts.password_problem(password) is None, password


def test_defect_26_adding_a_hub_member_says_the_same_whether_or_not_the_address_has_an_account(app: Flask) -> None:
    owner = make_user(app, "owner@example.org")
    make_user(app, "teacher@example.org")
    with app.app_context():
        hub = collections.create_hub(db.session, "Fells Hub", "trust", db.session.get(User, owner))
        db.session.commit()
        slug = hub.slug
    client = app.test_client()
    sign_in(client, "owner@example.org")

    def add(email: str, role: str = "curator") -> tuple[int, str | None, object]:
        response = client.post(f"/hubs/{slug}/members",
                               data={"csrf_token": csrf_token(client), "email": email, "role": role})
        with client.session_transaction() as stored:
            flashes = stored.pop("_flashes", None)
        return response.status_code, response.headers.get("Location"), flashes

    with_account, without_account = add("teacher@example.org"), add("stranger@example.org")
    assert with_account == without_account
    assert with_account[2] == [("ok", hub_invitations.MEMBER_SET)]
    assert add("teacher@example.org", "remove") == add("stranger@example.org", "remove")
    def refused(email: str, role: str = "curator") -> str:  # shown again as typed, with the error (no flash)
        response = client.post(f"/hubs/{slug}/members",
                               data={"csrf_token": csrf_token(client), "email": email, "role": role})
        assert response.status_code == 400
        return response.get_data(as_text=True)

    assert "Enter an email address like name@school.org.uk." in refused("not an address")
    assert "The role must be owner, manager or curator." in refused("stranger@example.org", "emperor")
    with app.app_context():
        roles = {m.user.email: m.role for m in db.session.scalars(select(HubMember))}
    assert roles == {"owner@example.org": "owner"}


def test_defect_27_a_password_reset_revokes_the_users_api_tokens(app: Flask) -> None:
    user_id = make_user(app, "head@example.org")
    with app.app_context():
        secret = api_tokens.create(db.session, db.session.get(User, user_id), "Trust website", ["read"]).secret
        db.session.commit()
        assert api_tokens.authenticate(db.session, secret) is not None
    client = app.test_client()
    forgot(client, "head@example.org")
    assert "revokes your API tokens" in outbox(app, "head@example.org")[-1].body
    link = reset_link(app, "head@example.org")
    assert "revokes your API tokens" in client.get(link).get_data(as_text=True)
    changed = client.post(link, data={"csrf_token": csrf_token(client), "password": "a brand new long password"},
                          follow_redirects=True)
    assert changed.status_code == 200 and "API tokens (1) were revoked" in changed.get_data(as_text=True)
    with app.app_context():
        assert api_tokens.authenticate(db.session, secret) is None
        assert all(t.revoked_at is not None for t in db.session.scalars(select(ApiToken)))


def test_defect_30_the_admin_outbox_shows_that_a_reset_link_exists_but_not_its_token(app: Flask) -> None:
    make_user(app, "admin@example.org", admin=True)
    make_user(app, "head@example.org")
    forgot(app.test_client(), "head@example.org")
    token = reset_link(app, "head@example.org").rsplit("/", 1)[1]
    assert len(token) > 20
    admin = app.test_client()
    sign_in(admin, "admin@example.org")
    page = admin.get("/admin").get_data(as_text=True)
    assert accounts.SUBJECT_RESET in page and "head@example.org" in page
    assert token not in page and "/reset-password/[a one-time link, hidden here]" in page


def _signed_in_as(client: FlaskClient) -> bool:
    return 'action="/sign-out"' in client.get("/my-school").get_data(as_text=True)


def test_defect_15_signing_out_ends_every_copy_of_the_session(app: Flask) -> None:
    make_user(app, "head@example.org")
    browser = app.test_client()
    sign_in(browser, "head@example.org")
    assert _signed_in_as(browser) and browser.get("/author").status_code == 200
    copied = browser.get_cookie("session")
    assert copied is not None
    thief = app.test_client()
    thief.set_cookie("session", copied.value)
    assert _signed_in_as(thief)

    assert browser.post("/sign-out", data={"csrf_token": csrf_token(browser)}).status_code == 303
    assert not _signed_in_as(browser)
    assert not _signed_in_as(thief)
    assert thief.get("/author").status_code == 303  # to the sign-in page
    replayed = app.test_client()  # the cookie as it was before signing out, sent again
    replayed.set_cookie("session", copied.value)
    assert not _signed_in_as(replayed)

    sign_in(browser, "head@example.org")  # signing in again works, and only the new session does
    assert _signed_in_as(browser) and not _signed_in_as(replayed)


def test_defect_15_a_new_password_ends_other_sessions(app: Flask) -> None:
    make_user(app, "head@example.org")
    elsewhere = app.test_client()
    sign_in(elsewhere, "head@example.org")
    here = app.test_client()
    forgot(here, "head@example.org")
    link = reset_link(app, "head@example.org")
    assert here.post(link, data={"csrf_token": csrf_token(here), "password": "a brand new long password"}
                     ).status_code == 303
    assert _signed_in_as(here) and not _signed_in_as(elsewhere)


def test_defect_15_a_session_ends_after_its_lifetime_however_active(database_url: str, tmp_path: Path,
                                                                    fast_embedder: object) -> None:
    app = create_app({"TESTING": True, "COMMONS_DATABASE_URL": database_url,
                      "COMMONS_INSTANCE_PATH": str(tmp_path / "instance"), "COMMONS_SECRET_KEY": "test-secret",
                      "COMMONS_SESSION_LIFETIME_DAYS": "3"}, embedder=fast_embedder)  # type: ignore[arg-type]
    assert app.config["COMMONS_SESSION_LIFETIME_DAYS"] == 3
    with app.app_context():
        upgrade(db.engine)
    make_user(app, "head@example.org")
    client = app.test_client()
    sign_in(client, "head@example.org")
    with client.session_transaction() as stored:
        stored["signed_in_at"] -= 3 * 24 * 3600 - 60  # a minute short of three days ago, and busy since
    assert _signed_in_as(client)
    with client.session_transaction() as stored:
        stored["signed_in_at"] -= 120  # a minute past
    assert not _signed_in_as(client)
    with client.session_transaction() as stored:
        assert "user_id" not in stored
    for wrong in ("0", "two weeks", "-1", "1000"):
        with pytest.raises(ValueError, match="COMMONS_SESSION_LIFETIME_DAYS"):
            create_app({"COMMONS_INSTANCE_PATH": str(tmp_path / "other"), "COMMONS_SECRET_KEY": "x",
                        "COMMONS_SESSION_LIFETIME_DAYS": wrong})
    with app.app_context():
        db.engine.dispose()


def _hub_with_owner(app: Flask) -> str:
    owner = make_user(app, "owner@example.org", name="Olive Owner")
    with app.app_context():
        hub = collections.create_hub(db.session, "Fells Hub", "trust", db.session.get(User, owner))
        db.session.commit()
        return hub.slug


def _set_member(client: FlaskClient, slug: str, email: str, role: str) -> None:
    response = client.post(f"/hubs/{slug}/members", data={"csrf_token": csrf_token(client), "email": email,
                                                          "role": role})
    assert response.status_code == 303


def _invitation_link(app: Flask, email: str) -> str:
    [mail] = [m for m in outbox(app, email) if m.subject == hub_invitations.SUBJECT_INVITATION][-1:]
    return "/" + mail.body.split(f"{PUBLIC}/", 1)[1].split()[0]


def test_defect_26_the_members_list_is_the_same_whether_or_not_the_address_has_an_account(app: Flask) -> None:
    slug = _hub_with_owner(app)
    make_user(app, "teacher@example.org", name="Tess Teacher")
    owner = app.test_client()
    sign_in(owner, "owner@example.org")

    _set_member(owner, slug, "Teacher@Example.org ", "curator")
    with_account = owner.get(f"/hubs/{slug}").get_data(as_text=True)
    _set_member(owner, slug, "teacher@example.org", "remove")  # withdrawn
    assert "Invited:" not in owner.get(f"/hubs/{slug}").get_data(as_text=True)
    _set_member(owner, slug, "stranger@example.org", "curator")
    without_account = owner.get(f"/hubs/{slug}").get_data(as_text=True)

    assert "Invited: teacher@example.org, curator" in with_account and "Tess Teacher" not in with_account
    assert "Invited: stranger@example.org, curator" in without_account
    assert (without_csrf(with_account.replace("teacher@example.org", "@"))
            == without_csrf(without_account.replace("stranger@example.org", "@")))
    mails = [outbox(app, "teacher@example.org"), outbox(app, "stranger@example.org")]
    assert [len(m) for m in mails] == [1, 1]
    bodies = [hide_token_links(m[0].body) for m in mails]
    assert bodies[0] == bodies[1] and "/hub-invitations/[a one-time link, hidden here]" in bodies[0]
    assert f"{PUBLIC}/hub-invitations/" in mails[0][0].body
    assert "Invited:" not in app.test_client().get(f"/hubs/{slug}").get_data(as_text=True)  # leads only
    with app.app_context():
        assert {m.user.email for m in db.session.scalars(select(HubMember))} == {"owner@example.org"}


def test_defect_26_only_the_invited_address_accepts_and_then_joins(app: Flask) -> None:
    slug = _hub_with_owner(app)
    make_user(app, "teacher@example.org", name="Tess Teacher")
    make_user(app, "nosy@example.org", name="Nosy Neighbour")
    owner = app.test_client()
    sign_in(owner, "owner@example.org")
    _set_member(owner, slug, "teacher@example.org", "curator")
    _set_member(owner, slug, "new@example.org", "curator")
    link = _invitation_link(app, "teacher@example.org")

    anonymous = app.test_client().get(link)
    assert anonymous.status_code == 303 and "/sign-in" in anonymous.headers["Location"]
    stranger = app.test_client()
    sign_in(stranger, "nosy@example.org")
    assert stranger.get(link).status_code == 403
    refused = stranger.post(link, data={"csrf_token": csrf_token(stranger)})
    assert refused.status_code == 403 and "sent to another email address" in refused.get_data(as_text=True)
    assert "teacher@example.org" not in refused.get_data(as_text=True)
    assert stranger.get("/hub-invitations/" + "x" * 43).status_code == 404

    teacher = app.test_client()
    sign_in(teacher, "teacher@example.org")
    assert "Join Fells Hub" in teacher.get(link).get_data(as_text=True)
    joined = teacher.post(link, data={"csrf_token": csrf_token(teacher)})
    assert joined.status_code == 303
    page = owner.get(f"/hubs/{slug}").get_data(as_text=True)
    assert "Tess Teacher, curator" in page and "Invited: teacher@example.org" not in page
    assert "Nosy Neighbour" not in page
    assert teacher.post(link, data={"csrf_token": csrf_token(teacher)}).status_code == 404  # used

    # someone with no account registers with the invited address, then accepts
    newcomer = app.test_client()
    register(newcomer, "new@example.org")
    sign_in(newcomer, "new@example.org")
    assert newcomer.post(_invitation_link(app, "new@example.org"),
                         data={"csrf_token": csrf_token(newcomer)}).status_code == 303
    with app.app_context():
        roles = {m.user.email: m.role for m in db.session.scalars(select(HubMember))}
    assert roles == {"owner@example.org": "owner", "teacher@example.org": "curator", "new@example.org": "curator"}
