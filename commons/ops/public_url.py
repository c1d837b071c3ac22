"""The Commons' public address: the default, and the one a server listening somewhere is reached at."""

import socket

from commons.settings import DEFAULT_PUBLIC_URL

__all__ = ["DEFAULT_PUBLIC_URL", "served_url"]


def served_url(address: str) -> str:
    """The address a server listening on ``HOST:PORT`` is reached at (a wildcard host: this machine's name)."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):  # nosec B104  # naming the wildcard, not binding to it
        host = socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"
