"""Email alerts of what a reader follows: chosen per follow, sent at once after a matching publish
or as daily and weekly digests, through the mailer and its outbox, each with a one-click
unsubscribe that needs no sign-in."""

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from commons.db import db
from commons.models import AlertEvent, Follow, OutboxMessage, User
from commons.services import alerts, api_tokens
from tests import samples
from tests.accounts import csrf_token, make_user, sign_in

SCHOOL = 990003
OTHER_SCHOOL = 990001
READER, AUTHOR, BYSTANDER = "reader@alerts.example", "head@fellside.example", "other@alerts.example"
DRAFT = {"title": "Walking buses in a fell village", "summary": "Two walking buses got children to school on time.",
         "years": "2023-2024", "evidence_strength": "internal data", "topics": ["attendance"]}


def publish_over_api(app: Flask, author_id: int, title: str = DRAFT["title"]) -> str:
    """Publish a complete case study the way an author's program would; returns its slug."""
    with app.app_context():
        secret = api_tokens.create(db.session, db.session.get(User, author_id), "site",
                                   ["read", "write", "publish"]).secret
        db.session.commit()
    client = app.test_client()
    auth = {"Authorization": f"Bearer {secret}"}
    created = client.post("/api/v1/drafts", json={"school_urn": SCHOOL, **DRAFT, "title": title,
                                                  "sections": samples.BODY}, headers=auth)
    assert created.status_code == 201, created.get_json()
    published = client.post(f"/api/v1/drafts/{created.get_json()['id']}/publish", json={"confirm_privacy": True},
                            headers=auth)
    assert published.status_code == 200, published.get_json()
    return str(published.get_json()["slug"])


def follow(client: FlaskClient, kind: str, target: str, alert: str | None = None) -> int:
    token = csrf_token(client)
    assert client.post("/follow", data={"csrf_token": token, "kind": kind, "target": target}).status_code == 303
    page = client.get("/following").get_data(as_text=True)
    ids = re.findall(r'action="/following/(\d+)/alert"', page)
    follow_id = int(ids[-1])
    if alert is not None:
        chosen = client.post(f"/following/{follow_id}/alert", data={"csrf_token": token, "alert": alert})
        assert chosen.status_code == 303
    return follow_id


def outbox(app: Flask, to: str) -> list[OutboxMessage]:
    with app.app_context():
        found = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.to == to).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return found


def alert_of(app: Flask, follow_id: int) -> str:
    with app.app_context():
        followed = db.session.get(Follow, follow_id)
        assert followed is not None
        return followed.alert


@pytest.fixture
def people(app: Flask) -> dict[str, Any]:
    ids = {"author": make_user(app, AUTHOR, school=SCHOOL, name="Ann Example"),
           "reader": make_user(app, READER, name="Rita Reader"), "bystander": make_user(app, BYSTANDER)}
    reader, bystander = app.test_client(), app.test_client()
    sign_in(reader, READER)
    sign_in(bystander, BYSTANDER)
    return {"ids": ids, "reader": reader, "bystander": bystander}


