"""Finding each user's near-duplicates: the job behind `recognize duplicates` and the cascade.

Runs after the media stage hashed photos (debounced like the persons job), reads every
hashed photo of the user's mounts, groups them (``clustering.duplicates``) and stores the
groups, which ``duplicates/`` in the DAV tree and ``/api/v1/duplicates`` read.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from recognize.clustering.duplicates import DuplicateParams, groups
from recognize.config import Settings, section_values
from recognize.log import get_logger
from recognize.store import Store
from recognize.store import duplicates as duplicate_store

log = get_logger(__name__)


def duplicate_params(settings: Settings) -> DuplicateParams:
    """Built from the ``[duplicates]`` section by name, as every L1 settings dataclass is."""
    return DuplicateParams(**section_values(settings.duplicates, DuplicateParams))


@dataclass(frozen=True)
class DuplicateSummary:
    users: int
    photos: int  # hashed photos compared (summed over users)
    groups: int
    grouped: int  # photos in some group
    seconds: float


def find_duplicates(settings: Settings, store: Store,
                    mount_ids: Sequence[int] | None = None) -> DuplicateSummary:
    """Regroup the near-duplicates of every user owning one of ``mount_ids`` (all when None)."""
    started = time.monotonic()
    params = duplicate_params(settings)
    with store.reading() as session:
        users = duplicate_store.user_ids(session, mount_ids)
    photos = found = grouped = 0
    for user_id in users:
        with store.reading() as session:
            items = duplicate_store.codes(session, user_id)
        result = groups(items, params) if settings.duplicates.enabled else []
        with store.session() as session:
            duplicate_store.replace_groups(session, user_id, result)
        photos += len(items)
        found += len(result)
        grouped += sum(len(g) for g in result)
    summary = DuplicateSummary(len(users), photos, found, grouped, time.monotonic() - started)
    log.info("duplicates: %d groups (%d photos) among %d hashed photos of %d user(s) in %.1f s",
             found, grouped, photos, len(users), summary.seconds)
    return summary
