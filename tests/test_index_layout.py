"""The automatic choice of exact or approximate index, compact vectors, and recall."""

from pathlib import Path

import numpy as np
import pytest

from indexer import VectorIndex
from indexer.errors import IndexFileError
from indexer.layout import IndexOptions, Layout, choose_layout, nlist_for
from indexer.recall import exact_top_k, recall_at_k
from indexer.vector_index import read_manifest

DIM = 32


def clustered(n: int, seed: int = 0, centres: int = 40) -> np.ndarray:
    """Unit vectors around a few dozen centres, like embeddings of passages on a few topics."""
    rng = np.random.default_rng(seed)
    middle = rng.normal(size=(centres, DIM))
    v = middle[rng.integers(0, centres, n)] + 0.6 * rng.normal(size=(n, DIM))
    v = v.astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


SMALL_IVF = IndexOptions(ivf_threshold=500)


def test_a_small_corpus_gets_an_exact_index_and_a_large_one_an_ivf() -> None:
    assert choose_layout(49_999, IndexOptions()) == Layout("float32")
    assert choose_layout(50_000, IndexOptions()).nlist == nlist_for(50_000) == 894
    assert choose_layout(10, IndexOptions(kind="ivf")).nlist == 10
    assert choose_layout(10**6, IndexOptions(kind="flat")).is_ivf is False
    small = VectorIndex("m", DIM, SMALL_IVF)
    small.index(range(400), clustered(400))
    assert small.index_type == "IDMap2,Flat"
    large = VectorIndex("m", DIM, SMALL_IVF)
    large.index(range(2000), clustered(2000))
    assert large.index_type == f"IVF{nlist_for(2000)},Flat" and large.nprobe >= 1
    assert large.recall_at_10 is not None and large.recall_at_10 >= 0.95  # on queries the tuning did not see


def test_growing_past_the_threshold_switches_to_ivf_and_shrinking_switches_back() -> None:
    vectors = clustered(1200)
    index = VectorIndex("m", DIM, SMALL_IVF)
    index.append(range(400), vectors[:400])
    assert not index.layout.is_ivf
    index.append(range(400, 1200), vectors[400:])
    assert index.layout.is_ivf and index.ids() == set(range(1200))
    index.delete(range(1000))
    assert not index.layout.is_ivf and index.ids() == set(range(1000, 1200))
    assert index.search(vectors[1100], 1)[0].id == 1100


def test_the_ivf_index_appends_replaces_deletes_and_filters() -> None:
    vectors = clustered(3000)
    index = VectorIndex("m", DIM, SMALL_IVF)
    index.index(range(3000), vectors)
    assert index.search(vectors[17], 1)[0].id == 17
    index.append([17], vectors[18:19])  # replaced, not duplicated
    assert len(index) == 3000 and np.allclose(index.vector(17), vectors[18], atol=1e-6)
    assert index.delete([5, 6, 99_999]) == 2
    assert 5 not in index.ids() and len(index) == 2998
    assert all(h.id != 5 for h in index.search(vectors[5], 10))
    allowed = set(range(0, 3000, 97))  # a narrow filter still yields k hits
    hits = index.search(vectors[100], 20, allowed=allowed)
    assert len(hits) == 20 and {h.id for h in hits} <= allowed
    assert index.search(vectors[100], 5, allowed=[]) == []


@pytest.mark.parametrize("encoding", ["float32", "float16", "int8"])
def test_ivf_and_compact_indexes_round_trip_through_the_manifest(tmp_path: Path, encoding: str) -> None:
    options = IndexOptions(vectors=encoding, ivf_threshold=500)  # type: ignore[arg-type]
    vectors = clustered(1500)
    index = VectorIndex("m", DIM, options)
    index.index(range(1500), vectors, last_change=7)
    manifest = index.save(tmp_path)
    assert manifest.index_type == index.index_type and manifest.nprobe == index.nprobe
    loaded = VectorIndex.load(tmp_path, "m", DIM, options)
    assert loaded.layout == index.layout and loaded.nprobe == index.nprobe and loaded.last_change == 7
    assert loaded.ids() == set(range(1500))
    assert loaded.search(vectors[3], 1)[0].id == 3
    assert np.allclose(loaded.vector(3), vectors[3], atol=0.02)
    loaded.delete([3])
    loaded.append([2000], vectors[3:4])
    assert loaded.search(vectors[3], 1)[0].id == 2000
    with pytest.raises(IndexFileError, match="configured"):
        VectorIndex.load(tmp_path, "m", DIM, IndexOptions(vectors="float32" if encoding != "float32" else "int8"))


