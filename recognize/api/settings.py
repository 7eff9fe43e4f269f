"""``/api/v1/config``: the effective config (admins only, secrets redacted) and threshold
changes (validated as start-up validates, files named read and parsed; persisted atomically
with the file's comments kept; re-clustering / re-staging started as they imply)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from recognize.api.common import ApiError, ctx, is_admin
from recognize.config import redacted
from recognize.errors import ConfigError
from recognize.jobs import retune

blueprint = Blueprint("config", __name__)


def _admin() -> None:
    if not is_admin():
        raise ApiError(403, "only an admin may read or change the config", "forbidden")


@blueprint.get("/config")
def get_config() -> Any:
    settings, _ = ctx()
    _admin()
    return jsonify(redacted(settings))


@blueprint.patch("/config")
def patch_config() -> Any:
    settings, store = ctx()
    _admin()
    patch = request.get_json(silent=True)
    _, problems = retune.problems_of(settings, patch)
    if problems:
        raise _invalid(problems)
    config_path = current_app.extensions["recognize"]["config_path"]
    try:
        result = retune.apply(settings, store, patch, config_path)  # type: ignore[arg-type]
    except ConfigError as exc:  # the file with the change would not pass start-up
        raise _invalid(exc.problems) from None
    return jsonify({
        "changed": result.changed, "persisted": result.persisted,
        "reclustering": result.recluster, "restaging": result.restage,
        "config": redacted(settings),
    })


def _invalid(problems: list[str]) -> ApiError:
    return ApiError(422, f"{len(problems)} problem(s) in the change", "invalid_config",
                    details=problems)
