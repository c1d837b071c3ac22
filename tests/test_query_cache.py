"""The LRU cache of query embeddings, and the lock-free read path of the replicas."""

import threading
from pathlib import Path

import numpy as np

from commons.search import state as search_state_module
from commons.search.state import IndexState, SearchSettings
from indexer.rwlock import ReadWriteLock


class CountingEmbedder:
    name = "counting"
    dimension = 4

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: list[str], batch_size: int = 32, progress: bool = False) -> np.ndarray:
        self.calls += 1
        return np.ones((len(texts), 4), dtype=np.float32) * len(texts[0])


def test_a_repeated_question_is_encoded_once_and_old_ones_are_evicted(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(search_state_module, "QUERY_CACHE_SIZE", 2)
    embedder = CountingEmbedder()
    state = IndexState(tmp_path, "counting", embedder, SearchSettings())
    first = state.encode_query("reading for pleasure")
    assert np.array_equal(state.encode_query("reading for pleasure"), first) and embedder.calls == 1
    state.encode_query("attendance")
    state.encode_query("reading for pleasure")  # most recent again
    state.encode_query("phonics")  # evicts "attendance", the least recently used
    assert embedder.calls == 3
    state.encode_query("reading for pleasure")
    assert embedder.calls == 3
    state.encode_query("attendance")
    assert embedder.calls == 4


def test_readers_share_the_lock_and_a_writer_waits_for_them() -> None:
    lock = ReadWriteLock()
    inside = threading.Barrier(2, timeout=5)
    order: list[str] = []

    def reader() -> None:
        with lock.reading():
            inside.wait()  # both readers are inside at once, or this times out
            order.append("read")

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with lock.writing(), lock.writing(), lock.reading():  # re-entrant for its holder, reads included
        order.append("write")
    assert order == ["read", "read", "write"]