@pytest.mark.parametrize("encoding", ["float16", "int8"])
def test_compact_vectors_keep_the_exact_order_and_shrink_the_file(tmp_path: Path, encoding: str) -> None:
    vectors = clustered(300)
    full = VectorIndex("m", DIM)
    full.index(range(300), vectors)
    compact = VectorIndex("m", DIM, IndexOptions(vectors=encoding))  # type: ignore[arg-type]
    compact.append(range(300), vectors)  # an empty int8 index trains on its first vectors
    assert compact.index_type.endswith("SQfp16" if encoding == "float16" else "SQ8")
    queries = clustered(50, seed=1)
    truth = np.array([[h.id for h in full.search(q, 10)] for q in queries])
    found = np.array([[h.id for h in compact.search(q, 10)] for q in queries])
    assert recall_at_k(found, truth) >= 0.9
    full_bytes = (tmp_path / full.save(tmp_path / "a").index_file.join(["a/", ""])).stat().st_size
    compact_bytes = (tmp_path / compact.save(tmp_path / "b").index_file.join(["b/", ""])).stat().st_size
    assert compact_bytes < 0.6 * full_bytes
    assert read_manifest(tmp_path / "b") is not None


def test_ivf_recall_at_10_against_exact_search_is_at_least_095() -> None:
    vectors = clustered(5000, centres=60)
    index = VectorIndex("m", DIM, IndexOptions(kind="ivf"))
    index.index(range(5000), vectors)
    queries = clustered(200, seed=2, centres=60)  # fresh points, not the calibration queries
    truth = exact_top_k(vectors, np.arange(5000, dtype=np.int64), queries, 10)
    found = np.array([[h.id for h in index.search(q, 10)] for q in queries])
    assert recall_at_k(found, truth) >= 0.95
    assert index.nprobe < index.layout.nlist  # approximate: it does not visit every list


def test_options_refuse_unknown_values() -> None:
    with pytest.raises(ValueError, match="float32, float16, int8"):
        IndexOptions(vectors="bf16")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="auto, flat or ivf"):
        IndexOptions(kind="hnsw")  # type: ignore[arg-type]


@pytest.mark.parametrize("encoding", ["float32", "float16"])
def test_an_ivf_index_gives_every_vector_back_after_appends_replacements_removals_and_a_reload(
        tmp_path: Path, encoding: str) -> None:
    """An IVF index finds a vector by id through its own sorted list of places, not FAISS's hash
    table; removing moves a list's last vector into the gap, so the places are made again."""
    vectors = clustered(4000, seed=3)
    index = VectorIndex("m", DIM, IndexOptions(ivf_threshold=500, vectors=encoding))  # type: ignore[arg-type]
    ids = np.arange(0, 8000, 2)  # ids with gaps, as passages have
    index.index(ids[:3000], vectors[:3000])
    held = {int(i): vectors[k] for k, i in enumerate(ids[:3000])}
    tolerance = 1e-6 if encoding == "float32" else 2e-3

    def check(where: VectorIndex) -> None:
        wanted = sorted(held)
        assert np.allclose(where.vectors_of(wanted), np.vstack([held[i] for i in wanted]), atol=tolerance)
        assert np.allclose(where.vector(wanted[-1]), held[wanted[-1]], atol=tolerance)

    check(index)
    index.append(ids[3000:], vectors[3000:])
    held.update({int(i): vectors[3000 + k] for k, i in enumerate(ids[3000:])})
    check(index)
    gone = [int(i) for i in ids[::7]]
    assert index.delete([*gone, 1, 3]) == len(gone)  # odd ids were never held
    for i in gone:
        del held[i]
    check(index)
    index.append([int(ids[1])], vectors[:1])  # replaced, not duplicated
    held[int(ids[1])] = vectors[0]
    check(index)
    with pytest.raises(RuntimeError, match="not in the index"):
        index.vectors_of([int(ids[0]), 1])
    index.save(tmp_path)
    check(VectorIndex.load(tmp_path, "m", DIM, IndexOptions(ivf_threshold=500, vectors=encoding)))  # type: ignore[arg-type]
