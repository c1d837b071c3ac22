"""A Commons server with a small stand-in embedder, for tests that restart it many times.

It starts as `commons serve` does (migrations, the start-up check that repairs the index,
then werkzeug), but never loads the real model, so a restart takes a second rather than
several: the crash tests are about storage, not search quality.

    python -m tests.crash_server PORT   (settings from COMMONS_* variables)
    python -m tests.crash_server fork   (reads ports on stdin; forks a server for each and
                                         prints its process id: imports are paid once)

A forked server is a process (and process group) of its own: killing it with SIGKILL is a
real crash of the server, while the parent that forked it stays untouched.
"""

import os
import signal
import sys

from flask import Flask
from werkzeug.serving import run_simple

from commons import create_app
from commons.db import db
from commons.ops.doctor import startup_check
from commons.ops.migrate import upgrade
from tests.fast_embedder import HashingEmbedder


def serve(app: Flask, port: int) -> None:
    with app.app_context():
        upgrade(db.engine)
    startup_check(app)
    run_simple("127.0.0.1", port, app, threaded=True)


def fork_servers() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    app = create_app(embedder=HashingEmbedder())
    for line in sys.stdin:
        pid = os.fork()
        if pid == 0:
            os.setsid()
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(2, 1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            serve(app, int(line))
            os._exit(0)
        print(pid, flush=True)


def main() -> None:
    if sys.argv[1] == "fork":
        fork_servers()
    else:
        serve(create_app(embedder=HashingEmbedder()), int(sys.argv[1]))


if __name__ == "__main__":
    main()
