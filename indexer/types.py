"""The types the library's modules share: vectors, search hits and the embedder.

This module imports nothing else from the library, so any module may import it.
"""

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
"""Float32 vectors, one row per text or passage (L2-normalised where a model made them)."""


@dataclass(frozen=True)
class Hit:
    """One search result: the stored id and its score (cosine similarity, BM25 or fused)."""

    id: int
    score: float


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    @property
    def name(self) -> str:
        """The model's name, recorded in the index manifest."""
        ...

    @property
    def dimension(self) -> int:
        """The length of every vector the model makes."""
        ...

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> Vectors:
        """Encode texts; the result has one unit-length row per text."""
        ...
