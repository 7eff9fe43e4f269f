"""Progress per mount and stage (total, done, failed, queued, rate, ETA) and job runs.

The rate is photos per second over a sliding window (the last five minutes), measured over
the part of the window in which the stage was working, not over the whole window: a scan
that ran at 8 photos/s for 15 s and has just finished shows 8/s, not 125 photos / 300 s.
While photos are still queued the time since the last one finished counts too, so a stalled
stage's rate falls and its ETA grows. :class:`RateWindow` is the same rule for a progress
bar fed by events in one process.
"""

from __future__ import annotations

from collections import deque
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
    rate: float  # photos per second over the last five minutes (see the module docstring)
    eta_seconds: float | None  # queued / rate; None when idle or unknown


def window_rate(count: int, first: float, last: float, now: float, pending: bool) -> float:
    """Photos per second from ``count`` completions in a window, the first at ``first`` and
    the last at ``last`` (seconds, any common origin). The span runs from the first
    completion to the last, or to ``now`` while work is ``pending``; the first completion
    only opens the span, so ``count - 1`` photos are counted over it."""
    span = (now if pending else last) - first
    if count < 2 or span <= 0:
        return 0.0
    return (count - 1) / span


def eta_seconds(queued: int, rate: float) -> float | None:
    """Seconds until ``queued`` photos are done at ``rate``; 0 when none are queued, None
    when some are and the rate is unknown."""
    if not queued:
        return 0.0
    return queued / rate if rate > 0 else None


class RateWindow:
    """Rate over a sliding window of completion events, for progress bars."""

    def __init__(self, window: float = RATE_WINDOW.total_seconds()) -> None:
        self.window = window
        self._events: deque[tuple[float, int]] = deque()

    def add(self, now: float, n: int = 1) -> None:
        self._events.append((now, n))
        while self._events and self._events[0][0] < now - self.window:
            self._events.popleft()

    def rate(self, now: float, pending: bool = True) -> float:
        if not self._events:
            return 0.0
        count = sum(n for _, n in self._events)
        first, opened = self._events[0]
        span = (now if pending else self._events[-1][0]) - first
        if span <= 0:
            return 0.0
        return (count - opened) / span


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
        (m, s): (n, recent, first, last)
        for m, s, n, recent, first, last in session.execute(
            select(
                Mount.name,
                PhotoStage.stage,
                func.count(),
                func.count().filter(PhotoStage.done_at >= now - RATE_WINDOW),
                func.min(PhotoStage.done_at).filter(PhotoStage.done_at >= now - RATE_WINDOW),
                func.max(PhotoStage.done_at).filter(PhotoStage.done_at >= now - RATE_WINDOW),
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
            n_done, recent, first, last = done.get((mount, stage), (0, 0, None, None))
            n_queued = queued.get((mount, stage), 0)
            rate = 0.0
            if first is not None and last is not None:
                rate = window_rate(recent, _seconds(first, now), _seconds(last, now), 0.0,
                                   pending=n_queued > 0)
            eta = eta_seconds(n_queued, rate)
            rows.append(StageProgress(mount, stage, totals[mount], n_done,
                                      failed.get(mount, 0), n_queued, round(rate, 3), eta))
    return rows


def _seconds(moment: datetime | str, now: datetime) -> float:
    """``moment`` in seconds relative to ``now`` (negative: before it). SQLite hands an
    aggregate of a DateTime column back as text."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return (moment - now).total_seconds()


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
