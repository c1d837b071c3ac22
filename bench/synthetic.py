"""Large synthetic commons for the scale benchmarks, made once and kept under bench/.cache/.

The large corpora are SYNTHETIC VARIATIONS of the demo commons, not real write-ups:
encoding a million passages on a small machine would take hours. Each synthetic passage
mixes the sentences of two demo passages (so BM25 sees realistic words and lengths) and its
vector is a random blend of the two demo passages' real embeddings plus a little noise,
renormalised (so the vectors have the spread of real ones, not of random points). Case
studies get eight passages each and a varied copy of a demo school's context.

Everything is deterministic from the size; vectors are stored as .npy and databases as
SQLite files, so a second run reuses them. Sizes the machine cannot hold are refused
before anything is made (see :func:`check_fits`).
"""

import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
CACHE = Path(__file__).resolve().parent / ".cache"
PASSAGES_PER_STUDY = 8
DIM = 384
QUESTIONS = [
    "how did small rural primaries get boys reading for pleasure?",
    "improving attendance after the pandemic in a secondary school",
    "reducing persistent absence with family liaison",
    "phonics catch-up for year 2 pupils who fell behind",
    "mentoring early career teachers in a large trust",
    "closing the disadvantage gap in maths at key stage 2",
    "oracy across the curriculum in a primary with high EAL",
    "behaviour policy that cut exclusions",
    "supporting pupils with SEND in mainstream classrooms",
    "retrieval practice and knowledge organisers in science",
    "parental engagement in a coastal school",
    "teaching assistants deployed for small group tutoring",
    "improving writing stamina in upper key stage 2",
    "wellbeing and mental health support for staff workload",
    "curriculum redesign for history and geography",
    "transition from primary to secondary for vulnerable pupils",
    "using assessment data to target reading interventions",
    "special school communication and sensory needs",
    "alternative provision reintegration into mainstream",
    "early years language development and speech",
    "homework policy that worked for disadvantaged pupils",
    "attendance incentives that did not work",
    "peer review between schools in a hub",
    "instructional coaching for teachers",
    "raising attainment in GCSE English",
    "adaptive teaching strategies for mixed attainment classes",
    "breakfast club and punctuality",
    "reading fluency with repeated reading",
    "staff expertise needed to run a nurture group",
    "cost of a tutoring programme and its impact",
]


class TooLarge(SystemExit):
    """A size the machine cannot hold; the message says how much it needs."""


@dataclass
class Base:
    """The demo commons' passages: texts, real embeddings, and their case studies' facts."""

    texts: list[str]
    headings: list[str]
    vectors: np.ndarray
    studies: list[dict[str, object]]  # per passage: the owning demo case study's fields


def available_bytes() -> int:
    import psutil

    return int(psutil.virtual_memory().available)


def check_fits(label: str, need_memory: int, need_disk: int = 0) -> None:
    """Refuse, with a clear message, what would not fit in free memory (with a margin) or disk."""
    free = available_bytes()
    if need_memory > 0.8 * free:
        raise TooLarge(f"{label}: needs about {need_memory / 2**30:.1f} GiB of memory, but only "
                       f"{free / 2**30:.1f} GiB is available (80% of it may be used). Choose a smaller size.")
    disk = shutil.disk_usage(CACHE if CACHE.exists() else CACHE.parent).free
    if need_disk > 0.8 * disk:
        raise TooLarge(f"{label}: needs about {need_disk / 2**30:.1f} GiB of disk under {CACHE}, but only "
                       f"{disk / 2**30:.1f} GiB is free. Choose a smaller size.")


