"""The model run by ONNX Runtime: the same weights and the same vectors, a third of the time.

sentence-transformers spends most of a one-question ``encode`` in per-call work around the
network rather than in the network itself. A sentence-transformers model made of a
Transformer, mean pooling and normalisation (all-MiniLM-L6-v2 is) is exported once to ONNX,
checked against the original on texts short, long (truncated) and empty, and cached on disk
under a name made from the model's own files; later processes load the cached file with ONNX
Runtime and the ``tokenizers`` tokenizer, without importing torch. ``bench/scale_latency.py``
and ``bench/txtai_compare.py`` report the difference; ``tests/test_onnx_model.py`` checks the
vectors against sentence-transformers.
"""

import hashlib
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from indexer.types import Vectors
from indexer.writer_lock import writer_lock

log = logging.getLogger(__name__)

EXPORT_VERSION = "1"  # part of the cached file's name: change it when the export changes
MAX_DIFFERENCE = 1e-4  # the largest difference in any vector component the check accepts
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_CHECK_TEXTS = [
    "How did a small rural primary school improve attendance?",
    "",
    "Répétition espacée et récupération en mathématiques",
    " ".join(["Disadvantaged pupils made more progress in reading after daily fluency practice."] * 40),
]


class OnnxUnsupported(Exception):
    """This model cannot be run by ONNX Runtime here; the message says why."""


def default_cache_dir() -> Path:
    """The library's folder in the user's cache folder, for a caller that names none.

    An application passes its own folder (a setting of its own) to :func:`load`.
    """
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "indexer" / "models"


def _read_json(path: Path) -> Any:
    """The parsed JSON file (an object or a list, as the file holds)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise OnnxUnsupported(f"cannot read {path.name}: {error}") from error


def _describe(model_dir: Path) -> tuple[int, int]:
    """The model's (dimension, max_seq_length), if it is Transformer + mean pooling + Normalize."""
    modules = _read_json(model_dir / "modules.json")
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    if kinds != ["Transformer", "Pooling", "Normalize"]:
        raise OnnxUnsupported(f"its modules are {kinds}, not Transformer, Pooling, Normalize")
    pooling = _read_json(model_dir / modules[1]["path"] / "config.json")
    others = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v and k != "pooling_mode_mean_tokens"]
    if not pooling.get("pooling_mode_mean_tokens") or others:
        raise OnnxUnsupported("its pooling is not mean pooling alone")
    if not (model_dir / "tokenizer.json").exists():
        raise OnnxUnsupported("it has no tokenizer.json")
    config = _read_json(model_dir / "sentence_bert_config.json")
    return int(pooling["word_embedding_dimension"]), int(config.get("max_seq_length", 512))


def cached_file(model_dir: Path, cache_dir: Path) -> Path:
    """Where the export of this model lives: named by a digest of the model's files."""
    digest = hashlib.sha256(EXPORT_VERSION.encode())
    for name in ("config.json", "modules.json", "sentence_bert_config.json", "tokenizer.json", "model.safetensors"):
        path = model_dir / name
        if path.exists():
            digest.update(name.encode())
            with path.open("rb") as stream:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(block)
    return cache_dir / f"sentence-model-{digest.hexdigest()[:20]}.onnx"


