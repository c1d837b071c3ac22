"""The JSON API v1: one blueprint, a read side and a write side (personal API tokens)."""

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from commons.api import docs, drafts, read
from commons.api.common import bp

__all__ = ["bp", "docs", "drafts", "init_app", "read"]


def init_app(app: Flask, csrf: CSRFProtect) -> None:
    """Register the API; it is exempt from CSRF because it ignores session cookies (bearer tokens only)."""
    app.register_blueprint(bp)
    csrf.exempt(bp)
    app.register_blueprint(docs.bp)  # /docs, the human-readable documentation, and /api leading to it