def test_an_immediate_alert_is_mailed_after_a_matching_publish_and_one_click_stops_it(
        app: Flask, people: dict[str, Any]) -> None:
    reader: FlaskClient = people["reader"]
    school_follow = follow(reader, "school", str(SCHOOL), "immediate")
    quiet_topic = follow(reader, "topic", "attendance")  # followed, but no emails chosen
    follow(people["bystander"], "school", str(OTHER_SCHOOL), "immediate")  # another school: no mail
    assert alert_of(app, school_follow) == "immediate" and alert_of(app, quiet_topic) == "off"
    page = reader.get("/following").get_data(as_text=True)
    assert "What is a feed?" in page and '<option value="immediate" selected>' in page

    slug = publish_over_api(app, people["ids"]["author"])

    mails = outbox(app, READER)
    assert len(mails) == 1  # one mail, though two follows match: the one that asked for it
    mail = mails[0]
    assert mail.subject == f"New on the Commons: {DRAFT['title']}"
    assert f"http://127.0.0.1:5000/case-studies/{slug}" in mail.body  # the configured public address
    assert "Fellside" in mail.body and "Stop these emails with one click" in mail.body
    assert mail.headers is not None and mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = mail.headers["List-Unsubscribe"].strip("<>")
    assert unsubscribe in mail.body and unsubscribe.startswith("http://127.0.0.1:5000/alerts/unsubscribe/")
    assert outbox(app, BYSTANDER) == []
    with app.app_context():
        assert db.session.scalars(select(AlertEvent.sent_at)).all() != [None]  # the publish is marked done

    # RFC 8058: the mail client posts, with no cookie and no CSRF token; the signed link is the proof
    stranger = app.test_client()
    path = urlsplit(unsubscribe).path
    shown = stranger.get(path)
    assert shown.status_code == 200 and "Stop these emails" in shown.get_data(as_text=True)
    assert alert_of(app, school_follow) == "immediate"  # a GET (a mail scanner) stops nothing
    done = stranger.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "Emails stopped" in done.get_data(as_text=True)
    assert alert_of(app, school_follow) == "off"
    assert stranger.post(path[:-3] + "abc").status_code == 404  # a forged or damaged token
    assert "still follow" in done.get_data(as_text=True)

    publish_over_api(app, people["ids"]["author"], title="Walking buses, the second year")
    assert len(outbox(app, READER)) == 1  # nothing more once unsubscribed


def test_only_the_follower_chooses_its_emails_and_only_from_the_choices(app: Flask, people: dict[str, Any]) -> None:
    mine = follow(people["reader"], "school", str(SCHOOL))
    bystander: FlaskClient = people["bystander"]
    token = csrf_token(bystander)
    assert bystander.post(f"/following/{mine}/alert", data={"csrf_token": token, "alert": "daily"}).status_code == 404
    reader: FlaskClient = people["reader"]
    refused = reader.post(f"/following/{mine}/alert", data={"csrf_token": csrf_token(reader), "alert": "hourly"},
                          follow_redirects=True)
    assert "Choose no emails" in refused.get_data(as_text=True)
    assert alert_of(app, mine) == "off"
    assert reader.post(f"/following/{mine}/alert", data={"alert": "daily"}).status_code == 400  # CSRF still on


def test_a_follow_made_after_a_publish_gets_no_alert_for_it(app: Flask, people: dict[str, Any], runner: Any,
                                                            tmp_path: Path) -> None:
    samples.write(tmp_path / "in", "breakfast-club", urn=SCHOOL)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0  # queued, not sent by the CLI
    follow(people["reader"], "school", str(SCHOOL), "immediate")
    result = runner.invoke(args=["alerts", "send"])
    assert result.exit_code == 0, result.output
    assert "Immediate alerts: 0 email(s) sent." in result.output
    assert outbox(app, READER) == []


def test_the_cron_command_sends_immediate_alerts_left_by_an_import(app: Flask, people: dict[str, Any], runner: Any,
                                                                   tmp_path: Path) -> None:
    follow(people["reader"], "topic", "attendance", "immediate")
    samples.write(tmp_path / "in", "breakfast-club", urn=SCHOOL)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    result = runner.invoke(args=["alerts", "send"])
    assert "Immediate alerts: 1 email(s) sent." in result.output, result.output
    assert "/case-studies/breakfast-club" in outbox(app, READER)[0].body
    again = runner.invoke(args=["alerts", "send"])
    assert "Immediate alerts: 0 email(s) sent." in again.output  # each publish alerted once


