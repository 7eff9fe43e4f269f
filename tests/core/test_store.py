"""The store on SQLite and on a real PostgreSQL: migrations, crawl rows, the queue."""

from __future__ import annotations

from sqlalchemy import func, select

from recognize.store import Store, accounts, photos, queue, tags
from recognize.store.accounts import Viewer
from recognize.store.db import current_tables
from recognize.store.models import Photo, QueueItem
from recognize.store.photos import FoundFile


def _store_with_mount(url: str) -> tuple[Store, int]:
    store = Store(url)
    with store.session() as session:
        refs = accounts.sync(session, [("alice", False), ("bob", False)],
                             [("m", "/photos", ["alice"])])
    return store, refs["m"].id


def test_migrations_apply_and_are_idempotent(store_url: str) -> None:
    store = Store(store_url)
    tables = current_tables(store.engine)
    for table in ("photos", "faces", "persons", "tags", "photo_tags", "queue", "mounts", "users",
                  "face_corrections", "photo_stages", "leases", "alembic_version"):
        assert table in tables
    store.close()
    Store(store_url).close()  # second start: nothing to do, no error


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_accounts_sync_keeps_ids(store_url: str) -> None:
    store, mount_id = _store_with_mount(store_url)
    with store.session() as session:
        refs = accounts.sync(session, [("alice", True)], [("m", "/photos2", ["alice"])])
        assert refs["m"].id == mount_id and refs["m"].location == "/photos2"
        assert [m.name for m in accounts.mounts_of(session, "alice")] == ["m"]
        assert accounts.mounts_of(session, "bob") == []


def test_claim_finish_fail(store_url: str) -> None:
    store, mount_id = _store_with_mount(store_url)
    files = [FoundFile(f"a/{i}.jpg", 100 + i, 1, f"fp{i}") for i in range(5)]
    with store.session() as session:
        ids = photos.add_files(session, mount_id, files, ["media", "faces"])
    with store.session() as session:
        first = queue.claim(session, "w1", limit=3, lease_seconds=60)
    with store.session() as session:
        second = queue.claim(session, "w2", limit=10, lease_seconds=60)
    assert len(first) == 3 and len(second) == 2
    assert {c.photo_id for c in first}.isdisjoint({c.photo_id for c in second})
    assert sorted(first[0].stages) == ["faces", "media"] and first[0].location == "/photos"
    with store.session() as session:
        queue.finish(session, first[0].photo_id, first[0].stages, "w1")
        queue.finish(session, first[1].photo_id, first[1].stages, "someone-else")
        given_up = queue.fail(session, first[2].photo_id, ["media", "faces"], "broken",
                              max_attempts=1, backoff_seconds=0)
        assert given_up
        retried = queue.fail(session, second[0].photo_id, ["media", "faces"], "flaky",
                             max_attempts=3, backoff_seconds=3600)
        assert not retried
    with store.session() as session:
        left = session.scalar(select(func.count(func.distinct(QueueItem.photo_id))))
        assert left == 4 - 1  # ids[0] done; [2] given up; the rest still queued
        failed = session.get(Photo, first[2].photo_id)
        assert failed is not None and failed.status == "failed" and failed.error == "broken"
        # the retried photo waits an hour; the other claims are still held
        assert queue.claim(session, "w3", limit=10, lease_seconds=60) == []
    with store.session() as session:
        assert queue.release(session, lambda holder: holder == "w2") == 2
    with store.session() as session:
        again = queue.claim(session, "w3", limit=10, lease_seconds=60)
        assert {c.photo_id for c in again} == {second[1].photo_id}
    with store.session() as session:
        assert queue.retry_failed(session, [mount_id], ["media"]) == 1
        counts = queue.counts(session)
        assert counts[0].files == 5 and counts[0].failed == 0
    assert len(ids) == 5


def test_enqueue_does_not_duplicate(store_url: str) -> None:
    store, mount_id = _store_with_mount(store_url)
    with store.session() as session:
        ids = photos.add_files(session, mount_id, [FoundFile("x.jpg", 1, 1, "f")], ["media"])
        photos.enqueue(session, mount_id, ids, ["media"])
        photos.enqueue(session, mount_id, ids, ["media"])
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(QueueItem)) == 1


def test_tags_replace_per_source(store_url: str) -> None:
    store, mount_id = _store_with_mount(store_url)
    with store.session() as session:
        (pid,) = photos.add_files(session, mount_id, [FoundFile("x.jpg", 1, 1, "f")], ["media"])
        photos.set_tags(session, pid, [("Italy", "place", 1.0), ("2019", "date", 1.0)], "media")
        photos.set_tags(session, pid, [("dog", "classifier", 0.9)], "classifier")
        photos.set_tags(session, pid, [("France", "place", 1.0)], "media")
    with store.session() as session:
        names = {t["name"] for t in tags.tags_of(session, [pid], Viewer(0, {}))[pid]}
    assert names == {"France", "dog"}


def test_memo_is_reused_until_something_is_committed(tmp_path) -> None:
    store, mount_id = _store_with_mount(f"sqlite:///{tmp_path / 's.db'}")
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert store.memo("k", compute) == 1 and store.memo("k", compute) == 1
    assert store.memo("other", compute) == 2
    with store.session() as session:  # another connection commits: computed again
        photos.add_files(session, mount_id, [FoundFile("a.jpg", 1, 1, "fp")], ["media"])
    assert store.memo("k", compute) == 3 and store.memo("k", compute) == 3
    store.close()
