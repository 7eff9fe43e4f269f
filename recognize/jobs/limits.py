"""Limits that really hold: CPU threads of every native pool, and the nice level."""

from __future__ import annotations

import os

from recognize.config import Settings
from recognize.log import get_logger

log = get_logger(__name__)
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VIPS_CONCURRENCY")


def apply_thread_limits(settings: Settings) -> None:
    """Cap native thread pools (BLAS, OpenMP, libvips) at ``jobs.threads``.

    Call before numpy, pyvips or OpenVINO are imported: the pools read these variables once.
    OpenVINO's own threads come from the models' runtime (``INFERENCE_NUM_THREADS``).
    """
    limit_malloc_arenas()
    threads = settings.jobs.threads
    if threads <= 0:
        return
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)
    try:
        import pyvips

        pyvips.concurrency_set(threads)
    except (ImportError, AttributeError, OSError):  # pyvips missing or too old: env var holds
        pass


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Fewer glibc malloc arenas: decoder threads otherwise fragment memory (RSS grows)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):  # not glibc
        pass


def apply_nice(settings: Settings) -> None:
    """Lower this process's CPU priority to ``jobs.nice`` (never raises it)."""
    wanted = settings.jobs.nice
    current = os.nice(0)
    if wanted > current:
        os.nice(wanted - current)
        log.info("nice level %d", wanted)