def base() -> Base:
    """The demo commons' passages and embeddings (encoded once, through the embedding cache)."""
    path = CACHE / "base.npz"
    meta = CACHE / "base.json"
    if path.exists() and meta.exists():
        data = json.loads(meta.read_text())
        return Base(data["texts"], data["headings"], np.load(path)["vectors"], data["studies"])
    from sqlalchemy import select

    from commons.db import db
    from commons.models import CaseStudy, Passage
    from commons.ops import evaluation
    from commons.ops.evaluation import default_embedding_cache
    from commons.services.demo import load_demo
    from indexer import SentenceTransformerEmbedder
    from indexer.embedding_cache import CachingEmbedder

    embedder = CachingEmbedder(SentenceTransformerEmbedder(), default_embedding_cache())
    with evaluation.temporary_commons(embedder):
        load_demo(db.session, embedder)
        rows = db.session.execute(select(Passage, CaseStudy).join(CaseStudy).order_by(Passage.id)).all()
        texts = [p.text for p, _ in rows]
        headings = [p.heading for p, _ in rows]
        vectors = np.vstack([np.frombuffer(p.embedding, dtype=np.float32) for p, _ in rows])
        studies = [{"title": c.title, "summary": c.summary, "school_urn": c.school_urn, "topics": c.topics,
                    "start_year": c.start_year, "end_year": c.end_year, "evidence_strength": c.evidence_strength,
                    "open_to": c.open_to, "school_snapshot": c.school_snapshot} for _, c in rows]
    embedder.close()
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, vectors=vectors)
    meta.write_text(json.dumps({"texts": texts, "headings": headings, "studies": studies}))
    return Base(texts, headings, vectors, studies)


def _pairs(n: int, seed: int, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, count, n), rng.integers(0, count, n), rng.uniform(0.55, 0.95, n)


def vectors(n: int, source: Base | None = None) -> np.ndarray:
    """n synthetic passage vectors (memory-mapped from bench/.cache/, made once)."""
    path = CACHE / f"vectors-{n}.npy"
    if path.exists():
        return np.load(path, mmap_mode="r")
    check_fits(f"{n:,} synthetic vectors", 2 * 200_000 * DIM * 4, n * DIM * 4)
    source = source or base()
    first, second, share = _pairs(n, 1, len(source.texts))
    rng = np.random.default_rng(2)
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial.npy")
    out = np.lib.format.open_memmap(partial, mode="w+", dtype=np.float32, shape=(n, DIM))
    for start in range(0, n, 200_000):
        end = min(n, start + 200_000)
        s = share[start:end, None]
        v = s * source.vectors[first[start:end]] + (1 - s) * source.vectors[second[start:end]]
        v += rng.normal(scale=0.35 / np.sqrt(DIM), size=v.shape)
        out[start:end] = v / np.linalg.norm(v, axis=1, keepdims=True)
    out.flush()
    del out
    os.replace(partial, path)
    return np.load(path, mmap_mode="r")