class OnnxModel:
    """Encodes texts with an exported model file; safe to call from several threads."""

    def __init__(self, model_dir: Path, onnx_file: Path, threads: int = 1) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.dimension, max_length = _describe(model_dir)
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.no_padding()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str], batch_size: int = 32) -> Vectors:
        """Unit-length mean-pooled vectors, one row per text, in the order given.

        Texts are batched longest first, as sentence-transformers does, so a batch pads little.
        """
        if len(texts) == 1:
            return self._one(texts[0])
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            out[chosen] = self._batch([texts[i] for i in chosen])
        return out

    def _one(self, text: str) -> Vectors:
        """One text (a question, encoded on a helper thread beside the asking thread's work) with the
        least Python around the model: each time this thread needs the GIL back (after the tokenizer's
        batch call, between the batch path's steps) it waits while the asking thread runs."""
        ids = np.array([self.tokenizer.encode(text).ids], dtype=np.int64)
        return self._vectors(ids, np.ones_like(ids))

    def _batch(self, texts: list[str]) -> Vectors:
        encodings = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        return self._vectors(ids, mask)

    def _vectors(self, ids: npt.NDArray[np.int64], mask: npt.NDArray[np.int64]) -> Vectors:
        """The model's unit-length mean-pooled vectors of a batch of token ids (``mask``: 1 a token, 0 padding)."""
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (tokens,) = self.session.run(None, feed)
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return np.ascontiguousarray(pooled / norms, dtype=np.float32)


def export(model_dir: Path, target: Path, threads: int = 1) -> None:
    """Export the model's transformer to ``target``, keeping it only if its vectors match.

    Needs torch, sentence-transformers and onnx (installed with the Commons). The file is
    written beside ``target`` and renamed into place, so a reader never sees half of it.
    """
    _describe(model_dir)
    import torch
    from sentence_transformers import SentenceTransformer

    original = SentenceTransformer(str(model_dir), device="cpu")
    transformer = cast(torch.nn.Module, original[0].auto_model).eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            output = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            hidden: torch.Tensor = output.last_hidden_state
            return hidden

    sample = original.tokenizer(["a question"], return_tensors="pt")
    axes = {name: {0: "batch", 1: "tokens"} for name in (*_INPUTS, "last_hidden_state")}
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=target.name, suffix=".tmp", dir=target.parent)
    os.close(handle)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the exporter's notes on tracing, not problems: the check below decides
            torch.onnx.export(LastHiddenState(), tuple(sample[name] for name in _INPUTS), temporary,
                              input_names=list(_INPUTS), output_names=["last_hidden_state"],
                              dynamic_axes=axes, opset_version=17, dynamo=False)
        expected = original.encode(_CHECK_TEXTS, normalize_embeddings=True, convert_to_numpy=True)
        got = OnnxModel(model_dir, Path(temporary), threads).encode(_CHECK_TEXTS)
        difference = float(np.abs(expected - got).max())
        if difference > MAX_DIFFERENCE:
            raise OnnxUnsupported(
                f"the exported model's vectors differ by {difference:.2g} (more than {MAX_DIFFERENCE})"
            )
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    log.info("exported %s to ONNX at %s", model_dir.name, target)


def load(model_dir: Path, cache_dir: Path | None = None, threads: int = 1) -> OnnxModel:
    """The model under ONNX Runtime, exported first if no process has done so yet.

    The export is kept in ``cache_dir`` (None: :func:`default_cache_dir`). Processes starting
    together export once: the others wait on the cache folder's lock. A cached file ONNX
    Runtime cannot read is exported again.
    """
    _describe(model_dir)
    target = cached_file(model_dir, cache_dir or default_cache_dir())
    if target.exists():
        try:
            return OnnxModel(model_dir, target, threads)
        except Exception as error:  # unreadable: export it again below
            log.warning("the cached ONNX model %s cannot be read (%s); exporting it again", target, error)
            target.unlink(missing_ok=True)
    with writer_lock(target.parent):
        if not target.exists():
            _say("Preparing the embedding model for ONNX Runtime: exporting and checking it, once per machine "
                 f"(it can take a minute), into {target.parent}...")
            started = time.monotonic()
            export(model_dir, target, threads)
            _say(f"Model exported and checked in {time.monotonic() - started:.0f} s; later starts load it at once.")
    return OnnxModel(model_dir, target, threads)


def _say(message: str) -> None:
    """A line on standard error, whatever the logging setup: the export is too long to happen in silence."""
    print(f"[indexer] {message}", file=sys.stderr, flush=True)
