"""The work queue: claim batches (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), finish, fail."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from recognize.store.models import Mount, Photo, QueueItem, utcnow


@dataclass
class Claimed:
    """One photo with the stages a worker claimed for it."""

    photo_id: int
    mount_id: int
    location: str  # the mount's folder or URL
    path: str  # relative path inside the mount
    attempts: int
    stages: list[str] = field(default_factory=list)


def claim(
    session: Session,
    worker: str,
    *,
    limit: int,
    lease_seconds: float,
    mount_ids: Sequence[int] | None = None,
) -> list[Claimed]:
    """Claim up to ``limit`` photos that have due, unclaimed (or expired) queue rows."""
    now = utcnow()
    due = and_(
        QueueItem.not_before <= now,
        or_(QueueItem.claimed_until.is_(None), QueueItem.claimed_until < now),
    )
    photo_query = select(QueueItem.photo_id).where(due)
    if mount_ids is not None:
        photo_query = photo_query.where(QueueItem.mount_id.in_(mount_ids))
    photo_query = photo_query.group_by(QueueItem.photo_id).order_by(func.min(QueueItem.id))
    candidates = list(session.scalars(photo_query.limit(limit * 4)))
    if not candidates:
        return []
    rows = list(
        session.scalars(
            select(QueueItem)
            .where(QueueItem.photo_id.in_(candidates), due)
            .order_by(QueueItem.id)
            .with_for_update(skip_locked=True)
        )
    )
    until = now + timedelta(seconds=lease_seconds)
    by_photo: dict[int, Claimed] = {}
    for row in rows:
        item = by_photo.get(row.photo_id)
        if item is None:
            if len(by_photo) >= limit:
                continue
            item = by_photo[row.photo_id] = Claimed(row.photo_id, row.mount_id, "", "", 0)
        item.stages.append(row.stage)
        item.attempts = max(item.attempts, row.attempts)
        row.claimed_by, row.claimed_until = worker, until
    if not by_photo:
        return []
    places = session.execute(
        select(Photo.id, Photo.path, Mount.location)
        .join(Mount, Mount.id == Photo.mount_id)
        .where(Photo.id.in_(list(by_photo)))
    )
    for pid, path, location in places:
        by_photo[pid].path, by_photo[pid].location = path, location
    session.flush()
    return list(by_photo.values())


def finish(session: Session, photo_id: int, stages: Sequence[str], worker: str) -> None:
    """Remove the finished rows (only while this worker still holds them)."""
    session.execute(
        delete(QueueItem).where(
            QueueItem.photo_id == photo_id,
            QueueItem.stage.in_(stages),
            QueueItem.claimed_by == worker,
        )
    )


def fail(
    session: Session,
    photo_id: int,
    stages: Sequence[str],
    reason: str,
    *,
    max_attempts: int,
    backoff_seconds: float,
    permanent: bool = False,
) -> bool:
    """Count a failed attempt; return True when the photo is given up (recorded as failed)."""
    attempts = (
        session.scalar(
            select(func.max(QueueItem.attempts)).where(
                QueueItem.photo_id == photo_id, QueueItem.stage.in_(stages)
            )
        )
        or 0
    ) + 1
    session.execute(
        update(Photo).where(Photo.id == photo_id).values(attempts=Photo.attempts + 1, error=reason)
    )
    if permanent or attempts >= max_attempts:
        session.execute(
            delete(QueueItem).where(QueueItem.photo_id == photo_id, QueueItem.stage.in_(stages))
        )
        session.execute(update(Photo).where(Photo.id == photo_id).values(status="failed"))
        return True
    delay = timedelta(seconds=backoff_seconds * 2 ** (attempts - 1))
    session.execute(
        update(QueueItem)
        .where(QueueItem.photo_id == photo_id, QueueItem.stage.in_(stages))
        .values(
            attempts=attempts,
            last_error=reason,
            claimed_by=None,
            claimed_until=None,
            not_before=utcnow() + delay,
        )
    )
    return False


def release(session: Session, is_dead: Callable[[str], bool]) -> int:
    """Free claims held by workers that are known to be dead (e.g. killed on this host)."""
    holders = session.scalars(
        select(QueueItem.claimed_by).where(QueueItem.claimed_by.is_not(None)).distinct()
    )
    dead = [h for h in holders if h and is_dead(h)]
    if not dead:
        return 0
    result = session.execute(
        update(QueueItem)
        .where(QueueItem.claimed_by.in_(dead))
        .values(claimed_by=None, claimed_until=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def retry_failed(session: Session, mount_ids: Sequence[int], stages: Sequence[str]) -> int:
    """Put failed photos back in the queue with fresh attempts."""
    from recognize.store.photos import enqueue

    rows = session.execute(
        select(Photo.id, Photo.mount_id).where(
            Photo.mount_id.in_(mount_ids), Photo.status == "failed"
        )
    ).all()
    for mount_id in {m for _, m in rows}:
        ids = [p for p, m in rows if m == mount_id]
        session.execute(
            update(Photo).where(Photo.id.in_(ids)).values(status="queued", attempts=0, error=None)
        )
        enqueue(session, mount_id, ids, stages)
    return len(rows)


@dataclass(frozen=True)
class MountCounts:
    mount: str
    files: int
    done: int
    partial: int
    failed: int
    queued: int  # photos with work left in the queue


def counts(session: Session) -> list[MountCounts]:
    per_status = session.execute(
        select(
            Mount.name,
            func.count(Photo.id),
            func.sum(case((Photo.status == "ok", 1), else_=0)),
            func.sum(case((Photo.status == "partial", 1), else_=0)),
            func.sum(case((Photo.status == "failed", 1), else_=0)),
        )
        .select_from(Mount)
        .outerjoin(Photo, Photo.mount_id == Mount.id)
        .group_by(Mount.name)
        .order_by(Mount.name)
    ).all()
    queued = dict(
        session.execute(
            select(Mount.name, func.count(func.distinct(QueueItem.photo_id)))
            .join(QueueItem, QueueItem.mount_id == Mount.id)
            .group_by(Mount.name)
        ).all()
    )
    return [
        MountCounts(name, files, int(ok or 0), int(part or 0), int(bad or 0), queued.get(name, 0))
        for name, files, ok, part, bad in per_status
    ]