_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def text(i: int, source: Base, first: int, second: int) -> str:
    """A passage mixing the sentences of two demo passages, deterministically from i."""
    a = _SENTENCE.split(source.texts[first])
    b = _SENTENCE.split(source.texts[second])
    rng = np.random.default_rng(i)
    take = a[: max(1, len(a) // 2 + 1)] + b[len(b) // 2 :]
    return " ".join(take[j] for j in rng.permutation(len(take)))


def database(n: int) -> Path:
    """A Commons instance folder whose SQLite database holds n synthetic passages (made once)."""
    folder = CACHE / f"commons-{n}"
    done = folder / "complete"
    if done.exists():
        return folder
    check_fits(f"a commons of {n:,} passages", n * 3_000, n * 4_000)
    shutil.rmtree(folder, ignore_errors=True)  # a run that stopped half way starts again
    folder.mkdir(parents=True)
    source = base()
    vecs = vectors(n, source)
    first, second, _ = _pairs(n, 1, len(source.texts))
    from sqlalchemy import insert

    from commons import create_app
    from commons.db import db
    from commons.models import CaseStudy, Change, Passage, Revision
    from commons.ops.migrate import upgrade
    from commons.services.demo import SCHOOLS_CSV
    from commons.services.schools import import_schools

    app = create_app({"COMMONS_DATABASE_URL": f"sqlite:///{folder}/commons.db", "COMMONS_INSTANCE_PATH": str(folder),
                      "COMMONS_SECRET_KEY": "benchmark"})
    rng = np.random.default_rng(3)
    with app.app_context():
        upgrade(db.engine)
        import_schools(db.session, SCHOOLS_CSV, fictional=True)
        db.session.commit()
        studies = (n + PASSAGES_PER_STUDY - 1) // PASSAGES_PER_STUDY
        for block in range(0, studies, 2_000):
            rows, revisions, passages, changes = [], [], [], []
            for k in range(block, min(studies, block + 2_000)):
                like = source.studies[int(first[k * PASSAGES_PER_STUDY])]
                snapshot = dict(like["school_snapshot"])  # type: ignore[call-overload]
                if snapshot.get("fsm_pct") is not None:
                    snapshot["fsm_pct"] = float(np.clip(snapshot["fsm_pct"] + rng.normal(0, 6), 0, 90))
                if snapshot.get("pupils"):
                    snapshot["pupils"] = int(snapshot["pupils"] * rng.uniform(0.6, 1.6))
                rows.append({"id": k + 1, "slug": f"synthetic-{k + 1}", "school_urn": like["school_urn"],
                             "title": f"{like['title']} ({k + 1})", "summary": like["summary"],
                             "topics": like["topics"], "start_year": like["start_year"], "end_year": like["end_year"],
                             "evidence_strength": like["evidence_strength"], "authors": [], "status": "published",
                             "licence": "CC-BY-4.0", "school_snapshot": snapshot, "open_to": like["open_to"],
                             "impact_table": []})
                revisions.append({"id": k + 1, "case_study_id": k + 1, "number": 1, "title": rows[-1]["title"],
                                  "summary": like["summary"], "front_matter": {}, "sections": {}, "source": ""})
                for p in range(k * PASSAGES_PER_STUDY, min(n, (k + 1) * PASSAGES_PER_STUDY)):
                    passages.append({"id": p + 1, "case_study_id": k + 1, "revision_id": k + 1,
                                     "section": "what_we_did", "heading": source.headings[int(first[p])],
                                     "position": p % PASSAGES_PER_STUDY, "markdown": "",
                                     "text": text(p, source, int(first[p]), int(second[p])),
                                     "embedding": np.asarray(vecs[p]).tobytes(), "embedding_model": "all-MiniLM-L6-v2"})
                    changes.append({"seq": p + 1, "op": "add", "passage_id": p + 1, "case_study_id": k + 1})
            db.session.execute(insert(CaseStudy), rows)
            db.session.execute(insert(Revision), revisions)
            db.session.execute(insert(Passage), passages)
            db.session.execute(insert(Change), changes)
            db.session.commit()
            print(f"  built {min(n, (block + 2_000) * PASSAGES_PER_STUDY):,} of {n:,} passages", file=sys.stderr)
        db.session.close()
        db.engine.dispose()
    done.write_text("ok\n")
    return folder


@contextmanager
def commons_app(size: str, model: Any) -> Iterator[tuple[str, Any]]:
    """A label and a Commons app over the demo commons (``size`` "demo", loaded into a temporary
    database with ``model``) or over the synthetic commons of ``size`` passages (made once)."""
    from commons import create_app
    from commons.db import db

    with tempfile.TemporaryDirectory(prefix="commons-bench-") as scratch:
        if size == "demo":
            from commons.ops.migrate import upgrade
            from commons.services.demo import load_demo

            label, folder, url = "demo commons", Path(scratch), f"sqlite:///{scratch}/demo.db"
        else:
            n = int(size)
            folder = database(n)
            label, url = f"synthetic commons, {n:,} passages", f"sqlite:///{folder}/commons.db"
        app = create_app({"COMMONS_DATABASE_URL": url, "COMMONS_INSTANCE_PATH": str(folder),
                          "COMMONS_SECRET_KEY": "benchmark"}, embedder=model)
        if size == "demo":
            with app.app_context():
                upgrade(db.engine)
                load_demo(db.session, model)
        try:
            yield label, app
        finally:
            with app.app_context():
                db.engine.dispose()
