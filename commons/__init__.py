"""The School Improvement Commons: an open place for schools to share how they improved."""

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from indexer import Embedder

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """``templates`` or ``static``: inside the installed package, or at the project's top level."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"cannot find the {name}/ folder next to {PACKAGE_DIR}")


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
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
    )
    app.config.update(
        COMMONS_PUBLIC_URL="http://127.0.0.1:5000",
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    app.config.update(settings)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = app.config.get("COMMONS_SECRET_KEY") or _instance_secret(app)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=str(app.config.get("COMMONS_SESSION_COOKIE_SECURE", "")).lower() in ("1", "true", "yes"),
    )

    from commons.db import db
    from commons.search_index import search_index

    db.init_app(app)
    search_index.init_app(app, embedder=embedder)

    from flask_wtf.csrf import CSRFProtect

    csrf = CSRFProtect(app)

    from commons import api, cli, errors_web, filters, views
    from commons import views_auth, views_author, views_follows, views_hubs, views_open, views_reader
    from commons import views_questions, views_tokens

    app.register_blueprint(views.bp)
    app.register_blueprint(views_reader.bp)
    app.register_blueprint(views_auth.bp)
    app.register_blueprint(views_author.bp)
    app.register_blueprint(views_hubs.bp)
    app.register_blueprint(views_follows.bp)
    app.register_blueprint(views_open.bp)
    app.register_blueprint(views_questions.bp)
    app.register_blueprint(views_tokens.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # the API ignores session cookies: only a bearer token authorises it
    errors_web.init_app(app)
    filters.init_app(app)
    cli.init_app(app)
    return app


def _instance_secret(app: Flask) -> str:
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
