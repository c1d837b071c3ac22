"""A fast, deterministic stand-in for the model, for tests that do not test search behaviour.

Each stemmed word of a text is hashed into one of 384 dimensions (with a sign), and the vector
is normalised: texts that share words are close, so publishing, indexing and the change log
work as with the real model, in microseconds. Tests of ranking and answerability use the real
model and are marked ``slow``.
"""

import zlib

import numpy as np

from indexer.tokenize import tokenize
from indexer.types import Vectors

DIMENSION = 384


class HashingEmbedder:
    name = "hashing-test-embedder"
    dimension = DIMENSION

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> Vectors:
        vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in tokenize(text):
                code = zlib.crc32(word.encode("utf-8"))
                vectors[row, code % DIMENSION] += 1.0 if code & 0x80000000 else -1.0
            norm = float(np.linalg.norm(vectors[row]))
            if norm == 0.0:
                vectors[row, 0] = 1.0
            else:
                vectors[row] /= norm
        return vectors
