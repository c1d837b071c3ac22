"""The HTML pages: one blueprint module per feature, the helpers they share, errors, filters and headers."""

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from commons.domain.ids import MAX_ID, MAX_ID_DIGITS
from commons.web import (
    auth,
    author,
    browse,
    errors,
    filters,
    follows,
    hubs,
    open_data,
    pages,
    questions,
    reader,
    tokens,
)

BLUEPRINTS = (pages.bp, browse.bp, reader.bp, auth.bp, author.bp, hubs.bp, follows.bp, open_data.bp, questions.bp,
              tokens.bp)


class DatabaseId(IntegerConverter):
    """``<int:...>`` in every route: ASCII digits only, and no larger than a database integer.

    A longer id (25 digits) matches no route, so it is a 404 instead of an overflow in the database.
    """

    regex = rf"[0-9]{{1,{MAX_ID_DIGITS}}}"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def init_app(app: Flask) -> None:
    """Register the id converter, every blueprint, the error pages, the template filters and the headers."""
    app.url_map.converters["int"] = DatabaseId  # before any route is added, the API's included
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    errors.init_app(app)
    filters.init_app(app)
