"""Thread settings for the model (torch) and the vector index (FAISS's OpenMP), per process.

Both libraries default to one thread per core. A web worker answers one question at a time
with a single short query, where extra threads cost more in hand-offs than they save, and
several workers on one machine would oversubscribe the cores; ``bench/threads.py`` measures
this, and the defaults below come from it.
"""

import sys

DEFAULT_TORCH_THREADS = 1
DEFAULT_FAISS_THREADS = 1

_wanted_torch: int | None = None


def set_threads(torch_threads: int | None = DEFAULT_TORCH_THREADS, faiss_threads: int | None = DEFAULT_FAISS_THREADS) -> None:
    """Set the threads each library may use in this process (None leaves a library alone).

    torch is not imported for this: when it is not loaded yet, the setting is applied by
    :func:`apply_torch_threads` as the model loads.
    """
    global _wanted_torch
    for name, value in (("torch", torch_threads), ("FAISS", faiss_threads)):
        if value is not None and value < 1:
            raise ValueError(f"{name} threads must be at least 1, not {value}")
    if faiss_threads is not None:
        import faiss

        faiss.omp_set_num_threads(faiss_threads)
    if torch_threads is not None:
        _wanted_torch = torch_threads
        if "torch" in sys.modules:
            apply_torch_threads()


def apply_torch_threads() -> None:
    """Apply the torch thread setting, if one was made (called when the model loads)."""
    if _wanted_torch is not None:
        import torch

        if torch.get_num_threads() != _wanted_torch:
            torch.set_num_threads(_wanted_torch)
