"""``/api/v1/search?q=…``: photos matching every term of the query, best first."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, jsonify, request

from recognize.api.common import ApiError, ctx, paging, user_mounts, viewer
from recognize.api.v1 import photo_json
from recognize.jobs.search import search_photos
from recognize.store import photos as photo_store
from recognize.store import tags as tag_store

blueprint = Blueprint("search", __name__)
MAX_QUERY = 500


@blueprint.get("/search")
def search() -> Any:
    settings, store = ctx()
    query = request.args.get("q", "").strip()
    if not query:
        raise ApiError(400, "q (the query) is required")
    if len(query) > MAX_QUERY:
        raise ApiError(400, f"q must be at most {MAX_QUERY} characters")
    offset, limit = paging(50)
    result = search_photos(settings, store, g.user, query, offset=offset, limit=limit,
                           served=set(user_mounts().values()))
    items: list[dict[str, Any]] = []
    if result.photo_ids:
        with store.reading() as session:
            photos = photo_store.get_many(session, result.photo_ids)
            tags = tag_store.tags_of(session, result.photo_ids, viewer())
            for pid, score in zip(result.photo_ids, result.scores, strict=True):
                if pid in photos:
                    items.append({**photo_json(photos[pid], tags[pid]), "score": score})
    return jsonify({
        "query": query,
        "terms": [{"text": t.text, "matches": list(t.matches)} for t in result.terms],
        "unknown": result.unknown,
        "excluded": [{"text": t.text, "matches": list(t.matches)} for t in result.excluded],
        "total": result.total, "total_is_lower_bound": result.total_is_lower_bound,
        "offset": offset, "limit": limit, "items": items,
    })
