"""The search-index extension: creates each app's ``IndexState`` from its typed settings (``commons.settings``)."""

import os
from pathlib import Path
from typing import TypeVar

from flask import Flask, current_app

from commons import settings
from commons.search.state import IndexState, SearchSettings
from indexer import Embedder
from indexer.layout import IVF_THRESHOLD, IndexOptions
from indexer.threads import DEFAULT_FAISS_THREADS, DEFAULT_MODEL_THREADS, set_threads

EXTENSION = "commons.search"
T = TypeVar("T")


class SearchIndex:
    """Flask extension; per-app state lives in ``app.extensions``."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask, embedder: Embedder | None = None) -> None:
        typed = settings.of(app)
        defaults = SearchSettings()
        search = SearchSettings(
            mode=typed.search_mode or defaults.mode,
            dense_weight=_or(typed.search_dense_weight, defaults.dense_weight),
            k1=_or(typed.search_bm25_k1, defaults.k1),
            b=_or(typed.search_bm25_b, defaults.b),
            pool=_or(typed.search_pool, defaults.pool),
        )
        options = IndexOptions(
            vectors=typed.index_vectors, kind=typed.index_kind,
            ivf_threshold=_or(typed.index_ivf_threshold, IVF_THRESHOLD), nprobe=typed.index_nprobe,
        )
        # FAISS's OpenMP pool belongs to the process: every app in it shares the one setting
        set_threads(None, _or(typed.faiss_threads, DEFAULT_FAISS_THREADS))
        assert typed.index_dir is not None  # an app's settings always have one (by default, in its instance folder)
        app.extensions[EXTENSION] = IndexState(
            Path(typed.index_dir), typed.model, embedder, search, options,
            runtime=typed.model_runtime, model_cache=Path(typed.model_cache or default_model_cache()),
            model_threads=_or(typed.model_threads, DEFAULT_MODEL_THREADS),
        )

    @property
    def state(self) -> IndexState:
        state: IndexState = current_app.extensions[EXTENSION]
        return state


def _or(value: T | None, default: T) -> T:
    return default if value is None else value


def default_model_cache() -> Path:
    """Where the model's ONNX export is kept unless ``COMMONS_MODEL_CACHE`` says: the user's cache folder."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "school-improvement-commons" / "models"


search_index = SearchIndex()
