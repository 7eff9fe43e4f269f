"""Work through the queue in batches: claim, decode once, run the stages, commit per batch."""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path

from recognize.config import Settings
from recognize.errors import MediaError, StorageError
from recognize.jobs.sources import Source, source_for
from recognize.jobs.stages import PhotoWork, Stage, pipeline
from recognize.log import get_logger
from recognize.media import ExifReader, Geocoder, MediaOptions, process
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


def media_options(settings: Settings) -> MediaOptions:
    m = settings.media
    return MediaOptions(
        analysis_size=m.analysis_size,
        max_pixels=m.max_pixels,
        thumbnail_sizes=tuple(m.thumbnail_sizes),
        thumbnail_quality=m.thumbnail_quality,
        geocode_max_km=m.geocode_max_km,
    )


def thumbnail_path(data_dir: Path, size: int, photo_id: int) -> Path:
    return data_dir / "thumbs" / str(size) / f"{photo_id % 256:02x}" / f"{photo_id}.jpg"


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
    """Shared, long-lived resources (one exiftool process, the geocoder) and the batch loop."""

    def __init__(self, settings: Settings, store: Store, stages: Sequence[Stage] | None = None):
        self.settings = settings
        self.store = store
        if stages is None:
            from recognize.jobs.recognition import enabled_stages

            stages = pipeline(enabled_stages(settings))
        self.stages = list(stages)
        self.by_name = {s.name: s for s in self.stages}
        self.options = media_options(settings)
        self.exif = ExifReader()
        self.geocoder = Geocoder()
        self.name = worker_name()
        self.counters = Counters()
        self._local = threading.local()
        self._sources: dict[str, Source] = {}
        self.faces_changed: set[int] = set()  # mounts whose faces changed: persons to update
        self.hashes_changed: set[int] = set()  # mounts with newly hashed photos: duplicates

    def close(self) -> None:
        self.exif.close()
        executor = getattr(self._local, "executor", None)
        if executor is not None:
            executor.shutdown(wait=False)

    def stage_names(self) -> list[str]:
        return [s.name for s in self.stages]

    def reconcile(self, mount_id: int) -> int:
        """Queue the stages whose version changed (or that were enabled) for indexed photos."""
        with self.store.session() as session:
            return sum(
                photo_store.enqueue_outdated(session, mount_id, s.name, s.version)
                for s in self.stages
                if s.name != "media"
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
            works = [PhotoWork(c.photo_id, c.mount_id, c.location, c.path, c.stages)
                     for c in batch]
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

    def run_photo(self, work: PhotoWork) -> None:
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
            log.warning("photo %s timed out after %s s", work.path, timeout)

    def compute_photo(self, work: PhotoWork) -> None:
        """Decode once and compute every claimed stage; failures are kept on ``work``."""
        try:
            if "media" in work.stages or any(
                self.by_name[s].needs_pixels for s in work.stages if s in self.by_name
            ):
                with self.source(work.location).local(work.path) as path:
                    work.media = process(
                        path, self.options, self.exif, self.geocoder, self._thumbs(work)
                    )
            for name in work.stages:
                stage = self.by_name.get(name)
                if stage is not None:
                    work.outputs[name] = stage.compute(self, work)
        except StorageError:
            raise  # the data directory is full or read-only: no fault of the photo's
        except MediaError as exc:
            work.error, work.permanent = exc.reason, True
        except Exception as exc:  # a bug or a transient failure: retried, never fatal
            log.exception("photo %s failed", work.path)
            work.error = f"{type(exc).__name__}: {exc}"

    def source(self, location: str) -> Source:
        """The source of the mount at ``location`` (sources are made once per mount)."""
        if location not in self._sources:
            mount = next((m for m in self.settings.mounts if m.path == location), None)
            if mount is None:
                raise MediaError(f"the mount at {location} is no longer configured")
            self._sources[location] = source_for(mount)
        return self._sources[location]

    def _thumbs(self, work: PhotoWork) -> dict[int, Path]:
        data_dir = self.settings.store.data_dir
        return {s: thumbnail_path(data_dir, s, work.photo_id) for s in self.options.thumbnail_sizes}

    def save(self, works: list[PhotoWork]) -> None:
        jobs = self.settings.jobs
        decoded = sum(1 for w in works if w.media is not None and w.media.pixels is not None)
        failed = 0
        with self.store.session() as session:
            for work in works:
                if work.error is not None:
                    failed += queue_store.fail(
                        session,
                        work.photo_id,
                        work.stages,
                        work.error,
                        max_attempts=jobs.max_attempts,
                        backoff_seconds=jobs.retry_backoff,
                        permanent=work.permanent,
                    )
                    continue
                done = [n for n in work.stages if n in work.outputs]
                if "faces" in done:
                    self.faces_changed.add(work.mount_id)
                if "media" in done:
                    self.hashes_changed.add(work.mount_id)
                for name in done:
                    stage = self.by_name[name]
                    stage.save(session, work, work.outputs[name])
                    photo_store.record_stage(session, work.photo_id, name, stage.version)
                queue_store.finish(session, work.photo_id, work.stages, self.name)
        for work in works:  # after the commit: what really was saved
            log.debug("%s photo %d (%s)", "failed" if work.error else "saved", work.photo_id,
                      ",".join(work.stages))
        self.counters.add(len(works), decoded, failed)
