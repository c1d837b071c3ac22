"""The School Improvement Commons: an open place for schools to share how they improved."""

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from commons import settings
from commons.settings import DEFAULT_PUBLIC_URL, Settings
from indexer import Embedder

__all__ = ["DEFAULT_PUBLIC_URL", "create_app", "trusted_hosts"]


def create_app(config: Mapping[str, Any] | None = None, *, embedder: Embedder | None = None) -> Flask:
    """Create the web application.

    Settings come from ``COMMONS_*`` environment variables (read here, never at import),
    then from ``config``; they are checked and typed once, here (``commons/settings.py``), and a
    value that cannot be used stops the app with a message naming it. An ``embedder`` may be
    handed in (tests share one real model).
    """
    given = settings.given(config)
    instance_path = Settings.read(given).instance_path
    app = Flask(
        __name__,
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
    )
    app.config.update(
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        # A form's security token lasts a working day, so a case study written over an afternoon
        # can still be saved; the autosave renews it and an expired one re-shows what was typed.
        WTF_CSRF_TIME_LIMIT=CSRF_TIME_LIMIT,
    )
    app.config.update(given)
    typed = Settings.read(given, app.instance_path)
    settings.keep(app, typed)
    if typed.proxy_hops:  # behind N reverse proxies: the client's address, scheme and host are the ones they forward
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = typed.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]  # as Flask documents
    if typed.allowed_hosts:
        app.config["TRUSTED_HOSTS"] = typed.allowed_hosts  # a request naming another Host is answered 400
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = typed.secret_key or _instance_secret(app)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=typed.session_cookie_secure,
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


def trusted_hosts(given: Mapping[str, Any]) -> list[str]:
    """The hosts requests may name, from ``COMMONS_*`` settings (see ``Settings.allowed_hosts``)."""
    return Settings.read(given).allowed_hosts


def _instance_secret(app: Flask) -> str:
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
