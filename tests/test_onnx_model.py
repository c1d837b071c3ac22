"""The model on ONNX Runtime gives sentence-transformers' vectors, and falls back to torch when it cannot."""

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from commons import create_app
from indexer import SentenceTransformerEmbedder, default_model_path, onnx_model
from indexer.onnx_model import OnnxUnsupported, cached_file

DEMO = Path(__file__).resolve().parents[1] / "commons" / "demo"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference() -> SentenceTransformerEmbedder:
    """sentence-transformers' own encode: what the ONNX runtime must reproduce."""
    return SentenceTransformerEmbedder(runtime="torch")


def demo_texts() -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in sorted(DEMO.rglob("*.md"))][:12]
    assert texts, "the demo commons has Markdown case studies"
    return texts


def test_the_session_model_runs_on_onnx_and_matches_sentence_transformers(
    embedder: SentenceTransformerEmbedder, reference: SentenceTransformerEmbedder
) -> None:
    texts = [
        "How did a small rural primary improve attendance?",
        "",
        "phonics",
        "Lecture à voix haute et vocabulaire 📚",
        *demo_texts(),  # whole case studies: longer than the model's 256 tokens, so truncated
    ]
    assert embedder.active_runtime == "onnx"
    got = embedder.encode(texts, batch_size=5)
    expected = reference.encode(texts, batch_size=5)
    assert got.shape == expected.shape == (len(texts), 384)
    assert got.dtype == np.float32
    assert np.abs(got - expected).max() < 1e-5
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    one_at_a_time = np.vstack([embedder.encode([text]) for text in texts])
    assert np.abs(one_at_a_time - got).max() < 1e-5  # batching and padding change nothing


def test_the_export_is_made_once_checked_and_loaded_later_without_torch(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    cache = tmp_path / "cache"
    model = onnx_model.load(default_model_path(), cache)
    said = capfd.readouterr().err
    assert "Preparing the embedding model for ONNX Runtime" in said and "once per machine" in said
    assert "Model exported and checked in" in said
    exported = cached_file(default_model_path(), cache)
    assert exported.exists() and [p.name for p in cache.glob("*.onnx")] == [exported.name]
    stamp = exported.stat().st_mtime_ns

    script = (
        "import json, sys; from pathlib import Path\n"
        "from indexer import onnx_model, default_model_path\n"
        f"m = onnx_model.load(default_model_path(), Path({str(cache)!r}))\n"
        "print(json.dumps({'vector': m.encode(['attendance'])[0].tolist(),\n"
        "                  'loaded': sorted(set(sys.modules) & {'torch', 'sentence_transformers', 'transformers'})}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"})
    child = json.loads(out.stdout.strip().splitlines()[-1])
    assert child["vector"] == pytest.approx(model.encode(["attendance"])[0].tolist(), abs=1e-6)
    assert child["loaded"] == []
    assert exported.stat().st_mtime_ns == stamp  # loaded, not exported again
    assert "Preparing the embedding model" not in out.stderr


def test_an_unreadable_cached_file_is_exported_again(tmp_path: Path, embedder: SentenceTransformerEmbedder) -> None:
    cache = tmp_path / "cache"
    broken = cached_file(default_model_path(), cache)
    cache.mkdir()
    broken.write_bytes(b"not a model")
    model = onnx_model.load(default_model_path(), cache)
    assert broken.stat().st_size > 1_000_000
    assert np.abs(model.encode(["reading"]) - embedder.encode(["reading"])).max() < 1e-5


def test_a_model_the_export_does_not_support_runs_on_torch_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """CLS pooling instead of mean pooling: the ONNX path refuses it, and torch gives the right vectors."""
    model_dir = tmp_path / "cls-model"
    shutil.copytree(default_model_path(), model_dir)
    pooling = model_dir / "1_Pooling" / "config.json"
    config = json.loads(pooling.read_text())
    config.update(pooling_mode_mean_tokens=False, pooling_mode_cls_token=True)
    pooling.write_text(json.dumps(config))
    with pytest.raises(OnnxUnsupported, match="not mean pooling"):
        onnx_model.load(model_dir, tmp_path / "cache")

    with caplog.at_level(logging.WARNING, logger="indexer.embedding"):
        embedder = SentenceTransformerEmbedder(str(model_dir), cache_dir=tmp_path / "cache")
        vectors = embedder.encode(["attendance", "reading"])
    assert embedder.active_runtime == "torch"
    assert "runs on torch, not ONNX Runtime" in caplog.text and "not mean pooling" in caplog.text
    from sentence_transformers import SentenceTransformer

    torch_model = SentenceTransformer(str(model_dir), device="cpu")
    expected = torch_model.encode(["attendance", "reading"], normalize_embeddings=True)
    assert np.abs(vectors - expected).max() < 1e-6
    assert not list((tmp_path / "cache").glob("*.onnx"))


def test_an_unknown_runtime_is_refused_with_the_choices(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"one of \('onnx', 'torch'\), not 'gpu'"):
        SentenceTransformerEmbedder(runtime="gpu")
    monkeypatch.setenv("COMMONS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("COMMONS_MODEL_RUNTIME", "tensorflow")
    with pytest.raises(ValueError, match="COMMONS_MODEL_RUNTIME must be onnx or torch, not 'tensorflow'"):
        create_app()
