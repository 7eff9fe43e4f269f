"""The project's small exception hierarchy; translated to exit codes / HTTP only at the edges."""

from __future__ import annotations

import errno

# errno values that mean "recognize's own files cannot be written" (not a bad photo)
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


class RecognizeError(Exception):
    """Base of every error recognize raises on purpose."""

    exit_code = 1


class ConfigError(RecognizeError):
    """The configuration is invalid; ``problems`` lists every problem found."""

    exit_code = 2

    def __init__(self, problems: list[str], source: str = "") -> None:
        self.problems = problems
        self.source = source
        where = f" in {source}" if source else ""
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid configuration{where} ({len(problems)} problem(s)):\n{lines}")


class StoreError(RecognizeError):
    """The store cannot be opened or migrated."""

    exit_code = 3


class StorageError(StoreError):
    """The data directory or the database cannot be written (disk full, read-only file
    system): nothing is wrong with the photo being worked on; work waits and retries."""


class ServerError(RecognizeError):
    """The server cannot start (e.g. its address is already in use)."""

    exit_code = 7


class NotFound(RecognizeError):
    """A named thing (mount, user, photo, person, tag) does not exist."""

    exit_code = 4


class Conflict(RecognizeError):
    """The request conflicts with what exists (e.g. a name already taken)."""

    exit_code = 5


class MediaError(RecognizeError):
    """A photo cannot be read; ``reason`` is a short readable cause kept in the store."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class ModelError(RecognizeError):
    """A recognition model is missing, corrupt or failed to load."""

    exit_code = 6


class BadName(RecognizeError):
    """A name a user gave (person, tag) cannot be used; the message says why."""
