"""``/api/v1/tokens``: a user's API tokens for scripts (``Authorization: Bearer <token>``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from recognize.api.common import body, ctx, name_field, user_id
from recognize.store import tokens as token_store

blueprint = Blueprint("tokens", __name__)


def token_json(t: token_store.TokenInfo) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "prefix": t.prefix,
            "created_at": t.created_at.isoformat(),
            "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None}


@blueprint.get("/tokens")
def list_tokens() -> Any:
    _, store = ctx()
    uid = user_id()
    with store.reading() as session:
        return jsonify({"items": [token_json(t) for t in token_store.list_tokens(session, uid)]})


@blueprint.post("/tokens")
def create_token() -> Any:
    """The token itself is in the answer only this once; the store keeps its sha256."""
    _, store = ctx()
    uid = user_id()
    name = name_field(body())
    with store.session() as session:
        info, secret = token_store.create_token(session, uid, name)
    return jsonify({**token_json(info), "token": secret}), 201


@blueprint.delete("/tokens/<int:token_id>")
def revoke_token(token_id: int) -> Any:
    _, store = ctx()
    uid = user_id()
    with store.session() as session:
        token_store.revoke_token(session, uid, token_id)
    return "", 204
