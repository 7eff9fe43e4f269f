"""A minimal ``exiftool -stay_open`` client that notices a dead or hung process.

pyexiftool 0.5.6 loops forever at full CPU when exiftool dies mid-command (it keeps
reading an empty pipe), so the media layer talks to exiftool through this instead.
"""

from __future__ import annotations

import itertools
import os
import select
import subprocess
import time

from recognize.errors import MediaError


class ExifToolProcess:
    """One running ``exiftool -stay_open True -@ -`` process (not thread-safe by itself)."""

    _ids = itertools.count(1)

    def __init__(self, executable: str, common_args: list[str]) -> None:
        self._proc = subprocess.Popen(
            [executable, "-stay_open", "True", "-@", "-", "-common_args", *common_args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
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
