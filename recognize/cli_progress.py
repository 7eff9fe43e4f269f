"""What ``recognize scan`` and ``recognize status`` show: progress bars with the true rate (the
last five minutes of work, ``store.progress``), the scan's summary, and the status tables."""

from __future__ import annotations

import json
import time
from typing import Any

from rich.console import Console
from rich.table import Table

from recognize.config import Settings
from recognize.store import Store

console = Console(stderr=True, soft_wrap=True)
out = Console()


def run_scan(settings: Settings, store: Store, mounts: list[str] | None, *, as_json: bool) -> int:
    """Scan with progress bars on stderr (none with ``as_json``), then the summary."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from recognize.jobs.scan import scan
    from recognize.store.progress import RateWindow

    started = time.monotonic()
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:.1f} files/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, disable=as_json) as progress:
        crawl_task = progress.add_task("crawling", total=None, rate=0.0)
        work_task = progress.add_task("indexing", total=None, rate=0.0, visible=False)
        state = {"done": 0, "t0": time.monotonic(), "seen": 0}
        window = RateWindow()  # the bar's rate: the last five minutes, not the whole run

        def walked(seen: int) -> None:
            rate = seen / max(1e-6, time.monotonic() - started)
            progress.update(crawl_task, completed=state["seen"] + seen, rate=rate)

        def crawled(seen: int) -> None:
            state["seen"] += seen
            progress.update(crawl_task, completed=state["seen"], total=state["seen"])
            total = queued(store)
            progress.update(work_task, total=total, visible=True)
            state["t0"] = time.monotonic()

        def photo(n: int) -> None:
            now = time.monotonic()
            if not state["done"]:
                window.add(state["t0"], 0)  # the work started when the crawl ended
            state["done"] += n
            window.add(now, n)
            progress.update(work_task, advance=n, rate=window.rate(now))

        report = scan(settings, store, mounts, on_crawled=crawled, on_photo=photo,
                      on_walk=walked)
    elapsed = time.monotonic() - started
    summary = {
        "seconds": round(elapsed, 3),
        "photos_processed": report.counters.photos,
        "decoded": report.counters.decoded,
        "failed": report.counters.failed,
        "mounts": [vars(c) for c in report.crawls],
        "persons": [vars(c) for c in report.clusters],
        "duplicates": vars(report.duplicates) if report.duplicates else None,
    }
    if as_json:
        print(json.dumps(summary))
        return 0
    table = Table(title=f"scan finished in {elapsed:.1f} s")
    for col in ("mount", "files", "new", "changed", "moved", "deleted", "unchanged"):
        table.add_column(col, justify="right" if col != "mount" else "left")
    for c in report.crawls:
        table.add_row(c.mount, *(str(v) for v in (c.seen, c.new, c.changed, c.moved, c.deleted,
                                                  c.unchanged)))
    out.print(table)
    out.print(
        f"processed {report.counters.photos} photos, decoded {report.counters.decoded}, "
        f"failed {report.counters.failed}"
    )
    for c in report.clusters:
        out.print(f"persons of {c.user}: {c.faces} faces in {c.persons} persons "
                  f"({c.created} new, {c.unassigned} faces unassigned)")
    if report.duplicates:
        d = report.duplicates
        out.print(f"duplicates: {d.groups} groups ({d.grouped} photos) of {d.photos} hashed")
    return 0


def queued(store: Store) -> int:
    from recognize.store import queue as queue_store

    with store.session() as session:
        return sum(c.queued for c in queue_store.counts(session))


def show_status(settings: Settings, store: Store, *, as_json: bool, watch: bool) -> int:
    """The status tables (live with ``watch``), or one JSON object."""
    if as_json:
        print(json.dumps(status_data(settings, store)))
        return 0
    if not watch:
        out.print(status_tables(settings, store))
        return 0
    from rich.live import Live

    with Live(status_tables(settings, store), console=out, refresh_per_second=1) as live:
        while True:
            time.sleep(2)
            live.update(status_tables(settings, store))


def status_data(settings: Settings, store: Store) -> dict[str, Any]:
    from recognize.jobs.stages import stage_names
    from recognize.store import progress
    from recognize.store import queue as queue_store

    configured = {m.name for m in settings.mounts}
    with store.session() as session:
        mounts = [vars(c) for c in queue_store.counts(session) if c.mount in configured]
        stages = [vars(p) for p in progress.stage_progress(session, stage_names(settings))
                  if p.mount in configured]
    return {"mounts": mounts, "stages": stages}


def status_tables(settings: Settings, store: Store) -> Any:
    from rich.console import Group

    data = status_data(settings, store)
    mounts = Table(title="photos per mount")
    for col in ("mount", "files", "done", "partial", "failed", "queued"):
        mounts.add_column(col, justify="left" if col == "mount" else "right")
    for r in data["mounts"]:
        mounts.add_row(*(str(r[k]) for k in ("mount", "files", "done", "partial", "failed", "queued")))
    stages = Table(title="stages")
    for col in ("mount", "stage", "total", "done", "failed", "queued", "photos/s", "ETA"):
        stages.add_column(col, justify="left" if col in ("mount", "stage") else "right")
    for p in data["stages"]:
        eta = p["eta_seconds"]
        stages.add_row(p["mount"], p["stage"], str(p["total"]), str(p["done"]), str(p["failed"]),
                       str(p["queued"]), f"{p['rate']:.2f}",
                       "-" if eta is None else time.strftime("%H:%M:%S", time.gmtime(eta)))
    return Group(mounts, stages)
