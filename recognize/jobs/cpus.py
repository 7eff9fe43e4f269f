"""One set of cores per worker process: ``recognize worker`` pins itself to CPUs that no other
worker on this host holds (``jobs.pin_cpus``).

A worker is a chain of threads that hand each photo on to one another (the photo thread,
libvips' workers, the exiftool process, the thread that saves the batch). Left to the
scheduler, two workers on two cores keep waking each other's threads on the busy core while
the other idles: measured with ``bench/cascade.py`` (two workers, 2 cores, one inference
thread each), 28 % of the machine idle and every photo thread runnable-but-waiting 20 % of
the time; pinned, the cores are busy 95-100 % of the time and the pair does 24.7 photos/s
instead of 16.2. Only a process without a web server is pinned: ``recognize serve`` answers
requests on every core.

Which CPUs: the first ``jobs.threads`` of the process's allowed CPUs whose lock file,
``<data_dir>/run/cpu-<host>-<n>.lock``, it can ``flock`` at once; the locks are held for the
process's life and vanish with it (a killed worker frees its cores). When too few are free
(more workers than cores), or ``jobs.threads`` is 0 (the runtime's own pools) or covers
every allowed CPU, the worker runs unpinned, as before. Threads and children started later
(exiftool) inherit the pin.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from pathlib import Path

from recognize.log import get_logger

log = get_logger(__name__)
_held: list[int] = []  # lock file descriptors, open for the life of the process


def allowed_cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return []


def claim_cpus(data_dir: Path, count: int) -> set[int] | None:
    """Lock ``count`` free CPUs of this host under ``data_dir``; None when it cannot."""
    allowed = allowed_cpus()
    if count <= 0 or count >= len(allowed):
        return None
    folder = Path(data_dir) / "run"
    host = socket.gethostname()
    taken: list[tuple[int, int]] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for cpu in allowed:
            fd = os.open(folder / f"cpu-{host}-{cpu}.lock", os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # another worker holds it
                os.close(fd)
                continue
            taken.append((cpu, fd))
            if len(taken) == count:
                break
    except OSError as exc:  # a read-only or full data directory: run unpinned
        log.info("not pinned to CPUs: %s", exc)
    if len(taken) < count:
        for _, fd in taken:
            os.close(fd)
        return None
    _held.extend(fd for _, fd in taken)
    return {cpu for cpu, _ in taken}


def pin(cpus: set[int]) -> None:
    """Every thread of this process (and what it starts later) on ``cpus``."""
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(ProcessLookupError, PermissionError):  # a thread that ended
            os.sched_setaffinity(int(tid), cpus)


def pin_worker(data_dir: Path, threads: int, enabled: bool = True) -> set[int] | None:
    """Pin a ``recognize worker`` process to ``threads`` free CPUs (see the module)."""
    if not enabled:
        return None
    cpus = claim_cpus(data_dir, threads)
    if cpus is None:
        log.info("running on every allowed CPU (none free to pin to, or jobs.threads covers them)")
        return None
    pin(cpus)
    log.info("pinned to CPU %s (jobs.pin_cpus)", ",".join(map(str, sorted(cpus))))
    return cpus
