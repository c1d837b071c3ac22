"""Thread settings for the model and the vector index (FAISS's OpenMP).

Torch's pool belongs to the whole process; an ONNX Runtime model takes its own setting
(``SentenceTransformerEmbedder(threads=...)``), this module's only by default. OpenMP keeps
its setting per thread: set in one, it leaves a thread made later (a web server's, the helper
that encodes a question) at one OpenMP thread per core. So the vector index applies the
process's FAISS setting in each thread that searches (:func:`apply_faiss_threads`). The
interpreter's switch interval is the process's too (:data:`SWITCH_INTERVAL`).

Both default to one thread per core. A web worker answers one question at a time with a
single short query, where extra threads cost more in hand-offs than they save, and several
workers on one machine would oversubscribe the cores; ``bench/threads.py`` measures this,
and the defaults below come from it.
"""

import sys
import threading

DEFAULT_MODEL_THREADS = 1
DEFAULT_FAISS_THREADS = 1
# How long a thread may hold the GIL while another waits for it (Python's own: 5 ms). A search
# encodes the question on a helper thread while the asking thread works on: the encoding needs the
# GIL to start and again after the tokenizer and after the model, and each time waited up to the
# whole interval. At 1 ms the search path took about 2 % less at 100,000 passages, taking turns with
# 5 ms in one process (bench/stages.py --switch-intervals); under load no different beyond the noise
SWITCH_INTERVAL = 0.001

_wanted_model: int = DEFAULT_MODEL_THREADS
_wanted_faiss: int | None = None  # None: as OpenMP starts (one thread per core)
_applied = threading.local()  # the FAISS setting this thread has applied


def set_threads(
    model_threads: int | None = DEFAULT_MODEL_THREADS, faiss_threads: int | None = DEFAULT_FAISS_THREADS,
    switch_interval: float | None = SWITCH_INTERVAL,
) -> None:
    """Set the threads the model and FAISS may use in this process, and how soon a thread waiting
    for the GIL gets it (seconds, :data:`SWITCH_INTERVAL`); None leaves one alone.

    The model's setting applies to models loaded afterwards, and to torch at once if loaded.
    """
    global _wanted_model, _wanted_faiss
    if switch_interval is not None:
        sys.setswitchinterval(switch_interval)
    for name, value in (("model", model_threads), ("FAISS", faiss_threads)):
        if value is not None and value < 1:
            raise ValueError(f"{name} threads must be at least 1, not {value}")
    if faiss_threads is not None:
        _wanted_faiss = faiss_threads
        apply_faiss_threads()
    if model_threads is not None:
        _wanted_model = model_threads
        if "torch" in sys.modules:
            apply_torch_threads()


def apply_faiss_threads() -> None:
    """Apply the process's FAISS setting in the calling thread, once per thread and setting."""
    wanted = _wanted_faiss
    if wanted is not None and getattr(_applied, "faiss", None) != wanted:
        import faiss

        faiss.omp_set_num_threads(wanted)
        _applied.faiss = wanted


def model_threads() -> int:
    """The threads a model loaded now should use."""
    return _wanted_model


def apply_torch_threads(threads: int | None = None) -> None:
    """Apply a model's thread setting (else the process's) to torch, when a torch model loads.

    Torch has one thread pool per process, so the model loaded last sets it.
    """
    import torch

    wanted = threads or _wanted_model
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)
