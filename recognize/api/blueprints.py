"""Every blueprint of ``/api/v1``, and the route serving the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify

from recognize.api import persons, review, search, settings, tags, tokens, v1
from recognize.api.openapi import document

docs = Blueprint("docs", __name__)


@docs.get("/openapi.json")
def openapi() -> Any:
    return jsonify(document())


BLUEPRINTS = [v1.blueprint, tags.blueprint, persons.blueprint, review.blueprint,
              search.blueprint, settings.blueprint, tokens.blueprint, docs]
