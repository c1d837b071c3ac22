"""Keeping an index in step with the application's ordered change log.

The application records every change to searchable content as a numbered change (a passage
added or removed) in the same transaction as the change itself. An index remembers the last
change it applied; :func:`apply_changes` brings it up to date, and :func:`rebuild` makes a
fresh index from the stored vectors alone, without the model.
"""

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

from indexer.layout import IndexOptions
from indexer.lexical import LexicalIndex
from indexer.memory import release_free_memory
from indexer.types import Vectors
from indexer.vector_index import VectorIndex

ADD: Literal["add"] = "add"
REMOVE: Literal["remove"] = "remove"


@dataclass(frozen=True)
class Change:
    """One entry of the change log."""

    seq: int
    op: Literal["add", "remove"]
    passage_id: int


class ChangeSource(Protocol):
    """Where changes and stored vectors come from (the application's database)."""

    def last_change(self) -> int:
        """The newest change number, 0 when the log is empty."""
        ...

    def changes_since(self, seq: int) -> list[Change]:
        """Changes with a number greater than ``seq``, in order."""
        ...

    def vectors(self, passage_ids: list[int]) -> tuple[list[int], Vectors]:
        """Stored vectors of the passages that are live now (others are left out)."""
        ...

    def live_vectors(self, batch_size: int) -> Iterator[tuple[list[int], Vectors]]:
        """Every live passage's stored vector, in batches."""
        ...

    def texts(self, passage_ids: list[int]) -> dict[int, str]:
        """The searchable text of the passages that are live now."""
        ...

    def live_texts(self, batch_size: int) -> Iterator[dict[int, str]]:
        """Every live passage's searchable text, in batches."""
        ...

    def live_count(self) -> int:
        """How many passages are live (searchable) now."""
        ...


def apply_changes(index: VectorIndex, source: ChangeSource) -> int:
    """Apply the changes the index has not seen; returns how many were applied.

    Replay is idempotent: a passage is added only if it is still live, with the vector the
    database holds now, and a removal of an absent id is a no-op.
    """
    changes = source.changes_since(index.last_change)
    if not changes:
        return 0
    final: dict[int, str] = {}
    for change in changes:
        final[change.passage_id] = change.op
    removed = [pid for pid, op in final.items() if op == REMOVE]
    index.delete(removed)
    added = [pid for pid, op in final.items() if op == ADD]
    live_ids, vectors = source.vectors(added)
    stale = set(added) - set(live_ids)
    index.delete(stale)
    index.append(live_ids, vectors)
    index.last_change = changes[-1].seq
    return len(changes)


def rebuild(
    model: str,
    dimension: int,
    source: ChangeSource,
    batch_size: int = 2048,
    progress: Callable[[int], None] | None = None,
    options: IndexOptions | None = None,
) -> VectorIndex:
    """A new index holding every live passage's stored vector; the model is not needed."""
    last = source.last_change()
    ids: list[int] = []
    chunks: list[Vectors] = []
    for batch_ids, batch_vectors in source.live_vectors(batch_size):
        ids.extend(batch_ids)
        chunks.append(batch_vectors)
        if progress is not None:
            progress(len(batch_ids))
    vectors = np.vstack(chunks) if chunks else np.zeros((0, dimension), dtype=np.float32)
    index = VectorIndex(model, dimension, options)
    del chunks
    index.index(ids, vectors, last_change=last)
    del vectors
    apply_changes(index, source)
    release_free_memory()
    return index


def apply_lexical_changes(index: LexicalIndex, source: ChangeSource) -> int:
    """Bring a lexical index up to date with the change log; returns how many were applied."""
    changes = source.changes_since(index.last_change)
    if not changes:
        return 0
    final = {change.passage_id: change.op for change in changes}
    index.delete(pid for pid, op in final.items() if op == REMOVE)
    added = [pid for pid, op in final.items() if op == ADD]
    texts = source.texts(added)
    index.delete(set(added) - set(texts))
    index.append(texts.keys(), texts.values())
    index.last_change = changes[-1].seq
    return len(changes)


def rebuild_lexical(source: ChangeSource, k1: float, b: float, batch_size: int = 5000,
                    stem_overrides: Mapping[str, str] | None = None) -> LexicalIndex:
    """A lexical index of every live passage, then brought up to date (``stem_overrides``: see LexicalIndex)."""
    index = LexicalIndex(k1=k1, b=b, stem_overrides=stem_overrides)
    index.last_change = source.last_change()
    for batch in source.live_texts(batch_size):
        index.append(batch.keys(), batch.values())
    apply_lexical_changes(index, source)
    index.merge()
    release_free_memory()
    return index
