"""Open data on the web: downloads, the feed of new case studies, sitemap.xml and robots.txt."""

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from commons import settings
from commons.db import db
from commons.domain.statuses import CaseStudyStatus, CollectionStatus
from commons.domain.text_safety import xml_safe
from commons.models import CaseStudy, Collection, Hub, utcnow
from commons.services import export
from commons.services.follows import FeedEntry
from commons.web.helpers import public_link

bp = Blueprint("open", __name__)


@bp.app_context_processor
def inject_public_link() -> dict[str, Any]:
    return {"public_link": public_link}  # absolute links in feeds and the sitemap, from the one public address


def _base() -> str:
    return settings.current().public_url


@bp.get("/open-data")
def open_data() -> ResponseReturnValue:
    found, byte_sizes, described = _dataset()
    return render_template("open_data.html", edition=found, sizes=byte_sizes, dataset=described,
                           dictionary=export.DICTIONARY, jsonl_only=export.JSONL_ONLY)


@bp.get("/open-data/dataset.jsonld")
def dataset_description() -> ResponseReturnValue:
    """The dataset's schema.org / DCAT description on its own, for catalogue harvesters."""
    response = jsonify(_dataset()[2])
    response.mimetype = "application/ld+json"
    return response


def _dataset() -> tuple[export.Edition, dict[str, int], dict[str, Any]]:
    found = export.edition(db.session)
    cache: dict[tuple[Any, ...], dict[str, int]] = current_app.extensions.setdefault("commons_open_data_sizes", {})
    key = (found.count, found.last_updated, _base())
    if key not in cache:  # reading everything once per edition, not per visit
        cache.clear()
        cache[key] = export.sizes(db.session, _base())
    paths = {"page": url_for("open.open_data"), "jsonl": url_for("open.download_jsonl"),
             "csv": url_for("open.download_csv")}
    return found, cache[key], export.dataset_json_ld(_base(), found, cache[key], paths)


@bp.get("/open-data/case-studies.jsonl")
def download_jsonl() -> ResponseReturnValue:
    lines = stream_with_context(export.jsonl_lines(export.records(db.session, _base())))
    return Response(lines, mimetype="application/x-ndjson",
                    headers={"Content-Disposition": "attachment; filename=case-studies.jsonl"})


@bp.get("/open-data/case-studies.csv")
def download_csv() -> ResponseReturnValue:
    rows = stream_with_context(export.csv_rows(export.records(db.session, _base())))
    return Response(rows, content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": "attachment; filename=case-studies.csv"})


@bp.get("/feeds/new.atom")
def new_feed() -> ResponseReturnValue:
    newest = db.session.scalars(select(CaseStudy).where(CaseStudy.status == CaseStudyStatus.PUBLISHED)
                                .order_by(CaseStudy.updated_at.desc()).limit(30)).all()
    found = [FeedEntry(c, c.updated_at) for c in newest]
    xml = render_template("follows/feed.xml", title="Newly published case studies", entries=found,
                          self_url=public_link("open.new_feed"),
                          updated=found[0].when if found else utcnow())
    return Response(xml_safe(xml), mimetype="application/atom+xml")  # no character XML 1.0 forbids


@bp.get("/sitemap.xml")
def sitemap() -> ResponseReturnValue:
    studies = db.session.scalars(select(CaseStudy).where(CaseStudy.status == CaseStudyStatus.PUBLISHED)).all()
    collections = db.session.scalars(select(Collection).where(Collection.status == CollectionStatus.PUBLISHED)).all()
    hubs = db.session.scalars(select(Hub)).all()
    xml = render_template("sitemap.xml", studies=studies, collections=collections, hubs=hubs)
    return Response(xml_safe(xml), mimetype="application/xml")


@bp.get("/favicon.ico")
def favicon() -> ResponseReturnValue:
    """Browsers and feed readers ask for this by name; the icon is the SVG every page links."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


@bp.get("/robots.txt")
def robots() -> ResponseReturnValue:
    lines = ["User-agent: *", "Disallow: /author", "Disallow: /admin", "Disallow: /my-school", "Disallow: /following",
             "Allow: /", f"Sitemap: {public_link('open.sitemap')}"]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
