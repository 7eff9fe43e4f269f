"""WebDAV figures in one run: our tree vs stock wsgidav (FilesystemProvider), same machine.

    python bench/dav.py [--files 10000] [--work DIR] [--json]

1. PROPFIND Depth 1 with Nextcloud's nine properties on ``people/<P>/`` and ``tags/<t>/``
   each holding N photos (generated store rows over N real files) vs stock wsgidav on the
   folder of those N files (ratio = ours / stock; aim ≤ 1.0).
2. GET of a 50 MB photo vs stock (ratio = our MiB/s / stock MiB/s; aim ≥ 0.9).
3. The same ``wrk -t2 -c16 -d10s`` loads against both servers: GET over the photos of
   ``people/<P>/`` (stock: the same files at the same path), and PROPFIND Depth 1 of
   ``people/`` (stock: a folder holding the same person folders); req/s, p99, errors and
   the ratios ours / stock (aims: req/s ≥ 0.5x stock, p99 ≤ 2x stock).
4. PROPFIND Depth 1 of ``unassigned/`` holding N faces (each entry a face crop, cached) vs
   stock on N files (aim ≤ 1.0), and the time to GET one cached crop, through WebDAV and
   through ``/api/v1/faces/<id>/crop`` (median of 50; aim ≤ 20 ms).
Both servers run as separate processes under cheroot with 16 threads.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NINE = (
    b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns">'
    b"<d:prop><d:getlastmodified/><d:getcontentlength/><d:getcontenttype/><oc:permissions/>"
    b"<d:resourcetype/><d:getetag/><d:quota-available-bytes/><d:quota-used-bytes/><oc:id/>"
    b"</d:prop></d:propfind>"
)
PASSWORD = "bench password"
AUTH = "Basic " + base64.b64encode(f"bench:{PASSWORD}".encode()).decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the servers (run as ``bench/dav.py --serve-…``) -----------------------------------------
def stock_people(folder: Path) -> Path:
    """Stock's ``people/``: one folder per person of :func:`make_library`; ``P`` holds hard
    links to the photos, so stock serves the same files at ``people/P/<name>``."""
    people = folder.parent / "stock-people"
    (people / "Big").mkdir(parents=True, exist_ok=True)
    (people / "P").mkdir(exist_ok=True)
    for photo in folder.glob("IMG_*.jpg"):
        if not (people / "P" / photo.name).exists():
            os.link(photo, people / "P" / photo.name)
    return people


def serve_stock(folder: str, port: int) -> None:
    from cheroot import wsgi
    from wsgidav.wsgidav_app import WsgiDAVApp

    mapping = {"/": folder, "/people": str(stock_people(Path(folder)))}
    app = WsgiDAVApp({"provider_mapping": mapping, "verbose": 0,
                      "logging": {"enable": False},
                      "http_authenticator": {"domain_controller": None, "accept_basic": True,
                                             "accept_digest": False, "default_to_digest": False},
                      "simple_dc": {"user_mapping": {"*": {"bench": {"password": PASSWORD}}}}})
    wsgi.Server(("127.0.0.1", port), app, numthreads=16).start()


def serve_ours(config: str, port: int) -> None:
    from cheroot import wsgi

    from recognize import config as config_mod
    from recognize.store import Store, accounts
    from recognize.wsgi import make_app

    settings = config_mod.load(config)
    store = Store(settings.database_url())
    with store.session() as session:
        accounts.sync(session, [(u.name, u.admin) for u in settings.users],
                      [(m.name, m.path, m.owners) for m in settings.mounts])
    wsgi.Server(("127.0.0.1", port), make_app(settings, store), numthreads=16).start()


# --- the data ----------------------------------------------------------------------------------
def make_files(folder: Path, count: int) -> None:
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    sample = folder / "sample.jpg"
    Image.new("RGB", (64, 48), (120, 90, 60)).save(sample)
    data = sample.read_bytes()
    sample.unlink()
    for i in range(count):
        (folder / f"IMG_{i:05d}.jpg").write_bytes(data + i.to_bytes(4, "big"))
    with (folder / "big.jpg").open("wb") as fh:  # 50 MB
        fh.write(os.urandom(50 << 20))


def make_library(work: Path, folder: Path) -> Path:
    import tomli_w

    from recognize import config as config_mod
    from recognize.jobs.crawl import crawl
    from recognize.jobs.sources import LocalSource
    from recognize.passwords import hash_password
    from recognize.store import Store, accounts, people, tag_removals
    from recognize.store import persons as person_store
    from recognize.store import photos as photo_store
    from recognize.store import tags as tag_store

    cfg = work / "recognize.toml"
    cfg.write_text(tomli_w.dumps({
        "store": {"data_dir": str(work / "var")},
        "users": [{"name": "bench", "password_hash": hash_password(PASSWORD)}],
        "mounts": [{"name": "bench", "path": str(folder), "owners": ["bench"]}],
    }))
    settings = config_mod.load(cfg)
    store = Store(settings.database_url())
    with store.session() as session:
        refs = accounts.sync(session, [("bench", False)], [("bench", str(folder), ["bench"])])
        uid = accounts.user_id(session, "bench") or 0
    crawl(store, refs["bench"], ["media"], LocalSource(folder, frozenset({"jpg"})))
    with store.session() as session:
        known = photo_store.known_files(session, refs["bench"].id)
        free: list[int] = []
        person = person_store.create_person(session, uid, "P")
        tag = tag_store.create_user_tag(session, uid, "t")
        for path, k in known.items():
            if path != "big.jpg":
                people.add_face(session, k.id, (0.1, 0.1, 0.2, 0.2), 0.9, person_id=person)
                free.append(people.add_face(session, k.id, (0.5, 0.5, 0.2, 0.2), 0.9))
                tag_removals.tag(session, uid, k.id, tag)
            photo_store.save_media(session, k.id, {"mime": "image/jpeg"}, None)
        big = known["big.jpg"].id
        other = person_store.create_person(session, uid, "Big")
        people.add_face(session, big, (0.1, 0.1, 0.2, 0.2), 0.9, person_id=other)
    store.close()
    _cached_crops(work / "var", free, (0.5, 0.5, 0.2, 0.2))
    return cfg


def _cached_crops(data_dir: Path, face_ids: list[int], box: tuple[float, ...]) -> None:
    """The crops the faces stage would have written (all alike: the photos are)."""
    import numpy as np

    from recognize.jobs.crops import BASE_SIZE, crop_key, crop_path
    from recognize.media.crops import face_crop

    data = face_crop(np.full((48, 64, 3), 100, np.uint8), box, None, BASE_SIZE)
    key = crop_key(box, None)
    for face_id in face_ids:
        path = crop_path(data_dir, BASE_SIZE, face_id, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


# --- the measurements ------------------------------------------------------------------------
def request(port: int, method: str, path: str, body: bytes = b"", depth: str | None = None
            ) -> tuple[int, int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    headers = {"Authorization": AUTH}
    if depth:
        headers["Depth"] = depth
    conn.request(method, path, body=body or None, headers=headers)
    resp = conn.getresponse()
    size = 0
    while chunk := resp.read(1 << 20):
        size += len(chunk)
    conn.close()
    return resp.status, size


def timed(port: int, method: str, path: str, body: bytes = b"", depth: str | None = None,
          runs: int = 5) -> tuple[float, int]:
    request(port, method, path, body, depth)  # warm up
    times, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        status, size = request(port, method, path, body, depth)
        times.append(time.perf_counter() - start)
        assert status in (200, 207), (path, status)
    return statistics.median(times), size


def wrk(port: int, paths: list[str], work: Path, method: str = "GET", depth: str | None = None,
        body: bytes = b"") -> dict[str, float]:
    """``wrk -t2 -c16 -d10s`` cycling over ``paths`` (at most 2,000)."""
    script = work / f"load-{port}-{method}.lua"
    quoted = ",".join(json.dumps(p) for p in paths[:2000])
    headers = f"['Authorization'] = '{AUTH}'"
    if depth:
        headers += f", ['Depth'] = '{depth}', ['Content-Type'] = 'application/xml'"
    script.write_text(
        f"paths = {{{quoted}}}\ncounter = 0\nbody = {json.dumps(body.decode())}\n"
        f"request = function()\n  counter = counter + 1\n"
        f"  return wrk.format('{method}', paths[(counter % #paths) + 1], "
        f"{{{headers}}}, body ~= '' and body or nil)\nend\n"
        "done = function(summary, latency, requests)\n"
        "  io.write(string.format('JSON {\"requests\": %d, \"errors\": %d, \"non2xx\": %d, "
        "\"p99_ms\": %.2f, \"rps\": %.1f}\\n', summary.requests, summary.errors.connect + "
        "summary.errors.read + summary.errors.write + summary.errors.timeout, "
        "summary.errors.status, latency:percentile(99) / 1000, summary.requests / "
        "(summary.duration / 1e6)))\nend\n")
    run = subprocess.run(["wrk", "-t2", "-c16", "-d10s", "-s", str(script),
                          f"http://127.0.0.1:{port}/"], capture_output=True, text=True,
                         timeout=60)
    line = next(ln for ln in run.stdout.splitlines() if ln.startswith("JSON "))
    return dict(json.loads(line[5:]))


def load_vs_stock(our_port: int, stock_port: int, names: list[str], work: Path
                  ) -> dict[str, Any]:
    """The same wrk loads against both servers, one after the other, and ours / stock."""
    runs = {
        "get_ours": wrk(our_port, ["/dav/people/P/" + n for n in names], work),
        "get_stock": wrk(stock_port, ["/people/P/" + n for n in names], work),
        "propfind_ours": wrk(our_port, ["/dav/people/"], work, "PROPFIND", "1", NINE),
        "propfind_stock": wrk(stock_port, ["/people/"], work, "PROPFIND", "1", NINE),
    }
    out: dict[str, Any] = dict(runs)
    for kind in ("get", "propfind"):
        ours, stock = runs[f"{kind}_ours"], runs[f"{kind}_stock"]
        out[f"{kind}_rps_ratio"] = round(ours["rps"] / max(stock["rps"], 1e-9), 2)
        out[f"{kind}_p99_ratio"] = round(ours["p99_ms"] / max(stock["p99_ms"], 1e-9), 2)
    return out


def start(args: list[str], port: int) -> subprocess.Popen[bytes]:
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, __file__, *args, str(port)], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server {args} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--work", help="working folder (default: a temporary one)")
    parser.add_argument("--data", help="ignored: the data is generated (kept for symmetry)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="recognize-bench-dav-"))
    folder = work / "photos"
    make_files(folder, args.files)
    cfg = make_library(work, folder)
    stock_port, our_port = free_port(), free_port()
    stock = start(["--serve-stock", str(folder)], stock_port)
    ours = start(["--serve-ours", str(cfg)], our_port)
    try:
        stock_pf, stock_bytes = timed(stock_port, "PROPFIND", "/", NINE, "1")
        person_pf, person_bytes = timed(our_port, "PROPFIND", "/dav/people/P/", NINE, "1")
        tag_pf, _ = timed(our_port, "PROPFIND", "/dav/tags/t/", NINE, "1")
        stock_get, size = timed(stock_port, "GET", "/big.jpg", runs=3)
        our_get, _ = timed(our_port, "GET", "/dav/people/Big/big.jpg", runs=3)
        free_pf, _ = timed(our_port, "PROPFIND", "/dav/unassigned/", NINE, "1")
        crop_dav, _ = timed(our_port, "GET", "/dav/unassigned/IMG_00007%20(face%202).jpg",
                            runs=50)
        crop_api, _ = timed(our_port, "GET", "/api/v1/faces/16/crop", runs=50)
        names = sorted(p.name for p in folder.glob("IMG_*.jpg"))
        load = load_vs_stock(our_port, stock_port, names, work) if shutil.which("wrk") else {}
    finally:
        stock.terminate()
        ours.terminate()
    mib = size / (1 << 20)
    result = {
        "files": args.files,
        "propfind_stock_s": round(stock_pf, 3), "propfind_stock_bytes": stock_bytes,
        "propfind_person_s": round(person_pf, 3), "propfind_person_bytes": person_bytes,
        "propfind_tag_s": round(tag_pf, 3),
        "propfind_person_ratio": round(person_pf / stock_pf, 2),
        "propfind_tag_ratio": round(tag_pf / stock_pf, 2),
        "propfind_unassigned_s": round(free_pf, 3),
        "propfind_unassigned_ratio": round(free_pf / stock_pf, 2),
        "crop_get_dav_ms": round(crop_dav * 1000, 1),
        "crop_get_api_ms": round(crop_api * 1000, 1),
        "get_stock_mib_s": round(mib / stock_get, 1), "get_ours_mib_s": round(mib / our_get, 1),
        "get_ratio": round(stock_get / our_get, 2),
        "wrk": load,
    }
    result["targets"] = {
        "propfind_person_ratio<=0.5": result["propfind_person_ratio"] <= 0.5,
        **({"get_rps_ratio>=0.5": load["get_rps_ratio"] >= 0.5,
            "get_p99_ratio<=2": load["get_p99_ratio"] <= 2.0,
            "propfind_rps_ratio>=0.5": load["propfind_rps_ratio"] >= 0.5,
            "propfind_p99_ratio<=2": load["propfind_p99_ratio"] <= 2.0} if load else {}),
    }
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    for key, value in result.items():
        if key not in ("wrk", "targets"):
            print(f"{key:28} {value}")
    if load:
        print(f"{'wrk -t2 -c16 -d10s':28} {'ours req/s':>11} {'stock req/s':>11} {'ratio':>6} "
              f"{'ours p99 ms':>11} {'stock p99 ms':>12} {'ratio':>6} {'errors':>7}")
        for kind, label in (("get", "GET people/P/<photo>"), ("propfind", "PROPFIND 1 people/")):
            o, st = load[f"{kind}_ours"], load[f"{kind}_stock"]
            print(f"{label:28} {o['rps']:>11.1f} {st['rps']:>11.1f} {load[kind + '_rps_ratio']:>6} "
                  f"{o['p99_ms']:>11.1f} {st['p99_ms']:>12.1f} {load[kind + '_p99_ratio']:>6} "
                  f"{o['errors'] + o['non2xx']:>3}/{st['errors'] + st['non2xx']:<3}")
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in result["targets"].items()))
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve-stock":
        serve_stock(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "--serve-ours":
        serve_ours(sys.argv[2], int(sys.argv[3]))
    else:
        main()
