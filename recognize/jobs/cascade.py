"""The background cascade (APScheduler): per mount, crawl on its schedule → process batches.

- ``crawl:<mount>`` runs on the mount's schedule (an interval or a cron line). Only one node
  crawls a mount at a time (a lease in the store that expires if its node dies). When the
  last crawl is overdue at start-up it runs at once; otherwise at the next due time, so a
  restart does not re-crawl everything.
- ``process`` claims batches from the queue and works through them while work remains,
  outside the configured time window no new batch starts; it is kicked after each crawl and
  also runs every few seconds as a safety net (it claims nothing when there is nothing due).
- A job's failure is logged and never stops the scheduler.
- While the store cannot be written (disk full, read-only), work pauses with growing waits
  (1 s doubling to 60 s, see ``recognize.jobs.backoff``): one log line when it starts, one
  when a write probe succeeds again; the batch that could not be saved is claimed again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from recognize.config import Settings, parse_duration, parse_window
from recognize.jobs.backoff import StoreBackoff
from recognize.jobs.crawl import crawl
from recognize.jobs.sources import source_for
from recognize.jobs.worker import Worker
from recognize.log import get_logger
from recognize.store import Store, accounts, health, leases, progress
from recognize.store.models import Mount
from recognize.store.opening import sync_accounts

log = get_logger(__name__)
PROCESS_EVERY_S = 1
BACKOFF_FIRST_S, BACKOFF_CAP_S = 1.0, 60.0  # pauses while the store cannot be written


def in_window(window: str, now: datetime | None = None) -> bool:
    """True when a new batch may start now (``window`` empty = always)."""
    parsed = parse_window(window)
    if parsed is None:
        return True
    start, end = parsed
    current = (now or datetime.now()).time()
    if start <= end:
        return start <= current < end
    return current >= start or current < end  # wraps midnight


def trigger_for(schedule: str) -> BaseTrigger:
    try:
        return IntervalTrigger(seconds=parse_duration(schedule))
    except ValueError:
        return CronTrigger.from_crontab(schedule)


class Cascade:
    """Owns the scheduler and the worker; ``start()`` returns at once, ``stop()`` waits."""

    def __init__(self, settings: Settings, store: Store, worker: Worker | None = None) -> None:
        self.settings = settings
        self.store = store
        self.worker = worker or Worker(settings, store)
        self.stopping = threading.Event()
        self._running = 0  # jobs in progress; stop() waits for them outside the scheduler
        self._idle = threading.Condition()
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max(4, settings.jobs.workers + 2))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )
        self.scheduler.add_listener(self._on_error, EVENT_JOB_ERROR)
        self.watcher: Any = None
        self.backoff = StoreBackoff(BACKOFF_FIRST_S, BACKOFF_CAP_S)

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        refs = sync_accounts(self.settings, self.store)
        self.worker.release_dead_claims()
        for mount in self.settings.mounts:
            self.scheduler.add_job(
                self.crawl_mount,
                trigger_for(mount.schedule),
                args=[mount.name],
                id=f"crawl:{mount.name}",
                next_run_time=self._next_crawl(refs[mount.name].id, mount.schedule),
            )
        self.scheduler.add_job(
            self.process, IntervalTrigger(seconds=PROCESS_EVERY_S), id="process",
            next_run_time=datetime.now(UTC),
        )
        self.scheduler.start()
        # faces saved before a stop or a crash may not have been clustered yet
        with self.store.reading() as session:
            self._schedule_clustering(set(accounts.person_owner_names(session)))
        self._schedule_duplicates(None)  # photos hashed before a stop may not be grouped yet
        self._start_watcher(refs)
        log.info("cascade started for %d mount(s) as %s", len(self.settings.mounts),
                 self.worker.name)

    def _start_watcher(self, refs: dict[str, Any]) -> None:
        from pathlib import Path

        from recognize.jobs.sources import is_remote

        watched = [(refs[m.name], Path(m.path)) for m in self.settings.mounts
                   if m.watch and not is_remote(m.path)]
        if not watched:
            return
        from recognize.jobs.watch import MountWatcher

        self.watcher = MountWatcher(self.store, watched, self.worker.stage_names(), self.kick)
        self.watcher.start()
        log.info("watching %d mount(s) for new files", len(watched))

    def stop(self, timeout: float = 600.0) -> None:
        """Let running jobs finish their batch, then stop. (The scheduler's own waiting
        shutdown holds its lock, which a finishing job may need to schedule the next one.)"""
        self.stopping.set()
        if self.watcher is not None:
            self.watcher.stop()
        with self._idle:
            self._idle.wait_for(lambda: self._running == 0, timeout=timeout)
        self.scheduler.shutdown(wait=False)
        try:
            with self.store.session() as session:
                for mount in self.settings.mounts:
                    leases.release(session, f"crawl:{mount.name}", self.worker.name)
        except Exception as exc:
            reason = health.describe_failure(exc, self.settings.store.data_dir)
            if reason is None:
                raise
            log.warning("crawl leases not released (%s): they expire by themselves", reason)
        self.worker.close()

    def _next_crawl(self, mount_id: int, schedule: str) -> datetime:
        now = datetime.now(UTC)
        with self.store.session() as session:
            mount = session.get(Mount, mount_id)
            last = mount.crawled_at if mount is not None else None
        if last is None:
            return now
        trigger, last_utc = trigger_for(schedule), last.replace(tzinfo=UTC)
        if isinstance(trigger, IntervalTrigger):
            due: datetime | None = last_utc + timedelta(seconds=parse_duration(schedule))
        else:
            due = trigger.get_next_fire_time(None, last_utc)
        return max(now, due) if due else now

    def _on_error(self, event: JobExecutionEvent) -> None:
        log.error("job %s failed: %r", event.job_id, event.exception)

    # --- a store that cannot be written ------------------------------------------------------
    def store_ready(self) -> bool:
        """False while pausing; when a pause ends, a real write probe decides."""
        if not self.backoff.failing:
            return True
        if not self.backoff.ready():
            return False
        reason = health.check(self.store, self.settings.store.data_dir).reason
        if reason is not None:
            self.backoff.failed(reason)
            return False
        self.backoff.recovered()
        self.worker.release_own_claims()  # the batch that could not be saved: claim it again
        return True

    def _store_failed(self, exc: BaseException) -> bool:
        """True (and pause) when ``exc`` means the store cannot be written."""
        reason = health.describe_failure(exc, self.settings.store.data_dir)
        if reason is None:
            return False
        self.backoff.failed(reason)
        return True

    def _retry_later(self, name: str, job: Callable[[], str | None]) -> None:
        if self.stopping.is_set():
            return
        wait = max(1.0, self.backoff.until - self.backoff.clock())
        with suppress(SchedulerNotRunningError):
            self.scheduler.add_job(self.recorded, "date", args=[name, job], id=f"retry:{name}",
                                   run_date=datetime.now(UTC) + timedelta(seconds=wait),
                                   replace_existing=True)

    # --- jobs --------------------------------------------------------------------------------
    def recorded(self, name: str, job: Callable[[], str | None]) -> None:
        """Run ``job`` and record its run in the store; a failure is logged, never raised."""
        if self.stopping.is_set():
            return
        if not self.store_ready():
            self._retry_later(name, job)
            return
        with self._job():
            try:
                self._recorded(name, job)
            except Exception as exc:
                if not self._store_failed(exc):
                    raise
                self._retry_later(name, job)

    def _recorded(self, name: str, job: Callable[[], str | None]) -> None:
        with self.store.session() as session:
            run_id = progress.start_run(session, name, self.worker.name)
        status, detail = "ok", None
        try:
            detail = job()
        except Exception as exc:
            if health.describe_failure(exc, self.settings.store.data_dir) is not None:
                raise  # not the job's fault: recorded() pauses and runs it again
            log.exception("job %s failed", name)
            status, detail = "failed", f"{type(exc).__name__}: {exc}"
        with self.store.session() as session:
            progress.finish_run(session, run_id, status, detail)

    def crawl_mount(self, name: str) -> None:
        self.recorded(f"crawl:{name}", lambda: self._crawl(name))

    def _crawl(self, name: str) -> str | None:
        lease = f"crawl:{name}"
        ttl = 3600.0
        with self.store.session() as session:
            if not leases.acquire(session, lease, self.worker.name, ttl):
                return "skipped: another node is crawling this mount"
        try:
            refs = sync_accounts(self.settings, self.store)
            result = crawl(self.store, refs[name], self.worker.stage_names(),
                           source_for(self.settings.mount(name)))
            requeued = self.worker.reconcile(refs[name].id)
        finally:
            with self.store.session() as session:
                leases.release(session, lease, self.worker.name)
        self.kick()
        return (f"{result.seen} files: {result.new} new, {result.changed} changed, "
                f"{result.moved} moved, {result.deleted} deleted; {requeued} re-queued")

    @contextmanager
    def _job(self) -> Iterator[None]:
        with self._idle:
            self._running += 1
        try:
            yield
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def kick(self) -> None:
        """Run ``process`` now (it is skipped if it is already running)."""
        if self.stopping.is_set():
            return
        job = self.scheduler.get_job("process")
        if job is not None:
            job.modify(next_run_time=datetime.now(UTC))

    def may_start_batch(self) -> bool:
        return not self.stopping.is_set() and in_window(self.settings.jobs.window)

    def process(self) -> None:
        if self.stopping.is_set() or not self.store_ready():
            return
        with self._job():
            self._process()

    def _process(self) -> None:
        threads = max(1, self.settings.jobs.workers)
        if threads == 1:
            self._drain()
            return
        pool = [threading.Thread(target=self._drain, name=f"process-{i}") for i in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()

    def _drain(self) -> Any:
        try:
            counters = self.worker.drain(
                should_stop=lambda: not self.may_start_batch() or self.backoff.failing)
        except Exception as exc:
            if not self._store_failed(exc):
                raise
            return None
        self.schedule_clustering()
        self.schedule_duplicates()
        return counters

    def schedule_clustering(self) -> None:
        """After new faces, update the owners' persons once things are quiet (debounced: the
        first new faces start the countdown; later ones join the same run)."""
        if self.stopping.is_set():
            return  # start() schedules every user's clustering, so nothing is lost
        changed, self.worker.faces_changed = self.worker.faces_changed, set()
        if not changed:
            return
        with self.store.reading() as session:
            users = set(accounts.person_owner_names(session, sorted(changed)))
        self._schedule_clustering(users)

    def _schedule_clustering(self, users: set[str]) -> None:
        when = datetime.now(UTC) + timedelta(seconds=self.settings.persons.debounce)
        for user in sorted(users):
            job_id = f"cluster:{user}"
            if self.scheduler.get_job(job_id) is None:
                self.scheduler.add_job(self.cluster_user, "date", run_date=when, args=[user],
                                       id=job_id)

    def schedule_duplicates(self) -> None:
        """After photos were hashed, regroup their owners' near-duplicates once things are
        quiet (debounced like clustering: later photos join the pending run)."""
        if self.stopping.is_set():
            return
        changed, self.worker.hashes_changed = self.worker.hashes_changed, set()
        if changed:
            self._schedule_duplicates(changed)

    def _schedule_duplicates(self, mounts: set[int] | None) -> None:
        job = self.scheduler.get_job("duplicates")
        if job is not None:  # a pending run: it takes these mounts too
            pending = job.args[0]
            job.modify(args=[None if pending is None or mounts is None else pending | mounts])
            return
        when = datetime.now(UTC) + timedelta(seconds=self.settings.duplicates.debounce)
        self.scheduler.add_job(self.find_duplicates, "date", run_date=when, args=[mounts],
                               id="duplicates")

    def find_duplicates(self, mounts: set[int] | None) -> None:
        from recognize.jobs.duplicates import find_duplicates

        def run() -> str:
            s = find_duplicates(self.settings, self.store,
                                None if mounts is None else sorted(mounts))
            return f"{s.groups} groups ({s.grouped} photos) of {s.photos} hashed, {s.users} users"

        self.recorded("duplicates", run)

    def cluster_user(self, user: str) -> None:
        from recognize.jobs.persons import cluster_user

        def run() -> str:
            summary = cluster_user(self.settings, self.store, user, holder=self.worker.name)
            return (f"{summary.faces} faces, {summary.persons} persons, {summary.created} new, "
                    f"{summary.changed} changed{' (full)' if summary.full else ''}")

        self.recorded(f"cluster:{user}", run)
