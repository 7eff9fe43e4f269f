"""``/api/v1/persons`` and ``/api/v1/faces``: list, rename, merge, split, delete; reassign and
reject faces. Every change goes through recognize.store.persons, which records the user's
corrections (must-link / cannot-link) and keeps the person tags in step."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from recognize.api.common import (
    ApiError,
    body,
    ctx,
    deleted,
    field,
    name_field,
    named_routes,
    page,
    paging,
    viewer,
)
from recognize.store import face_info, people
from recognize.store import persons as person_store

blueprint = Blueprint("persons", __name__)


def face_json(f: face_info.FaceInfo) -> dict[str, Any]:
    return {"id": f.id, "photo_id": f.photo_id, "box": [round(v, 6) for v in f.box],
            "score": round(f.score, 4), "person_id": f.person_id, "assigned_by": f.assigned_by,
            "quality": f.quality}


def _persons(person_id: int | None = None, hidden: bool = False) -> list[dict[str, Any]]:
    _, store = ctx()
    seen = viewer()
    with store.reading() as session:
        groups = people.persons(session, seen, person_id, hidden=hidden)
        covers = face_info.covers(session, seen, [g.key for g in groups])
    out = []
    for group in groups:
        cover = covers.get(group.key)
        out.append({
            "id": group.key, "name": group.name, "named": group.name is not None,
            "hidden": group.kind == "hidden", "faces": group.stat.count if group.stat else 0,
            "cover": None if cover is None else {"face_id": cover.id, "photo_id": cover.photo_id,
                                                 "box": [round(v, 6) for v in cover.box]},
        })
    return out


def _person(person_id: int) -> dict[str, Any]:
    found = _persons(person_id)
    if not found:
        raise ApiError(404, f"no person {person_id}", "not_found")
    return found[0]


@blueprint.get("/persons")
def list_persons() -> Any:
    named = request.args.get("named")
    if named not in (None, "true", "false"):
        raise ApiError(400, "named must be true or false")
    hidden = request.args.get("hidden", "false")
    if hidden not in ("true", "false"):
        raise ApiError(400, "hidden must be true or false")
    offset, limit = paging()
    items = _persons(hidden=hidden == "true")
    if named is not None:
        items = [p for p in items if p["named"] == (named == "true")]
    items.sort(key=lambda p: (-p["faces"], p["id"]))
    return page(len(items), offset, limit, items[offset:offset + limit])


named_routes(blueprint, "/persons", "person_id", person_store.create_person, _person)


@blueprint.patch("/persons/<int:person_id>")
def change_person(person_id: int) -> Any:
    """Body ``{"name": …}`` renames, ``{"hidden": true|false}`` hides or shows again."""
    from recognize.store import review

    _, store = ctx()
    data = body()
    name = name_field(data, required=False)
    hidden = field(data, "hidden", bool, required=False)
    if name is None and hidden is None:
        raise ApiError(400, "give 'name' or 'hidden'")
    with store.session() as session:
        if name is not None:
            person_store.rename_person(session, viewer(), person_id, name)
        if hidden is not None:
            review.set_hidden(session, viewer(), person_id, hidden)
    return jsonify(_person(person_id))


@blueprint.delete("/persons/<int:person_id>")
def delete_person(person_id: int) -> Any:
    return deleted(lambda s: person_store.delete_person(s, viewer(), person_id))


@blueprint.post("/persons/<int:person_id>/merge")
def merge_persons(person_id: int) -> Any:
    """Body ``{"other": id}``: every face of ``other`` joins this person; ``other`` goes."""
    return merged(person_id, field(body(), "other", int), "cannot merge a person into itself")


def merged(person_id: int, other: int, refusal: str) -> Any:
    """Every face of ``other`` joins ``person_id`` (400 with ``refusal`` when they are one);
    the answer is the person as it is now."""
    _, store = ctx()
    if other == person_id:
        raise ApiError(400, refusal)
    with store.session() as session:
        person_store.merge_persons(session, viewer(), person_id, other)
    return jsonify(_person(person_id))


@blueprint.post("/persons/split")
def split_person() -> Any:
    """Body ``{"faces": [ids], "name": optional}``: the faces become a new person."""
    _, store = ctx()
    data = body()
    faces = field(data, "faces", list)
    if not faces or not all(isinstance(f, int) and not isinstance(f, bool) for f in faces):
        raise ApiError(400, "'faces' must be a non-empty list of face ids")
    name = name_field(data, required=False)
    with store.session() as session:
        person_id = person_store.split_faces(session, viewer(), faces, name)
    return jsonify(_person(person_id)), 201


@blueprint.get("/persons/<int:person_id>/faces")
def person_faces(person_id: int) -> Any:
    _, store = ctx()
    _person(person_id)
    offset, limit = paging()
    with store.reading() as session:
        total, rows = face_info.faces_info(session, viewer(), person_id=person_id,
                                              offset=offset, limit=limit)
    return page(total, offset, limit, [face_json(f) for f in rows])


def _own_face(face_id: int) -> face_info.FaceInfo:
    _, store = ctx()
    with store.reading() as session:
        _, rows = face_info.faces_info(session, viewer(), face_ids=[face_id])
    if not rows:
        raise ApiError(404, f"no face {face_id}", "not_found")
    return rows[0]


@blueprint.get("/faces/unassigned")
def unassigned_faces() -> Any:
    _, store = ctx()
    offset, limit = paging()
    with store.reading() as session:
        total, rows = face_info.faces_info(session, viewer(), unassigned=True,
                                              offset=offset, limit=limit)
    return page(total, offset, limit, [face_json(f) for f in rows])


@blueprint.get("/faces/<int:face_id>")
def get_face(face_id: int) -> Any:
    return jsonify(face_json(_own_face(face_id)))


@blueprint.put("/faces/<int:face_id>/person")
def assign_face(face_id: int) -> Any:
    """Body ``{"person_id": id}``: this face is that person (a must-link the clustering keeps);
    when it was in another person, it is also remembered as not that one."""
    _, store = ctx()
    person_id = field(body(), "person_id", int)
    face = _own_face(face_id)
    with store.session() as session:
        person_store.assign_faces(session, viewer(), [face_id], person_id,
                                  from_person=face.person_id)
    return jsonify(face_json(_own_face(face_id)))


@blueprint.post("/faces/<int:face_id>/reject")
def reject_face(face_id: int) -> Any:
    """"Not this person" (a cannot-link): body ``{"person_id": id}`` or empty for the face's
    current person. The face becomes unassigned."""
    _, store = ctx()
    data = request.get_json(silent=True)
    face = _own_face(face_id)
    person_id = field(data, "person_id", int, required=False) if isinstance(data, dict) else None
    person_id = person_id if person_id is not None else face.person_id
    if person_id is None:
        raise ApiError(409, f"face {face_id} is in no person; say which person it is not",
                       "conflict")
    with store.session() as session:
        person_store.reject_faces(session, viewer(), [face_id], person_id)
    return jsonify(face_json(_own_face(face_id)))
