"""Named leases with an expiry: one node crawls a mount / clusters a user at a time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from recognize.store.models import Lease, utcnow


def acquire(session: Session, name: str, holder: str, ttl_seconds: float) -> bool:
    """Take or renew the lease ``name`` for ``holder``; False while another live holder has it."""
    now = utcnow()
    until = now + timedelta(seconds=ttl_seconds)
    row = session.scalars(select(Lease).where(Lease.name == name).with_for_update()).first()
    if row is None:
        try:
            with session.begin_nested():
                session.add(Lease(name=name, holder=holder, expires_at=until))
        except IntegrityError:
            return False
        return True
    if row.holder != holder and row.expires_at > now:
        return False
    row.holder, row.expires_at = holder, until
    return True


def release(session: Session, name: str, holder: str) -> None:
    session.execute(delete(Lease).where(Lease.name == name, Lease.holder == holder))
