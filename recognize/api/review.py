"""What the face review needs beyond persons and faces: crops, "not a face", merge
suggestions (accept = merge, reject = keep apart). Each is the caller's own word."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, send_file

from recognize.api.common import ApiError, ctx, int_arg, viewer
from recognize.api.persons import _own_face, _person, face_json, merged
from recognize.jobs.crops import CROP_SIZES, crop_file
from recognize.store import face_info, review

blueprint = Blueprint("review", __name__)


def _crop_response(face_id: int) -> Any:
    settings, store = ctx()
    size = int_arg("size", 256, 16, CROP_SIZES[-1])
    crop = crop_file(settings, store, face_id, size)
    response = send_file(crop.path, mimetype="image/jpeg", max_age=3600, conditional=True,
                         etag=crop.etag)
    response.cache_control.public = False  # a user's faces: never in a shared cache
    response.cache_control.private = True
    return response


@blueprint.get("/faces/<int:face_id>/crop")
def face_crop(face_id: int) -> Any:
    """The face, upright with a margin, as a square JPEG (``size``: 16-512, served at the
    next of 64, 128, 256, 512)."""
    _own_face(face_id)
    return _crop_response(face_id)


@blueprint.get("/persons/<int:person_id>/cover")
def person_cover(person_id: int) -> Any:
    cover = _person(person_id)["cover"]
    if cover is None:
        raise ApiError(404, f"person {person_id} has no face", "not_found")
    return _crop_response(int(cover["face_id"]))


@blueprint.post("/faces/<int:face_id>/ignore")
def ignore_face(face_id: int) -> Any:
    """"This is not a face": kept, never clustered again, never listed (undo: DELETE)."""
    _, store = ctx()
    _own_face(face_id)
    with store.session() as session:
        review.ignore_faces(session, viewer(), [face_id])
    return jsonify(face_json(_own_face(face_id)))


@blueprint.delete("/faces/<int:face_id>/ignore")
def unignore_face(face_id: int) -> Any:
    _, store = ctx()
    _own_face(face_id)
    with store.session() as session:
        review.unignore_faces(session, viewer(), [face_id])
    return jsonify(face_json(_own_face(face_id)))


@blueprint.get("/faces/ignored")
def ignored_faces() -> Any:
    _, store = ctx()
    with store.reading() as session:
        ids = review.ignored_faces(session, viewer())
        _, rows = face_info.faces_info(session, viewer(), face_ids=ids)
    return jsonify({"items": [face_json(f) for f in rows]})


@blueprint.get("/persons/<int:person_id>/suggestions")
def suggestions(person_id: int) -> Any:
    """Other persons most likely the same, best first (mean face distance below
    ``persons.suggest_distance``)."""
    settings, store = ctx()
    limit = int_arg("limit", 10, 1, 100)
    with store.reading() as session:
        found = review.suggestions(session, viewer(), person_id,
                                   settings.persons.suggest_distance, limit)
    return jsonify({"items": [{"person_id": s.person_id, "name": s.name, "faces": s.faces,
                               "distance": s.distance} for s in found]})


@blueprint.post("/persons/<int:person_id>/suggestions/<int:other_id>/accept")
def accept_suggestion(person_id: int, other_id: int) -> Any:
    """The two are one person: every face of ``other_id`` joins ``person_id``."""
    return merged(person_id, other_id, "a person is not a suggestion for itself")


@blueprint.post("/persons/<int:person_id>/suggestions/<int:other_id>/reject")
def reject_suggestion(person_id: int, other_id: int) -> Any:
    """The two are different people: never suggested or merged again."""
    _, store = ctx()
    if other_id == person_id:
        raise ApiError(400, "a person is not a suggestion for itself")
    with store.session() as session:
        review.keep_apart(session, viewer(), person_id, other_id)
    return "", 204


