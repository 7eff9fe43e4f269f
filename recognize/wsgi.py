"""The one WSGI application (Flask API; WebDAV joins under /dav) and the server that runs it."""

from __future__ import annotations

import signal
import threading
from typing import Any

from recognize.config import Settings
from recognize.log import get_logger
from recognize.store import Store

log = get_logger(__name__)


def make_app(settings: Settings, store: Store) -> Any:
    """Flask at ``/`` (API under /api/v1), WebDAV under ``/dav``; OPTIONS/PROPFIND at ``/``."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from recognize.api import create_app
    from recognize.dav import MOUNT_PATH, host_root, make_dav_app

    flask_app = create_app(settings, store, settings.source_file)
    dav = make_dav_app(settings, store)
    return host_root(DispatcherMiddleware(flask_app, {MOUNT_PATH: dav}), dav)


def serve(settings: Settings) -> int:
    from cheroot import wsgi

    from recognize.jobs.limits import apply_thread_limits
    from recognize.jobs.scan import open_store

    if settings.server.worker:
        apply_thread_limits(settings)
    store = open_store(settings)
    app = make_app(settings, store)
    host, port = settings.server.host, settings.server.port
    server = wsgi.Server((host, port), app, numthreads=settings.server.threads)
    cascade = None
    if settings.server.worker:
        from recognize.jobs.cascade import Cascade

        cascade = Cascade(settings, store)
        cascade.start()

    def _stop(_signum: int, _frame: Any) -> None:
        # stopping joins the server's threads: never from the signal handler's own frame
        threading.Thread(target=server.stop, name="stop", daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"recognize serving on http://{host}:{port}/  (API: /api/v1, health: /api/v1/health)",
          flush=True)
    try:
        server.start()
    finally:
        if cascade is not None:
            cascade.stop()
        store.close()
    return 0


def run_worker(settings: Settings) -> int:
    """Only the scheduler and workers, no HTTP: for extra machines sharing the store."""
    from recognize.jobs.limits import apply_nice, apply_thread_limits

    apply_thread_limits(settings)
    apply_nice(settings)
    from recognize.jobs.cascade import Cascade
    from recognize.jobs.scan import open_store

    store = open_store(settings)
    cascade = Cascade(settings, store)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    cascade.start()
    print(f"recognize worker {cascade.worker.name} running; stop with SIGTERM", flush=True)
    try:
        stop.wait()
    finally:
        cascade.stop()
        store.close()
    return 0
