"""Which FAISS index a corpus gets: exact or approximate, full or compact vectors.

The choice is automatic from the number of vectors (``kind="auto"``):

* below :data:`IVF_THRESHOLD` vectors the index is exact (``IDMap2,Flat``): a single-query
  scan of 50,000 vectors of 384 dimensions takes a small fraction of the time the model
  needs to encode the question, so there is nothing to gain from approximation;
* from :data:`IVF_THRESHOLD` on it is an inverted file (``IVF<nlist>``) with
  ``nlist = 4 * sqrt(n)`` lists, and ``nprobe`` (how many lists a search visits) is tuned
  when the index is built so that recall@10 against exact search is at least
  :data:`TARGET_RECALL` on calibration queries (see :mod:`indexer.recall`).

The IVF index supports removal (withdrawn case studies) and ``IDSelector`` filters, which
is why it is preferred to HNSW (FAISS's HNSW cannot remove vectors).

Vectors are stored as ``float32`` by default; ``float16`` (half the bytes) and ``int8``
(a quarter, scalar-quantised per dimension) are compact options, in either kind of index.
"""

import math
import re
from dataclasses import dataclass
from typing import Literal

IVF_THRESHOLD = 50_000
TARGET_RECALL = 0.99  # calibration target, with a margin: the benchmark checks real questions reach 0.95
IVF_LISTS_PER_SQRT = 4
RETRAIN_GROWTH = 4  # a trained index is laid out again once it holds 4x what it was trained on
MIN_TRAINED = 1_000  # a trained layout built on fewer vectors is retrained as the corpus grows

VectorEncoding = Literal["float32", "float16", "int8"]
Kind = Literal["auto", "flat", "ivf"]
ENCODINGS: dict[VectorEncoding, str] = {"float32": "Flat", "float16": "SQfp16", "int8": "SQ8"}
BYTES_PER_COMPONENT: dict[VectorEncoding, int] = {"float32": 4, "float16": 2, "int8": 1}
_TYPE = re.compile(r"^(?:IDMap2|IVF(?P<nlist>\d+)),(?P<codec>Flat|SQfp16|SQ8)$")


@dataclass(frozen=True)
class IndexOptions:
    """How the vector index is laid out (an application maps its settings to these)."""

    vectors: VectorEncoding = "float32"
    kind: Kind = "auto"
    ivf_threshold: int = IVF_THRESHOLD
    nprobe: int | None = None  # None: tuned at build time to reach ``target_recall``
    target_recall: float = TARGET_RECALL

    def __post_init__(self) -> None:
        if self.vectors not in ENCODINGS:
            raise ValueError(f"vectors must be one of {', '.join(ENCODINGS)}, not {self.vectors!r}")
        if self.kind not in ("auto", "flat", "ivf"):
            raise ValueError(f"index kind must be auto, flat or ivf, not {self.kind!r}")
        if self.ivf_threshold < 1:
            raise ValueError("the IVF threshold must be a positive number of vectors")


@dataclass(frozen=True)
class Layout:
    """One concrete index: flat or IVF with ``nlist`` lists, and how vectors are stored."""

    vectors: VectorEncoding
    nlist: int = 0  # 0: flat

    @property
    def is_ivf(self) -> bool:
        return self.nlist > 0

    @property
    def needs_training(self) -> bool:
        return self.is_ivf or self.vectors == "int8"

    @property
    def index_type(self) -> str:
        """The FAISS factory-style name recorded in the manifest."""
        prefix = f"IVF{self.nlist}" if self.is_ivf else "IDMap2"
        return f"{prefix},{ENCODINGS[self.vectors]}"

    @classmethod
    def parse(cls, index_type: str) -> "Layout":
        match = _TYPE.match(index_type)
        if match is None:
            raise ValueError(f"unknown index type {index_type!r}")
        codec = match["codec"]
        vectors = next(name for name, value in ENCODINGS.items() if value == codec)
        return cls(vectors, int(match["nlist"] or 0))


def nlist_for(count: int) -> int:
    """Inverted lists for ``count`` vectors: 4 * sqrt(n), at least 1."""
    return max(1, int(IVF_LISTS_PER_SQRT * math.sqrt(max(count, 1))))


def choose_layout(count: int, options: IndexOptions) -> Layout:
    """The layout for a corpus of ``count`` vectors under these options."""
    ivf = options.kind == "ivf" or (options.kind == "auto" and count >= options.ivf_threshold)
    if ivf and count > 0:
        return Layout(options.vectors, min(nlist_for(count), count))
    return Layout(options.vectors)


def outgrown(current: Layout, trained_on: int, count: int, options: IndexOptions) -> bool:
    """Whether an index holding ``count`` vectors should be laid out again.

    Exact and approximate swap at the threshold (back to exact only below half of it, so a
    corpus hovering at the threshold is not rebuilt back and forth); a trained layout is
    retrained once the corpus has grown to :data:`RETRAIN_GROWTH` times what it was trained
    on, or when it was trained on too few vectors to be representative.
    """
    wanted = choose_layout(count, options)
    if wanted.vectors != current.vectors:
        return True
    if wanted.is_ivf and not current.is_ivf:
        return True
    if current.is_ivf and not wanted.is_ivf and options.kind == "auto":
        return count < options.ivf_threshold // 2
    if current.needs_training and count > 0:
        return count >= RETRAIN_GROWTH * max(trained_on, 1) and (
            trained_on < MIN_TRAINED or current.is_ivf
        )
    return False
