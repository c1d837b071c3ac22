"""The School Improvement Commons: an open place for schools to share how they improved."""

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from commons.ops.public_url import DEFAULT_PUBLIC_URL
from indexer import Embedder

__all__ = ["DEFAULT_PUBLIC_URL", "create_app", "proxy_hops", "trusted_hosts"]


def create_app(config: Mapping[str, Any] | None = None, *, embedder: Embedder | None = None) -> Flask:
    """Create the web application.

    Settings come from ``COMMONS_*`` environment variables (read here, never at import),
    then from ``config``. An ``embedder`` may be handed in (tests share one real model).
    """
    settings = {k: v for k, v in os.environ.items() if k.startswith("COMMONS_")}
    settings.update(config or {})
    instance_path = settings.get("COMMONS_INSTANCE_PATH")
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
    )
    app.config.update(
        # the one public address of every absolute link (mail, citations, exports, feeds, JSON-LD, the API);
        # when unset, `commons serve` passes where it listens (COMMONS_SERVED_URL) and says so
        COMMONS_PUBLIC_URL=str(settings.get("COMMONS_SERVED_URL") or DEFAULT_PUBLIC_URL),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        # A form's security token lasts a working day, so a case study written over an afternoon
        # can still be saved; the autosave renews it and an expired one re-shows what was typed.
        WTF_CSRF_TIME_LIMIT=CSRF_TIME_LIMIT,
    )
    app.config.update(settings)
    app.config["COMMONS_PUBLIC_URL_SET"] = bool(str(settings.get("COMMONS_PUBLIC_URL") or "").strip())
    hops = proxy_hops(settings)
    if hops:  # behind N reverse proxies: the client's address, scheme and host are the ones they forward
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]  # as Flask documents
    app.config["COMMONS_SESSION_LIFETIME_DAYS"] = session_lifetime_days(settings)
    app.config["COMMONS_SEARCHES_PER_MINUTE"] = searches_per_minute(settings)
    trusted = trusted_hosts(settings)
    if trusted:
        app.config["TRUSTED_HOSTS"] = trusted  # a request naming another Host is answered 400
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = app.config.get("COMMONS_SECRET_KEY") or _instance_secret(app)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=str(app.config.get("COMMONS_SESSION_COOKIE_SECURE", "")).lower() in ("1", "true", "yes"),
    )

    from flask_wtf.csrf import CSRFProtect

    from commons import api, cli, web
    from commons.db import db
    from commons.search.extension import search_index

    db.init_app(app)
    search_index.init_app(app, embedder=embedder)
    csrf = CSRFProtect(app)
    web.init_app(app)
    api.init_app(app, csrf)
    cli.init_app(app)
    return app


CSRF_TIME_LIMIT = 12 * 60 * 60  # seconds


def trusted_hosts(settings: Mapping[str, Any]) -> list[str]:
    """The hosts requests may name: the configured public URL's, plus ``COMMONS_TRUSTED_HOSTS``.

    Empty (every host accepted) unless ``COMMONS_PUBLIC_URL`` is set to something other than the
    default, so a development server on 127.0.0.1 or localhost keeps working. Mail links never
    use the request's host either way.
    """
    public = str(settings.get("COMMONS_PUBLIC_URL") or "").strip()
    if not public or public.rstrip("/") == DEFAULT_PUBLIC_URL:
        return []
    host = urlsplit(public).hostname
    extra = str(settings.get("COMMONS_TRUSTED_HOSTS") or "").replace(",", " ").split()
    return [name for name in ([host] if host else []) + extra if name]


def proxy_hops(settings: Mapping[str, Any]) -> int:
    """How many reverse proxies in front of the Commons to trust (``COMMONS_PROXY_HOPS``; none by default).

    Only with this set are ``X-Forwarded-For``, ``-Proto`` and ``-Host`` believed, so sign-in
    limits count each client behind the proxy rather than the proxy's one address. Set it to
    the number of proxies that append to those headers, never more: a client could forge them.
    """
    raw = str(settings.get("COMMONS_PROXY_HOPS") or "0").strip()
    if not raw.isascii() or not raw.isdigit():
        raise ValueError(f"COMMONS_PROXY_HOPS must be a whole number of proxies, not {raw!r}")
    return int(raw)


def session_lifetime_days(settings: Mapping[str, Any]) -> int:
    """How many days a sign-in lasts however active it is (``COMMONS_SESSION_LIFETIME_DAYS``, 14 by default)."""
    raw = str(settings.get("COMMONS_SESSION_LIFETIME_DAYS") or "14").strip()
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 366:
        raise ValueError(f"COMMONS_SESSION_LIFETIME_DAYS must be a whole number of days from 1 to 366, not {raw!r}")
    return int(raw)


def searches_per_minute(settings: Mapping[str, Any]) -> int:
    """Searches one client address may make in a minute, web and API together
    (``COMMONS_SEARCHES_PER_MINUTE``, 120 by default; 0 turns the limit off)."""
    raw = str(settings.get("COMMONS_SEARCHES_PER_MINUTE", "120")).strip()
    if not raw.isascii() or not raw.isdigit():
        raise ValueError(f"COMMONS_SEARCHES_PER_MINUTE must be a whole number of searches, not {raw!r}")
    return int(raw)


def _instance_secret(app: Flask) -> str:
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
