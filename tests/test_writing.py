"""Writing without losing a word: autosave, an expired security token, "Add a row", the Markdown
help, the preview as readers will see it, co-authors, the privacy check beside Publish and form
controls that all look alike."""

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from commons import CSRF_TIME_LIMIT
from commons.db import db
from commons.domain.case_study_format import MAX_IMPACT_ROWS
from commons.models import CaseStudy, Draft, User
from commons.services import api_tokens
from commons.web.errors import EXPIRED
from tests import samples
from tests.accounts import csrf_token, make_user, sign_in

SCHOOL_A, SCHOOL_B = 990003, 990012
TITLE = "Walking buses in a fell village"


@pytest.fixture
def author(app: Flask) -> FlaskClient:
    make_user(app, "author@example.org", school=SCHOOL_A, name="Ann Example")
    make_user(app, "other@example.org", school=SCHOOL_B, name="Olu Other")
    client = app.test_client()
    sign_in(client, "author@example.org")
    return client


def new_draft(client: FlaskClient) -> str:
    created = client.post("/author/drafts", data={"csrf_token": csrf_token(client), "school_urn": SCHOOL_A})
    assert created.status_code == 303
    return created.headers["Location"]


def whole_form(client: FlaskClient, **extra: str) -> dict[str, object]:
    return {"csrf_token": csrf_token(client), "title": TITLE, "summary": "Walking buses got children in on time.",
            "years": "2023-2024", "evidence_strength": "internal data", "topics": ["attendance"],
            **{f"section-{k}": v for k, v in samples.BODY.items()},
            "impact-0-measure": "Persistent absence", "impact-0-before": "24%", "impact-0-after": "11%",
            "impact-0-period": "2022–2024", "impact-0-pupils": "31", **extra}


def stored(app: Flask, editor_url: str) -> dict[str, object]:
    with app.app_context():
        draft = db.session.get(Draft, int(editor_url.rstrip("/").split("/")[-1]))
        assert draft is not None
        return dict(draft.fields)


def status_of(app: Flask, editor_url: str) -> str:
    with app.app_context():
        draft = db.session.get(Draft, int(editor_url.rstrip("/").split("/")[-1]))
        assert draft is not None
        return draft.status


