"""What both sides of the JSON API share: the blueprint, its errors, the token check and parameters."""

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from commons.db import READ_METHODS, db
from commons.services import api_tokens

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_LIMIT = 50
MAX_OFFSET = 200
FILTERS = ["phase", "provision", "region", "setting", "fsm_band", "size_band", "topic", "evidence_strength",
           "year_from", "year_to", "open_to"]


MAX_BODY = 1024 * 1024
BEARER = 'Bearer realm="commons"'


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL from the one configured public address (``COMMONS_PUBLIC_URL``), never the Host header."""
    base = str(current_app.config["COMMONS_PUBLIC_URL"]).rstrip("/")
    path = url_for(endpoint, **values)
    root = request.script_root
    if root and base.endswith(root) and path.startswith(root):
        path = path[len(root):]
    return base + path


class ApiError(Exception):
    """An answer other than success: status, machine code, human message, and any details
    (``errors`` by field, privacy ``warnings``) or headers."""

    def __init__(self, status: int, code: str, message: str, *, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details, self.headers = details or {}, headers or {}


@bp.errorhandler(ApiError)
def api_error(error: ApiError) -> ResponseReturnValue:
    return jsonify({"error": error.code, "message": error.message, **error.details}), error.status, error.headers


@bp.before_request
def act_as_token_user() -> None:
    """Act as the bearer token's user (with the ``read`` scope, for reads) or as nobody.

    A token that is sent is always checked, even where none is needed: a wrong one is a 401.
    """
    g.user, g.api_token = None, None
    request.max_content_length = MAX_BODY
    header = request.headers.get("Authorization")
    if header is None:
        return
    scheme, _, secret = header.strip().partition(" ")
    token = api_tokens.authenticate(db.session, secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise ApiError(401, "unauthorised", "That token does not work: it may have been revoked or mistyped. "
                       "Send 'Authorization: Bearer <token>' with a token made at /account/tokens.",
                       headers={"WWW-Authenticate": BEARER + ', error="invalid_token"'})
    if db.session.dirty and request.method in READ_METHODS:
        # A reading request's session cannot be relied on to write: note the use best-effort, apart
        token_id, used_at = token.id, token.last_used_at
        db.session.expire(token, ["last_used_at"])
        if used_at is not None:
            db.write_best_effort(lambda session: api_tokens.note_use(session, token_id, used_at),
                                 "when an API token was used")
    elif db.session.dirty:
        db.session.commit()  # when the token was last used
    g.api_token = token
    g.user = token.user if "read" in token.scopes else None


def number(name: str, low: int, high: int, default: int | None) -> Callable[[str | None], int | None]:
    def parse(raw: str | None) -> int | None:
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, "bad_parameter", f"{name} must be a whole number from {low} to {high}") from None
        if not low <= value <= high:
            raise ApiError(400, "bad_parameter", f"{name} must be from {low} to {high}, not {value}")
        return value
    return parse


def params(allowed: list[str]) -> dict[str, str]:
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise ApiError(400, "unknown_parameter", f"unknown parameter(s): {', '.join(unknown)}; "
                       f"this endpoint takes {', '.join(allowed) or 'none'}")
    return {k: v for k, v in request.args.items()}


def paging(args: dict[str, str]) -> tuple[int, int]:
    limit = number("limit", 1, MAX_LIMIT, 10)(args.get("limit"))
    offset = number("offset", 0, MAX_OFFSET, 0)(args.get("offset"))
    assert limit is not None and offset is not None
    return limit, offset


