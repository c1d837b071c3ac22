"""The FAISS vector index: inner-product search over normalised vectors.

Small corpora get an exact ``IDMap2,Flat`` index; large ones an inverted file whose
``nprobe`` is tuned for recall when it is built; vectors can be stored compactly (see
:mod:`indexer.layout` for the choice and its thresholds).

The index is a derived cache of vectors stored elsewhere (the application's database). It is
saved atomically: the vectors go to a new file that is fsynced, then a small JSON manifest
naming that file replaces the old manifest with ``os.replace``. The manifest is the commit
point, so a crash at any moment leaves either the old index or the new one, never a mix.
"""

import hashlib
import json
import os
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import cast

import faiss
import numpy as np
import numpy.typing as npt

from indexer.errors import IndexFileError, IndexMismatchError
from indexer.layout import ENCODINGS, IndexOptions, Layout, choose_layout, outgrown
from indexer.memory import release_free_memory
from indexer.recall import calibration_queries, exact_top_k, recall_at_k, tune_nprobe
from indexer.rwlock import ReadWriteLock
from indexer.threads import apply_faiss_threads
from indexer.types import Hit, Vectors

MANIFEST_NAME = "manifest.json"
INDEX_TYPE = "IDMap2,Flat"  # the exact float32 layout
METRIC = "inner_product"
CALIBRATION_QUERIES = 200
TRAINING_POINTS_PER_LIST = 50
NO_MAP: int = faiss.DirectMap.NoMap  # type: ignore[attr-defined]  # faiss's stubs omit the DirectMap enum


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
    nprobe: int = 0  # lists an IVF search visits; 0 for an exact index
    trained_on: int = 0  # vectors a trained layout (IVF, int8) was trained on
    recall_at_10: float | None = None  # against exact search, on held-out calibration queries, when nprobe was tuned
    sha256: str = ""  # of the index file, checked on load ("" in manifests written before checksums)


def _ids(ids: Iterable[int]) -> npt.NDArray[np.int64]:
    return np.fromiter((int(i) for i in ids), dtype=np.int64)


