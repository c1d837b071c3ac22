"""The production server (gunicorn) passes a long question to the app, which cuts it and says so."""

from pathlib import Path

import requests

from tests.servers import commons_serve


def test_a_five_thousand_character_question_gets_the_search_page_from_the_production_server(
        demo_copy: Path, tmp_path: Path) -> None:
    """gunicorn refused request lines over 4,094 bytes with a bare "URI Too Long" page, so a teacher
    who pasted a long paragraph lost it; the single-process server passed it through."""
    server = commons_serve(f"sqlite:///{demo_copy / 'commons.db'}", demo_copy, tmp_path / "serve.log", workers=1)
    try:
        server.wait_ready()
        question = "how do we improve attendance " * 170  # 4,930 characters
        page = requests.get(server.url + "/search", params={"q": question}, timeout=60)
        assert page.status_code == 200
        assert "Your question was 4,929 characters long; we searched with its first 1,000." in page.text
    finally:
        server.stop()
