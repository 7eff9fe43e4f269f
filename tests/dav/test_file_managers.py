"""The engines of the desktop file managers against the real server, as a user drives them.

GNOME Files' gvfs (``gio``, headless inside ``dbus-run-session``, the password on stdin of
``gio mount``) and KDE Dolphin's KIO (``kioclient5 --noninteractive`` with the credentials in
the URL, offscreen, no D-Bus session). With each: list, open, rename a person, move a photo to
another person, delete a photo from a person, copy a photo into a tag, create a tag; the store
is checked after every step.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest

from recognize.store import Store, accounts, people
from recognize.store import tags as tag_store
from tests.dav.library import PASSWORD, Library, Server
from tests.dav.test_clients import need

pytestmark = [pytest.mark.clients, pytest.mark.slow]


def _person_names(store: Store) -> dict[int, str | None]:
    with store.session() as s:
        return {g.key: g.name for g in people.persons(s, accounts.viewer(s, 1))}


def _tags_of(store: Store, photo_id: int) -> set[str]:
    with store.session() as s:
        return {t["name"] for t in tag_store.tags_of(s, [photo_id], accounts.viewer(s, 1))[photo_id]}


def _tag_names(store: Store) -> set[str]:
    with store.session() as s:
        return {g.name or "" for g in tag_store.tag_list(s, 1, accounts.viewer(s, 1).mount_ids)}


def _faces_in(store: Store, person: int, photo: int) -> list[int]:
    with store.session() as s:
        return people.person_faces_in_photo(s, person, photo)


class Gio:
    """``gio`` inside its own D-Bus session (gvfsd is started by D-Bus activation there)."""

    def __init__(self, tmp: Path, url: str) -> None:
        self.gio = need("gio", "gvfs-backends")
        need("dbus-run-session", "dbus")
        if not any(Path(d, "gvfsd-dav").exists() for d in ("/usr/libexec", "/usr/lib/gvfs")):
            pytest.skip("gvfs has no WebDAV backend here (Debian package: gvfs-backends)")
        self.base = url.replace("http://", "dav://alice@", 1) + "/dav/"
        self.env = {**os.environ, "HOME": str(tmp / "home"), "XDG_RUNTIME_DIR": str(tmp / "run"),
                    "GIO_USE_VOLUME_MONITOR": "unix"}
        for key in ("HOME", "XDG_RUNTIME_DIR"):
            Path(self.env[key]).mkdir(mode=0o700)
        self.script = tmp / "gio.sh"

    def session(self, steps: list[list[str]]) -> list[subprocess.CompletedProcess[bytes]]:
        """Run ``gio mount`` then each step in one D-Bus session; one result per step."""
        lines = ["set -u", f"printf '%s\\n' {shlex.quote(PASSWORD)} | {self.gio} mount "
                 f"{shlex.quote(self.base)} || exit 90"]
        for i, step in enumerate(steps):
            args = " ".join(shlex.quote(a) for a in step)
            lines.append(f"{self.gio} {args} > {self.script}.{i}.out 2> {self.script}.{i}.err;"
                         f" echo $? > {self.script}.{i}.rc")
        lines.append(f"{self.gio} mount -u {shlex.quote(self.base)} || true")
        self.script.write_text("\n".join(lines) + "\n")
        run = subprocess.run(["dbus-run-session", "--", "bash", str(self.script)], env=self.env,
                             capture_output=True, text=True, timeout=240)
        if run.returncode == 90:
            pytest.skip(f"gio mount could not start here: {run.stderr.strip()[-300:]}")
        out: list[subprocess.CompletedProcess[bytes]] = []
        for i, step in enumerate(steps):
            rc = Path(f"{self.script}.{i}.rc")
            out.append(subprocess.CompletedProcess(
                step, int(rc.read_text()) if rc.exists() else -1,
                Path(f"{self.script}.{i}.out").read_bytes(),
                Path(f"{self.script}.{i}.err").read_bytes()))
        return out

    def run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        [done] = self.session([list(args)])
        assert done.returncode == 0, (args, done.stderr)
        return done


def names(done: subprocess.CompletedProcess[bytes]) -> list[str]:
    assert done.returncode == 0, (done.args, done.stderr)
    return sorted(n for n in done.stdout.decode().split("\n") if n)


def test_gvfs_lists_opens_renames_moves_deletes_copies_and_creates(
    fresh: tuple[Library, Server], tmp_path: Path
) -> None:
    lib, srv = fresh
    gio = Gio(tmp_path, srv.url)
    u = gio.base
    lake, sunrise = lib.ids["photos/lake.jpg"], lib.ids["photos/sunrise.jpg"]
    # one D-Bus session for the reading steps (a mount costs seconds)
    people, tags, unassigned, opened = gio.session([
        ["list", u + "people/"], ["list", u + "tags/"], ["list", u + "unassigned/"],
        ["cat", u + "people/Ann/lake.jpg"]])
    assert names(people) == ["Ann", "Ben", "Person 3"]
    assert names(tags) == ["holiday", "lake", "sky"]
    assert names(unassigned) == ["night (face 1).jpg", "night (face 2).jpg"]
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout == (lib.folder / "photos/lake.jpg").read_bytes()
    # rename a person (Nautilus: F2 → gio rename)
    gio.run("rename", u + "people/Ben", "Bert")
    assert _person_names(lib.store)[lib.persons["Ben"]] == "Bert"
    # move a photo to another person (drag and drop → gio move)
    gio.run("move", u + "people/Ann/lake.jpg", u + "people/Bert/")
    assert _faces_in(lib.store, lib.persons["Ben"], lake) == [lib.faces["ann_lake"]]
    assert _faces_in(lib.store, lib.persons["Ann"], lake) == []
    # delete a photo from a person: "this is not Ann"; the photo itself stays
    gio.run("remove", u + "people/Ann/sunrise.jpg")
    assert _faces_in(lib.store, lib.persons["Ann"], sunrise) == []
    assert (lib.folder / "photos/sunrise.jpg").exists()
    # copy a photo into a tag folder = tag it
    gio.run("copy", u + "people/Bert/lake.jpg", u + "tags/holiday/")
    assert "holiday" in _tags_of(lib.store, lake)
    # create a tag folder
    gio.run("mkdir", u + "tags/trip")
    assert "trip" in _tag_names(lib.store)


class Kio:
    """``kioclient5`` with the credentials in the URL (KIO sends them after the 401)."""

    def __init__(self, tmp: Path, url: str) -> None:
        self.kio = need("kioclient5", "kde-cli-tools")
        self.base = url.replace("http://", f"webdav://alice:{quote(PASSWORD, safe='')}@", 1) + "/dav/"
        home = tmp / "kio-home"
        home.mkdir()
        runtime = tmp / "kio-run"
        runtime.mkdir(mode=0o700)
        self.env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
        self.env |= {"HOME": str(home), "XDG_RUNTIME_DIR": str(runtime),
                     "QT_QPA_PLATFORM": "offscreen"}

        started = subprocess.run([self.kio, "--version"], env=self.env, capture_output=True,
                                 text=True, timeout=60)
        if started.returncode != 0:
            pytest.skip(f"kioclient5 cannot start here: {started.stderr.strip()[-300:]}")

    def __call__(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([self.kio, "--noninteractive", *args], env=self.env,
                              capture_output=True, timeout=120)

    def ok(self, *args: str) -> bytes:
        run = self(*args)
        errors = b"\n".join(line for line in run.stderr.splitlines()
                            if line.startswith(b"kioclient5:"))
        assert run.returncode == 0 and not errors, (args, run.stderr[-800:])
        return run.stdout

    def ls(self, path: str) -> list[str]:
        return sorted(n for n in self.ok("ls", self.base + path).decode().split("\n")
                      if n not in ("", "."))


def test_kio_lists_opens_renames_moves_deletes_copies_and_creates(
    fresh: tuple[Library, Server], tmp_path: Path
) -> None:
    lib, srv = fresh
    kio = Kio(tmp_path, srv.url)
    u = kio.base
    lake, sunrise = lib.ids["photos/lake.jpg"], lib.ids["photos/sunrise.jpg"]
    assert kio.ls("people/") == ["Ann", "Ben", "Person 3"]
    assert kio.ls("tags/") == ["holiday", "lake", "sky"]
    assert kio.ls("unassigned/") == ["night (face 1).jpg", "night (face 2).jpg"]
    assert kio.ok("cat", u + "people/Ann/lake.jpg") == (lib.folder / "photos/lake.jpg").read_bytes()
    # rename a person (Dolphin's F2 is a KIO move within the folder)
    kio.ok("move", u + "people/Ben", u + "people/Bert")
    assert _person_names(lib.store)[lib.persons["Ben"]] == "Bert"
    assert kio.ls("people/") == ["Ann", "Bert", "Person 3"]
    # move a photo to another person; KIO puts the credentials in the Destination URL too
    kio.ok("move", u + "people/Ann/lake.jpg", u + "people/Bert/lake.jpg")
    assert _faces_in(lib.store, lib.persons["Ben"], lake) == [lib.faces["ann_lake"]]
    assert _faces_in(lib.store, lib.persons["Ann"], lake) == []
    # delete a photo from a person
    kio.ok("remove", u + "people/Ann/sunrise.jpg")
    assert _faces_in(lib.store, lib.persons["Ann"], sunrise) == []
    assert (lib.folder / "photos/sunrise.jpg").exists()
    # copy a photo into a tag. Without kpasswdserver (no desktop session) KIO sends the
    # credentials of the URL only once per job: its "does the target exist?" PROPFIND spends
    # them, and the COPY after it stays at 401. --overwrite skips that check (Dolphin has
    # kpasswdserver, which keeps the credentials for the whole job).
    kio.ok("--overwrite", "copy", u + "people/Bert/lake.jpg", u + "tags/holiday/lake.jpg")
    assert "holiday" in _tags_of(lib.store, lake)
    assert "lake.jpg" in kio.ls("tags/holiday/")
    # create a tag folder: kioclient5 has no mkdir; copying an empty local folder is a MKCOL
    (tmp_path / "trip").mkdir()
    kio.ok("copy", str(tmp_path / "trip"), u + "tags/")
    assert "trip" in _tag_names(lib.store)
