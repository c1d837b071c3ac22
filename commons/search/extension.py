"""The search-index extension: creates each app's ``IndexState`` from its settings."""

import os
from pathlib import Path
from typing import cast

from flask import Flask, current_app

from commons.search.state import IndexState, SearchSettings
from indexer import Embedder
from indexer.embedding import RUNTIMES
from indexer.layout import IVF_THRESHOLD, IndexOptions, Kind, VectorEncoding
from indexer.threads import DEFAULT_FAISS_THREADS, DEFAULT_MODEL_THREADS, set_threads

EXTENSION = "commons.search"


class SearchIndex:
    """Flask extension; per-app state lives in ``app.extensions``."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, embedder: Embedder | None = None) -> None:
        app.config.setdefault("COMMONS_INDEX_DIR", str(Path(app.instance_path) / "index"))
        app.config.setdefault("COMMONS_MODEL", "all-MiniLM-L6-v2")
        app.config.setdefault("COMMONS_MODEL_RUNTIME", "onnx")
        app.config.setdefault("COMMONS_MODEL_CACHE", str(default_model_cache()))
        runtime = app.config["COMMONS_MODEL_RUNTIME"]
        if runtime not in RUNTIMES:
            raise ValueError(f"COMMONS_MODEL_RUNTIME must be onnx or torch, not {runtime!r}")
        defaults = SearchSettings()
        settings = SearchSettings(
            mode=str(app.config.get("COMMONS_SEARCH_MODE", defaults.mode)),
            dense_weight=float(app.config.get("COMMONS_SEARCH_DENSE_WEIGHT", defaults.dense_weight)),
            k1=float(app.config.get("COMMONS_SEARCH_BM25_K1", defaults.k1)),
            b=float(app.config.get("COMMONS_SEARCH_BM25_B", defaults.b)),
            pool=int(app.config.get("COMMONS_SEARCH_POOL", defaults.pool)),
        )
        if settings.mode not in ("hybrid", "dense", "lexical"):
            raise ValueError(f"COMMONS_SEARCH_MODE must be hybrid, dense or lexical, not {settings.mode!r}")
        nprobe = app.config.get("COMMONS_INDEX_NPROBE")
        options = IndexOptions(
            # IndexOptions refuses any other value, so these casts are checked at run time
            vectors=cast(VectorEncoding, str(app.config.get("COMMONS_INDEX_VECTORS", "float32"))),
            kind=cast(Kind, str(app.config.get("COMMONS_INDEX_KIND", "auto"))),
            ivf_threshold=int(app.config.get("COMMONS_INDEX_IVF_THRESHOLD", IVF_THRESHOLD)),
            nprobe=int(nprobe) if nprobe not in (None, "") else None,
        )
        model_threads = int(app.config.get("COMMONS_MODEL_THREADS", DEFAULT_MODEL_THREADS))
        # FAISS's OpenMP pool belongs to the process: every app in it shares the one setting
        set_threads(None, int(app.config.get("COMMONS_FAISS_THREADS", DEFAULT_FAISS_THREADS)))
        app.extensions[EXTENSION] = IndexState(
            Path(app.config["COMMONS_INDEX_DIR"]), app.config["COMMONS_MODEL"], embedder, settings, options,
            runtime=app.config["COMMONS_MODEL_RUNTIME"], model_cache=Path(app.config["COMMONS_MODEL_CACHE"]),
            model_threads=model_threads,
        )

    @property
    def state(self) -> IndexState:
        state: IndexState = current_app.extensions[EXTENSION]
        return state


def default_model_cache() -> Path:
    """Where the model's ONNX export is kept unless ``COMMONS_MODEL_CACHE`` says: the user's cache folder."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "school-improvement-commons" / "models"


search_index = SearchIndex()
