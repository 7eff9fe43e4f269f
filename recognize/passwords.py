"""Password hashes (argon2id) and the one login policy of the API and WebDAV.

Plaintext passwords are never stored. :class:`LoginGuard` checks a user name and password
for both Basic paths (``recognize.api.auth``, ``recognize.dav.auth``) under the ``[login]``
settings:

* failed logins are counted per user name and per client address; past
  ``login.max_failures`` within ``login.failure_window`` seconds that name or address is
  refused for ``login.lockout`` seconds (:class:`TooManyFailures`, answered with 429 and
  ``Retry-After``);
* an unknown user name costs the same argon2 check as a known one (against a dummy hash
  made with the configured hashes' parameters), so timing does not tell which names exist;
* at most ``login.parallel_hashes`` argon2 checks run at once (each holds ~64 MiB);
* a successful login is remembered for ``login.remember`` seconds by a keyed digest of the
  credentials, so a logged-in client does not pay argon2 on every request (and keeps
  working while its name or address is locked out by someone else's failures).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import secrets
import threading
import time
from collections import deque
from typing import TYPE_CHECKING

from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

if TYPE_CHECKING:
    from recognize.config import LoginSettings, Settings

_hasher = PasswordHasher()
MAX_TRACKED = 10_000  # user names and addresses with recent failures kept in memory


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError, UnicodeError):
        return False


class TooManyFailures(Exception):
    """Too many failed logins for this user name or from this address: retry later."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; retry in {retry_after} s")
        self.retry_after = retry_after


class VerifiedCache:
    """Remembers recent successful logins for a while, so each request does not pay argon2.

    Only a keyed digest of the credentials is kept (never the password).
    """

    def __init__(self, ttl_seconds: float = 300.0) -> None:
        self.ttl = ttl_seconds
        self._key = secrets.token_bytes(32)
        self._seen: dict[bytes, float] = {}
        self._lock = threading.Lock()

    def digest(self, user: str, password: str, password_hash: str) -> bytes:
        text = f"{user}\0{password}\0{password_hash}".encode("utf-8", "surrogatepass")
        return hmac.new(self._key, text, hashlib.sha256).digest()

    def seen(self, digest: bytes) -> bool:
        with self._lock:
            return self._seen.get(digest, 0.0) > time.monotonic()

    def remember(self, digest: bytes) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._seen) > MAX_TRACKED:
                self._seen.clear()
            self._seen[digest] = time.monotonic() + self.ttl

    def check(self, user: str, password: str, password_hash: str) -> bool:
        digest = self.digest(user, password, password_hash)
        if self.seen(digest):
            return True
        if not verify_password(password_hash, password):
            return False
        self.remember(digest)
        return True


class _Failures:
    """Failed logins per key (a user name or an address) in a sliding window, and lockouts."""

    def __init__(self, max_failures: int, window: float, lockout: float) -> None:
        self.max, self.window, self.lockout = max_failures, window, lockout
        self._times: dict[str, deque[float]] = {}
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> int:
        now = time.monotonic()
        with self._lock:
            wait = max((self._until.get(k, 0.0) - now for k in keys), default=0.0)
        return math.ceil(wait) if wait > 0 else 0

    def fail(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                times = self._times.pop(key, None) or deque()
                times.append(now)
                while times and times[0] <= now - self.window:
                    times.popleft()
                if len(times) >= self.max:
                    self._until[key] = now + self.lockout
                    times.clear()
                self._times[key] = times  # re-inserted: the dict runs oldest to newest
            self._prune(now)

    def clear(self, key: str) -> None:
        with self._lock:
            self._times.pop(key, None)

    def _prune(self, now: float) -> None:
        if len(self._times) + len(self._until) <= MAX_TRACKED:
            return
        self._until = {k: t for k, t in self._until.items() if t > now}
        self._times = {k: t for k, t in self._times.items() if t and t[-1] > now - self.window}
        while len(self._times) > MAX_TRACKED // 2:  # still too many: forget the oldest
            del self._times[next(iter(self._times))]


class LoginGuard:
    """Checks Basic credentials under the ``[login]`` policy (see the module docstring)."""

    def __init__(self, hashes: dict[str, str], policy: LoginSettings) -> None:
        self.hashes = hashes
        self.policy = policy
        self.cache = VerifiedCache(policy.remember)
        self.failures = _Failures(policy.max_failures, policy.failure_window, policy.lockout)
        self._hashing = threading.BoundedSemaphore(policy.parallel_hashes)
        self._dummy: str | None = None
        self._dummy_lock = threading.Lock()

    def retry_after(self, user: str, password: str, remote: str) -> int:
        """Seconds until this login may be tried (0: now). A login remembered as successful
        is never refused."""
        wait = self.failures.retry_after(f"user:{user}", f"addr:{remote}")
        known = self.hashes.get(user)
        if wait and known is not None and self.cache.seen(self.cache.digest(user, password, known)):
            return 0
        return wait

    def check(self, user: str, password: str, remote: str = "?") -> bool:
        """Whether ``user``/``password`` is a valid login; raises :class:`TooManyFailures`
        while the user name or the address is locked out."""
        password_hash = self.hashes.get(user)
        digest = self.cache.digest(user, password, password_hash or "")
        if password_hash is not None and self.cache.seen(digest):
            return True
        wait = self.failures.retry_after(f"user:{user}", f"addr:{remote}")
        if wait:
            raise TooManyFailures(wait)
        with self._hashing:  # argon2 holds ~64 MiB while it runs: a bounded number at once
            if password_hash is None:  # the same work as for a known user
                verify_password(self._dummy_hash(), password)
                ok = False
            else:
                ok = verify_password(password_hash, password)
        if ok:
            self.cache.remember(digest)
            self.failures.clear(f"user:{user}")
        else:
            self.failures.fail(f"user:{user}", f"addr:{remote}")
        return ok

    def _dummy_hash(self) -> str:
        """A hash of a random password with the configured hashes' parameters (made once,
        inside the hashing bound)."""
        with self._dummy_lock:
            if self._dummy is None:
                hasher = _hasher
                for known in self.hashes.values():
                    try:
                        hasher = PasswordHasher.from_parameters(extract_parameters(known))
                        break
                    except InvalidHashError:
                        continue
                self._dummy = hasher.hash(secrets.token_urlsafe(16))
            return self._dummy


_guards: dict[int, tuple[Settings, LoginGuard]] = {}
_guards_lock = threading.Lock()


def guard_for(settings: Settings) -> LoginGuard:
    """The process's one guard for ``settings``: the API and WebDAV count failures together."""
    with _guards_lock:
        found = _guards.get(id(settings))
        if found is None or found[0] is not settings:
            hashes = {u.name: u.password_hash.get_secret_value() for u in settings.users}
            found = (settings, LoginGuard(hashes, settings.login))
            _guards[id(settings)] = found
        return found[1]


def basic_allowed(allow_over_http: bool, scheme: str, remote_addr: str) -> bool:
    """Basic authentication sends the password itself: only over TLS, from this machine
    (e.g. a TLS reverse proxy on the same host), or where the config allows plain HTTP."""
    if scheme == "https" or allow_over_http:
        return True
    try:
        return ipaddress.ip_address(remote_addr).is_loopback
    except ValueError:
        return False
