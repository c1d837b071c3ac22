"""Page latency against a static file served by the same server, in one run.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/pages.py [--rounds 300] [--workers 1]

Sets up a demo commons in a temporary folder (``commons setup``: the demo schools, case
studies, hubs and collections, with the bundled model), then serves it with the production
path, ``commons serve --workers N`` (gunicorn, gthread workers), on a free loopback port. After
every worker has warmed up it requests, one after another over one keep-alive connection,
as an anonymous visitor, in turn in every round:

* the static file ``/static/style.css`` (the reference every ratio divides by);
* the home page ``/`` (kept rendered per change of the commons);
* a case-study page (its passages' HTML stored at publish, nothing rendered from Markdown);
* a topic page ``/topics/reading`` (kept rendered per change of the commons).

The four are timed in turn in each round, so a busy machine slows them alike. Prints each
one's p50 and p95 in ms and its p50 as a ratio to the static file's p50. The goal for the home
and case-study pages is a ratio of at most 1.2. Timings depend on the machine; compare ratios.
"""

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import p95


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_ready(base: str, server: subprocess.Popen[bytes], workers: int) -> None:
    deadline = time.monotonic() + 300
    ready = 0
    while ready < 3 * workers:  # several answers in a row: every worker has warmed up
        if server.poll() is not None or time.monotonic() > deadline:
            sys.exit("the server did not start")
        try:
            ready = ready + 1 if requests.get(base + "/", timeout=120).status_code == 200 else 0
        except requests.RequestException:
            time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300, help="requests of each page (default 300)")
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (default 1)")
    args = parser.parse_args()

    commons = [sys.executable, "-m", "commons"]
    with tempfile.TemporaryDirectory(prefix="commons-pages-") as folder:
        env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", COMMONS_INSTANCE_PATH=folder)
        env.pop("COMMONS_DATABASE_URL", None)  # the instance's own SQLite database
        print("setting up the demo commons...", file=sys.stderr)
        subprocess.run([*commons, "setup"], env=env, check=True, capture_output=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([*commons, "serve", "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}"],
                                  env=env, start_new_session=True)
        try:
            wait_until_ready(base, server, args.workers)
            home = requests.get(base + "/", timeout=60).text
            match = re.search(r'href="(/case-studies/[a-z0-9-]+)"', home)
            if match is None:
                sys.exit("no case study is linked from the home page")
            paths = {"static file": "/static/style.css", "home page": "/", "case-study page": match.group(1),
                     "topic page": "/topics/reading"}
            http = requests.Session()
            times: dict[str, list[float]] = {name: [] for name in paths}
            for path in paths.values():  # once each before timing
                assert http.get(base + path, timeout=60).status_code == 200, path
            for _ in range(args.rounds):
                for name, path in paths.items():
                    started = time.perf_counter()
                    response = http.get(base + path, timeout=60)
                    took = time.perf_counter() - started
                    if response.status_code != 200:
                        sys.exit(f"{path} answered {response.status_code}")
                    times[name].append(took)
        finally:
            server.terminate()
            server.wait(timeout=60)

    reference = statistics.median(times["static file"])
    print(f"pages: {args.rounds} requests of each, one after another, commons serve --workers {args.workers} "
          f"(gunicorn), demo commons on SQLite")
    print(f"{'':18} {'p50 ms':>8} {'p95 ms':>8} {'p50 / static p50':>17}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:18} {median * 1000:8.2f} {p95(values) * 1000:8.2f} {median / reference:17.2f}  {paths[name]}")


if __name__ == "__main__":
    main()
