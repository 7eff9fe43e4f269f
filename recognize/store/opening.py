"""Opening the store for a configuration: migrate it, bring users and mounts in step."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from recognize.config import Settings
from recognize.store import accounts
from recognize.store.accounts import MountRef
from recognize.store.db import Store


def open_store(settings: Settings) -> Store:
    """Open (and migrate) the store and bring users and mounts in step with the config."""
    store = Store(settings.database_url())
    sync_accounts(settings, store)
    return store


def sync_accounts(settings: Settings, store: Store) -> dict[str, MountRef]:
    """Write the config's users and mounts into the store; the mounts by name."""
    for attempt in range(3):  # two nodes starting at once may both insert the same user
        try:
            with store.session() as session:
                return accounts.sync(
                    session,
                    [(u.name, u.admin) for u in settings.users],
                    [(m.name, m.path, m.owners) for m in settings.mounts],
                    shared_persons={m.name for m in settings.mounts if m.share_persons},
                )
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
