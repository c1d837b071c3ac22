"""Friendly error pages."""

from flask import Flask, jsonify, render_template, request
from flask.globals import request_ctx
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from commons.domain.errors import NotFound

TITLES = {
    400: "That request didn't make sense",
    403: "You don't have permission to do that",
    409: "That can't be done to it in its current state",
    404: "We couldn't find that page",
    405: "That isn't allowed here",
    413: "That was too large",
    500: "Something went wrong on our side",
}


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        code = error.code or 500
        if request_ctx.url_adapter is None:  # a Host that is not trusted: no page can be built for it
            return f"{code} {error.name}\n", code, {"Content-Type": "text/plain; charset=utf-8"}
        if _is_api():
            return jsonify({"error": error.name.lower().replace(" ", "_"), "message": error.description}), code
        return render_template("error.html", code=code, title=TITLES.get(code, error.name)), code

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        return render_template(
            "error.html", code=400, title="That form had expired",
            detail="For your security, forms stop working after a while, or when sent from another site. "
                   "Go back, reload the page and try again; nothing was changed.",
        ), 400

    @app.errorhandler(NotFound)
    def not_found(error: NotFound) -> ResponseReturnValue:
        return render_template("error.html", code=404, title=TITLES[404], detail=str(error)), 404

    @app.errorhandler(Exception)
    def server_error(error: Exception) -> ResponseReturnValue:
        app.logger.exception("unhandled error", exc_info=error)
        if _is_api():
            return jsonify({"error": "server_error", "message": "Something went wrong on our side."}), 500
        return render_template("error.html", code=500, title=TITLES[500]), 500


def _is_api() -> bool:
    """API clients get JSON errors, never an HTML page."""
    return request.path.startswith("/api/")
