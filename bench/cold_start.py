"""Cold start: a fresh clone to its first answered search, and a restart to its first answered search.

    .venv/bin/python bench/cold_start.py [--fresh-model] [--restarts 3] [--workers 2] [--python python3]

(a) Fresh clone. Clones this repository's committed HEAD into a temporary folder and runs
``python3 quickstart.py serve --port P`` there, as a newcomer would: it creates ``.venv``,
installs PyTorch (CPU build) and the Commons with pip, creates the SQLite database, loads the
demo commons (embedding every passage), builds the search index and serves. Timed from the
start of the clone to the first search answered with at least one case study
(``GET /api/v1/search?q=...``, polled every 0.2 s). Every line quickstart prints is timed
too, so the phases show. pip uses whatever this machine gives it: its cache, and any wheel
folder or index its configuration names (the printed ``pip`` line says which); nothing else is
prepared beforehand.

The model's ONNX export is made once per machine (in the user's cache folder). By default the
clone reuses this machine's export, as a second checkout would; ``--fresh-model`` points the
clone at an empty model folder (``COMMONS_MODEL_CACHE``), so the export is made and timed as on
a machine that never ran the Commons.

(b) Restart. Stops that server and starts ``commons serve`` again in the clone (nothing to
install, load or export), timed from the command to the first answered search, ``--restarts``
times; then the same for ``commons serve --workers N`` (gunicorn: every worker loads its own
model and index replica before it answers).

Prints each figure in seconds. Timings depend on the machine (its disk, its CPU, pip's
sources); the fresh clone is measured once per run.
"""

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "how did a small rural primary improve attendance of disadvantaged pupils?"
PHASES = (  # (what the line shows, the start of the line quickstart or commons prints)
    ("virtual environment created", "[commons] installing PyTorch"),
    ("PyTorch installed", "[commons] installing the Commons"),
    ("Commons installed", "[commons] setting up the database"),
    ("model exported to ONNX", "[indexer] Model exported"),
    ("model ready", "Model: ready"),
    ("demo commons embedded", "Loaded "),
    ("search index ready", "Search index ready"),
    ("server open", "The Commons is open"),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A server process whose output lines are kept with the time each arrived."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str]) -> None:
        self.started = time.monotonic()
        self.lines: list[tuple[float, str]] = []
        self.process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.monotonic(), line.rstrip()))

    def first_answer(self, base: str, timeout: float) -> float:
        """Seconds from the start to the first search answered with a case study."""
        deadline = self.started + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                tail = "\n".join(line for _, line in self.lines[-30:])
                sys.exit(f"the server stopped (exit {self.process.returncode}):\n{tail}")
            try:
                answer = requests.get(f"{base}/api/v1/search", params={"q": QUESTION, "limit": "3"}, timeout=60)
                if answer.status_code == 200 and answer.json().get("results"):
                    return time.monotonic() - self.started
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        sys.exit(f"no answered search within {timeout:.0f} s")

    def phases(self, since: float) -> list[tuple[str, float]]:
        found = []
        for name, start in PHASES:
            when = next((at for at, line in self.lines if line.lstrip().startswith(start)), None)
            if when is not None:
                found.append((name, when - since))
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.reader.join(timeout=10)


def pip_sources(python: str) -> str:
    """What pip is configured to install from (cache, wheel folders, indexes), as one line."""
    listed = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True)
    cache = subprocess.run([python, "-m", "pip", "cache", "dir"], capture_output=True, text=True)
    settings = [line.split("=", 1) for line in listed.stdout.splitlines() if "=" in line]
    named = [f"{key.split('.')[-1]}={value}" for key, value in settings
             if key.split(".")[-1] in ("index-url", "extra-index-url", "find-links", "no-index")]
    cache_dir = cache.stdout.strip() if cache.returncode == 0 else "none"
    cached = cache_dir != "none" and Path(cache_dir).exists() and any(Path(cache_dir).iterdir())
    return (f"pip: cache {cache_dir} ({'holds files' if cached else 'empty'}); "
            + ("; ".join(named) if named else "PyPI only"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fresh-model", action="store_true",
                        help="export the model again into an empty folder, as on a machine new to the Commons")
    parser.add_argument("--restarts", type=int, default=3, help="restarts timed of each kind (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for the second restart (default 2)")
    parser.add_argument("--python", default="python3", help="the Python that runs quickstart.py (default python3)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait for each first answer")
    args = parser.parse_args()
    python = shutil.which(args.python) or sys.exit(f"no {args.python} on PATH")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                          check=True).stdout.strip()

    with tempfile.TemporaryDirectory(prefix="commons-cold-") as folder:
        clone = Path(folder) / "commons"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("COMMONS_", "VIRTUAL_ENV"))}
        env["PYTHONUNBUFFERED"] = "1"
        if args.fresh_model:
            env["COMMONS_MODEL_CACHE"] = str(Path(folder) / "model-cache")
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        print(f"cold start of {head[:10]}, {pip_sources(python)}", flush=True)

        started = time.monotonic()
        subprocess.run(["git", "clone", "--quiet", "--no-local", "--no-checkout", str(ROOT), str(clone)], check=True)
        subprocess.run(["git", "checkout", "--quiet", head], cwd=clone, check=True)
        cloned = time.monotonic() - started
        server = Server([python, "quickstart.py", "serve", "--port", str(port)], clone, env)
        server.started = started  # the clone counts
        fresh = server.first_answer(base, args.timeout)
        phases = server.phases(started)
        exported = any("Preparing the embedding model for ONNX Runtime" in line for _, line in server.lines)
        server.stop()

        commons = str(clone / ".venv" / "bin" / "commons")
        restarts: dict[str, list[float]] = {"commons serve": [], f"commons serve --workers {args.workers}": []}
        for name, extra in (("commons serve", ["--port", str(port)]),
                            (f"commons serve --workers {args.workers}",
                             ["--workers", str(args.workers), "--bind", f"127.0.0.1:{port}"])):
            for _ in range(args.restarts):
                restarted = Server([commons, "serve", *extra], clone, env)
                restarts[name].append(restarted.first_answer(base, args.timeout))
                restarted.stop()

    print(f"(a) fresh clone to the first answered search: {fresh:.1f} s "
          f"(python3 quickstart.py; the model export {'made afresh' if exported else 'reused from this machine'})")
    print("    seconds from the start, when each step was done:")
    print(f"    {'git clone':28} {cloned:7.1f} s")
    for name, at in phases:
        print(f"    {name:28} {at:7.1f} s")
    print(f"    {'first answered search':28} {fresh:7.1f} s")
    print("(b) restart to the first answered search (median, then each):")
    for name, times in restarts.items():
        print(f"    {name:28} {statistics.median(times):7.1f} s  ({', '.join(f'{t:.1f}' for t in times)})")


if __name__ == "__main__":
    main()
