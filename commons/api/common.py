"""What both sides of the JSON API share: the blueprint, its errors, the token check and parameters."""

from typing import Any, TypeVar, get_origin

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ValidationError

from commons.api import schemas
from commons.db import READ_METHODS, db
from commons.domain.errors import CommonsError, Refused
from commons.ops.public_url import link as public_link
from commons.services import api_tokens

bp = Blueprint("api", __name__, url_prefix="/api/v1")
Q = TypeVar("Q", bound=schemas.Query)

MAX_BODY = 1024 * 1024
BEARER = 'Bearer realm="commons"'


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL from the one configured public address (``COMMONS_PUBLIC_URL``), never the Host header."""
    return public_link(endpoint, **values)


@bp.errorhandler(CommonsError)
def refused(error: CommonsError) -> ResponseReturnValue:
    """The one way the API says no: its JSON envelope, from any domain error (the models' checks included);
    nothing the request half-did is kept."""
    db.session.rollback()
    return jsonify(error.envelope()), error.status, error.headers


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
        raise Refused(401, "unauthorised", "That token does not work: it may have been revoked or mistyped. "
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


M = TypeVar("M", bound=BaseModel)


def validated(model: type[M], data: Any) -> M:
    """``data`` as ``model`` has it, or the API's refusal, made from what the model found wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise schemas.problems(error, model) from None


def params(model: type[Q]) -> Q:
    """The query parameters, as ``model`` takes them; any other parameter is refused, not ignored."""
    allowed = list(model.model_fields)
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise Refused(400, "unknown_parameter", f"unknown parameter(s): {', '.join(unknown)}; "
                       f"this endpoint takes {', '.join(allowed) or 'none'}")
    repeatable = {name for name, field in model.model_fields.items() if get_origin(field.annotation) is list}
    return validated(model, {name: request.args.getlist(name) if name in repeatable else request.args[name]
                             for name in request.args})


def answer(model: type[schemas.Answer], data: dict[str, Any], status: int = 200,
           headers: dict[str, str] | None = None) -> ResponseReturnValue:
    """``data`` as the JSON answer ``model`` describes."""
    return jsonify(schemas.dump(model, data)), status, headers or {}
