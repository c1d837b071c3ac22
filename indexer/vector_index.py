"""The FAISS vector index: exact inner-product search over normalised vectors.

The index is a derived cache of vectors stored elsewhere (the application's database). It is
saved atomically: the vectors go to a new file that is fsynced, then a small JSON manifest
naming that file replaces the old manifest with ``os.replace``. The manifest is the commit
point, so a crash at any moment leaves either the old index or the new one, never a mix.
"""

import json
import os
import tempfile
import threading
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import faiss
import numpy as np

from indexer.embedding import Vectors
from indexer.errors import IndexFileError, IndexMismatchError

MANIFEST_NAME = "manifest.json"
INDEX_TYPE = "IDMap2,Flat"
METRIC = "inner_product"


@dataclass(frozen=True)
class Manifest:
    """What an index file holds, and how far through the change log it is."""

    model: str
    dimension: int
    index_type: str
    metric: str
    vector_count: int
    last_change: int
    index_file: str


@dataclass(frozen=True)
class Hit:
    """One nearest neighbour: the stored id and its cosine similarity."""

    id: int
    score: float


def _ids(ids: Iterable[int]) -> np.ndarray:
    return np.fromiter((int(i) for i in ids), dtype=np.int64)


class VectorIndex:
    """An ``IDMap2,Flat`` inner-product index with the txtai-style surface.

    ``index / append / delete / search / save / load``; ids are the application's passage
    ids. One lock guards the FAISS object, so a search never sees a half-applied change.
    """

    def __init__(self, model: str, dimension: int) -> None:
        self.model = model
        self.dimension = dimension
        self.last_change = 0
        self._faiss = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return int(self._faiss.ntotal)

    def ids(self) -> set[int]:
        """All ids held by the index."""
        with self._lock:
            return set(faiss.vector_to_array(self._faiss.id_map).tolist())

    def vector(self, id_: int) -> Vectors:
        """The stored vector of one id."""
        with self._lock:
            return np.asarray(self._faiss.reconstruct(int(id_)), dtype=np.float32)

    def index(self, ids: Iterable[int], vectors: Vectors, last_change: int = 0) -> None:
        """Replace the whole content with these vectors."""
        fresh = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))
        id_array = _ids(ids)
        if len(id_array):
            fresh.add_with_ids(self._check(vectors, len(id_array)), id_array)
        with self._lock:
            self._faiss = fresh
            self.last_change = last_change

    def append(self, ids: Iterable[int], vectors: Vectors) -> None:
        """Add vectors; an id already present is replaced, never duplicated."""
        id_array = _ids(ids)
        if not len(id_array):
            return
        checked = self._check(vectors, len(id_array))
        with self._lock:
            self._faiss.remove_ids(id_array)
            self._faiss.add_with_ids(checked, id_array)

    def delete(self, ids: Iterable[int]) -> int:
        """Remove ids (absent ids are ignored); returns how many were removed."""
        id_array = _ids(ids)
        if not len(id_array):
            return 0
        with self._lock:
            return int(self._faiss.remove_ids(id_array))

    def search(
        self, query: Vectors, k: int, allowed: Iterable[int] | None = None
    ) -> list[Hit]:
        """The k nearest ids to one query vector, optionally only among ``allowed`` ids.

        The filter is applied inside FAISS, before the nearest-neighbour search, so a
        filtered search still returns k hits whenever k allowed vectors exist.
        """
        vector = self._check(query.reshape(1, -1), 1)
        params = None
        if allowed is not None:
            allowed_ids = _ids(allowed)
            if not len(allowed_ids):
                return []
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed_ids))
        with self._lock:
            k = min(k, int(self._faiss.ntotal))
            if k <= 0:
                return []
            scores, ids = self._faiss.search(vector, k, params=params)
        return [Hit(int(i), float(s)) for s, i in zip(scores[0], ids[0]) if i != -1]

    def manifest(self, index_file: str = "") -> Manifest:
        return Manifest(
            model=self.model,
            dimension=self.dimension,
            index_type=INDEX_TYPE,
            metric=METRIC,
            vector_count=len(self),
            last_change=self.last_change,
            index_file=index_file,
        )

    def save(self, directory: Path) -> Manifest:
        """Write the index atomically into ``directory``; returns the new manifest."""
        directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            data = faiss.serialize_index(self._faiss)
            manifest_before = self.manifest()
        index_file = f"vectors-{manifest_before.last_change}-{uuid.uuid4().hex[:12]}.faiss"
        _write_atomic(directory / index_file, data.tobytes())
        manifest = Manifest(**{**asdict(manifest_before), "index_file": index_file})
        old = read_manifest(directory)
        _write_atomic(directory / MANIFEST_NAME, json.dumps(asdict(manifest), indent=2).encode())
        if old is not None and old.index_file != index_file:
            (directory / old.index_file).unlink(missing_ok=True)
        return manifest

    @classmethod
    def load(cls, directory: Path, model: str, dimension: int) -> "VectorIndex":
        """Load an index saved by :meth:`save`, refusing one built for another model."""
        manifest = read_manifest(directory)
        if manifest is None:
            raise IndexFileError(f"no index in {directory}")
        if manifest.model != model or manifest.dimension != dimension:
            raise IndexMismatchError(
                f"the index in {directory} was built with model {manifest.model!r} "
                f"({manifest.dimension} dimensions) but {model!r} ({dimension}) is configured; "
                "run `commons reindex` to rebuild it"
            )
        if manifest.index_type != INDEX_TYPE or manifest.metric != METRIC:
            raise IndexMismatchError(
                f"the index in {directory} is {manifest.index_type}/{manifest.metric}; "
                "run `commons reindex` to rebuild it"
            )
        path = directory / manifest.index_file
        try:
            raw = np.frombuffer(path.read_bytes(), dtype=np.uint8)
            loaded = faiss.deserialize_index(raw)
        except (OSError, RuntimeError) as exc:
            raise IndexFileError(f"cannot read {path}: {exc}") from exc
        if loaded.ntotal != manifest.vector_count:
            raise IndexFileError(
                f"{path} holds {loaded.ntotal} vectors but its manifest says "
                f"{manifest.vector_count}"
            )
        index = cls(model, dimension)
        index._faiss = loaded
        index.last_change = manifest.last_change
        return index

    def _check(self, vectors: Vectors, rows: int) -> Vectors:
        array = np.ascontiguousarray(vectors, dtype=np.float32)
        if array.shape != (rows, self.dimension):
            raise ValueError(
                f"expected {rows} vectors of dimension {self.dimension}, got shape {array.shape}"
            )
        return array


def read_manifest(directory: Path) -> Manifest | None:
    """The manifest in ``directory``, or None when there is no index there."""
    path = directory / MANIFEST_NAME
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise IndexFileError(f"cannot read {path}: {exc}") from exc
    try:
        return Manifest(**data)
    except TypeError as exc:
        raise IndexFileError(f"{path} is not a valid index manifest: {exc}") from exc


def _write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync it, then rename over ``path``."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
