"""The Commons' public address: the default, and the one a server listening somewhere is reached at."""

import socket
from typing import Any

from flask import request, url_for

from commons import settings
from commons.settings import DEFAULT_PUBLIC_URL

__all__ = ["DEFAULT_PUBLIC_URL", "link", "served_url"]


def link(endpoint: str, **values: Any) -> str:
    """An absolute link to ``endpoint``: the configured ``COMMONS_PUBLIC_URL`` and the endpoint's path, for
    mails and API answers alike. Never built from the request's Host header (``url_for(..., _external=True)``
    is), so a forged Host cannot put another site in a mail or an answer."""
    base = settings.current().public_base
    path = url_for(endpoint, **values)
    root = request.script_root
    if root and base.endswith(root) and path.startswith(root):
        path = path[len(root):]  # the public URL already holds the prefix the app is mounted under
    return base + path


def served_url(address: str) -> str:
    """The address a server listening on ``HOST:PORT`` is reached at (a wildcard host: this machine's name)."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):  # nosec B104  # naming the wildcard, not binding to it
        host = socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"
