"""Personal API tokens in the browser: make one (its secret shown once), see them, revoke one."""

from collections.abc import Mapping

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from commons.db import db
from commons.services import api_tokens
from commons.services.api_tokens import NewToken
from commons.services.transactions import transaction
from commons.web.helpers import sign_in_required
from commons.web.refusals import on_refused

bp = Blueprint("tokens", __name__)


def _page(errors: dict[str, str] | None = None, form: Mapping[str, object] | None = None,
          new: NewToken | None = None, status: int = 200) -> tuple[str, int, dict[str, str]]:
    response = render_template("tokens/tokens.html", tokens=api_tokens.tokens_of(db.session, g.user),
                               scopes=api_tokens.SCOPES, errors=errors or {}, form=form or {"scopes": ["read"]},
                               new=new)
    return response, status, {"Cache-Control": "no-store"}


@bp.get("/account/tokens")
@sign_in_required
def tokens() -> ResponseReturnValue:
    return _page()


def _typed() -> dict[str, object]:
    return {"name": request.form.get("name", ""), "scopes": request.form.getlist("scopes")}


@bp.post("/account/tokens")
@on_refused(lambda error: _page(errors=error.errors, form=_typed(), status=error.status))
@sign_in_required
def create_token() -> ResponseReturnValue:
    with transaction(db.session):
        new = api_tokens.create(db.session, g.user, request.form.get("name", ""), request.form.getlist("scopes"))
    return _page(new=new)  # shown once, here, and never again: not through a redirect


@bp.post("/account/tokens/<int:token_id>/revoke")
@sign_in_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    with transaction(db.session):
        api_tokens.revoke(db.session, g.user, token_id)
    return redirect(url_for("tokens.tokens", revoked=1), code=303)
