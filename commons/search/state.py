"""One app's search state: the embedding model, the index replicas and the query cache.

The database is the source of truth; the vector index on disk and the lexical index in memory
are caches. Before every search the replicas apply the change-log entries they have not
seen, so publishes made by any process show up here. A missing or unreadable vector index
is rebuilt from the stored embeddings, without the model. Nothing here needs Flask.
"""

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from commons.models import Change, Passage
from commons.search.source import DatabaseChangeSource
from commons.search.tokens import STEM_OVERRIDES
from indexer import Embedder, SentenceTransformerEmbedder, VectorIndex, apply_changes, rebuild
from indexer.errors import IndexFileError
from indexer.layout import IndexOptions
from indexer.lexical import DEFAULT_B, DEFAULT_K1, LexicalIndex
from indexer.sync import apply_lexical_changes, rebuild_lexical
from indexer.types import Vectors
from indexer.vector_index import read_manifest
from indexer.writer_lock import writer_lock

log = logging.getLogger(__name__)
QUERY_CACHE_SIZE = 1024


@dataclass(frozen=True)
class SearchSettings:
    """How searches are run; from ``COMMONS_SEARCH_*`` settings."""

    mode: str = "hybrid"
    dense_weight: float = 0.5
    k1: float = DEFAULT_K1
    b: float = DEFAULT_B
    pool: int = 200


