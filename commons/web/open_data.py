"""Open data on the web: downloads, the feed of new case studies, sitemap.xml and robots.txt."""

from flask import Blueprint, Response, current_app, render_template, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from commons.db import db
from commons.domain.text_safety import xml_safe
from commons.models import CaseStudy, Collection, Hub, utcnow
from commons.services import export
from commons.services.follows import FeedEntry

bp = Blueprint("open", __name__)


def _base() -> str:
    base: str = current_app.config["COMMONS_PUBLIC_URL"]
    return base


@bp.get("/open-data")
def open_data() -> ResponseReturnValue:
    return render_template("open_data.html")


@bp.get("/open-data/case-studies.jsonl")
def download_jsonl() -> ResponseReturnValue:
    lines = stream_with_context(export.jsonl_lines(export.records(db.session, _base())))
    return Response(lines, mimetype="application/x-ndjson",
                    headers={"Content-Disposition": "attachment; filename=case-studies.jsonl"})


@bp.get("/open-data/case-studies.csv")
def download_csv() -> ResponseReturnValue:
    rows = stream_with_context(export.csv_rows(export.records(db.session, _base())))
    return Response(rows, mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=case-studies.csv"})


@bp.get("/feeds/new.atom")
def new_feed() -> ResponseReturnValue:
    newest = db.session.scalars(select(CaseStudy).where(CaseStudy.status == "published")
                                .order_by(CaseStudy.updated_at.desc()).limit(30)).all()
    found = [FeedEntry(c, c.updated_at) for c in newest]
    xml = render_template("follows/feed.xml", title="Newly published case studies", entries=found,
                          self_url=url_for("open.new_feed", _external=True),
                          updated=found[0].when if found else utcnow())
    return Response(xml_safe(xml), mimetype="application/atom+xml")  # no character XML 1.0 forbids


@bp.get("/sitemap.xml")
def sitemap() -> ResponseReturnValue:
    studies = db.session.scalars(select(CaseStudy).where(CaseStudy.status == "published")).all()
    collections = db.session.scalars(select(Collection).where(Collection.status == "published")).all()
    hubs = db.session.scalars(select(Hub)).all()
    xml = render_template("sitemap.xml", studies=studies, collections=collections, hubs=hubs)
    return Response(xml_safe(xml), mimetype="application/xml")


@bp.get("/robots.txt")
def robots() -> ResponseReturnValue:
    lines = ["User-agent: *", "Disallow: /author", "Disallow: /admin", "Disallow: /my-school", "Disallow: /following",
             "Allow: /", f"Sitemap: {url_for('open.sitemap', _external=True)}"]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")
