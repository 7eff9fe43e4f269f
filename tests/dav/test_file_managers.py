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
from tests.dav.library import PASSWORD, Server
from tests.dav.real_library import Real, faces, person_folders, tag_names, unassigned_names
from tests.dav.test_clients import need, store_of

pytestmark = [pytest.mark.clients, pytest.mark.slow, pytest.mark.heavy]  # heavy: the cascade


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

    def reads(self, folders: list[str], opened: str) -> tuple[list[list[str]], bytes]:
        """The listings of ``folders`` and the bytes of ``opened``, in one D-Bus session (a
        mount costs seconds)."""
        *listed, got = self.session([["list", self.base + f] for f in folders]
                                    + [["cat", self.base + opened]])
        assert got.returncode == 0, got.stderr
        return [names(done) for done in listed], got.stdout

    def ls(self, folder: str) -> list[str]:
        return names(self.run("list", self.base + folder))

    def rename(self, path: str, new: str) -> None:  # Nautilus: F2 → gio rename
        self.run("rename", self.base + path, new)

    def move(self, path: str, folder: str) -> None:  # drag and drop → gio move
        self.run("move", self.base + path, self.base + folder)

    def remove(self, path: str) -> None:
        self.run("remove", self.base + path)

    def copy(self, path: str, folder: str) -> None:
        self.run("copy", self.base + path, self.base + folder)

    def mkdir(self, folder: str, name: str, tmp: Path) -> None:
        self.run("mkdir", self.base + folder + name)


def names(done: subprocess.CompletedProcess[bytes]) -> list[str]:
    assert done.returncode == 0, (done.args, done.stderr)
    return sorted(n for n in done.stdout.decode().split("\n") if n)


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

    def reads(self, folders: list[str], opened: str) -> tuple[list[list[str]], bytes]:
        return [self.ls(f) for f in folders], self.ok("cat", self.base + opened)

    def rename(self, path: str, new: str) -> None:  # Dolphin's F2: a KIO move in the folder
        self.ok("move", self.base + path, self.base + path.rsplit("/", 1)[0] + "/" + new)

    def move(self, path: str, folder: str) -> None:  # the credentials in Destination too
        self.ok("move", self.base + path, self.base + folder + path.rsplit("/", 1)[-1])

    def remove(self, path: str) -> None:
        self.ok("remove", self.base + path)

    def copy(self, path: str, folder: str) -> None:
        # Without kpasswdserver (no desktop session) KIO sends the credentials of the URL only
        # once per job: its "does the target exist?" PROPFIND spends them, and the COPY after
        # it stays at 401. --overwrite skips that check (Dolphin has kpasswdserver, which
        # keeps the credentials for the whole job).
        self.ok("--overwrite", "copy", self.base + path,
                self.base + folder + path.rsplit("/", 1)[-1])

    def mkdir(self, folder: str, name: str, tmp: Path) -> None:
        # kioclient5 has no mkdir; copying an empty local folder is a MKCOL
        (tmp / name).mkdir()
        self.ok("copy", str(tmp / name), self.base + folder)


def drive(engine: Gio | Kio, lib: Real, tmp: Path) -> None:
    """What a user does in the file manager, each step checked in the store (and the tree)."""
    store = store_of(lib)
    ann, ben = lib.person("ann"), lib.person("ben")
    ann_1, ann_2 = lib.photos["photos/ann_1.jpg"], lib.photos["photos/ann_2.jpg"]
    [face] = faces(lib, "p.id = ?", (ann_1,))
    listed, opened = engine.reads(["people/", "tags/", "unassigned/"], "people/Ann/ann_1.jpg")
    assert listed == [sorted(person_folders(lib)), sorted(tag_names(lib)), unassigned_names(lib)]
    assert opened == lib.original("photos/ann_1.jpg")
    # rename a person
    engine.rename("people/Ben", "Bert")
    assert _person_names(store)[ben] == "Bert"
    assert engine.ls("people/") == sorted(person_folders(lib))
    assert "Bert" in engine.ls("people/")
    # move a photo to another person
    engine.move("people/Ann/ann_1.jpg", "people/Bert/")
    assert _faces_in(store, ben, ann_1) == [face.id]
    assert _faces_in(store, ann, ann_1) == []
    # delete a photo from a person: "this is not Ann"; the photo itself stays
    engine.remove("people/Ann/ann_2.jpg")
    assert _faces_in(store, ann, ann_2) == []
    assert (lib.folder / "photos/ann_2.jpg").exists()
    # copy a photo into a tag folder = tag it
    engine.copy("people/Bert/ann_1.jpg", "tags/holiday/")
    assert "holiday" in _tags_of(store, ann_1)
    assert "ann_1.jpg" in engine.ls("tags/holiday/")
    # create a tag folder
    engine.mkdir("tags/", "trip", tmp)
    assert "trip" in _tag_names(store)
    store.engine.dispose()


@pytest.mark.parametrize("engine", [Gio, Kio], ids=["gvfs", "kio"])
def test_file_manager_lists_opens_renames_moves_deletes_copies_and_creates(
    engine: type[Gio | Kio], fresh_more: tuple[Real, Server], tmp_path: Path
) -> None:
    lib, srv = fresh_more
    drive(engine(tmp_path, srv.url), lib, tmp_path)
