"""PUT into a writable mount without ever half-writing a file.

The body goes to a hidden temporary file in the target's own folder
(``.recognize-upload-<random>.part``: hidden, so the crawl, the watcher and the store's
notifications skip it, and never listed or served over WebDAV). Only when the whole body
arrived (as many bytes as Content-Length declared; for a chunked body, its last chunk) is
the file flushed, fsynced and renamed over the target with ``os.replace``, then the folder
fsynced. An incomplete or failed upload removes its temporary file; the original, or the
absence of a file, stays as it was. A server killed mid-body leaves at most that hidden
temporary file behind, which nothing indexes; it may be deleted at any time.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from typing import Any

from wsgidav.dav_error import HTTP_BAD_REQUEST, HTTP_INSUFFICIENT_STORAGE, DAVError

from recognize.log import get_logger

log = get_logger(__name__)
TEMP_PREFIX = ".recognize-upload-"
TEMP_SUFFIX = ".part"


def is_temp(name: str) -> bool:
    """Is ``name`` one of our upload temporaries (never listed, served or created by name)?"""
    return name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)


def declared_length(environ: dict[str, Any]) -> int | None:
    raw = str(environ.get("CONTENT_LENGTH") or "").strip()
    if "chunked" in str(environ.get("HTTP_TRANSFER_ENCODING", "")).lower():
        return None
    return int(raw) if raw.isdigit() else 0


class AtomicUpload:
    """A file-like sink for wsgidav's PUT: ``write`` the body, ``close`` commits it."""

    def __init__(self, target: str, expected: int | None) -> None:
        self.target = os.path.realpath(target)  # a symlinked original is replaced, not its link
        self.folder = os.path.dirname(self.target)
        self.expected = expected
        self.size = 0
        self.done = False
        try:
            mode = stat.S_IMODE(os.stat(self.target).st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        fd, self.temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=self.folder)
        try:
            os.fchmod(fd, mode)
            self.file = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            os.unlink(self.temp)
            raise

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.expected is not None and self.size > self.expected:
            raise DAVError(HTTP_BAD_REQUEST, "the body is longer than its Content-Length")
        try:
            self.file.write(data)
        except OSError as exc:
            raise _storage_error(exc) from exc

    def close(self) -> None:
        """Commit: the target becomes the new body, whole, or stays as it was."""
        if self.done:
            return
        if self.expected is not None and self.size != self.expected:
            self.discard()
            raise DAVError(HTTP_BAD_REQUEST, f"the body ended after {self.size} of "
                           f"{self.expected} declared bytes: nothing was written")
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            self.file.close()
            os.replace(self.temp, self.target)
        except OSError as exc:
            self.discard()
            raise _storage_error(exc) from exc
        self.done = True
        _fsync_folder(self.folder)

    def discard(self) -> None:
        """Drop the temporary file (an aborted or failed upload); the target is untouched."""
        if self.done:
            return
        self.done = True
        log.info("upload to %s abandoned after %d bytes: the target is unchanged",
                 self.target, self.size)
        with contextlib.suppress(OSError):
            self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.temp)


def _umask() -> int:
    """The process umask, read without changing it (os.umask would, for every thread)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _storage_error(exc: OSError) -> Exception:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DAVError(HTTP_INSUFFICIENT_STORAGE, "the disk is full: nothing was written")
    return exc


def _fsync_folder(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot fsync a folder; the rename stands
        log.debug("fsync of %s: %s", folder, exc)
    finally:
        os.close(fd)
