"""Soak: many kill -9 rounds against a server while an author publishes (the crash test, longer).

    python bench/soak.py [--rounds 200] [--database-url URL] [--seed N]

Each round starts a server on the same Commons, checks that every publish acknowledged so
far is there, that the database passes its integrity check and that the index on disk holds
exactly the live passages, then publishes through the web editor until the server is killed
with SIGKILL at a random moment. The default database is a new SQLite file; a PostgreSQL URL
is emptied first. Prints the rounds, the publishes acknowledged and the seed to replay it.
"""

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import _reset_postgres
from tests.test_crash import crash_rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database-url", help="default: a new SQLite file; a PostgreSQL database is emptied")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    with tempfile.TemporaryDirectory(prefix="commons-soak-") as folder:
        instance = Path(folder) / "instance"
        url = args.database_url or f"sqlite:///{instance / 'commons.db'}"
        if url.startswith("postgresql"):
            _reset_postgres(url)
        started = time.monotonic()
        published = crash_rounds(url, instance, args.rounds, seed)
    print(f"soak: {args.rounds} kill -9 rounds, {published} publishes acknowledged and all present, "
          f"integrity and index checked after every restart ({time.monotonic() - started:.0f} s, seed {seed})")


if __name__ == "__main__":
    main()
