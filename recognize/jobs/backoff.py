"""Wait while the store cannot be written: exponential, capped, logged once per change.

The cascade asks :meth:`StoreBackoff.ready` before starting work; a failure to write
(:func:`recognize.store.health.describe_failure` names it) calls :meth:`failed`, and the
next successful write probe calls :meth:`recovered`. One line is logged when the store
stops taking writes and one when it takes them again (the attempts between are DEBUG):
never a traceback a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from recognize.log import get_logger

log = get_logger(__name__)


class StoreBackoff:
    def __init__(self, first_s: float = 1.0, cap_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.first_s = first_s
        self.cap_s = cap_s
        self.clock = clock
        self.reason: str | None = None  # None while the store takes writes
        self.failures = 0
        self.since = 0.0
        self.until = 0.0
        self._lock = threading.Lock()

    @property
    def failing(self) -> bool:
        return self.reason is not None

    def ready(self) -> bool:
        """May work (or a recovery probe) start now?"""
        return self.clock() >= self.until

    def delay(self) -> float:
        return min(self.cap_s, self.first_s * 2 ** max(0, self.failures - 1))

    def failed(self, reason: str) -> float:
        """Record a failure to write; returns the seconds until the next attempt."""
        with self._lock:
            now = self.clock()
            started = self.reason is None
            if started:
                self.since = now
            self.failures += 1
            self.reason = reason
            wait = self.delay()
            self.until = now + wait
        if started:
            log.error("the store cannot be written: %s; background work paused, retrying "
                      "with growing pauses (up to %.0f s)", reason, self.cap_s)
        else:
            log.debug("store still not writable (%s); next try in %.1f s", reason, wait)
        return wait

    def recovered(self) -> None:
        with self._lock:
            if self.reason is None:
                return
            down = self.clock() - self.since
            self.reason, self.failures, self.until = None, 0, 0.0
        log.warning("the store takes writes again after %.0f s: background work resumed", down)