def token_in(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


# ---- the security token: long enough for writing, and an expired one loses nothing


def test_a_form_token_lasts_a_working_day(app: Flask) -> None:
    assert app.config["WTF_CSRF_TIME_LIMIT"] == CSRF_TIME_LIMIT == 12 * 60 * 60


@pytest.mark.parametrize("how", ["expired", "tampered"])
def test_a_refused_token_shows_the_editor_again_with_everything_typed_and_saves_nothing(
        app: Flask, author: FlaskClient, how: str) -> None:
    editor = new_draft(author)
    form = whole_form(author, action="publish", co_authors="Bob Smith")
    if how == "tampered":
        form["csrf_token"] = str(form["csrf_token"])[:-4] + "AAAA"
    else:
        app.config["WTF_CSRF_TIME_LIMIT"] = -1  # every token is older than that
    refused = author.post(editor, data=form)
    app.config["WTF_CSRF_TIME_LIMIT"] = CSRF_TIME_LIMIT
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert EXPIRED.replace("'", "&#39;") in page
    assert f'value="{TITLE}"' in page and 'value="Bob Smith"' in page
    for text in samples.BODY.values():
        assert str(text).replace("'", "&#39;") in page  # every section, as typed
    assert 'value="Persistent absence"' in page and 'value="attendance" checked' in page.replace("  ", " ")
    assert stored(app, editor).get("title") in (None, "")  # nothing was saved on a refused token
    fresh = token_in(page)
    if how == "tampered":
        assert fresh != form["csrf_token"]

    again = author.post(editor, data={**form, "csrf_token": fresh, "action": "save"})  # the re-shown form saves
    assert again.status_code == 303
    assert stored(app, editor)["title"] == TITLE


def test_a_refused_token_on_any_other_form_shows_what_was_typed_but_never_a_password(app: Flask) -> None:
    make_user(app, "reader@example.org")
    client = app.test_client()
    csrf_token(client)
    signing_in = client.post("/sign-in", data={"csrf_token": "stale", "email": "reader@example.org",
                                               "password": "my secret words"})
    assert signing_in.status_code == 400
    page = signing_in.get_data(as_text=True)
    assert EXPIRED.replace("'", "&#39;") in page and 'value="reader@example.org"' in page
    assert "my secret words" not in page
    assert 'action="/sign-in"' in page and token_in(page) != "stale"


def test_a_form_with_nothing_typed_gets_the_plain_expired_page(app: Flask, author: FlaskClient) -> None:
    refused = author.post("/sign-out", data={"csrf_token": "stale"})
    assert refused.status_code == 400
    assert "That form had expired" in refused.get_data(as_text=True)


# ---- autosave


def test_autosave_keeps_what_is_typed_and_renews_the_token(app: Flask, author: FlaskClient) -> None:
    editor = new_draft(author)
    form = whole_form(author, co_authors="Bob Smith")
    saved = author.post(editor + "/autosave", data=form)
    assert saved.status_code == 200 and saved.is_json
    answer = saved.get_json()
    assert answer["saved"] is True and answer["problems"] == {} and answer["csrf_token"]
    fields = stored(app, editor)
    assert fields["title"] == TITLE and fields["co_authors"] == "Bob Smith"
    assert fields["sections"]["impact"] == samples.BODY["impact"]
    with_new_token = author.post(editor + "/autosave", data={**form, "title": "Second go",
                                                              "csrf_token": answer["csrf_token"]})
    assert with_new_token.status_code == 200 and stored(app, editor)["title"] == "Second go"


def test_autosave_reports_what_is_too_long_without_cutting_it(app: Flask, author: FlaskClient) -> None:
    editor = new_draft(author)
    answer = author.post(editor + "/autosave", data=whole_form(author, title="x" * 400)).get_json()
    assert answer["saved"] is True and "Title is 400 characters" in answer["problems"]["title"]
    assert stored(app, editor)["title"] == "x" * 400


def test_autosave_saves_nothing_on_a_refused_token_and_hands_back_a_fresh_one(app: Flask, author: FlaskClient) -> None:
    editor = new_draft(author)
    refused = author.post(editor + "/autosave", data={**whole_form(author), "csrf_token": "stale"})
    assert refused.status_code == 400 and refused.is_json
    assert refused.get_json()["error"] == EXPIRED and refused.get_json()["csrf_token"]
    assert stored(app, editor).get("title") in (None, "")
    fresh = refused.get_json()["csrf_token"]
    retried = author.post(editor + "/autosave", data={**whole_form(author), "csrf_token": fresh})
    assert retried.status_code == 200 and stored(app, editor)["title"] == TITLE


def test_autosave_is_only_for_the_drafts_authors(app: Flask, author: FlaskClient) -> None:
    editor = new_draft(author)
    other = app.test_client()
    sign_in(other, "other@example.org")
    refused = other.post(editor + "/autosave", data=whole_form(other, title="Not mine"))
    assert refused.status_code == 404 and refused.is_json
    stranger = app.test_client()
    signed_out = stranger.post(editor + "/autosave", data=whole_form(stranger, title="Not mine"))
    assert signed_out.status_code == 401 and "signed out" in signed_out.get_json()["error"]
    assert stored(app, editor).get("title") in (None, "")


def test_autosave_says_when_a_change_takes_a_draft_out_of_the_review_queue(app: Flask, author: FlaskClient) -> None:
    app.config["COMMONS_MODERATION"] = "1"
    editor = new_draft(author)
    assert author.post(editor, data=whole_form(author, action="publish")).status_code == 200  # sent for review
    assert status_of(app, editor) == "submitted" and "submitted" not in stored(app, editor)
    same = author.post(editor + "/autosave", data=whole_form(author)).get_json()
    assert same["left_review_queue"] is False and status_of(app, editor) == "submitted"
    changed = author.post(editor + "/autosave", data=whole_form(author, title="Changed")).get_json()
    assert changed["left_review_queue"] is True and status_of(app, editor) == "writing"


def test_the_editor_carries_the_autosave_script_and_its_status_line(author: FlaskClient) -> None:
    page = author.get(new_draft(author)).get_data(as_text=True)
    assert 'data-autosave="/author/drafts/' in page and "autosave.js" in page
    assert re.search(r'id="autosave-status"[^>]*role="status"[^>]*aria-live="polite"', page)


# ---- the impact table, the Markdown help, the privacy check beside Publish


def test_add_a_row_without_javascript_saves_and_shows_one_more_row(app: Flask, author: FlaskClient) -> None:
    editor = new_draft(author)
    page = author.get(editor).get_data(as_text=True)
    assert page.count('name="impact-') == 2 * 5 and 'value="add_row"' in page  # two rows to start with
    added = author.post(editor, data=whole_form(author, action="add_row", impact_rows="2"))
    assert added.status_code == 303 and "rows=3" in added.headers["Location"]
    assert added.headers["Location"].endswith("#impact-2-measure")
    assert stored(app, editor)["title"] == TITLE  # saved on the way
    page = author.get(added.headers["Location"]).get_data(as_text=True)
    assert 'id="impact-2-measure"' in page and 'id="impact-3-measure"' not in page
    full = author.get(editor + f"?rows={MAX_IMPACT_ROWS + 5}").get_data(as_text=True)
    assert f'id="impact-{MAX_IMPACT_ROWS - 1}-measure"' in full and f'id="impact-{MAX_IMPACT_ROWS}-measure"' not in full
    assert 'value="add_row"' not in full  # no more rows than a case study may have


def test_the_markdown_help_says_how_to_make_paragraphs_lists_bold_and_links(author: FlaskClient) -> None:
    page = author.get(new_draft(author)).get_data(as_text=True)
    help_text = page[page.index('<details class="markdown-help"'):page.index("</details>")]
    assert "- first step" in help_text and "**same day**" in help_text and "](https://" in help_text
    assert "empty line between paragraphs" in help_text
    assert page.index("markdown-help") < page.index('id="f-section-context"')


def test_the_privacy_check_is_beside_the_publish_button(author: FlaskClient) -> None:
    editor = new_draft(author)
    warned = author.post(editor, data=whole_form(author, action="publish", **{"impact-0-pupils": "4"}))
    assert warned.status_code == 400
    page = warned.get_data(as_text=True)
    check, publish = page.index('class="privacy-check"'), page.index('value="publish"')
    assert page.index('id="f-impact"') < check < page.index('class="editor__actions"') < publish
    assert 'href="#privacy-h"' in page[:page.index('class="editor"')]  # the top of the page points down to it


# ---- the preview as readers will see it


def test_the_preview_is_the_published_page_with_a_banner_for_the_drafts_authors_only(
        app: Flask, author: FlaskClient) -> None:
    editor = new_draft(author)
    listed = "Parents led **two walking buses**:\n\n- from the far farms\n- every day"
    form = whole_form(author, action="preview", co_authors="Bob Smith, Cara Jones", **{"section-what-we-did": listed})
    shown = author.post(editor, data=form)
    assert shown.status_code == 303 and shown.headers["Location"] == editor + "/preview"
    page = author.get(editor + "/preview").get_data(as_text=True)
    assert "Preview, not published." in page
    assert f"<h1 id=\"cs-title\">{TITLE}</h1>" in page
    assert "Before you adapt this" in page and 'class="context-card"' in page  # the context panel
    assert "<strong>two walking buses</strong>" in page and "<li>from the far farms</li>" in page
    assert "Written by Ann Example (Headteacher), Bob Smith and Cara Jones" in page
    assert samples.BODY["active-ingredients"].replace("'", "&#39;") in page  # "Keep these tight"
    assert "2023–2024" in page and "<svg" in page
    assert "Report a problem" not in page and 'id="ask"' not in page  # nothing for readers to do yet
    with app.app_context():
        assert db.session.scalar(select(CaseStudy.id)) is None  # nothing published

    other = app.test_client()
    sign_in(other, "other@example.org")
    assert other.get(editor + "/preview").status_code == 404
    assert app.test_client().get(editor + "/preview").status_code == 303  # to sign in


def test_an_empty_draft_previews_without_an_error(author: FlaskClient) -> None:
    page = author.get(new_draft(author) + "/preview")
    assert page.status_code == 200 and "Untitled draft" in page.get_data(as_text=True)


# ---- co-authors


def test_co_authors_are_credited_when_published_and_kept_by_a_revision(app: Flask, author: FlaskClient) -> None:
    editor = new_draft(author)
    named = "Bob Smith; Cara Jones, Bob Smith"
    published = author.post(editor, data=whole_form(author, action="publish", co_authors=named))
    assert published.status_code == 303, published.get_data(as_text=True)[:1000]
    slug = published.headers["Location"].split("/case-studies/")[1].split("?")[0]
    with app.app_context():
        found = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
        assert found is not None
        assert [a["name"] for a in found.authors] == ["Ann Example", "Bob Smith", "Cara Jones"]
    page = author.get(f"/case-studies/{slug}").get_data(as_text=True)
    assert "Written by Ann Example (Headteacher), Bob Smith and Cara Jones" in page

    redraft = author.post(f"/case-studies/{slug}/edit", data={"csrf_token": csrf_token(author)})
    editor_page = author.get(redraft.headers["Location"]).get_data(as_text=True)
    assert "Already credited, and kept: Ann Example, Bob Smith, Cara Jones." in editor_page
    revision = whole_form(author, action="publish", co_authors="Dev Patel")
    revised = author.post(redraft.headers["Location"], data=revision)
    assert revised.status_code == 303
    with app.app_context():
        found = db.session.scalar(select(CaseStudy).where(CaseStudy.slug == slug))
        assert found is not None
        assert [a["name"] for a in found.authors] == ["Ann Example", "Bob Smith", "Cara Jones", "Dev Patel"]


def test_the_api_writes_co_authors_too(app: Flask) -> None:
    user_id = make_user(app, "author@example.org", school=SCHOOL_A, name="Ann Example")
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        secret = api_tokens.create(db.session, user, "Trust website", ["read", "write", "publish"]).secret
        db.session.commit()
    api, headers = app.test_client(), {"Authorization": f"Bearer {secret}"}
    body = {"school_urn": SCHOOL_A, "title": TITLE, "summary": "Walking buses.", "years": "2024",
            "evidence_strength": "internal data", "topics": ["attendance"], "sections": samples.BODY,
            "co_authors": "Bob Smith"}
    draft = api.post("/api/v1/drafts", json=body, headers=headers).get_json()
    assert draft["fields"]["co_authors"] == "Bob Smith"
    published = api.post(f"/api/v1/drafts/{draft['id']}/publish", headers=headers)
    assert published.status_code in (200, 201), published.get_json()
    with app.app_context():
        found = db.session.scalar(select(CaseStudy))
        assert found is not None and [a["name"] for a in found.authors] == ["Ann Example", "Bob Smith"]


def test_a_too_long_co_authors_field_is_reported_and_kept(app: Flask, author: FlaskClient) -> None:
    editor = new_draft(author)
    refused = author.post(editor, data=whole_form(author, action="publish", co_authors="B" * 301))
    assert refused.status_code == 400
    assert "Written with is 301 characters" in refused.get_data(as_text=True)
    assert stored(app, editor)["co_authors"] == "B" * 301


# ---- every form control styled alike


STYLED = re.compile(r"/\* Every form control.*?\*/\s*:where\((.*?)\)\s*\{", re.S)


def test_every_kind_of_form_control_in_the_templates_is_styled_by_the_one_rule_set() -> None:
    css = (Path(__file__).parent.parent / "commons" / "static" / "style.css").read_text()
    found = STYLED.search(css)
    assert found, "the form-control rule set is missing"
    selectors = {s.strip() for s in found.group(1).split(",")}
    templates = Path(__file__).parent.parent / "commons" / "templates"
    kinds: set[str] = set()
    for template in templates.rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<input\b[^>]*>", text):
            kind = re.search(r"\btype=[\"']?([a-z-]+)", tag)
            kinds.add(kind.group(1) if kind else "")
        for call in re.findall(r"field\([^)]*\)", text):
            kind = re.search(r"type=[\"']([a-z-]+)", call)
            kinds.add(kind.group(1) if kind else "text")
        if "<select" in text:
            kinds.add("select")
        if "<textarea" in text:
            kinds.add("textarea")
    for kind in kinds - {"checkbox", "radio", "hidden", "submit", "button"}:
        wanted = {"": "input:not([type])", "select": "select", "textarea": "textarea"}.get(kind, f"input[type={kind}]")
        assert wanted in selectors, f"{wanted} is not styled with the other form controls"
    assert {"input:not([type])", "input[type=email]", "input[type=password]", "select", "textarea"} <= selectors


def test_going_back_to_a_draft_that_was_published_says_where_it_went(author: FlaskClient) -> None:
    gone = author.get("/author/drafts/987654")  # published drafts are removed; their ids are never reused
    page = gone.get_data(as_text=True)
    assert gone.status_code == 404 and "once a draft is published it becomes the case study" in page
    assert "Your case studies" in page
