"""A minimal ``exiftool -stay_open`` client that notices a dead or hung process.

pyexiftool 0.5.6 loops forever at full CPU when exiftool dies mid-command (it keeps
reading an empty pipe), so the media layer talks to exiftool through this instead.

exiftool ``-stay_open`` does not exit when its stdin closes, so a killed recognize would
leave it running. On Linux it is started with ``PR_SET_PDEATHSIG``: the kernel kills it
when its parent goes. The kernel's "parent" is the *thread* that forked, so every exiftool
is forked by one thread that lives as long as the process (not by a short-lived job or
photo thread, whose end would kill a healthy exiftool).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import itertools
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from recognize.errors import MediaError


class ExifToolProcess:
    """One running ``exiftool -stay_open True -@ -`` process (not thread-safe by itself)."""

    _ids = itertools.count(1)

    def __init__(self, executable: str, common_args: list[str]) -> None:
        self._proc = spawn(
            [executable, "-stay_open", "True", "-@", "-", "-common_args", *common_args]
        )

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    def execute(self, args: list[str], timeout_s: float) -> tuple[bytes, bytes]:
        """Run one command; return (stdout, stderr). MediaError if it dies or times out."""
        if any("\n" in a for a in args):
            raise MediaError("file name contains a newline (not supported by exiftool)")
        n = next(self._ids)
        command = "\n".join([*args, f"-echo4\n{{post{n}}}", f"-execute{n}", ""])
        assert self._proc.stdin is not None
        try:
            self._proc.stdin.write(os.fsencode(command))
            self._proc.stdin.flush()
        except OSError as err:
            raise MediaError(f"exiftool is not running ({err})") from err
        return self._collect(f"{{ready{n}}}".encode(), f"{{post{n}}}".encode(), timeout_s)

    def _collect(self, ready: bytes, post: bytes, timeout_s: float) -> tuple[bytes, bytes]:
        assert self._proc.stdout is not None and self._proc.stderr is not None
        fds = {self._proc.stdout.fileno(): bytearray(), self._proc.stderr.fileno(): bytearray()}
        out_fd, err_fd = self._proc.stdout.fileno(), self._proc.stderr.fileno()
        deadline = time.monotonic() + timeout_s
        while not (_ends(fds[out_fd], ready) and _ends(fds[err_fd], post)):
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise MediaError(f"exiftool timed out after {timeout_s:.0f} s")
            readable, _, _ = select.select(list(fds), [], [], left)
            for fd in readable:
                chunk = os.read(fd, 65536)
                if not chunk:
                    self.kill()
                    raise MediaError("exiftool exited unexpectedly")
                fds[fd] += chunk
        out = bytes(fds[out_fd]).rstrip()[: -len(ready)]
        err = bytes(fds[err_fd]).rstrip()[: -len(post)]
        return out, err

    def kill(self) -> None:
        if self.running:
            self._proc.kill()
        self._proc.wait(timeout=5)
        for pipe in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if pipe is not None:
                pipe.close()

    def close(self) -> None:
        """Ask exiftool to exit; kill it if it does not within a few seconds."""
        if self.running:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write(b"-stay_open\nFalse\n")
                self._proc.stdin.flush()
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()


def _ends(buffer: bytearray, marker: bytes) -> bool:
    return bytes(buffer[-len(marker) - 8 :]).rstrip().endswith(marker)


# --- exiftool dies with its parent -----------------------------------------------------------
PR_SET_PDEATHSIG = 1
_prctl: Any = None
if sys.platform.startswith("linux"):
    try:
        _prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):  # pragma: no cover - no usable libc
        _prctl = None
_spawns: queue.SimpleQueue[tuple[list[str], Future[subprocess.Popen[bytes]]]] = queue.SimpleQueue()
_spawner_lock = threading.Lock()
_spawner: threading.Thread | None = None


def _die_with_parent(parent: int) -> Callable[[], None]:
    def preexec() -> None:  # runs in the child between fork and exec: keep it tiny
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return preexec


def _popen(argv: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent(os.getpid()) if _prctl is not None else None,
    )


def _serve_spawns() -> None:
    while True:
        argv, result = _spawns.get()
        try:
            result.set_result(_popen(argv))
        except BaseException as exc:  # handed to the caller
            result.set_exception(exc)


def spawn(argv: list[str]) -> subprocess.Popen[bytes]:
    """Start ``argv`` with pipes; on Linux it is killed when this process dies."""
    if _prctl is None or threading.current_thread() is threading.main_thread():
        return _popen(argv)
    global _spawner
    with _spawner_lock:
        if _spawner is None or not _spawner.is_alive():
            _spawner = threading.Thread(target=_serve_spawns, name="exiftool-spawner",
                                        daemon=True)
            _spawner.start()
    result: Future[subprocess.Popen[bytes]] = Future()
    _spawns.put((argv, result))
    return result.result(timeout=60)
