"""Which servers are running on an instance: each `commons serve` leaves a pid file while it serves.

`commons restore` refuses while one runs: replacing the database under a server sends its
change log backwards (the server notices and rebuilds its search index, but requests in
between see the old index, and a restore followed at once by new publishes could hide it).
A pid file whose process is gone (the server was killed) is removed and not counted.
"""

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SERVERS = "servers"  # the folder in the instance folder holding one <pid>.pid per running server


@dataclass(frozen=True)
class RunningServer:
    pid: int
    command: str

    def describe(self) -> str:
        return f"process {self.pid} ({self.command})" if self.command else f"process {self.pid}"


@contextmanager
def serving(instance: Path) -> Iterator[Path]:
    """Mark this process as serving the Commons in ``instance`` until the block ends."""
    folder = instance / SERVERS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{os.getpid()}.pid"
    path.write_text(f"{os.getpid()}\n{' '.join(['commons', *sys.argv[1:]])}\n", encoding="utf-8")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def running_servers(instance: Path) -> list[RunningServer]:
    """The servers whose pid files are in ``instance`` and whose processes are alive."""
    found = []
    for path in sorted((instance / SERVERS).glob("*.pid")):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
            pid = int(lines[0])
        except (OSError, ValueError, IndexError):
            continue
        if _alive(pid):
            found.append(RunningServer(pid, lines[1].strip() if len(lines) > 1 else ""))
        else:
            path.unlink(missing_ok=True)  # left by a server that was killed
    return found


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True
