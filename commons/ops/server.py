"""The production server: gunicorn workers, each with its own model and index replicas.

Nothing heavy is loaded before the workers fork: each worker creates the app itself, then
(in ``post_worker_init``) loads its index replica and the embedding model, so no FAISS or
torch state is shared across a fork. Every worker keeps its replica fresh from the change
log before each search, so a publish made by any worker or machine is searchable in all.

Threads: the workers run several request threads each, and the model and FAISS use one
thread per worker unless ``COMMONS_MODEL_THREADS`` / ``COMMONS_FAISS_THREADS`` say
otherwise: with as many workers as cores, more threads per worker only contend.
"""

import os
from collections.abc import Callable
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

THREAD_DEFAULTS = {
    "COMMONS_MODEL_THREADS": "1",
    "COMMONS_FAISS_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def default_workers() -> int:
    """One worker per core (two on a two-core machine)."""
    return max(1, os.cpu_count() or 1)


class CommonsServer(BaseApplication):  # type: ignore[misc]  # gunicorn has no type hints: a subclass of Any
    """gunicorn running the app factory in each worker (settings from ``COMMONS_*``)."""

    def __init__(self, options: dict[str, Any], app_factory: Callable[[], Flask]) -> None:
        self.options = options
        self.app_factory = app_factory
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.app_factory()


def _warm(worker: Any) -> None:
    """After a worker has loaded the app: its index replicas, the model and the word lists, before any request."""
    from commons.db import db
    from commons.search.extension import search_index
    from commons.search.glossary import load_glossary
    from commons.search.words import real_word_stems

    app: Flask = worker.wsgi
    with app.app_context():
        state = search_index.state
        state.fresh(db.session)
        state.encode_query("warm up")
    load_glossary()
    real_word_stems()


def run(bind: str, workers: int, threads: int, timeout: int, app_factory: Callable[[], Flask]) -> None:
    """Serve until stopped; thread limits default to one per worker (see the module doc)."""
    for key, value in THREAD_DEFAULTS.items():
        os.environ.setdefault(key, value)
    CommonsServer({
        "bind": bind,
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": timeout,
        # a request line up to gunicorn's own ceiling (its default, 4,094 bytes, answered a pasted
        # paragraph of a question with a bare "URI Too Long" page); the app cuts a question to its
        # first 1,000 characters and says so
        "limit_request_line": 8190,
        "graceful_timeout": 30,
        "preload_app": False,
        "post_worker_init": _warm,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
    }, app_factory).run()
