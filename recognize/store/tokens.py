"""API tokens: random secrets shown once; only their sha256 is stored.

The tokens carry 256 bits of randomness, so a plain (unsalted) sha256 is enough to make a
stolen table useless and lets a request be checked with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from recognize.errors import NotFound
from recognize.store.models import ApiToken, User, utcnow

TOKEN_PREFIX = "rcg_"
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user_id: int, name: str) -> tuple[TokenInfo, str]:
    """A new token for the user: its info and the secret (the only time it is seen)."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user_id, name=name, digest=digest(secret), prefix=secret[:10],
                   created_at=utcnow())
    session.add(row)
    session.flush()
    return _info(row), secret


def list_tokens(session: Session, user_id: int) -> list[TokenInfo]:
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                           .order_by(ApiToken.id))
    return [_info(r) for r in rows]


def revoke_token(session: Session, user_id: int, token_id: int) -> None:
    done = session.execute(delete(ApiToken).where(ApiToken.id == token_id,
                                                  ApiToken.user_id == user_id))
    if not getattr(done, "rowcount", 1):
        raise NotFound(f"no token {token_id}")


def lookup(session: Session, token: str) -> tuple[int, str, bool] | None:
    """``(token id, user name, due for a last-used update)`` for a valid token, else None."""
    row = session.execute(
        select(ApiToken.id, ApiToken.last_used_at, User.name)
        .join(User, User.id == ApiToken.user_id).where(ApiToken.digest == digest(token))
    ).first()
    if row is None:
        return None
    due = row[1] is None or utcnow() - row[1] > TOUCH_EVERY
    return int(row[0]), str(row[2]), due


def touch(session: Session, token_id: int) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.id, row.name, row.prefix, row.created_at, row.last_used_at)
