"""``/api/v1``: health, photos (filters: mount, dates, camera, place, tags, person),
duplicates, jobs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, jsonify, request, send_file
from sqlalchemy.orm import Session

from recognize import __version__
from recognize.api.common import (
    ApiError,
    ctx,
    date_arg,
    int_arg,
    own_photo,
    page,
    paging,
    user_mounts,
    viewer,
)
from recognize.store import objects as object_store
from recognize.store import photos as photo_store
from recognize.store import tags as tag_store
from recognize.store.accounts import Viewer
from recognize.store.models import Photo

blueprint = Blueprint("v1", __name__)


@blueprint.get("/health")
def health() -> Any:
    from recognize.store import health as store_health

    settings, store = ctx()
    report = store_health.check(store, settings.store.data_dir)  # reads, then writes for real
    body: dict[str, Any] = {"status": "ok" if report.ok else "degraded",
                            "store": "ok" if report.ok else f"error: {report.reason}",
                            "version": __version__}
    if not report.ok:
        body["reason"] = report.reason
    return jsonify(body), 200 if report.ok else 503


def photo_json(photo: Photo, tags: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": photo.id,
        "mount": photo.mount.name,
        "path": photo.path,
        "name": Path(photo.path).name,
        "size": photo.size,
        "status": photo.status,
        "error": photo.error,
        "width": photo.width,
        "height": photo.height,
        "mime": photo.mime,
        "taken_at": photo.taken_at.isoformat() if photo.taken_at else None,
        "tz_offset_min": photo.tz_offset_min,
        "camera": photo.camera,
        "make": photo.make,
        "model": photo.model,
        "lens": photo.lens,
        "focal_length": photo.focal_length,
        "focal_length_35mm": photo.focal_length_35mm,
        "exposure_time": photo.exposure_time,
        "f_number": photo.f_number,
        "iso": photo.iso,
        "gps": None
        if photo.gps_lat is None or photo.gps_lon is None
        else {"lat": photo.gps_lat, "lon": photo.gps_lon, "alt": photo.gps_alt},
        "place": None
        if not photo.country
        else {"country_code": photo.country_code, "country": photo.country, "city": photo.city},
        "phash": photo.phash,
        "dhash": photo.dhash,
    }
    if tags is not None:
        data["tags"] = tags
    return data


@blueprint.get("/photos")
def list_photos() -> Any:
    _, store = ctx()
    mounts = user_mounts()
    wanted = request.args.getlist("mount")
    for name in wanted:
        if name not in mounts:
            raise ApiError(404, f"no mount named {name!r} for this user", "not_found")
    status = request.args.get("status")
    if status and status not in {"queued", "ok", "partial", "failed"}:
        raise ApiError(400, "status must be one of queued, ok, partial, failed")
    flt = photo_store.PhotoFilter(
        user_id=viewer().user_id,
        mount_ids=[mounts[n] for n in wanted] if wanted else list(mounts.values()),
        taken_from=date_arg("from"),
        taken_to=date_arg("to", end=True),
        camera=request.args.get("camera") or None,
        country=request.args.get("country") or None,
        city=request.args.get("city") or None,
        status=status or None,
        tag_ids=[int_list_item("tag", t) for t in request.args.getlist("tag")],
        person_id=int_arg("person", 0, 1, 2**62) or None,
        place=request.args.get("place") or None,
    )
    offset, limit = paging()
    seen = viewer()
    with store.reading() as session:
        _check_filter_ids(session, seen, flt)
        total, rows = photo_store.list_photos(session, flt, offset=offset, limit=limit)
        tags = tag_store.tags_of(session, [p.id for p in rows], seen)
        items = [photo_json(p, tags[p.id]) for p in rows]
    return page(total, offset, limit, items)


def _check_filter_ids(session: Session, seen: Viewer, flt: photo_store.PhotoFilter) -> None:
    """A tag or person filter names something the user may see, else 404 (another user's
    ids reveal nothing)."""
    from recognize.store import people

    for tag_id in flt.tag_ids:
        tag_store.get_tag(session, seen.owner_ids, tag_id)
    if flt.person_id is not None and not people.persons(session, seen, flt.person_id):
        raise ApiError(404, f"no person {flt.person_id}", "not_found")


@blueprint.get("/duplicates")
def list_duplicates() -> Any:
    """The groups of near-duplicates the duplicates job found among the user's photos."""
    from recognize.store import duplicates as duplicate_store

    _, store = ctx()
    seen = viewer()
    offset, limit = paging()
    with store.reading() as session:
        groups = duplicate_store.groups(session, seen.user_id, seen.mount_ids)
        shown = groups[offset:offset + limit]
        photos = photo_store.get_many(session, [i for g in shown for i in g])
        items = [{"id": g[0], "photos": [photo_json(photos[i]) for i in g if i in photos]}
                 for g in shown]
    return page(len(groups), offset, limit, items)


def int_list_item(name: str, raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 2**62:
        raise ApiError(400, f"{name} must be a positive integer id, not {raw!r}")
    return int(raw)


@blueprint.get("/photos/<int:photo_id>")
def get_photo(photo_id: int) -> Any:
    _, store = ctx()
    own_photo(photo_id)
    with store.reading() as session:
        photo = photo_store.get(session, photo_id)
        if photo is None:  # removed since the check
            raise ApiError(404, f"no photo {photo_id}", "not_found")
        tags = tag_store.tags_of(session, [photo_id], viewer())[photo_id]
        data = photo_json(photo, tags)
        data["objects"] = object_store.objects_of(session, photo_id)  # own_photo checked
        return jsonify(data)


@blueprint.get("/photos/<int:photo_id>/thumbnail")
def thumbnail(photo_id: int) -> Any:
    settings, _ = ctx()
    own_photo(photo_id)
    sizes = settings.media.thumbnail_sizes
    size = int_arg("size", sizes[0], 1, 10_000)
    chosen = min((s for s in sizes if s >= size), default=max(sizes))
    from recognize.jobs.stages.media import thumbnail_path

    path = thumbnail_path(settings.store.data_dir, chosen, photo_id)
    if not path.is_file():
        raise ApiError(404, f"photo {photo_id} has no thumbnail yet", "not_found")
    return send_file(path, mimetype="image/jpeg", max_age=3600, conditional=True, etag=True)


@blueprint.get("/jobs")
def jobs() -> Any:
    """Progress per mount and stage (total, done, failed, queued, rate, ETA) and recent runs."""
    from recognize.jobs.stages import stage_names
    from recognize.store import progress

    settings, store = ctx()
    mounts = set(user_mounts())
    with store.reading() as session:
        stages = [vars(p) for p in progress.stage_progress(session, stage_names(settings))
                  if p.mount in mounts]
        runs = [
            {**vars(r), "started_at": r.started_at.isoformat(),
             "finished_at": r.finished_at.isoformat() if r.finished_at else None}
            for r in progress.recent_runs(session)
            if r.name.split(":", 1)[-1] in mounts or ":" not in r.name
        ]
    return jsonify({"stages": stages, "runs": runs})
