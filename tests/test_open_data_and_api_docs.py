"""The open-data page (record count, file sizes, last updated, data dictionary, the dataset's own
JSON-LD), the CSV's school context and byte-order mark, the API documentation made from the
OpenAPI document, and one public address for every absolute link."""

import csv
import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from commons.api.spec import spec
from commons.ops.public_url import served_url
from commons.services import export
from tests import samples


@pytest.fixture
def published(app: Flask, runner: Any, tmp_path: Path) -> FlaskClient:
    samples.write(tmp_path / "in", "village-attendance", urn=990003,
                  title='"Breakfast, a phone call and “café” mornings"')
    samples.write(tmp_path / "in", "corve-reading", urn=990001)
    assert runner.invoke(args=["import", str(tmp_path / "in")]).exit_code == 0
    return app.test_client()


def json_ld_of(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert match
    found: dict[str, Any] = json.loads(match.group(1))
    return found


def test_the_csv_has_the_school_context_and_opens_in_excel(published: FlaskClient) -> None:
    response = published.get("/open-data/case-studies.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark, which Excel on Windows needs
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == export.CSV_FIELDS
    village = next(r for r in rows if r["slug"] == "village-attendance")
    assert village["title"] == "Breakfast, a phone call and “café” mornings"
    assert village["phase"] == "Primary" and village["setting"] in ("rural", "urban")
    assert village["pupils"].isdigit() and float(village["fsm_pct"]) >= 0 and village["region"]
    assert {"sen_pct", "eal_pct"} <= set(village)
    assert [name for name, _, _ in export.DICTIONARY] == export.CSV_FIELDS  # every column is explained


def test_the_open_data_page_counts_sizes_dates_and_describes_the_dataset(published: FlaskClient) -> None:
    page = published.get("/open-data").get_data(as_text=True)
    assert "2 case studies, last updated" in page
    csv_size = len(published.get("/open-data/case-studies.csv").get_data())
    jsonl_size = len(published.get("/open-data/case-studies.jsonl").get_data())
    assert f"({csv_size} bytes)" in page or f"({csv_size / 1024:.0f} KB)" in page
    assert 'href="/docs"' in page and "API documentation" in page and "byte-order mark" in page
    for name, _, meaning in export.DICTIONARY:
        assert f"<code>{name}</code>" in page and meaning.split("(")[0][:30].replace("'", "&#39;") in page
    offers = next(meaning for name, _, meaning in export.DICTIONARY if name == "open_to")
    assert all(value in offers for value in ("visits", "peer-review", "support"))  # the values the CSV holds
    dataset = json_ld_of(page)
    assert "Dataset" in dataset["@type"] and "dcat:Dataset" in dataset["@type"]
    assert dataset["license"] == "https://creativecommons.org/licenses/by/4.0/"
    sizes = {d["encodingFormat"]: d["dcat:byteSize"] for d in dataset["distribution"]}
    assert sizes == {"text/csv": csv_size, "application/x-ndjson": jsonl_size}
    assert dataset["distribution"][0]["contentUrl"] == "http://127.0.0.1:5000/open-data/case-studies.jsonl"
    harvested = published.get("/open-data/dataset.jsonld")
    assert harvested.mimetype == "application/ld+json" and harvested.get_json() == dataset


def test_the_api_documentation_is_made_from_the_openapi_document(client: FlaskClient) -> None:
    for path in ("/api", "/api/", "/api/v1", "/api/v1/"):
        moved = client.get(path)
        assert moved.status_code == 302 and moved.headers["Location"] == "/docs"
    page = client.get("/docs").get_data(as_text=True)
    document = spec("http://127.0.0.1:5000")
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            assert f"<code>{method.upper()} {path}</code>" in page
            for parameter in operation.get("parameters", []):
                assert f"<code>{parameter['name']}</code>" in page
    assert "curl &#39;http://127.0.0.1:5000/api/v1/search?q=how%20did" in page  # an example request
    assert "Example response" in page and "&#34;total&#34;: 1" in page  # and an example answer
    assert 'Authorization: Bearer $COMMONS_TOKEN' in page
    for name in document["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    assert "<script" not in page and not re.search(r'(src|href)="https?://(?!127\.0\.0\.1)', page.split("</footer>")[0]
                                                   .replace('href="https://creativecommons.org', ""))
    home = client.get("/").get_data(as_text=True)
    assert '<a href="/docs">API</a>' in home  # in every page's footer


def test_every_absolute_link_uses_the_one_public_address(app: Flask, published: FlaskClient) -> None:
    app.config["COMMONS_PUBLIC_URL"] = "https://commons.example.org"
    page = published.get("/case-studies/village-attendance", base_url="http://localhost:8123").get_data(as_text=True)
    assert json_ld_of(page)["url"] == "https://commons.example.org/case-studies/village-attendance"
    assert "https://commons.example.org/case-studies/village-attendance. CC BY 4.0" in page  # the citation
    assert "localhost:8123" not in page
    openapi = published.get("/api/v1/openapi.json", base_url="http://localhost:8123").get_json()
    assert openapi["servers"] == [{"url": "https://commons.example.org"}]
    sitemap = published.get("/sitemap.xml", base_url="http://localhost:8123").get_data(as_text=True)
    assert "https://commons.example.org/case-studies/corve-reading" in sitemap and "8123" not in sitemap
    robots = published.get("/robots.txt", base_url="http://localhost:8123").get_data(as_text=True)
    assert "Sitemap: https://commons.example.org/sitemap.xml" in robots
    for feed_path in ("/feeds/new.atom", "/feeds/school/990001.atom"):
        feed = published.get(feed_path, base_url="http://localhost:8123").get_data(as_text=True)
        assert "8123" not in feed and "https://commons.example.org/case-studies/corve-reading" in feed
    record = published.get("/api/v1/case-studies/corve-reading", base_url="http://localhost:8123").get_json()
    assert record["url"] == "https://commons.example.org/case-studies/corve-reading"
    listed = published.get("/api/v1/case-studies", base_url="http://localhost:8123").get_json()
    assert {item["api_url"].split("/api/")[0] for item in listed["items"]} == {"https://commons.example.org"}


def test_serve_warns_when_the_public_address_is_unset_and_differs(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    import werkzeug.serving

    monkeypatch.setenv("COMMONS_SERVED_URL", "")  # whatever serve sets there is undone after the test
    served: dict[str, Any] = {}
    monkeypatch.setattr(werkzeug.serving, "run_simple", lambda host, port, wsgi, **kw: served.update(app=wsgi))
    result = app.test_cli_runner().invoke(args=["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "COMMONS_PUBLIC_URL is not set and this server listens on http://127.0.0.1:8123" in result.stderr
    assert served["app"].config["COMMONS_PUBLIC_URL"] == "http://127.0.0.1:8123"
    assert os.environ["COMMONS_SERVED_URL"] == ""  # one process: nothing to pass on
    assert served_url("[::1]:8000") == "http://[::1]:8000" and served_url("localhost:80") == "http://localhost:80"

    app.config["COMMONS_PUBLIC_URL"] = "https://commons.example.org"
    app.config["COMMONS_PUBLIC_URL_SET"] = True
    quiet = app.test_cli_runner().invoke(args=["serve", "--port", "8124"])
    assert "COMMONS_PUBLIC_URL" not in quiet.stderr
    assert served["app"].config["COMMONS_PUBLIC_URL"] == "https://commons.example.org"
