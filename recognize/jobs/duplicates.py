"""Finding each user's near-duplicates: the job behind `recognize duplicates` and the cascade.

Runs after the media stage hashed photos (debounced like the persons job), reads every
hashed photo of the user's mounts, groups them (``clustering.duplicates``) and stores the
groups, which ``duplicates/`` in the DAV tree and ``/api/v1/duplicates`` read.

A run costs what changed, not the library: the store keeps, per user, the digest of the codes
its groups were made from (``duplicates:<user id>``), and ``<data_dir>/cache/duplicates/``
the codes themselves. Nothing changed: nothing is done (a restart costs one read of the
codes). Some photos new, changed or gone: only they are compared with every photo
(``clustering.duplicates.regroup``). A cache that is missing or not the one the stored groups
came from (another node wrote them, a copied store): one full, exact run.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognize.clustering.duplicates import DuplicateParams, groups, regroup
from recognize.config import Settings, section_values
from recognize.log import get_logger
from recognize.store import Store, state
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
    unchanged: int = 0  # users whose codes had not changed since their last run
    incremental: int = 0  # users regrouped from their last run (only changed photos compared)


def find_duplicates(settings: Settings, store: Store,
                    mount_ids: Sequence[int] | None = None) -> DuplicateSummary:
    """Regroup the near-duplicates of every user owning one of ``mount_ids`` (all when None)."""
    started = time.monotonic()
    params = duplicate_params(settings)
    with store.reading() as session:
        users = duplicate_store.user_ids(session, mount_ids)
    photos = found = grouped = 0
    how = {"unchanged": 0, "incremental": 0, "full": 0}
    for user_id in users:
        with store.reading() as session:
            items = duplicate_store.codes(session, user_id)
            digest = _digest(items, params, settings.duplicates.enabled)
            last = state.get_state(session, f"duplicates:{user_id}")
            kept = duplicate_store.counts(session, user_id) if last == digest else (0, 0)
        photos += len(items)
        if last == digest:
            how["unchanged"] += 1
            found, grouped = found + kept[0], grouped + kept[1]
            continue
        cache = _cache_file(settings, user_id)
        previous = _read_cache(cache, last, params) if last else None
        if not settings.duplicates.enabled:
            result: list[list[int]] = []
        elif previous is not None:
            how["incremental"] += 1
            result = regroup(previous[0], previous[1], items, params)
        else:
            how["full"] += 1
            result = groups(items, params)
        with store.session() as session:
            duplicate_store.replace_groups(session, user_id, result)
            state.set_state(session, f"duplicates:{user_id}", digest)
        if settings.duplicates.enabled:
            _write_cache(cache, items, result, digest, params)
        found += len(result)
        grouped += sum(len(g) for g in result)
    summary = DuplicateSummary(len(users), photos, found, grouped, time.monotonic() - started,
                               how["unchanged"], how["incremental"])
    log.info("duplicates: %d groups (%d photos) among %d hashed photos of %d user(s) in %.1f s "
             "(%d unchanged, %d incremental, %d full)", found, grouped, photos, len(users),
             summary.seconds, how["unchanged"], how["incremental"], how["full"])
    return summary


def _digest(items: Sequence[tuple[int, str]], params: DuplicateParams, enabled: bool) -> str:
    """What a user's groups depend on: every (photo, code) and the thresholds."""
    h = hashlib.sha256(f"{params}|{enabled}".encode())
    for pid, code in items:
        h.update(f"{pid}:{code};".encode())
    return h.hexdigest()


def _cache_file(settings: Settings, user_id: int) -> Path:
    return Path(settings.store.data_dir) / "cache" / "duplicates" / f"{user_id}.npz"


def _read_cache(path: Path, digest: str, params: DuplicateParams
                ) -> tuple[dict[int, str], list[list[int]]] | None:
    """The codes the stored groups came from and those groups (as found, before any of their
    photos was deleted), or None when the cache is not theirs or was made with other
    thresholds (or none: the job was off)."""
    try:
        with np.load(path) as data:
            if str(data["digest"]) != digest or str(data["params"]) != str(params):
                return None
            codes = {int(pid): str(code)
                     for pid, code in zip(data["ids"], data["codes"], strict=True)}
            members, ends = data["members"].tolist(), data["ends"].tolist()
    except (OSError, KeyError, ValueError):
        return None
    starts = [0, *ends[:-1]] if ends else []
    return codes, [members[a:b] for a, b in zip(starts, ends, strict=True)]


def _write_cache(path: Path, items: Sequence[tuple[int, str]], found: Sequence[Sequence[int]],
                 digest: str, params: DuplicateParams) -> None:
    """Written beside and renamed: a reader never sees half a file. A cache that cannot be
    written only costs the next run a full comparison."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.stem}.{os.getpid()}.npz")
        np.savez(partial, digest=np.array(digest), params=np.array(str(params)),
                 ids=np.array([p for p, _ in items], np.int64),
                 codes=np.array([c for _, c in items], dtype=str),
                 members=np.array([p for g in found for p in g], np.int64),
                 ends=np.cumsum([len(g) for g in found], dtype=np.int64))
        os.replace(partial, path)
    except OSError as exc:
        log.warning("duplicates: cache %s not written (%s); the next run compares everything",
                    path, exc)
