"""The HTML pages: one blueprint module per feature, the helpers they share, errors, filters and headers."""

from flask import Flask

from commons.web import auth, author, errors, filters, follows, hubs, open_data, pages, questions, reader, tokens

BLUEPRINTS = (pages.bp, reader.bp, auth.bp, author.bp, hubs.bp, follows.bp, open_data.bp, questions.bp, tokens.bp)


def init_app(app: Flask) -> None:
    """Register every blueprint, the error pages, the template filters and the security headers."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    errors.init_app(app)
    filters.init_app(app)
