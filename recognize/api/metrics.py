"""Prometheus metrics at ``/metrics`` (text exposition format 0.0.4, no extra dependency).

Library gauges are read from the store on each scrape; request counters and the latency
histogram are kept in this process (per endpoint rule, method and status). A caller who is
not an admin sees the per-mount gauges of their own mounts only, and no library-wide totals
(faces, persons, tags span every user's mounts).
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict

from recognize.store import Store
from recognize.store import stats as stats_store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


class RequestMetrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.buckets: dict[str, list[int]] = defaultdict(lambda: [0] * (len(BUCKETS) + 1))
        self.sums: dict[str, float] = defaultdict(float)

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self.requests[(endpoint, method, str(status))] += 1
            self.buckets[endpoint][bisect.bisect_left(BUCKETS, seconds)] += 1
            self.sums[endpoint] += seconds

    def lines(self) -> list[str]:
        out = ["# HELP recognize_http_requests_total HTTP requests by endpoint, method, status.",
               "# TYPE recognize_http_requests_total counter"]
        with self._lock:
            for (endpoint, method, status), n in sorted(self.requests.items()):
                out.append("recognize_http_requests_total"
                           f"{_labels(endpoint=endpoint, method=method, status=status)} {n}")
            out += ["# HELP recognize_http_request_duration_seconds Request latency.",
                    "# TYPE recognize_http_request_duration_seconds histogram"]
            for endpoint, counts in sorted(self.buckets.items()):
                name = "recognize_http_request_duration_seconds"
                running = 0
                for le, n in zip([*map(str, BUCKETS), "+Inf"], counts, strict=True):
                    running += n
                    out.append(f"{name}_bucket{_labels(endpoint=endpoint, le=le)} {running}")
                out.append(f"{name}_sum{_labels(endpoint=endpoint)} {self.sums[endpoint]:.6f}")
                out.append(f"{name}_count{_labels(endpoint=endpoint)} {running}")
        return out


def _gauge(name: str, help_text: str, rows: list[tuple[dict[str, str], int]]) -> list[str]:
    out = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
    out += [f"{name}{_labels(**labels) if labels else ''} {value}" for labels, value in rows]
    return out


def render(store: Store, requests: RequestMetrics, mounts: set[str] | None = None) -> str:
    """The exposition text; ``mounts``: the mounts the caller may see (None: every mount and
    the library-wide totals, for admins)."""
    with store.reading() as session:
        c = stats_store.counts(session)
    lines = _gauge("recognize_photos", "Photos per mount and status.",
                   [({"mount": m, "status": s}, n) for m, s, n in c.photos
                    if mounts is None or m in mounts])
    lines += _gauge("recognize_queue_items", "Queued work per mount and stage.",
                    [({"mount": m, "stage": s}, n) for m, s, n in c.queue
                     if mounts is None or m in mounts])
    if mounts is None:
        lines += _totals(c)
    lines += requests.lines()
    return "\n".join(lines) + "\n"


def _totals(c: stats_store.Counts) -> list[str]:
    lines = _gauge("recognize_faces", "Detected faces.", [({}, c.faces)])
    lines += _gauge("recognize_faces_unassigned", "Faces in no person.",
                    [({}, c.faces_unassigned)])
    lines += _gauge("recognize_persons", "Persons (not deleted).", [({}, c.persons)])
    lines += _gauge("recognize_persons_named", "Persons with a name.", [({}, c.persons_named)])
    lines += _gauge("recognize_tags", "Tags per kind.", [({"kind": k}, n) for k, n in c.tags])
    return lines