class VectorIndex:
    """A FAISS inner-product index with the txtai-style surface.

    ``index / append / delete / search / save / load``; ids are the application's passage
    ids. One lock guards the FAISS object, so a search never sees a half-applied change.
    """

    def __init__(self, model: str, dimension: int, options: IndexOptions | None = None) -> None:
        self.model = model
        self.dimension = dimension
        self.options = options or IndexOptions()
        self.last_change = 0
        self.layout = choose_layout(0, self.options)
        self.nprobe = 0
        self.trained_on = 0
        self.recall_at_10: float | None = None
        self._faiss: faiss.Index = self._empty(self.layout)
        self._lock = ReadWriteLock()
        self._last_selector: tuple[object, faiss.IDSelector] | None = None
        # an IVF index's ids, ascending, and where each vector is (list << 32 | offset), for giving
        # vectors back in 12 B a vector (16 B when an id needs 64 bits) instead of FAISS's own id map
        # (a hash table); made again on first use after a change (a sort of the ids)
        self._places: tuple[npt.NDArray[np.int32] | npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None

    def __len__(self) -> int:
        return int(self._faiss.ntotal)

    @property
    def index_type(self) -> str:
        return self.layout.index_type

    def ids(self) -> set[int]:
        """All ids held by the index."""
        with self._lock.reading():
            return set(self._id_array().tolist())

    def vector(self, id_: int) -> Vectors:
        """The stored vector of one id (decoded, for a compact layout)."""
        found: Vectors = self.vectors_of([id_])[0]
        return found

    def vectors_of(self, ids: Iterable[int]) -> Vectors:
        """The stored vectors of several ids, one row each, in the order given (RuntimeError for an id not held)."""
        keys = _ids(ids)
        if not len(keys):
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock.reading():
            return self._vectors_of(keys)

    def _vectors_of(self, keys: npt.NDArray[np.int64]) -> Vectors:
        if not self.layout.is_ivf:
            return np.asarray(self._faiss.reconstruct_batch(keys), dtype=np.float32)
        ivf = cast(faiss.IndexIVF, self._faiss)
        found = np.empty((len(keys), self.dimension), dtype=np.float32)
        for row, place in enumerate(self._places_of(keys).tolist()):
            ivf.reconstruct_from_offset(place >> 32, place & 0xFFFFFFFF, faiss.swig_ptr(found[row]))
        return found

    def _places_of(self, keys: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Where in an IVF index's lists each id's vector is."""
        ids, where = self._ivf_places()
        if ids.dtype != keys.dtype:  # ids kept as 32-bit numbers: a key beyond them is not held
            beyond = (keys < 0) | (keys > np.iinfo(np.int32).max)
            if beyond.any():
                raise RuntimeError(f"id {int(keys[beyond][0])} is not in the index")
            keys = keys.astype(ids.dtype)  # else searchsorted would copy all the ids up to 64 bits
        at = np.minimum(np.searchsorted(ids, keys), max(0, len(ids) - 1))
        held = ids[at] == keys if len(ids) else np.zeros(len(keys), dtype=bool)
        if not held.all():
            raise RuntimeError(f"id {int(keys[~held][0])} is not in the index")
        return where[at]

    def _ivf_places(self) -> tuple[npt.NDArray[np.int32] | npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """An IVF index's ids, ascending, and their places; read from its lists after a change.

        Made whole and then published, so a reader never sees half of it (readers may make it at once).
        The ids are kept as 32-bit numbers when they all fit (a database's integer keys do): 4 B a vector less.
        """
        if self._places is None:
            self._places = self._list_places()
        return self._places

    def _list_places(self) -> tuple[npt.NDArray[np.int32] | npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        lists = cast(faiss.IndexIVF, self._faiss).invlists
        assert lists is not None  # an IVF index owns its lists
        ids, places = [], []
        for number in range(lists.nlist):
            size = lists.list_size(number)
            if size:
                ids.append(faiss.rev_swig_ptr(lists.get_ids(number), size).astype(np.int64))
                places.append((np.int64(number) << 32) | np.arange(size, dtype=np.int64))
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        all_ids, all_places = np.concatenate(ids), np.concatenate(places)
        order = np.argsort(all_ids, kind="stable")
        sorted_ids = all_ids[order]
        if sorted_ids[0] >= 0 and sorted_ids[-1] <= np.iinfo(np.int32).max:
            return sorted_ids.astype(np.int32), all_places[order]
        return sorted_ids, all_places[order]

    def index(self, ids: Iterable[int], vectors: Vectors, last_change: int = 0) -> None:
        """Replace the whole content with these vectors, in the layout their number calls for."""
        id_array = _ids(ids)
        checked = self._check(vectors, len(id_array))
        built = self._build(id_array, checked)
        with self._lock.writing():
            self._install(*built)
            self.last_change = last_change

    def append(self, ids: Iterable[int], vectors: Vectors) -> None:
        """Add vectors; an id already present is replaced, never duplicated."""
        id_array = _ids(ids)
        if not len(id_array):
            return
        checked = self._check(vectors, len(id_array))
        with self._lock.writing():
            self._remove(id_array)
            if not self._faiss.is_trained:
                self._install(*self._build(id_array, checked))
            else:
                self._faiss.add_with_ids(checked, id_array)
                self._places = None
            self._relayout_if_outgrown()

    def delete(self, ids: Iterable[int]) -> int:
        """Remove ids (absent ids are ignored); returns how many were removed."""
        id_array = _ids(ids)
        if not len(id_array):
            return 0
        with self._lock.writing():
            removed = self._remove(id_array)
            self._relayout_if_outgrown()
            return removed

    def search(
        self, query: Vectors, k: int, allowed: Iterable[int] | None = None
    ) -> list[Hit]:
        """The k nearest ids to one query vector, optionally only among ``allowed`` ids.

        The filter is applied inside FAISS, before the nearest-neighbour search. An exact
        index then returns k hits whenever k allowed vectors exist; an IVF index visits more
        lists the narrower the filter, and all of them if it still finds fewer than k.
        The filter made from an ``allowed`` array is kept for the next search with the same
        array object, so such an array must not be changed in place.
        """
        vector = self._check(query.reshape(1, -1), 1)
        apply_faiss_threads()  # this thread may not have the process's setting yet (see indexer/threads.py)
        selector: faiss.IDSelector | None = None
        allowed_count = 0
        if allowed is not None:
            allowed_ids = allowed if isinstance(allowed, np.ndarray) else _ids(allowed)
            allowed_count = len(allowed_ids)
            if not allowed_count:
                return []
            last = self._last_selector
            if last is not None and last[0] is allowed:
                selector = last[1]
            else:
                selector = _selector(allowed_ids)
                if isinstance(allowed, np.ndarray):  # the same filter's array comes again until the collection changes
                    self._last_selector = (allowed, selector)
        with self._lock.reading():
            total = int(self._faiss.ntotal)
            k = min(k, total)
            if k <= 0:
                return []
            if not self.layout.is_ivf:
                params = _filter_params(selector) if selector is not None else None
                scores, ids = self._faiss.search(vector, k, params=params)
            else:
                nprobe = self.nprobe
                if selector is not None:  # keep the expected number of allowed candidates
                    nprobe = int(min(self.layout.nlist, np.ceil(nprobe * total / allowed_count)))
                scores, ids = self._ivf_search(vector, k, nprobe, selector)
                found = int((ids[0] != -1).sum())
                if found < k and nprobe < self.layout.nlist and found < min(k, allowed_count or total):
                    scores, ids = self._ivf_search(vector, k, self.layout.nlist, selector)
        return [Hit(int(i), float(s)) for s, i in zip(scores[0], ids[0], strict=True) if i != -1]

    def manifest(self, index_file: str = "") -> Manifest:
        return Manifest(
            model=self.model,
            dimension=self.dimension,
            index_type=self.index_type,
            metric=METRIC,
            vector_count=len(self),
            last_change=self.last_change,
            index_file=index_file,
            nprobe=self.nprobe,
            trained_on=self.trained_on,
            recall_at_10=self.recall_at_10,
        )

    def save(self, directory: Path) -> Manifest:
        """Write the index atomically into ``directory``; returns the new manifest."""
        directory.mkdir(parents=True, exist_ok=True)
        with self._lock.reading():
            data = faiss.serialize_index(self._faiss)
            manifest_before = self.manifest()
        index_file = f"vectors-{manifest_before.last_change}-{uuid.uuid4().hex[:12]}.faiss"
        content = data.tobytes()
        _write_atomic(directory / index_file, content)
        manifest = Manifest(**{**asdict(manifest_before), "index_file": index_file,
                               "sha256": hashlib.sha256(content).hexdigest()})
        old = read_manifest(directory)
        _write_atomic(directory / MANIFEST_NAME, json.dumps(asdict(manifest), indent=2).encode())
        if old is not None and old.index_file != index_file:
            (directory / old.index_file).unlink(missing_ok=True)
        return manifest

    @classmethod
    def load(
        cls, directory: Path, model: str, dimension: int, options: IndexOptions | None = None
    ) -> "VectorIndex":
        """Load an index saved by :meth:`save`, refusing one built for another model.

        An index whose stored vectors or kind differ from ``options`` is refused with
        :class:`IndexFileError`, so that the caller rebuilds it from the stored embeddings.
        """
        options = options or IndexOptions()
        manifest = read_manifest(directory)
        if manifest is None:
            raise IndexFileError(f"no index in {directory}")
        if manifest.model != model or manifest.dimension != dimension:
            raise IndexMismatchError(
                f"the index in {directory} was built with model {manifest.model!r} "
                f"({manifest.dimension} dimensions) but {model!r} ({dimension}) is configured; "
                "rebuild the index"
            )
        try:
            layout = Layout.parse(manifest.index_type)
        except ValueError:
            layout = None
        if layout is None or manifest.metric != METRIC:
            raise IndexMismatchError(
                f"the index in {directory} is {manifest.index_type}/{manifest.metric}; "
                "rebuild the index"
            )
        if layout.vectors != options.vectors or (options.kind == "flat" and layout.is_ivf) or (
            options.kind == "ivf" and not layout.is_ivf
        ):
            raise IndexFileError(
                f"the index in {directory} is {manifest.index_type} but {options.vectors} vectors "
                f"in a {options.kind} index are configured"
            )
        path = directory / manifest.index_file
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise IndexFileError(f"cannot read {path}: {exc}") from exc
        if manifest.sha256 and hashlib.sha256(content).hexdigest() != manifest.sha256:
            raise IndexFileError(f"{path} does not match the checksum in its manifest (damaged or replaced)")
        try:
            loaded = faiss.deserialize_index(np.frombuffer(content, dtype=np.uint8))
        except RuntimeError as exc:
            raise IndexFileError(f"cannot read {path}: {exc}") from exc
        if loaded.ntotal != manifest.vector_count:
            raise IndexFileError(
                f"{path} holds {loaded.ntotal} vectors but its manifest says "
                f"{manifest.vector_count}"
            )
        index = cls(model, dimension, options)
        if layout.is_ivf:  # a file written with FAISS's id map brings it: not kept (see _places)
            cast(faiss.IndexIVF, loaded).set_direct_map_type(NO_MAP)
            release_free_memory()
        index._faiss = loaded
        index.layout = layout
        index.nprobe = manifest.nprobe
        index.trained_on = manifest.trained_on
        index.recall_at_10 = manifest.recall_at_10
        index.last_change = manifest.last_change
        return index

    def _empty(self, layout: Layout) -> faiss.Index:
        codec = ENCODINGS[layout.vectors]
        if layout.is_ivf:
            return faiss.index_factory(self.dimension, f"IVF{layout.nlist},{codec}", faiss.METRIC_INNER_PRODUCT)
        return faiss.IndexIDMap2(faiss.index_factory(self.dimension, codec, faiss.METRIC_INNER_PRODUCT))

    def _build(
        self, ids: npt.NDArray[np.int64], vectors: Vectors
    ) -> tuple[faiss.Index, Layout, int, int, float | None]:
        """A new FAISS index holding these vectors: trained, filled and (IVF) tuned."""
        layout = choose_layout(len(ids), self.options)
        index = self._empty(layout)
        trained_on = 0
        if layout.needs_training and len(ids):
            sample = _training_sample(vectors, layout)
            if layout.is_ivf:
                clustering = cast(faiss.IndexIVF, index).cp
                clustering.max_points_per_centroid = TRAINING_POINTS_PER_LIST
                clustering.min_points_per_centroid = 1
            index.train(sample)
            trained_on = len(ids)
        if len(ids):
            index.add_with_ids(vectors, ids)
        nprobe, recall = 0, None
        if layout.is_ivf:
            nprobe, recall = self._tune(index, layout, ids, vectors)
        return index, layout, trained_on, nprobe, recall

    def _tune(
        self, index: faiss.Index, layout: Layout, ids: npt.NDArray[np.int64], vectors: Vectors
    ) -> tuple[int, float | None]:
        if self.options.nprobe is not None:
            return min(self.options.nprobe, layout.nlist), None
        count = min(CALIBRATION_QUERIES, len(vectors))
        queries = calibration_queries(vectors, count, seed=0)
        truth = exact_top_k(vectors, ids, queries, 10)

        def run(q: Vectors, k: int, nprobe: int) -> npt.NDArray[np.int64]:
            found: npt.NDArray[np.int64] = index.search(q, k, params=_ivf_params(nprobe))[1]
            return found

        nprobe, _ = tune_nprobe(run, queries, truth, layout.nlist, self.options.target_recall)
        held_out = calibration_queries(vectors, count, seed=1)  # recorded recall: queries the tuning did not see
        return nprobe, recall_at_k(run(held_out, 10, nprobe), exact_top_k(vectors, ids, held_out, 10))

    def _install(self, index: faiss.Index, layout: Layout, trained_on: int, nprobe: int, recall: float | None) -> None:
        self._faiss = index
        self._places = None
        self.layout = layout
        self.trained_on = trained_on
        self.nprobe = nprobe
        self.recall_at_10 = recall

    def _ivf_search(
        self, vector: Vectors, k: int, nprobe: int, selector: faiss.IDSelector | None
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        scores, ids = self._faiss.search(vector, k, params=_ivf_params(max(1, nprobe), selector))
        return scores, ids

    def _remove(self, ids: npt.NDArray[np.int64]) -> int:
        if self.layout.is_ivf:  # one pass over the lists (an id set with a Bloom filter), unless none is held
            if self._places is not None and not np.isin(ids, self._places[0]).any():
                return 0
            removed = int(self._faiss.remove_ids(faiss.IDSelectorBatch(ids)))
            if removed:
                self._places = None  # removing moves the last vector of a list into the gap
            return removed
        return int(self._faiss.remove_ids(faiss.IDSelectorBatch(ids)))  # what FAISS makes of an id array

    def _id_array(self) -> npt.NDArray[np.int64]:
        if not self.layout.is_ivf:
            return np.asarray(faiss.vector_to_array(cast(faiss.IndexIDMap2, self._faiss).id_map), dtype=np.int64)
        return self._ivf_places()[0].astype(np.int64)

    def _relayout_if_outgrown(self) -> None:
        count = len(self)
        if not outgrown(self.layout, self.trained_on, count, self.options):
            return
        ids = self._id_array()
        vectors = self._vectors_of(ids) if len(ids) else np.zeros((0, self.dimension), dtype=np.float32)
        self._install(*self._build(ids, np.ascontiguousarray(vectors, dtype=np.float32)))

    def _check(self, vectors: Vectors, rows: int) -> Vectors:
        array = np.ascontiguousarray(vectors, dtype=np.float32)
        if array.shape != (rows, self.dimension):
            raise ValueError(
                f"expected {rows} vectors of dimension {self.dimension}, got shape {array.shape}"
            )
        return array


def _filter_params(selector: faiss.IDSelector) -> faiss.SearchParameters:
    """Search parameters of an exact index that let only the selector's ids through."""
    params = faiss.SearchParameters()
    params.sel = selector
    return params


def _ivf_params(nprobe: int, selector: faiss.IDSelector | None = None) -> faiss.SearchParametersIVF:
    """Search parameters of an IVF index: lists to visit, and the ids let through (None: all)."""
    params = faiss.SearchParametersIVF()
    params.nprobe = nprobe
    if selector is not None:
        params.sel = selector
    return params


def _selector(ids: npt.NDArray[np.int64]) -> faiss.IDSelector:
    """A FAISS filter letting only ``ids`` through, as a bitmap (one bit per possible id).

    Building (and freeing) a bitmap is a few vectorised operations, where FAISS's hashed
    ``IDSelectorBatch`` inserts every id one by one: at tens of thousands of allowed ids that
    costs more than the search itself.
    """
    ids = np.asarray(ids, dtype=np.int64)
    ids = ids[ids >= 0]
    mask = np.zeros(int(ids.max()) + 1 if len(ids) else 1, dtype=bool)
    mask[ids] = True
    bitmap = np.packbits(mask, bitorder="little")
    return faiss.IDSelectorBitmap(bitmap)  # type: ignore[call-arg, arg-type]  # faiss's stub lacks its one-array form


def _training_sample(vectors: Vectors, layout: Layout) -> Vectors:
    """Enough vectors to train the layout; a tiny set is mirrored so int8 ranges are symmetric."""
    limit = max(TRAINING_POINTS_PER_LIST * layout.nlist, 10_000)
    if len(vectors) > limit:
        rng = np.random.default_rng(0)
        vectors = vectors[np.sort(rng.choice(len(vectors), limit, replace=False))]
    if not layout.is_ivf and len(vectors) < 1_000:
        vectors = np.vstack([vectors, -vectors])
    return np.ascontiguousarray(vectors, dtype=np.float32)


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
