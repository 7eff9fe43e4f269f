"""Small facts that must survive restarts, by key (e.g. the clustering settings last used)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from recognize.store.models import State


def get_state(session: Session, key: str) -> str | None:
    row = session.get(State, key)
    return row.value if row is not None else None


def set_state(session: Session, key: str, value: str) -> None:
    session.merge(State(key=key, value=value))
