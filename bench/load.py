"""Load: 20 concurrent searchers and one author publishing every few seconds, against `commons serve`.

    python bench/load.py --instance DIR [--database-url URL] [--workers 2] [--duration 60]

DIR is a set-up Commons (`commons setup` there first, e.g. with COMMONS_INSTANCE_PATH=DIR);
the database is DIR/commons.db unless --database-url names another (PostgreSQL works too).
The script starts `commons serve --workers N` on a free loopback port, waits until every
worker answers, then for --duration seconds runs --searchers threads that each ask a
question (the HTML search page) and open the top case study, while one author signs in
through the web editor and publishes a new case study every --publish-every seconds and
then polls the JSON search until it is found. It prints the errors (the goal is 0), the
search and case-page latencies (p50/p95), the searches answered per second, and the
publish-to-searchable delays. The searchers share one address, so the per-address search
limit is set out of their reach (``COMMONS_SEARCHES_PER_MINUTE``, unless set): each search is
still counted against it. Timings
depend on the machine; compare runs made on the same machine.
"""

import argparse
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

QUESTIONS = [
    "how did small rural primaries get boys reading for pleasure",
    "improving attendance of disadvantaged pupils",
    "reducing persistent absence after the pandemic",
    "phonics catch-up in year 2",
    "maths mastery in mixed-age classes",
    "behaviour in a large secondary school",
    "supporting pupils with SEND in mainstream classrooms",
    "parental engagement in a coastal town",
    "oracy across the curriculum",
    "closing the disadvantage gap in writing",
    "staff wellbeing and workload",
    "transition from primary to secondary school",
    "reading fluency at key stage 3",
    "breakfast club and punctuality",
    "feedback without written marking",
    "retrieval practice in science",
    "alternative provision reintegration",
    "English as an additional language new arrivals",
    "mental health support for pupils",
    "instructional coaching for early career teachers",
]
SECTION_TEXT = {
    "context": "We are a primary school of 210 pupils in a market town.",
    "challenge": "Too few pupils read for pleasure at home and library visits had fallen.",
    "what-we-did": "We ran a weekly reading café for families and set up book swaps in the playground.",
    "active-ingredients": "Regular, low-pressure reading time with adults the children know.",
    "expertise": "A librarian who knew children's fiction well and a teacher who led the café.",
    "impact": "Library loans rose by a third over the year (internal data, 180 pupils).",
    "cost-and-time": "About £900 for books and one hour of staff time a week.",
    "do-differently": "We would start the book swaps earlier in the year.",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.search: list[float] = []
        self.case: list[float] = []
        self.delays: list[float] = []
        self.errors: list[str] = []
        self.publishes = 0

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


def searcher(base: str, number: int, stop: float, results: Results) -> None:
    http = requests.Session()
    turn = number
    while time.monotonic() < stop:
        question = QUESTIONS[turn % len(QUESTIONS)]
        turn += 1
        try:
            started = time.perf_counter()
            page = http.get(base + "/search", params={"q": question}, timeout=60)
            took = time.perf_counter() - started
            if page.status_code != 200:
                results.error(f"search {page.status_code}")
                continue
            with results.lock:
                results.search.append(took)
            match = re.search(r'href="(/case-studies/[a-z0-9-]+)', page.text)
            if match is None:
                continue
            started = time.perf_counter()
            case = http.get(base + match.group(1), timeout=60)
            took = time.perf_counter() - started
            if case.status_code != 200:
                results.error(f"case page {case.status_code}")
                continue
            with results.lock:
                results.case.append(took)
        except requests.RequestException as error:
            results.error(f"{type(error).__name__}: {error}")


def author(base: str, email: str, password: str, urn: int, every: float, stop: float, results: Results) -> None:
    http = requests.Session()

    def token() -> str:
        match = re.search(r'name="csrf_token" value="([^"]+)"', http.get(base + "/my-school", timeout=60).text)
        assert match
        return match.group(1)

    try:
        signed = http.post(base + "/sign-in", data={"csrf_token": token(), "email": email, "password": password},
                           allow_redirects=False, timeout=60)
        assert signed.status_code == 303, signed.status_code
        csrf = token()
    except (requests.RequestException, AssertionError) as error:
        results.error(f"author sign-in: {error}")
        return
    number = 0
    while time.monotonic() + every < stop:
        time.sleep(every)
        number += 1
        words = f"lighthouse{secrets.token_hex(3)} orchard{number}"
        try:
            created = http.post(base + "/author/drafts", data={"csrf_token": csrf, "school_urn": urn},
                                allow_redirects=False, timeout=60)
            form = {"csrf_token": csrf, "title": f"Reading café {words}", "summary": "A weekly reading café.",
                    "years": "2024", "evidence_strength": "internal data", "topics": ["reading"],
                    "action": "publish", **{f"section-{k}": v for k, v in SECTION_TEXT.items()}}
            published = http.post(base + created.headers["Location"].removeprefix(base), data=form,
                                  allow_redirects=False, timeout=60)
            location = published.headers.get("Location", "")
            if published.status_code != 303 or "/case-studies/" not in location:
                results.error(f"publish {published.status_code}")
                continue
            acknowledged = time.perf_counter()
            slug = location.split("/case-studies/")[1].split("?")[0]
            while True:
                found = http.get(base + "/api/v1/search", params={"q": f"reading café {words}", "limit": 10},
                                 timeout=60).json()
                if any(r["slug"] == slug for r in found["results"]):
                    break
                if time.perf_counter() - acknowledged > 30:
                    results.error(f"{slug} not searchable after 30 s")
                    break
                time.sleep(0.05)
            with results.lock:
                results.delays.append(time.perf_counter() - acknowledged)
                results.publishes += 1
        except (requests.RequestException, KeyError, ValueError) as error:
            results.error(f"publish: {type(error).__name__}: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--instance", type=Path, required=True, help="a set-up Commons instance folder")
    parser.add_argument("--database-url", help="default: sqlite:///INSTANCE/commons.db")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--searchers", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--publish-every", type=float, default=3.0)
    parser.add_argument("--school", type=int, default=990003, help="URN the author publishes for")
    args = parser.parse_args()

    instance = args.instance.resolve()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", COMMONS_INSTANCE_PATH=str(instance))
    # the searchers stand for many readers but share one address: every search is still counted
    # against the per-address limit (its cost is measured), with a limit they never reach
    env.setdefault("COMMONS_SEARCHES_PER_MINUTE", "1000000")
    if args.database_url:
        env["COMMONS_DATABASE_URL"] = args.database_url
    commons = str(Path(sys.executable).parent / "commons")
    email, password = f"load-{secrets.token_hex(4)}@example.org", secrets.token_urlsafe(16)
    subprocess.run([commons, "users", "create-admin", email, "--name", "Load author", "--password", password],
                   env=env, check=True, capture_output=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([commons, "serve", "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}"],
                              env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        ready = 0
        while ready < 3 * args.workers:  # several answers in a row: every worker has warmed up
            if server.poll() is not None or time.monotonic() > deadline:
                sys.exit("the server did not start")
            try:
                ready = ready + 1 if requests.get(base + "/api/v1/search", params={"q": "warm up"},
                                                  timeout=120).status_code == 200 else 0
            except requests.RequestException:
                time.sleep(0.5)
        results = Results()
        stop = time.monotonic() + args.duration
        threads = [threading.Thread(target=searcher, args=(base, n, stop, results)) for n in range(args.searchers)]
        threads.append(threading.Thread(target=author, args=(base, email, password, args.school,
                                                             args.publish_every, stop, results)))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=60)

    ms = lambda seconds: f"{seconds * 1000:.0f} ms"  # noqa: E731
    print(f"load: {args.searchers} searchers + 1 author, {args.workers} workers, {elapsed:.0f} s, "
          f"database {args.database_url or 'sqlite (instance)'}")
    print(f"errors: {len(results.errors)}" + (f"  (first: {results.errors[:3]})" if results.errors else ""))
    print(f"search pages: {len(results.search)}  p50 {ms(percentile(results.search, 0.5))}  "
          f"p95 {ms(percentile(results.search, 0.95))}  ({len(results.search) / elapsed:.1f}/s)")
    print(f"case pages:   {len(results.case)}  p50 {ms(percentile(results.case, 0.5))}  "
          f"p95 {ms(percentile(results.case, 0.95))}")
    if results.delays:
        print(f"publish to searchable: {results.publishes} publishes, median {ms(statistics.median(results.delays))}, "
              f"max {ms(max(results.delays))}")
    else:
        print("publish to searchable: no publish completed")


if __name__ == "__main__":
    main()
