#!/usr/bin/env python3
"""One command to run the Commons, one to test it, on a fresh machine with Python 3.11+.

    python3 quickstart.py          # install, set up the demo commons, serve on :5000
    python3 quickstart.py test     # install the dev extras (and Chromium if allowed), run pytest
    python3 quickstart.py check    # install the dev extras, run ruff, mypy and the import contracts

Only the standard library is used here: this script creates ``.venv`` and installs into it.
A second run reuses the environment, the database and the index (a fast start).
"""

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
TORCH = "torch==2.13.0"  # the CPU build; an unpinned torch pulls gigabytes of CUDA packages


def say(message: str) -> None:
    print(f"[commons] {message}", flush=True)


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT, env=env)


def ensure_environment(extras: str) -> None:
    """Create .venv and install the project (with ``extras``) unless already done."""
    if sys.version_info < (3, 11):  # noqa: UP036 - runs on the system python3, which may be older
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")
    stamp = VENV / f".installed-{extras or 'base'}"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + TORCH.encode()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and PYTHON.exists():
        return
    if not PYTHON.exists():
        say(f"creating a virtual environment in {VENV.name}/")
        venv.EnvBuilder(with_pip=True).create(VENV)
    say(f"installing PyTorch ({TORCH}, CPU build)")
    run(PYTHON, "-m", "pip", "install", "--quiet", TORCH)
    target = f".[{extras}]" if extras else "."
    say(f"installing the Commons ({target})")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--editable", target)
    stamp.write_text(digest)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TOKENIZERS_PARALLELISM", "false")
    return env


def find_chromium() -> str | None:
    configured = os.environ.get("COMMONS_CHROMIUM")
    if configured and Path(configured).exists():
        return configured
    return shutil.which("chromium") or shutil.which("chromium-browser")


def ensure_chromium() -> None:
    """Install Debian's chromium for the browser tests when missing and we may install."""
    if find_chromium():
        return
    apt = shutil.which("apt-get")
    prefix: list[str] = []
    if apt and hasattr(os, "geteuid") and os.geteuid() != 0:
        sudo = shutil.which("sudo")
        if sudo and subprocess.run([sudo, "-n", "true"], capture_output=True).returncode == 0:
            prefix = [sudo, "-n"]
        else:
            apt = None
    if not apt:
        say("Chromium is not installed, so the browser tests will be skipped. To run them, "
            "install it (Debian/Ubuntu: `sudo apt-get install chromium`) or set COMMONS_CHROMIUM "
            "to a Chromium executable.")
        return
    say("installing Chromium for the browser tests (apt-get install chromium)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = [*prefix, apt, "install", "-y", "-q", "chromium"]
    if subprocess.run(install, env=env).returncode != 0:
        subprocess.run([*prefix, apt, "update", "-q"], env=env)
        if subprocess.run(install, env=env).returncode != 0:
            say("could not install Chromium; the browser tests will be skipped.")


def serve(args: list[str]) -> None:
    ensure_environment("")
    env = child_env()
    say("setting up the database, the demo commons and the search index")
    run(BIN / "commons", "setup", env=env)
    os.execve(str(BIN / "commons"), [str(BIN / "commons"), "serve", *args], env)


def test(args: list[str]) -> None:
    ensure_environment("dev")
    ensure_chromium()
    env = child_env()
    os.chdir(ROOT)
    os.execve(str(PYTHON), [str(PYTHON), "-m", "pytest", *args], env)


def check(args: list[str]) -> None:
    """The static checks CI runs before the tests: lint, types, and the layers' import contracts."""
    ensure_environment("dev")
    env = child_env()
    failed = []
    for name, command in (("ruff", [BIN / "ruff", "check", "."]), ("mypy", [BIN / "mypy"]),
                          ("import contracts", [BIN / "lint-imports"])):
        say(f"{name}: {' '.join(str(c) for c in command[1:]) or '(pyproject.toml)'}")
        if subprocess.run([str(c) for c in command], cwd=ROOT, env=env).returncode != 0:
            failed.append(name)
    if failed:
        sys.exit(f"[commons] failed: {', '.join(failed)}")
    say("ruff, mypy and the import contracts: all clean")


def main() -> None:
    command, *rest = sys.argv[1:] or ["serve"]
    if command == "serve":
        serve(rest)
    elif command == "test":
        test(rest)
    elif command == "check":
        check(rest)
    else:
        sys.exit("usage: python3 quickstart.py [serve [--port N] | test [pytest options] | check]")


if __name__ == "__main__":
    main()
