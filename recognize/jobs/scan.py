"""A scan by hand: sync the config into the store, crawl mounts, drain their queue."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from recognize.config import Settings
from recognize.jobs.crawl import CrawlResult, crawl
from recognize.jobs.sources import source_for
from recognize.jobs.worker import Counters, Worker
from recognize.store import Store
from recognize.store.opening import sync_accounts


@dataclass
class ScanReport:
    crawls: list[CrawlResult] = field(default_factory=list)
    counters: Counters = field(default_factory=Counters)
    clusters: list[Any] = field(default_factory=list)  # ClusterSummary per user updated
    duplicates: Any = None  # DuplicateSummary when photos were hashed


def scan(
    settings: Settings,
    store: Store,
    mount_names: Sequence[str] | None = None,
    *,
    on_crawled: Callable[[int], None] | None = None,
    on_photo: Callable[[int], None] | None = None,
    on_walk: Callable[[int], None] | None = None,
    worker: Worker | None = None,
) -> ScanReport:
    """Crawl the named mounts (all when None) and process everything they queued."""
    refs = sync_accounts(settings, store)
    names = list(mount_names) if mount_names else list(refs)
    for name in names:
        settings.mount(name)  # raises ConfigError with a hint for an unknown name
    own_worker = worker is None
    worker = worker or Worker(settings, store)
    report = ScanReport(counters=worker.counters)
    try:
        worker.release_dead_claims()
        for name in names:
            report.crawls.append(
                crawl(store, refs[name], worker.stage_names(), source_for(settings.mount(name)),
                      progress=on_walk)
            )
            worker.reconcile(refs[name].id)
            if on_crawled:
                on_crawled(report.crawls[-1].seen)
        mount_ids = [refs[n].id for n in names]
        threads = max(1, settings.jobs.workers)
        if threads == 1:
            worker.drain(mount_ids, on_photo=on_photo)
        else:
            lock = threading.Lock()

            def tick(n: int) -> None:
                if on_photo:
                    with lock:
                        on_photo(n)

            with ThreadPoolExecutor(threads) as pool:
                for future in [pool.submit(worker.drain, mount_ids, on_photo=tick)
                               for _ in range(threads)]:
                    future.result()
        report.clusters = cluster_owners(settings, store, worker)
        report.duplicates = group_duplicates(settings, store, worker)
    finally:
        if own_worker:
            worker.close()
    return report


def group_duplicates(settings: Settings, store: Store, worker: Worker) -> Any:
    """Regroup the near-duplicates of the users whose mounts got newly hashed photos."""
    from recognize.jobs.duplicates import find_duplicates

    changed, worker.hashes_changed = worker.hashes_changed, set()
    return find_duplicates(settings, store, sorted(changed)) if changed else None


def cluster_owners(settings: Settings, store: Store, worker: Worker) -> list[Any]:
    """Update the persons of the users whose mounts got new or changed faces."""
    from recognize.jobs.persons import cluster_user
    from recognize.store import accounts as account_store

    changed, worker.faces_changed = worker.faces_changed, set()
    if not changed:
        return []
    with store.reading() as session:
        users = account_store.person_owner_names(session, sorted(changed))
    return [cluster_user(settings, store, user, holder=worker.name) for user in users]
