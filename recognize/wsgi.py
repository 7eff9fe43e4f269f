"""The one WSGI application (Flask API; WebDAV joins under /dav) and the server that runs it."""

from __future__ import annotations

import errno
import os
import re
import signal
import socket
import threading
from typing import Any

from recognize.config import Settings
from recognize.errors import ServerError
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
    from recognize.jobs.limits import apply_thread_limits
    from recognize.store.health import require_data_dir
    from recognize.store.opening import open_store

    if settings.server.worker:
        apply_thread_limits(settings)
    # before any work: a taken port fails in a second, not after migrations and model loads.
    # The port is held (bound, not listening: clients are refused, not left waiting) until
    # the server listens on it.
    held = reserve_port(settings.server.host, settings.server.port)
    cascade = None
    store: Store | None = None
    try:
        require_data_dir(settings.store.data_dir)
        store = open_store(settings)
        if settings.server.worker:
            from recognize.jobs.cascade import Cascade

            cascade = Cascade(settings, store)  # its stages are built while the app is made
        app = make_app(settings, store)
        if cascade is not None:
            cascade.start()
            cascade.worker.ready()  # a stage that cannot be built stops the start
        server = listen(settings, app)
    except BaseException:
        if cascade is not None:
            cascade.stop()
        if store is not None:
            store.close()
        raise
    finally:
        held.close()

    def _stop(_signum: int, _frame: Any) -> None:
        # stopping joins the server's threads: never from the signal handler's own frame
        threading.Thread(target=server.stop, name="stop", daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    host, port = settings.server.host, settings.server.port
    print(f"recognize serving on http://{host}:{port}/  (API: /api/v1, health: /api/v1/health)",
          flush=True)
    try:
        server.serve()
    finally:
        if cascade is not None:
            cascade.stop()
        store.close()
    return 0


def reserve_port(host: str, port: int) -> socket.socket:
    """Bind (do not listen on) host:port, so that a port in use is found at once; ServerError
    with a one-line reason if it is. cheroot binds it again beside this (SO_REUSEADDR)."""
    error: OSError | None = None
    try:
        infos = socket.getaddrinfo(host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0,
                                   socket.AI_PASSIVE)
    except OSError as exc:
        raise ServerError(f"cannot listen on {host}:{port}: {_listen_reason(exc)}") from None
    for family, kind, proto, _name, address in infos:  # in cheroot's order
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as cheroot does
            sock.bind(address)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    reason = _listen_reason(error) if error else "no address"
    raise ServerError(f"cannot listen on {host}:{port}: {reason}")


def listen(settings: Settings, app: Any) -> Any:
    """A cheroot server bound to server.host:port and listening; ServerError if it cannot."""
    from cheroot import wsgi

    host, port = settings.server.host, settings.server.port
    server = wsgi.Server((host, port), app, numthreads=settings.server.threads)
    try:
        server.prepare()
    except OSError as exc:  # e.g. another server started meanwhile
        code = re.search(r"\[Errno (\d+)\]", str(exc))  # cheroot keeps it only in the text
        cause = OSError(int(code[1]), os.strerror(int(code[1]))) if code else exc
        raise ServerError(f"cannot listen on {host}:{port}: {_listen_reason(cause)}") from None
    return server


def _listen_reason(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return ("address already in use (another program listens there: stop it, or choose "
                "another server.port or --port)")
    if exc.errno == errno.EACCES:
        return "permission denied (ports below 1024 need privileges: choose server.port >= 1024)"
    if exc.errno == errno.EADDRNOTAVAIL:
        return "address not available (server.host is not an address of this machine)"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror}; check server.host)"
    return (exc.strerror or str(exc)).lower()


def run_worker(settings: Settings) -> int:
    """Only the scheduler and workers, no HTTP: for extra machines sharing the store."""
    from recognize.jobs.cpus import pin_worker
    from recognize.jobs.limits import apply_nice, apply_thread_limits
    from recognize.store.health import require_data_dir

    apply_thread_limits(settings)
    apply_nice(settings)
    require_data_dir(settings.store.data_dir)
    # before any thread starts: they, libvips' workers and exiftool inherit the pin
    pin_worker(settings.store.data_dir, settings.jobs.threads, settings.jobs.pin_cpus)
    from recognize.jobs.cascade import Cascade
    from recognize.store.opening import open_store

    store = open_store(settings)
    cascade = Cascade(settings, store)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        cascade.start()  # the first crawl runs while the stages are being built
        cascade.worker.ready()  # a stage that cannot be built stops the start
    except BaseException:
        cascade.stop()
        store.close()
        raise
    print(f"recognize worker {cascade.worker.name} running; stop with SIGTERM", flush=True)
    try:
        stop.wait()
    finally:
        cascade.stop()
        store.close()
    return 0
