"""Progress per mount and stage (total, done, failed, queued, rate, ETA) and job runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from recognize.store.models import JobRun, Mount, Photo, PhotoStage, QueueItem, utcnow

RATE_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True)
class StageProgress:
    mount: str
    stage: str
    total: int  # photos in the mount
    done: int  # photos this stage has finished
    failed: int  # photos given up (status failed)
    queued: int  # photos waiting for this stage
    rate: float  # photos per second over the last five minutes
    eta_seconds: float | None  # queued / rate; None when idle or unknown


def stage_progress(session: Session, stages: list[str]) -> list[StageProgress]:
    now = utcnow()
    totals = dict(
        session.execute(
            select(Mount.name, func.count(Photo.id))
            .select_from(Mount)
            .outerjoin(Photo, Photo.mount_id == Mount.id)
            .group_by(Mount.name)
        ).all()
    )
    failed = dict(
        session.execute(
            select(Mount.name, func.count(Photo.id))
            .join(Photo, Photo.mount_id == Mount.id)
            .where(Photo.status == "failed")
            .group_by(Mount.name)
        ).all()
    )
    done = {
        (m, s): (n, recent)
        for m, s, n, recent in session.execute(
            select(
                Mount.name,
                PhotoStage.stage,
                func.count(),
                func.count().filter(PhotoStage.done_at >= now - RATE_WINDOW),
            )
            .join(Photo, Photo.id == PhotoStage.photo_id)
            .join(Mount, Mount.id == Photo.mount_id)
            .group_by(Mount.name, PhotoStage.stage)
        ).all()
    }
    queued = {
        (m, s): n
        for m, s, n in session.execute(
            select(Mount.name, QueueItem.stage, func.count())
            .join(Mount, Mount.id == QueueItem.mount_id)
            .group_by(Mount.name, QueueItem.stage)
        ).all()
    }
    rows = []
    for mount in sorted(totals):
        for stage in stages:
            n_done, recent = done.get((mount, stage), (0, 0))
            n_queued = queued.get((mount, stage), 0)
            rate = recent / RATE_WINDOW.total_seconds()
            eta = n_queued / rate if rate > 0 and n_queued else (0.0 if not n_queued else None)
            rows.append(StageProgress(mount, stage, totals[mount], n_done,
                                      failed.get(mount, 0), n_queued, round(rate, 3), eta))
    return rows


def start_run(session: Session, name: str, node: str) -> int:
    run = JobRun(name=name, node=node, started_at=utcnow(), status="running")
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, status: str, detail: str | None = None) -> None:
    session.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(status=status, detail=detail, finished_at=utcnow())
    )


@dataclass(frozen=True)
class RunInfo:
    name: str
    node: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    detail: str | None


def recent_runs(session: Session, limit: int = 50) -> list[RunInfo]:
    rows = session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(limit))
    return [RunInfo(r.name, r.node, r.started_at, r.finished_at, r.status, r.detail) for r in rows]
