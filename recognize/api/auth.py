"""HTTP authentication against the configured users (Basic; argon2 hashes)."""

from __future__ import annotations

import base64

from recognize.config import Settings
from recognize.log import get_logger
from recognize.passwords import VerifiedCache

log = get_logger(__name__)


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        self.hashes = {u.name: u.password_hash.get_secret_value() for u in settings.users}
        self.cache = VerifiedCache()

    def check(self, user: str, password: str, remote: str = "?") -> bool:
        password_hash = self.hashes.get(user)
        ok = password_hash is not None and self.cache.check(user, password, password_hash)
        if not ok:
            log.warning("failed login for user %r from %s", user, remote)
        return ok

    def basic(self, header: str | None, remote: str = "?") -> str | None:
        """The user name when the ``Authorization: Basic`` header is valid, else None."""
        if not header or not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user if self.check(user, password, remote) else None
