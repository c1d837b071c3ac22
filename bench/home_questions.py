"""The home page's suggested questions, asked of a fresh demo commons: the top five of each.

    HF_HUB_OFFLINE=1 python bench/home_questions.py

Prints, for each suggested question, the first five case studies with their relevance and
whether they answer. It also runs against a checkout from before search read questions and
said whether anything answers (it then prints the fused score and no answers column), so the
two can be compared question by question.
"""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from commons import create_app
from commons.db import db
from commons.services.demo import load_demo
from indexer import SentenceTransformerEmbedder

try:
    from commons.ops.migrate import upgrade
    from commons.search.engine import search
    from commons.search.extension import search_index
    from commons.web.pages import EXAMPLE_QUESTIONS
except ImportError:  # a checkout from before the layered layout
    from commons.migrate import upgrade  # type: ignore[no-redef]
    from commons.search_index import search_index  # type: ignore[no-redef]
    from commons.services.search import search  # type: ignore[no-redef]
    from commons.views import EXAMPLE_QUESTIONS  # type: ignore[no-redef]


def main() -> None:
    embedder = SentenceTransformerEmbedder()
    with tempfile.TemporaryDirectory(prefix="commons-home-") as folder:
        app = create_app({"COMMONS_DATABASE_URL": f"sqlite:///{folder}/demo.db", "COMMONS_INSTANCE_PATH": folder,
                          "COMMONS_SECRET_KEY": "bench"}, embedder=embedder)
        with app.app_context():
            upgrade(db.engine)
            load_demo(db.session, embedder)
            for question in EXAMPLE_QUESTIONS:
                results = search(db.session, search_index.state, question, limit=10, snippets=False)
                answers = getattr(results, "answers", results.results)
                print(f"\n{question}\n  {len(answers)} answer(s)")
                for rank, result in enumerate(results.results[:5], start=1):
                    verdict = {True: "answers", False: "nearest"}.get(getattr(result, "answers", None), "")
                    print(f"  {rank}. {result.case_study.slug:55} {result.relevance:.3f} {verdict}")
            db.engine.dispose()


if __name__ == "__main__":
    main()
