"""Search library of the School Improvement Commons.

Chunking, embedding and the FAISS vector index. This package knows nothing of Flask,
SQLAlchemy or the ``commons`` application: the application hands it plain data.
"""

from indexer.chunking import Chunk, Section, chunk_document
from indexer.embedding import Embedder, SentenceTransformerEmbedder, default_model_path
from indexer.errors import IndexerError, IndexMismatchError
from indexer.sync import Change, ChangeSource, apply_changes, rebuild
from indexer.vector_index import Manifest, VectorIndex

__all__ = [
    "Change",
    "ChangeSource",
    "Chunk",
    "Embedder",
    "IndexMismatchError",
    "IndexerError",
    "Manifest",
    "Section",
    "SentenceTransformerEmbedder",
    "VectorIndex",
    "apply_changes",
    "chunk_document",
    "default_model_path",
    "rebuild",
]
