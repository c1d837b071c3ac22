"""An on-disk cache of embeddings keyed by model and text, so nothing is encoded twice."""

import hashlib
import sqlite3
import threading
from pathlib import Path

import numpy as np

from indexer.types import Embedder, Vectors


class CachingEmbedder:
    """Wraps an embedder; vectors are looked up in, and added to, a SQLite file."""

    def __init__(self, inner: Embedder, path: Path) -> None:
        self.inner = inner
        self.name = inner.name
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS embeddings (key BLOB PRIMARY KEY, vector BLOB NOT NULL)")
        self._lock = threading.Lock()
        self.encoded = 0

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def _key(self, text: str) -> bytes:
        return hashlib.sha256(f"{self.name}\x00{text}".encode()).digest()

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> Vectors:
        keys = [self._key(t) for t in texts]
        found: dict[bytes, bytes] = {}
        with self._lock:
            for start in range(0, len(keys), 900):
                batch = list(set(keys[start : start + 900]))
                marks = ",".join("?" * len(batch))
                query = f"SELECT key, vector FROM embeddings WHERE key IN ({marks})"  # nosec B608 - only ? marks
                found.update(self._db.execute(query, batch))
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if missing:
            first_text = dict(zip(keys, texts, strict=True))
            fresh = self.inner.encode([first_text[k] for k in missing], batch_size=batch_size, progress=progress)
            self.encoded += len(missing)
            rows = [(k, fresh[i].tobytes()) for i, k in enumerate(missing)]
            with self._lock:
                self._db.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?)", rows)
                self._db.commit()
            found.update(rows)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack([np.frombuffer(found[k], dtype=np.float32) for k in keys])

    def close(self) -> None:
        self._db.close()
