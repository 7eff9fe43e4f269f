"""New files without waiting: a filesystem watcher (watchdog) for local mounts with ``watch``.

Events are collected and applied a moment after the last one for a path (a file being
written fires many), through the same functions that handle WebDAV uploads
(:mod:`recognize.jobs.notify`). The scheduled crawl stays the safety net: a missed event is
found there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from recognize.jobs import notify
from recognize.jobs.crawl import MARKERS
from recognize.log import get_logger
from recognize.store import Store
from recognize.store.accounts import MountRef

log = get_logger(__name__)
SETTLE_SECONDS = 2.0


def excluded(root: Path, rel: str) -> bool:
    """Hidden, or below a folder holding a .nomedia / .noimage marker."""
    parts = rel.split("/")
    if any(p.startswith(".") for p in parts):
        return True
    folder = root
    for part in parts[:-1]:
        if any((folder / m).exists() for m in MARKERS):
            return True
        folder = folder / part
    return any((folder / m).exists() for m in MARKERS)


class _Collector(FileSystemEventHandler):
    def __init__(self, watcher: MountWatcher, mount: MountRef, root: Path) -> None:
        self.watcher, self.mount, self.root = watcher, mount, root

    def _rel(self, path: str | bytes) -> str | None:
        text = path.decode() if isinstance(path, bytes) else path
        try:
            return Path(text).relative_to(self.root).as_posix()
        except ValueError:
            return None

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in ("created", "modified", "deleted", "moved", "closed"):
            return
        rel = self._rel(event.src_path)
        if rel is None or rel == ".":
            return
        if event.event_type == "moved":
            dest = self._rel(event.dest_path)
            if dest is not None:
                self.watcher.pending(self.mount, self.root, "moved", rel, dest)
            return
        kind = "deleted" if event.event_type == "deleted" else "added"
        self.watcher.pending(self.mount, self.root, kind, rel, None)


class MountWatcher:
    """Watches the given local mounts; ``on_change`` is called after work was queued."""

    def __init__(self, store: Store, mounts: Sequence[tuple[MountRef, Path]],
                 stages: Sequence[str], on_change: Callable[[], None] = lambda: None) -> None:
        self.store, self.stages, self.on_change = store, list(stages), on_change
        self.observer = Observer()
        self._pending: dict[tuple[int, str], tuple[float, MountRef, Path, str, str | None]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._flusher = threading.Thread(target=self._run, name="watch-flush", daemon=True)
        for mount, root in mounts:
            self.observer.schedule(_Collector(self, mount, root), str(root), recursive=True)

    def start(self) -> None:
        self.observer.start()
        self._flusher.start()

    def stop(self) -> None:
        self._stop.set()
        self.observer.stop()
        self.observer.join(timeout=10)
        self._flusher.join(timeout=10)

    def pending(self, mount: MountRef, root: Path, kind: str, rel: str, dest: str | None) -> None:
        with self._lock:
            self._pending[(mount.id, rel)] = (time.monotonic(), mount, root, kind, dest)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.flush(settled=SETTLE_SECONDS)

    def flush(self, settled: float = 0.0) -> int:
        """Apply the events whose path has been quiet for ``settled`` seconds."""
        now = time.monotonic()
        with self._lock:
            due = [(k, v) for k, v in self._pending.items() if now - v[0] >= settled]
            for key, _ in due:
                del self._pending[key]
        for (_, rel), (_, mount, root, kind, dest) in due:
            try:
                self._apply(mount, root, kind, rel, dest)
            except Exception:  # never let one event stop the watcher
                log.exception("watch: cannot apply %s of %s in %s", kind, rel, mount.name)
        if due:
            self.on_change()
        return len(due)

    def _apply(self, mount: MountRef, root: Path, kind: str, rel: str, dest: str | None) -> None:
        if kind == "moved" and dest is not None:
            if excluded(root, dest):
                notify.removed(self.store, mount.id, rel)
            else:
                notify.moved(self.store, mount.id, rel, dest, root, self.stages)
        elif kind == "deleted" or not (root / rel).exists():
            notify.removed(self.store, mount.id, rel)
        elif not excluded(root, rel):
            notify.added(self.store, mount.id, root, rel, self.stages)
