"""Real server processes for tests: start, wait until they answer, kill; an author using the web form."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests import samples
from tests.accounts import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
COMMONS = Path(sys.executable).parent / "commons"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str, instance: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMONS_")}
    env.update(HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", COMMONS_DATABASE_URL=database_url,
               COMMONS_INSTANCE_PATH=str(instance), COMMONS_SECRET_KEY="test-secret", **extra)
    return env


class ServerProcess:
    """A server in a process (group) of its own, on a free port."""

    def __init__(self, args: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def wait_ready(self, path: str = "/robots.txt", timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited ({self.process.returncode}):\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url + path, timeout=30).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not answer in {timeout} s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """kill -9 the whole process group: no clean-up runs anywhere."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


class ForkedServer:
    """A server forked by ``python -m tests.crash_server fork``: a process group of its own."""

    def __init__(self, pid: int, port: int, log: Path) -> None:
        self.pid = pid
        self.url = f"http://127.0.0.1:{port}"
        self.log = log

    def alive(self) -> bool:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def wait_ready(self, path: str = "/robots.txt", timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"the server exited:\n{self.log.read_text()[-3000:]}")
            try:
                if requests.get(self.url + path, timeout=30).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.05)
        raise AssertionError(f"the server did not answer in {timeout} s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """kill -9 the server: no clean-up runs."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        while self.alive():
            time.sleep(0.01)

    stop = kill


class ServerForker:
    """Starts servers by forking a process that has already imported everything."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "tests.crash_server", "fork"], env=env, cwd=ROOT,
                                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=out,
                                            text=True, start_new_session=True)

    def start(self) -> ForkedServer:
        assert self.process.stdin is not None and self.process.stdout is not None
        port = free_port()
        self.process.stdin.write(f"{port}\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line.strip().isdigit(), f"the forking server failed:\n{self.log.read_text()[-3000:]}"
        server = ForkedServer(int(line), port, self.log)
        server.wait_ready()
        return server

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def commons_serve(database_url: str, instance: Path, log: Path, workers: int | None = None) -> ServerProcess:
    port = free_port()
    args = [str(COMMONS), "serve", "--port", str(port)]
    if workers is not None:
        args += ["--workers", str(workers), "--threads", "2"]
    return ServerProcess(args, server_env(database_url, instance), port, log)


class WebAuthor:
    """A head publishing through the web editor, as a browser would (cookies and CSRF tokens)."""

    def __init__(self, base_url: str, email: str, school_urn: int) -> None:
        self.base = base_url
        self.email = email
        self.school_urn = school_urn
        self.http = requests.Session()
        self.token = ""

    def sign_in(self) -> None:
        self.token = ""
        reply = self.http.post(self.base + "/sign-in", allow_redirects=False, timeout=60,
                               data={"csrf_token": self._csrf(), "email": self.email, "password": PASSWORD})
        assert reply.status_code == 303, reply.text[:500]
        self.token = self._csrf()

    def publish(self, title: str, summary: str) -> str:
        """Create a draft and publish it; returns the slug once the server says it is published."""
        created = self.http.post(self.base + "/author/drafts", allow_redirects=False, timeout=60,
                                 data={"csrf_token": self.token, "school_urn": self.school_urn})
        assert created.status_code == 303, created.text[:500]
        form = {"csrf_token": self.token, "title": title, "summary": summary, "years": "2023-2024",
                "evidence_strength": "internal data", "topics": ["attendance"], "action": "publish",
                **{f"section-{k}": v for k, v in samples.BODY.items()}}
        published = self.http.post(self.base + created.headers["Location"].removeprefix(self.base),
                                   data=form, allow_redirects=False, timeout=60)
        location = published.headers.get("Location", "")
        assert published.status_code == 303 and "/case-studies/" in location, published.text[:1000]
        return location.split("/case-studies/")[1].split("?")[0]

    def _csrf(self) -> str:
        page = self.http.get(self.base + "/my-school", timeout=60).text
        match = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert match, page[:500]
        return match.group(1)


def search_slugs(base_url: str, question: str) -> list[str]:
    reply = requests.get(base_url + "/api/v1/search", params={"q": question, "limit": 10}, timeout=60)
    reply.raise_for_status()
    return [r["slug"] for r in reply.json()["results"]]
