import json
from pathlib import Path

import numpy as np
import pytest

from commons.cli.common import fail
from indexer import IndexMismatchError, VectorIndex
from indexer.errors import IndexFileError
from indexer.vector_index import MANIFEST_NAME, read_manifest


def unit_vectors(n: int, dim: int = 8, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_search_finds_the_identical_vector_first() -> None:
    vectors = unit_vectors(50)
    index = VectorIndex("m", 8)
    index.index(range(100, 150), vectors)
    hits = index.search(vectors[7], 3)
    assert hits[0].id == 107
    assert hits[0].score == pytest.approx(1.0, abs=1e-5)
    assert len(hits) == 3


def test_a_search_in_a_thread_made_after_the_setting_uses_the_processs_faiss_threads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenMP keeps its thread count per thread: a web server's or a helper's thread would
    otherwise search with one OpenMP thread per core, whatever the process was set to."""
    import threading

    import faiss

    from indexer import threads

    monkeypatch.setattr(threads, "_applied", threading.local())
    threads.set_threads(None, 1)
    index = VectorIndex("m", 8)
    index.index(range(20), unit_vectors(20))
    seen: list[int] = []

    def search_here() -> None:
        faiss.omp_set_num_threads(3)  # as if left at another count
        index.search(unit_vectors(1)[0], 3)
        seen.append(faiss.omp_get_max_threads())

    worker = threading.Thread(target=search_here)
    worker.start()
    worker.join()
    assert seen == [1]


def test_filtered_search_returns_k_results_from_the_allowed_ids_only() -> None:
    vectors = unit_vectors(200)
    index = VectorIndex("m", 8)
    index.index(range(200), vectors)
    allowed = set(range(0, 200, 10))
    hits = index.search(vectors[5], 12, allowed=allowed)
    assert len(hits) == 12
    assert {h.id for h in hits} <= allowed
    assert index.search(vectors[5], 5, allowed=[]) == []


def test_append_replaces_an_existing_id_and_delete_removes() -> None:
    vectors = unit_vectors(3)
    index = VectorIndex("m", 8)
    index.append([1, 2], vectors[:2])
    index.append([2], vectors[2:3])
    assert len(index) == 2
    assert np.allclose(index.vector(2), vectors[2])
    assert index.delete([1, 99]) == 1
    assert index.ids() == {2}


def test_save_and_load_round_trip_with_manifest(tmp_path: Path) -> None:
    vectors = unit_vectors(20)
    index = VectorIndex("m", 8)
    index.index(range(20), vectors, last_change=42)
    manifest = index.save(tmp_path)
    assert manifest.vector_count == 20 and manifest.last_change == 42
    loaded = VectorIndex.load(tmp_path, "m", 8)
    assert loaded.ids() == set(range(20)) and loaded.last_change == 42
    index.append([99], unit_vectors(1, seed=3))
    second = index.save(tmp_path)
    assert not (tmp_path / manifest.index_file).exists()
    assert read_manifest(tmp_path) == second
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([MANIFEST_NAME, second.index_file])


def test_loading_with_another_model_says_to_rebuild_the_index(tmp_path: Path) -> None:
    VectorIndex("model-a", 8).save(tmp_path)
    with pytest.raises(IndexMismatchError, match="rebuild the index"):
        VectorIndex.load(tmp_path, "model-b", 8)


def test_the_command_line_says_which_command_rebuilds_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    VectorIndex("model-a", 8).save(tmp_path)
    with pytest.raises(IndexMismatchError) as mismatch:
        VectorIndex.load(tmp_path, "model-b", 8)
    with pytest.raises(SystemExit):
        fail(mismatch.value)
    assert "rebuild the index (run `commons reindex`)" in capsys.readouterr().err


def test_a_manifest_that_disagrees_with_its_file_is_refused(tmp_path: Path) -> None:
    index = VectorIndex("m", 8)
    index.index(range(3), unit_vectors(3))
    index.save(tmp_path)
    data = json.loads((tmp_path / MANIFEST_NAME).read_text())
    data["vector_count"] = 4
    (tmp_path / MANIFEST_NAME).write_text(json.dumps(data))
    with pytest.raises(IndexFileError, match="holds 3 vectors"):
        VectorIndex.load(tmp_path, "m", 8)