def test_daily_and_weekly_digests(app: Flask, people: dict[str, Any], runner: Any, tmp_path: Path) -> None:
    daily = follow(people["reader"], "school", str(SCHOOL), "daily")
    weekly = follow(people["reader"], "topic", "attendance", "weekly")
    with app.app_context():  # both chosen two days ago
        for follow_id in (daily, weekly):
            followed = db.session.get(Follow, follow_id)
            assert followed is not None and followed.alerted_at is not None
            followed.alerted_at -= timedelta(days=2)
            followed.created_at -= timedelta(days=2)
        db.session.commit()
    samples.write(tmp_path / "in", "breakfast-club", urn=SCHOOL)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0

    result = runner.invoke(args=["alerts", "send", "--digest", "daily"])
    assert "Daily digests: 1 email(s) sent." in result.output, result.output
    (mail,) = outbox(app, READER)
    assert mail.subject == "Your daily digest: 1 new on the Commons"
    assert "/case-studies/breakfast-club" in mail.body and mail.headers and "List-Unsubscribe" in mail.headers
    assert "Breakfast and a phone call" in mail.body
    assert "Daily digests: 0 email(s) sent." in runner.invoke(args=["alerts", "send", "--digest", "daily"]).output
    weekly_run = runner.invoke(args=["alerts", "send", "--digest", "weekly"])
    assert "Weekly digests: 0 email(s) sent." in weekly_run.output  # only two days since it was chosen
    assert runner.invoke(args=["alerts", "send", "--digest", "monthly"]).exit_code == 2


def test_unsubscribe_tokens_are_signed_and_name_only_their_owners_follows(app: Flask, people: dict[str, Any]) -> None:
    mine = follow(people["reader"], "school", str(SCHOOL), "weekly")
    theirs = follow(people["bystander"], "school", str(SCHOOL), "weekly")
    with app.app_context():
        secret = app.config["SECRET_KEY"]
        token = alerts.unsubscribe_token(secret, people["ids"]["reader"], [mine, theirs])
        assert alerts.read_token("another secret", token) is None
        stopped = alerts.unsubscribe(db.session, *alerts.read_token(secret, token))  # type: ignore[misc]
        db.session.commit()
        assert [f.id for f in stopped] == [mine]
    assert alert_of(app, mine) == "off" and alert_of(app, theirs) == "weekly"


@pytest.mark.slow
def test_a_saved_search_is_alerted_when_the_search_answers_with_the_new_case_study(
        app: Flask, people: dict[str, Any], runner: Any, tmp_path: Path) -> None:
    reader: FlaskClient = people["reader"]
    follow(reader, "search", "q=how+did+a+village+school+improve+attendance+with+a+breakfast+club", "immediate")
    follow(reader, "search", "q=teaching+phonics+to+reception+children+with+speech+difficulties", "immediate")
    samples.write(tmp_path / "in", "breakfast-club", urn=SCHOOL)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    result = runner.invoke(args=["alerts", "send"])
    assert "Immediate alerts: 1 email(s) sent." in result.output, result.output
    (mail,) = outbox(app, READER)
    assert "breakfast club" in mail.body and "phonics" not in mail.body


def test_a_backlog_of_publishes_nobody_could_be_alerted_of_never_holds_up_the_next_alert(
        app: Flask, people: dict[str, Any], runner: Any, tmp_path: Path) -> None:
    """As after `commons setup`: many publishes queued before anyone asked for alerts."""
    for n in range(25):  # more than one request's share of queued publishes
        samples.write(tmp_path / "in", f"older-study-{n}", urn=OTHER_SCHOOL)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    follow(people["reader"], "school", str(SCHOOL), "immediate")
    publish_over_api(app, people["ids"]["author"])
    mails = outbox(app, READER)
    assert len(mails) == 1 and mails[0].subject == f"New on the Commons: {DRAFT['title']}"
    with app.app_context():
        assert db.session.scalar(select(AlertEvent.id).where(AlertEvent.sent_at.is_(None))) is None


def test_the_following_page_dates_each_case_study_by_its_publication(
        app: Flask, people: dict[str, Any], runner: Any, tmp_path: Path) -> None:
    samples.write(tmp_path / "in", "breakfast-club", urn=SCHOOL, published="2024-10-03")
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0  # loaded today, published in 2024
    follow(people["reader"], "school", str(SCHOOL))
    page = people["reader"].get("/following").get_data(as_text=True)
    assert "published 3 October 2024" in page
