"""Work through the queue in batches: claim, run each photo's stages, commit per batch."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

from recognize.config import Settings
from recognize.errors import MediaError, StorageError
from recognize.jobs.stages import Stage, Work, build_stages, plan, stage_names
from recognize.log import get_logger
from recognize.store import Store
from recognize.store import photos as photo_store
from recognize.store import queue as queue_store

log = get_logger(__name__)
HOST = socket.gethostname()


def worker_name() -> str:
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def is_dead(holder: str) -> bool:
    """A claim holder on this host whose process is gone is dead; others we cannot tell."""
    parts = holder.split(":")
    if len(parts) < 3 or parts[0] != HOST or not parts[1].isdigit():
        return False
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass
class Counters:
    photos: int = 0
    decoded: int = 0
    failed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, photos: int, decoded: int, failed: int) -> None:
        with self.lock:
            self.photos += photos
            self.decoded += decoded
            self.failed += failed


class Worker:
    """The stages (built once: they hold the models, one exiftool process, the geocoder)
    and the batch loop."""

    def __init__(self, settings: Settings, store: Store, stages: Sequence[Stage] | None = None):
        self.settings = settings
        self.store = store
        # the stages (their imports: numpy, libvips, OpenVINO) are built in a thread of their
        # own, so the first crawl runs meanwhile; ``ready()`` waits and raises a build error
        self._stages: Future[list[Stage]] = Future()
        if stages is None:
            self._names = stage_names(settings)
            threading.Thread(target=self._build, name="stages", daemon=True).start()
        else:
            self._names = [s.name for s in stages]
            self._stages.set_result(list(stages))
        self.name = worker_name()
        self.counters = Counters()
        self._local = threading.local()
        self.faces_changed: set[int] = set()  # mounts whose faces changed: persons to update
        self.hashes_changed: set[int] = set()  # mounts with newly hashed photos: duplicates

    def _build(self) -> None:
        try:
            self._stages.set_result(build_stages(self.settings))
        except BaseException as exc:  # handed to whoever waits for the stages
            self._stages.set_exception(exc)

    def ready(self) -> list[Stage]:
        """The built stages, once built (a build error is raised here)."""
        return self._stages.result()

    @property
    def stages(self) -> list[Stage]:
        return self.ready()

    def close(self) -> None:
        if self._stages.exception() is None:  # waits for a build still in progress
            for stage in self._stages.result():
                stage.close()
        executor = getattr(self._local, "executor", None)
        if executor is not None:
            executor.shutdown(wait=False)

    def stage_names(self) -> list[str]:
        """The stages' names, known before they are built."""
        return list(self._names)

    def reconcile(self, mount_id: int) -> int:
        """Queue the stages whose version changed (or that were enabled) for indexed photos."""
        with self.store.session() as session:
            return sum(
                photo_store.enqueue_outdated(session, mount_id, s.name, s.version)
                for s in self.stages
            )

    def release_dead_claims(self) -> int:
        with self.store.session() as session:
            return queue_store.release(session, is_dead)

    def release_own_claims(self) -> int:
        """Free this worker's claims (a batch it could not save, the store being full)."""
        with self.store.session() as session:
            return queue_store.release(session, lambda holder: holder == self.name)

    def drain(
        self,
        mount_ids: Sequence[int] | None = None,
        *,
        on_photo: Callable[[int], None] | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> Counters:
        """Process batches until the queue (of these mounts) has nothing due."""
        jobs = self.settings.jobs
        while not should_stop():
            t_claim = time.perf_counter()
            with self.store.session() as session:
                batch = queue_store.claim(
                    session,
                    self.name,
                    limit=jobs.batch_size,
                    lease_seconds=jobs.photo_timeout * jobs.batch_size,
                    mount_ids=mount_ids,
                )
            if not batch:
                break
            works = [Work(claim) for claim in batch]
            t_work = time.perf_counter()
            for work in works:
                self.run_photo(work)
                if on_photo:
                    on_photo(1)
            t_save = time.perf_counter()
            self.save(works)
            log.debug("batch of %d: claim %.3f s, work %.3f s, save %.3f s", len(works),
                      t_work - t_claim, t_save - t_work, time.perf_counter() - t_save)
        return self.counters

    def run_photo(self, work: Work) -> None:
        """Run the stages of one photo under the per-photo timeout."""
        timeout = self.settings.jobs.photo_timeout
        executor = getattr(self._local, "executor", None)
        if executor is None:
            executor = self._local.executor = ThreadPoolExecutor(1, thread_name_prefix="photo")
        future = executor.submit(self.compute_photo, work)
        try:
            future.result(timeout=timeout)
        except FutureTimeout:
            # the stuck thread cannot be killed; leave it behind and use a fresh one
            executor.shutdown(wait=False, cancel_futures=True)
            self._local.executor = None
            work.error, work.permanent = f"timed out after {timeout} s", False
            log.warning("photo %s timed out after %s s", work.claim.path, timeout)

    def compute_photo(self, work: Work) -> None:
        """Compute every claimed stage (and what they need); failures are kept on ``work``."""
        try:
            for stage in plan(self.stages, work.claim.stages):
                work.outputs[stage.name] = stage.compute(work)
        except StorageError:
            raise  # the data directory is full or read-only: no fault of the photo's
        except MediaError as exc:
            work.error, work.permanent = exc.reason, True
        except Exception as exc:  # a bug or a transient failure: retried, never fatal
            log.exception("photo %s failed", work.claim.path)
            work.error = f"{type(exc).__name__}: {exc}"
        finally:
            # no stage saves pixels: a batch keeps one decode at a time, not batch_size
            media = work.outputs.get("media")
            if media is not None:
                media.pixels = None

    def save(self, works: list[Work]) -> None:
        jobs = self.settings.jobs
        failed = 0
        with self.store.session() as session:
            for work in works:
                claim = work.claim
                if work.error is not None:
                    failed += queue_store.fail(
                        session,
                        claim.photo_id,
                        claim.stages,
                        work.error,
                        max_attempts=jobs.max_attempts,
                        backoff_seconds=jobs.retry_backoff,
                        permanent=work.permanent,
                    )
                    continue
                for stage in self.stages:
                    if stage.name not in claim.stages or stage.name not in work.outputs:
                        continue  # computed only because a claimed stage needs it
                    if stage.changes_faces:
                        self.faces_changed.add(claim.mount_id)
                    if stage.changes_hashes:
                        self.hashes_changed.add(claim.mount_id)
                    stage.save(session, work, work.outputs[stage.name])
                    photo_store.record_stage(session, claim.photo_id, stage.name, stage.version)
                queue_store.finish(session, claim.photo_id, claim.stages, self.name)
        for work in works:  # after the commit: what really was saved
            log.debug("%s photo %d (%s)", "failed" if work.error else "saved",
                      work.claim.photo_id, ",".join(work.claim.stages))
        self.counters.add(len(works), sum(w.decoded for w in works), failed)
