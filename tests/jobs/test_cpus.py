"""`recognize worker` processes on one host take a CPU each (jobs.pin_cpus): real worker
processes over one data directory, their CPUs read from /proc. One more worker than CPUs
runs unpinned; a killed worker's CPU goes to the next one; `pin_cpus = false` never pins."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from recognize.passwords import hash_password
from tests.conftest import write_config

pytestmark = pytest.mark.slow  # real worker processes

ALLOWED = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
if len(ALLOWED) < 2:
    pytest.skip("pinning needs at least 2 allowed CPUs", allow_module_level=True)


def _start(config: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-m", "recognize.cli", "--config", str(config),
                             "worker"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    assert proc.stdout is not None
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 1)
        if ready and "running" in proc.stdout.readline():
            return proc
        assert proc.poll() is None, "the worker exited"
    raise AssertionError("the worker did not start in 90 s")


def _cpus(proc: subprocess.Popen[str]) -> list[int]:
    """The CPUs every thread of the process may run on (their union)."""
    found: set[int] = set()
    for tid in os.listdir(f"/proc/{proc.pid}/task"):
        with contextlib.suppress(ProcessLookupError):  # a thread that just ended
            found |= os.sched_getaffinity(int(tid))
    return sorted(found)


def _stop(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=60)


def _config(tmp_path: Path, **jobs: object) -> Path:
    empty = tmp_path / "photos"
    empty.mkdir()
    return write_config(tmp_path, {"photos": empty}, hash_password("pw"), jobs=dict(jobs))


def test_each_worker_takes_a_cpu_of_its_own_and_frees_it_when_killed(tmp_path: Path) -> None:
    config = _config(tmp_path)
    procs: list[subprocess.Popen[str]] = []
    try:
        for _ in ALLOWED:
            procs.append(_start(config))
        pinned = [_cpus(p) for p in procs]
        assert all(len(c) == 1 for c in pinned), pinned
        assert sorted(c[0] for c in pinned) == ALLOWED  # one each, none shared
        extra = _start(config)  # more workers than CPUs: the last runs anywhere
        procs.append(extra)
        assert _cpus(extra) == ALLOWED
        killed = procs.pop(0)
        killed.kill()
        killed.wait(timeout=30)
        procs.append(_start(config))  # the killed worker's lock went with it
        assert _cpus(procs[-1]) == pinned[0]
    finally:
        _stop(procs)


def test_pin_cpus_false_never_pins(tmp_path: Path) -> None:
    proc = _start(_config(tmp_path, pin_cpus=False))
    try:
        assert _cpus(proc) == ALLOWED
    finally:
        _stop([proc])
