"""Real clients against the real server: litmus, rclone, a davfs2 kernel mount, on the real
library (``real_library``, with ``MORE``): what they list is what the cascade stored."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from recognize import config as config_mod
from recognize.store import Store, accounts, people
from tests.dav.library import PASSWORD, Server
from tests.dav.real_library import Real, faces, person_folders

pytestmark = [pytest.mark.clients, pytest.mark.heavy]  # and the session's cascade


def need(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (Debian package: {package})")
    return path


def store_of(real: Real) -> Store:
    return Store(config_mod.load(real.config).database_url())


def test_litmus_passes_every_test(shared_more: tuple[Real, Server], tmp_path: Path) -> None:
    server = shared_more[1]
    litmus = need("litmus", "litmus")
    run = subprocess.run([litmus, "-k", f"{server.url}/dav/files/inbox/", "alice", PASSWORD],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    summaries = [line for line in run.stdout.splitlines() if "summary for" in line]
    assert len(summaries) == 5, run.stdout[-2000:]
    assert all("0 failed" in s and "100.0%" in s for s in summaries), "\n".join(summaries)
    assert "SKIPPED" not in run.stdout and "WARNING" not in run.stdout


def _rclone(tmp: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    rclone = need("rclone", "rclone")
    config = tmp / "rclone.conf"
    if not config.exists():
        obscured = subprocess.run([rclone, "obscure", PASSWORD], capture_output=True, text=True,
                                  check=True).stdout.strip()
        config.write_text(f"[r]\ntype = webdav\nurl = {url}/dav\nvendor = other\n"
                          f"user = alice\npass = {obscured}\n")
    return subprocess.run([rclone, "--config", str(config), *args], capture_output=True,
                          text=True, timeout=120)


def test_rclone_lists_copies_checks_renames_and_moves(
    fresh_more: tuple[Real, Server], tmp_path: Path
) -> None:
    lib, srv = fresh_more
    listing = _rclone(tmp_path, srv.url, "lsf", "-R", "r:people").stdout.splitlines()
    folders = person_folders(lib)
    assert f"Person {lib.person('cal')}" in folders  # the person nobody has named
    assert {n for n in listing if not n.endswith("/")} == {
        f"{person}/{name}" for person, names in folders.items() for name in names | {"folder.jpg"}}
    for folder in ("people", "tags"):
        assert _rclone(tmp_path, srv.url, "copy", f"r:{folder}", str(tmp_path / folder)
                       ).returncode == 0
        check = _rclone(tmp_path, srv.url, "check", f"r:{folder}", str(tmp_path / folder))
        assert check.returncode == 0 and "0 differences" in check.stderr, check.stderr
    assert (tmp_path / "people" / "Ann" / "ann_1.jpg").read_bytes() == lib.original(
        "photos/ann_1.jpg")
    # rename a person, move a photo between persons; the store (and so the API) shows both
    assert _rclone(tmp_path, srv.url, "moveto", "r:people/Ben", "r:people/Bert").returncode == 0
    assert _rclone(tmp_path, srv.url, "moveto", "r:people/Ann/ann_1.jpg",
                   "r:people/Bert/ann_1.jpg").returncode == 0
    [ann_1] = faces(lib, "p.id = ?", (lib.photos["photos/ann_1.jpg"],))
    store = store_of(lib)
    with store.session() as s:
        names = {g.key: g.name for g in people.persons(s, accounts.viewer(s, 1))}
        assert names[lib.person("ben")] == "Bert"
        assert people.person_faces_in_photo(s, lib.person("ben"), lib.photos["photos/ann_1.jpg"]
                                            ) == [ann_1.id]
    store.engine.dispose()


def test_davfs2_mount_lists_and_reads_people(shared_more: tuple[Real, Server],
                                             tmp_path: Path) -> None:
    library, server = shared_more
    mount = need("mount.davfs", "davfs2")
    if os.geteuid() != 0 or not os.path.exists("/dev/fuse"):
        pytest.skip("a davfs2 kernel mount needs root and /dev/fuse")
    import tempfile

    cache = Path(tempfile.mkdtemp(prefix="recognize-davfs-"))  # davfs2's own user must enter
    os.chmod(cache, 0o777)
    point = tmp_path / "mnt"
    point.mkdir()
    secrets = tmp_path / "secrets"
    secrets.write_text(f'{server.url}/dav/ alice "{PASSWORD}"\n')
    secrets.chmod(0o600)
    conf = tmp_path / "davfs2.conf"
    conf.write_text(f"buf_size 64\ndelay_upload 0\nuse_locks 0\nsecrets {secrets}\n"
                    f"cache_dir {cache}\n")
    run = subprocess.run([mount, "-o", f"conf={conf},ro", f"{server.url}/dav/", str(point)],
                         capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        pytest.skip(f"mount.davfs failed here: {run.stderr.strip()[:200]}")
    try:
        folders = person_folders(library)
        assert sorted(os.listdir(point / "people")) == sorted(folders)
        assert sorted(os.listdir(point / "people" / "Ann")) == sorted(folders["Ann"] | {
            "folder.jpg"})
        assert (point / "people" / "Ann" / "folder.jpg").read_bytes()[:2] == b"\xff\xd8"
        assert (point / "people" / "Ann" / "IMG_1.jpg").read_bytes() == library.original(
            "photos/a/IMG_1.jpg")
    finally:
        subprocess.run(["umount", str(point)], capture_output=True, timeout=60)
        shutil.rmtree(cache, ignore_errors=True)
