"""``/api/v1/tags`` and a photo's tags: list with counts, user tags, add/remove per photo."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from sqlalchemy.orm import Session

from recognize.api.common import (
    ApiError,
    body,
    ctx,
    deleted,
    field,
    in_session,
    name_field,
    named_routes,
    own_photo,
    page,
    paging,
    user_mounts,
    viewer,
)
from recognize.store import tag_removals
from recognize.store import tags as tag_store

blueprint = Blueprint("tags", __name__)
KINDS = ("classifier", "user", "place", "date", "camera", "person", "lens", "light", "time")


def tag_json(t: tag_store.TagInfo) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "kind": t.kind, "synset": t.synset,
            "parent": t.parent, "editable": t.user_tag, "photos": t.photos}


def _one(tag_id: int) -> dict[str, Any]:
    _, store = ctx()
    seen = viewer()
    with store.reading() as session:
        _, rows = tag_store.list_tags(session, seen, seen.mount_ids, tag_id=tag_id)
        if not rows:
            # visible but on no photo of the user's
            tag = tag_store.get_tag(session, seen.owner_ids, tag_id)
            return {"id": tag.id, "name": tag.name, "kind": tag.kind, "synset": tag.synset,
                    "parent": None, "editable": tag.user_id == seen.user_id, "photos": 0}
    return tag_json(rows[0])


@blueprint.get("/tags")
def list_tags() -> Any:
    _, store = ctx()
    seen = viewer()
    kind = request.args.get("kind") or None
    offset, limit = paging()
    mounts = sorted(user_mounts().values())
    prefix = request.args.get("q") or None

    def listed() -> tuple[int, list[tag_store.TagInfo]]:
        with store.reading() as session:
            return tag_store.list_tags(session, seen, mounts, kind=kind, prefix=prefix,
                                       offset=offset, limit=limit)

    # counting every tag's photos reads all photo_tags: reused until the store changes
    total, rows = store.memo(("tags", seen.user_id, tuple(sorted(seen.owners.items())),
                              tuple(mounts), kind, prefix, offset, limit), listed)
    return page(total, offset, limit, [tag_json(t) for t in rows])


named_routes(blueprint, "/tags", "tag_id", tag_store.create_user_tag, _one)


def _editable(uid: int, tag_id: int) -> None:
    _, store = ctx()
    with store.reading() as session:
        tag = tag_store.get_tag(session, viewer().owner_ids, tag_id)
        if tag.kind not in tag_store.USER_KINDS or tag.user_id != uid:
            raise ApiError(403, f"tag {tag.name!r} is a {tag.kind} tag: only user tags can be "
                                "renamed or deleted", "forbidden")


@blueprint.patch("/tags/<int:tag_id>")
def rename_tag(tag_id: int) -> Any:
    uid = viewer().user_id
    name = name_field(body())
    _editable(uid, tag_id)
    in_session(lambda s: tag_store.rename_user_tag(s, uid, tag_id, name))
    return jsonify(_one(tag_id))


@blueprint.delete("/tags/<int:tag_id>")
def delete_tag(tag_id: int) -> Any:
    uid = viewer().user_id
    _editable(uid, tag_id)
    return deleted(lambda s: tag_store.delete_user_tag(s, uid, tag_id))


@blueprint.get("/photos/<int:photo_id>/tags")
def photo_tags(photo_id: int) -> Any:
    _, store = ctx()
    own_photo(photo_id)
    with store.reading() as session:
        return jsonify({"items": tag_store.photo_tags(session, photo_id, viewer())})


@blueprint.post("/photos/<int:photo_id>/tags")
def add_photo_tag(photo_id: int) -> Any:
    """Body: ``tag_id`` or ``name`` (a user tag, created when missing), ``confidence``
    (0-1, default 1), ``source`` (default "user")."""
    _, store = ctx()
    uid = viewer().user_id
    own_photo(photo_id)
    data = body()
    confidence = float(field(data, "confidence", (int, float), required=False, default=1.0))
    if not 0.0 <= confidence <= 1.0:
        raise ApiError(400, "'confidence' must be between 0 and 1")
    source = field(data, "source", str, required=False, default="user")
    if not 0 < len(source) <= 64:
        raise ApiError(400, "'source' must be 1-64 characters")
    with store.session() as session:
        tag_id = _tag_for(session, uid, data)
        tag = tag_store.get_tag(session, viewer().owner_ids, tag_id)
        if tag.kind not in tag_store.ASSIGNABLE_KINDS:
            raise ApiError(403, f"{tag.kind} tags are set by recognize, not by hand",
                           "forbidden")
        tag_removals.tag(session, uid, photo_id, tag_id, source, confidence)
    with store.reading() as session:
        return jsonify({"items": tag_store.photo_tags(session, photo_id, viewer())}), 201


def _tag_for(session: Session, uid: int, data: dict[str, Any]) -> int:
    tag_id = field(data, "tag_id", int, required=False)
    if tag_id is not None:
        return int(tag_id)
    name = name_field(data, required=False)
    if name is None:
        raise ApiError(400, "give 'tag_id' or 'name'")
    for found in tag_store.tag_list(session, uid, []):
        if found.name == name and found.kind == "user":
            return int(found.key)
    return tag_store.create_user_tag(session, uid, name)


@blueprint.delete("/photos/<int:photo_id>/tags/<int:tag_id>")
def remove_photo_tag(photo_id: int, tag_id: int) -> Any:
    _, store = ctx()
    own_photo(photo_id)
    with store.session() as session:
        tag = tag_store.get_tag(session, viewer().owner_ids, tag_id)
        if tag.kind not in tag_store.ASSIGNABLE_KINDS:
            raise ApiError(403, f"{tag.kind} tags are set by recognize, not by hand",
                           "forbidden")
        if not tag_removals.untag(session, viewer().user_id, photo_id, tag_id):
            raise ApiError(404, f"photo {photo_id} has no tag {tag_id}", "not_found")
    return "", 204