class IndexState:
    """The embedder and the index replicas of one app."""

    def __init__(
        self, directory: Path, model: str, embedder: Embedder | None, settings: SearchSettings,
        options: IndexOptions | None = None, runtime: str = "onnx", model_cache: Path | None = None,
        model_threads: int | None = None,
    ) -> None:
        self.directory = directory
        self.model = model
        self.runtime = runtime
        self.model_cache = model_cache
        self.model_threads = model_threads
        self.settings = settings
        self.options = options or IndexOptions()
        self._dimension: int | None = None
        self._embedder = embedder
        self._vectors: VectorIndex | None = None
        self._lexical: LexicalIndex | None = None
        self._lock = threading.Lock()
        self._queries: OrderedDict[str, Vectors] = OrderedDict()
        self._query_lock = threading.Lock()
        self._helpers: ThreadPoolExecutor | None = None
        self._helpers_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = SentenceTransformerEmbedder(self.model, runtime=self.runtime, cache_dir=self.model_cache,
                                                         threads=self.model_threads)
        return self._embedder

    @property
    def helpers(self) -> ThreadPoolExecutor:
        """Threads for encoding a question, made on first use (the model lets go of the GIL as it runs).

        A search encodes its question here while its own thread does the lexical side.
        """
        if self._helpers is None:
            with self._helpers_lock:
                if self._helpers is None:
                    self._helpers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="encode-question")
        return self._helpers

    def encode_query(self, question: str) -> Vectors:
        """The question's vector, from a small LRU cache when it was asked recently."""
        with self._query_lock:
            cached = self._queries.get(question)
            if cached is not None:
                self._queries.move_to_end(question)
                return cached
        vector: Vectors = self.embedder.encode([question])[0]  # a float32 row; numpy types it as Any
        with self._query_lock:
            self._queries[question] = vector
            if len(self._queries) > QUERY_CACHE_SIZE:
                self._queries.popitem(last=False)
        return vector

    def configure(self, settings: SearchSettings) -> None:
        """Change the search settings (the lexical replica is rebuilt on next use)."""
        with self._lock:
            if (settings.k1, settings.b) != (self.settings.k1, self.settings.b):
                self._lexical = None
            self.settings = settings

    def dimension(self, session: Session) -> int:
        """Vector size: from the manifest, else the stored embeddings, else the model."""
        if self._dimension is not None:
            return self._dimension
        manifest = read_manifest(self.directory)
        if manifest is not None and manifest.model == self.model:
            self._dimension = manifest.dimension
            return manifest.dimension
        blob = session.scalar(select(Passage.embedding).limit(1))
        if blob is not None:
            self._dimension = len(blob) // 4
            return self._dimension
        return self.embedder.dimension

    def fresh(self, session: Session) -> VectorIndex:
        """The vector replica, loaded or rebuilt if needed and brought up to date."""
        return self.fresh_pair(session)[0]

    def fresh_pair(self, session: Session) -> tuple[VectorIndex, LexicalIndex]:
        """Both replicas, brought up to date with the change log.

        When nothing has changed since the replicas last caught up (one indexed ``max`` on the
        change log tells), searches go ahead side by side without taking the updating lock.
        A change log that went backwards (the database was restored under this process) has
        the replicas rebuilt from the database, with a warning.
        """
        vectors, lexical = self._vectors, self._lexical
        if vectors is not None and lexical is not None:
            newest = DatabaseChangeSource(session, vectors.dimension).last_change()
            if vectors.last_change == newest and lexical.last_change == newest:
                return vectors, lexical
        with self._lock:
            source = DatabaseChangeSource(session, self.dimension(session))
            if self._vectors is None:
                self._vectors = self._load_or_rebuild(source)
            newest = source.last_change()
            applied = max(self._vectors.last_change, self._lexical.last_change if self._lexical else 0)
            if applied > newest and self._log_went_backwards(session, applied):
                log.warning("the change log went backwards (newest change %d, the search index had applied %d): "
                            "was the database restored while this server ran? Rebuilding the search index from "
                            "the database", newest, applied)
                self._vectors = rebuild(self.model, source.dimension, source, options=self.options)
                self._lexical = None
                self._save_rebuilt(self._vectors)
            if apply_changes(self._vectors, source):
                self.persist(self._vectors, strict=False)
            if self._lexical is None:
                self._lexical = rebuild_lexical(source, self.settings.k1, self.settings.b,
                                                stem_overrides=STEM_OVERRIDES)
            else:
                apply_lexical_changes(self._lexical, source)
            return self._vectors, self._lexical

    def rebuild(self, session: Session, progress: Callable[[int], None] | None = None) -> VectorIndex:
        """Rebuild from the stored embeddings (never the model) and save atomically."""
        with self._lock:
            source = DatabaseChangeSource(session, self.dimension(session))
            with writer_lock(self.directory):
                index = rebuild(self.model, source.dimension, source, progress=progress, options=self.options)
                index.save(self.directory)
            self._vectors = index
            self._lexical = None
            return index

    @staticmethod
    def _log_went_backwards(session: Session, applied: int) -> bool:
        """Whether the change log's newest entry, read afresh, is below what the replicas applied.

        Read on a connection of its own: a session whose snapshot predates a publish another
        thread has applied sees an older newest change without anything having gone backwards.
        """
        with session.get_bind().engine.connect() as connection:
            newest = int(connection.scalar(select(func.coalesce(func.max(Change.seq), 0))) or 0)
        return newest < applied

    def _save_rebuilt(self, index: VectorIndex) -> None:
        """Save a rebuilt index over whatever is on disk (which may claim a later change); logged if it fails."""
        try:
            with writer_lock(self.directory):
                index.save(self.directory)
        except OSError as error:
            log.warning("could not save the search index in %s (%s); still serving from memory",
                        self.directory, error)

    def _load_or_rebuild(self, source: DatabaseChangeSource) -> VectorIndex:
        try:
            return VectorIndex.load(self.directory, self.model, source.dimension, self.options)
        except IndexFileError:
            index = rebuild(self.model, source.dimension, source, options=self.options)
            self.persist(index, strict=False)
            return index

    def persist(self, index: VectorIndex, strict: bool = True) -> bool:
        """Save ``index`` under the writer lock unless a newer save is already on disk.

        The files on disk are a cache: when ``strict`` is false a failed save is logged and
        the in-memory replica keeps serving, while the previous save stays readable.
        """
        try:
            with writer_lock(self.directory):
                try:
                    current = read_manifest(self.directory)
                except IndexFileError:
                    current = None
                if current is not None and current.model == index.model and current.last_change > index.last_change:
                    return False
                index.save(self.directory)
                return True
        except OSError as error:
            if strict:
                raise
            log.warning("could not save the search index in %s (%s); still serving from memory, "
                        "the next change will try again", self.directory, error)
            return False
