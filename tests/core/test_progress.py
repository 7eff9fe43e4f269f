"""Rate and ETA per stage over a sliding window: the rate the stage ran at, not the count
spread over the whole window (issue 15: "photos/s 0.43" for a scan that ran at 8.3/s)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from recognize.store import Store, accounts, photos, progress
from recognize.store.models import PhotoStage, QueueItem, utcnow
from recognize.store.photos import FoundFile


def test_window_rate_counts_only_the_working_span() -> None:
    # 125 photos 8 per second apart, finished just now: 8/s (the old rule said 125/300)
    assert progress.window_rate(125, -15.5, -0.0, 0.0, pending=False) == pytest.approx(8.0)
    # still queued and nothing finished for 60 s: the stall counts, the rate falls
    assert progress.window_rate(125, -75.5, -60.0, 0.0, pending=True) == pytest.approx(124 / 75.5)
    assert progress.window_rate(1, -3.0, -3.0, 0.0, pending=True) == 0.0
    assert progress.eta_seconds(0, 0.0) == 0.0
    assert progress.eta_seconds(10, 0.0) is None
    assert progress.eta_seconds(80, 8.0) == pytest.approx(10.0)


def test_rate_window_slides() -> None:
    window = progress.RateWindow(window=60.0)
    window.add(0.0, 0)  # the work starts
    for t in range(1, 31):
        window.add(float(t), 4)  # 4 photos a second for 30 s
    assert window.rate(30.0) == pytest.approx(4.0)
    for t in range(31, 121):
        window.add(float(t), 1)  # then 1 a second: after a minute only that is seen
    assert window.rate(120.0) == pytest.approx(1.0, rel=0.03)
    assert window.rate(180.0) == pytest.approx(59 / 120, rel=0.03)  # stalled for a minute
    assert progress.RateWindow().rate(5.0) == 0.0


def test_stage_progress_reports_the_rate_the_stage_ran_at(store_url: str) -> None:
    store = Store(store_url)
    with store.session() as session:
        refs = accounts.sync(session, [("alice", False)], [("m", "/photos", ["alice"])])
        mount_id = refs["m"].id
        files = [FoundFile(f"a/{i}.jpg", 100 + i, 1, f"fp{i}") for i in range(150)]
        ids = photos.add_files(session, mount_id, files, ["faces"])
    now = utcnow()
    with store.session() as session:
        # 120 photos done 8 per second, the last one 2 s ago; 30 still queued
        for k, photo_id in enumerate(ids[:120]):
            photos.record_stage(session, photo_id, "faces", "v1")
            session.execute(
                update(PhotoStage)
                .where(PhotoStage.photo_id == photo_id)
                .values(done_at=now - timedelta(seconds=2 + (119 - k) / 8))
            )
        session.execute(QueueItem.__table__.delete().where(QueueItem.photo_id.in_(ids[:120])))
    with store.session() as session:
        (row,) = progress.stage_progress(session, ["faces"])
    late = (utcnow() - now).total_seconds()  # this test's own time counts as a stall too
    assert (row.done, row.queued) == (120, 30)
    # 119 intervals over the 14.9 s of work plus the 2 s since: about 7 per second
    assert 119 / (119 / 8 + 2 + late) * 0.99 <= row.rate <= 119 / (119 / 8 + 2) * 1.01
    assert row.eta_seconds == pytest.approx(30 / row.rate, rel=0.01)
    with store.session() as session:
        session.execute(QueueItem.__table__.delete())
        (row,) = progress.stage_progress(session, ["faces"])
    assert row.rate == pytest.approx(8.0, rel=0.02) and row.eta_seconds == 0.0
    store.close()
