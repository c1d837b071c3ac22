"""Search library of the School Improvement Commons.

Chunking, embedding, the FAISS vector index, the BM25 lexical index and fusion. This package
knows nothing of Flask, SQLAlchemy or the ``commons`` application: the application hands it
plain data and its own settings (model name, cache folder, index options).

Modules depend one way: :mod:`indexer.types` and :mod:`indexer.errors` at the bottom import
nothing else from the library; no two modules import each other, directly or through others
(``tests/test_indexer_isolation.py`` checks this).
"""

from indexer.chunking import Chunk, Section, chunk_document
from indexer.embedding import SentenceTransformerEmbedder, default_model_path
from indexer.errors import IndexerError, IndexFileError, IndexMismatchError
from indexer.sync import Change, ChangeSource, apply_changes, rebuild
from indexer.types import Embedder, Hit, Vectors
from indexer.vector_index import Manifest, VectorIndex

__all__ = [
    "Change",
    "ChangeSource",
    "Chunk",
    "Embedder",
    "Hit",
    "IndexFileError",
    "IndexMismatchError",
    "IndexerError",
    "Manifest",
    "Section",
    "SentenceTransformerEmbedder",
    "VectorIndex",
    "Vectors",
    "apply_changes",
    "chunk_document",
    "default_model_path",
    "rebuild",
]
