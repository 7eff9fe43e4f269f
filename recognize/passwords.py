"""Password hashes (argon2id); plaintext passwords are never stored."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import threading
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class VerifiedCache:
    """Remembers recent successful logins for a while, so each request does not pay argon2.

    Only a keyed digest of the credentials is kept (never the password).
    """

    def __init__(self, ttl_seconds: float = 300.0) -> None:
        self.ttl = ttl_seconds
        self._key = hashlib.sha256(str(time.time_ns()).encode()).digest()
        self._seen: dict[bytes, float] = {}
        self._lock = threading.Lock()

    def _digest(self, user: str, password: str, password_hash: str) -> bytes:
        text = f"{user}\0{password}\0{password_hash}".encode()
        return hmac.new(self._key, text, hashlib.sha256).digest()

    def check(self, user: str, password: str, password_hash: str) -> bool:
        digest = self._digest(user, password, password_hash)
        now = time.monotonic()
        with self._lock:
            if self._seen.get(digest, 0.0) > now:
                return True
        if not verify_password(password_hash, password):
            return False
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[digest] = now + self.ttl
        return True


def basic_allowed(allow_over_http: bool, scheme: str, remote_addr: str) -> bool:
    """Basic authentication sends the password itself: only over TLS, from this machine
    (e.g. a TLS reverse proxy on the same host), or where the config allows plain HTTP."""
    if scheme == "https" or allow_over_http:
        return True
    try:
        return ipaddress.ip_address(remote_addr).is_loopback
    except ValueError:
        return False
