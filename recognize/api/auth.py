"""HTTP authentication: the configured users (Basic; argon2 hashes) and API tokens (Bearer).

Basic logins go through the process's one :class:`recognize.passwords.LoginGuard` (shared
with WebDAV): failure limits per user name and address, equal time for unknown names, a
bound on parallel argon2 checks, recent successes remembered.
"""

from __future__ import annotations

import base64
import binascii

from recognize.config import Settings
from recognize.log import get_logger
from recognize.passwords import TooManyFailures, basic_allowed, guard_for
from recognize.store import Store, tokens

log = get_logger(__name__)

__all__ = ["Authenticator", "TooManyFailures", "bearer_user"]


class Authenticator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.guard = guard_for(settings)

    def check(self, user: str, password: str, remote: str = "?") -> bool:
        """Raises :class:`TooManyFailures` while the name or the address is locked out."""
        try:
            ok = self.guard.check(user, password, remote)
        except TooManyFailures:
            log.warning("refused login for user %r from %s: too many failed logins", user, remote)
            raise
        if not ok:
            log.warning("failed login for user %r from %s", user, remote)
        return ok

    def basic(self, header: str | None, remote: str = "?", scheme: str = "http") -> str | None:
        """The user name when the ``Authorization: Basic`` header is valid (and Basic is
        allowed on this connection: see ``server.allow_basic_over_http``), else None;
        raises :class:`TooManyFailures` (answered 429) while locked out."""
        if not header or not header.lower().startswith("basic "):
            return None
        if not basic_allowed(self.settings.server.allow_basic_over_http, scheme, remote):
            log.warning("refused Basic authentication over plain HTTP from %s", remote)
            return None
        try:
            text = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            log.warning("malformed Basic credentials from %s", remote)
            return None
        user, sep, password = text.partition(":")
        if not sep:
            log.warning("malformed Basic credentials from %s", remote)
            return None
        return user if self.check(user, password, remote) else None


def bearer_user(store: Store, settings_users: set[str], header: str | None) -> str | None:
    """The user of an ``Authorization: Bearer <token>`` header (an API token), else None."""
    if not header or not header.lower().startswith("bearer "):
        return None
    token = header[7:].strip()
    if not token or len(token) > 200:
        return None
    with store.reading() as session:
        found = tokens.lookup(session, token)
    if found is None or found[1] not in settings_users:
        log.warning("rejected API token %s…", token[:10])
        return None
    token_id, user, due = found
    if due:
        with store.session() as session:
            tokens.touch(session, token_id)
    return user
