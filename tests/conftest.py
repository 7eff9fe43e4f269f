"""Shared fixtures: the real photo sets in ../shared/data, fresh config and store per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("RECOGNIZE_TEST_DATA", ROOT.parent / "shared" / "data"))


def shared(sub: str) -> Path:
    """Return ``../shared/data/<sub>`` or skip the test with a clear reason."""
    path = SHARED_DATA / sub
    if not path.exists():
        pytest.skip(f"test data {path} is absent (set RECOGNIZE_TEST_DATA to the shared data folder)")
    return path


@pytest.fixture
def shared_data() -> Path:
    return shared("")


# --- a fresh config and store per test ------------------------------------------------------
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

if TYPE_CHECKING:
    from tests.dav.real_library import Real

TEST_PASSWORD = "correct horse battery"


@pytest.fixture(scope="session")
def password_hash() -> str:
    from recognize.passwords import hash_password

    return hash_password(TEST_PASSWORD)


MODELS_CACHE = Path(tempfile.mkdtemp(prefix="recognize-test-models-"))
"""One model cache (converted models, the WordNet tables) for every config the tests write:
it is built once per test session, not once per data directory. Tests of the cache itself
give a cache of their own."""


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(MODELS_CACHE, ignore_errors=True)


def write_config(folder: Path, photos: dict[str, Path], password_hash: str, **sections: dict) -> Path:
    """Write a config with user alice (and bob) and one mount per ``photos`` entry."""
    import tomli_w

    data: dict = {
        "store": {"data_dir": str(folder / "var")},
        "inference": {"cache_dir": str(MODELS_CACHE)},
        "users": [
            {"name": "alice", "password_hash": password_hash},
            {"name": "bob", "password_hash": password_hash},
        ],
        "mounts": [
            {"name": name, "path": str(path), "owners": ["alice"]} for name, path in photos.items()
        ],
    }
    for key, value in sections.items():
        data.setdefault(key, {}).update(value)
    path = folder / "recognize.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def exif_sample(to: Path, every: int = 2) -> Path:
    """Every ``every``-th photo of ``../shared/data/exif`` (sorted, sub-folders kept) copied
    to ``to``: the same mix of cameras, formats and orientations for tests that need many
    real photos but not all of them (a kill-and-resume test)."""
    from recognize.jobs.crawl import walk
    from recognize.media import SUPPORTED_EXTENSIONS

    exif = shared("exif")
    for found in sorted(walk(exif, frozenset(SUPPORTED_EXTENSIONS)), key=lambda f: f.path)[::every]:
        target = to / found.path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(exif / found.path, target)
    return to


def wait_for(predicate, timeout: float = 60.0, every: float = 0.2) -> bool:
    """Poll ``predicate`` every ``every`` s until it holds (True) or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- the real library (tests/dav/real_library.py): real photos, the real cascade, once per session --
@pytest.fixture(scope="session")
def real_template(tmp_path_factory: pytest.TempPathFactory, password_hash: str) -> Real:
    """The real library (see ``real_library``), indexed once per session; copy it to change it."""
    from tests.dav import real_library

    return real_library.build(tmp_path_factory.mktemp("real-library"), password_hash)


@pytest.fixture(scope="session")
def more_template(real_template: Real, tmp_path_factory: pytest.TempPathFactory) -> Real:
    """The real library with ``real_library.MORE`` (a second scan), once per session."""
    from tests.dav import real_library

    return real_library.build_more(real_template, tmp_path_factory.mktemp("more-library"))


# --- a real PostgreSQL server, started once per session -----------------------------------------
def _pg_bin() -> Path | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists() and (candidate / "postgres").exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start a throw-away PostgreSQL cluster on 127.0.0.1 and yield its URL."""
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries are not installed (Debian package: postgresql)")
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="recognize-pg-"))  # pytest's tmp is 0700 for root only
    data = base / "data"
    run_as: list[str] = []
    if os.geteuid() == 0:  # postgres refuses to run as root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL")
        shutil.chown(base, "postgres", "postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    init = subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "recognize",
         "-E", "UTF8", "--no-sync"],
        capture_output=True, text=True,
    )
    if init.returncode != 0:
        pytest.skip(f"initdb failed: {init.stderr.strip()[:300]}")
    port = free_port()
    server = subprocess.Popen(
        [*run_as, str(bindir / "postgres"), "-D", str(data), "-p", str(port),
         "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={base}",
         "-c", "fsync=off", "-c", "max_connections=200"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"postgresql+psycopg://recognize@127.0.0.1:{port}/postgres"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.2)
    else:
        server.kill()
        pytest.skip("PostgreSQL did not start within 30 s")
    time.sleep(0.5)
    yield url
    server.terminate()
    server.wait(timeout=30)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def fresh_pg(postgres_url: str) -> Iterator[str]:
    """A new empty database in the session's PostgreSQL server."""
    import uuid

    from sqlalchemy import create_engine, text

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run a store test against both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("fresh_pg")


# --- markers that say what a test costs: FAST=1 (`-m "not (slow or heavy or ...)"`) skips them --
HEAVY_FIXTURES = {
    "world", "indexed", "server", "real_template", "more_template", "real_faces", "demo_store",
}
"""Fixtures that start a server process or run a model (a scan with the real cascade)."""
POSTGRES_FIXTURES = {"postgres_url", "fresh_pg"}
HEAVY_MODULES = {
    # they run `recognize scan`/workers or load a model themselves
    "tests/core/test_scan.py", "tests/core/test_startup.py", "tests/core/test_api.py",
    "tests/jobs/test_cascade.py", "tests/jobs/test_persons.py", "tests/jobs/test_recognition.py",
    "tests/jobs/test_duplicates.py", "tests/jobs/test_tag_removals.py",
    "tests/jobs/test_tag_removals_shared.py", "tests/jobs/test_retry.py",
    "tests/jobs/test_objects_stage.py", "tests/api/test_openapi.py", "tests/api/test_hardening.py",
    "tests/api/test_isolation.py", "tests/media/test_media_bad_files.py",
    "tests/inference/test_faces.py", "tests/inference/test_faces_closeups.py",
    "tests/inference/test_faces_quality.py", "tests/inference/test_faces_colour.py",
    "tests/inference/test_classify_model.py", "tests/inference/test_classify_rules.py",
    "tests/inference/test_classify_pth.py", "tests/inference/test_objects.py",
    "tests/inference/test_ocr.py", "tests/inference/test_wordnet.py",
    "tests/inference/test_wordnet_words.py", "tests/clustering/test_real_dlib.py",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        module = Path(str(item.fspath)).relative_to(ROOT).as_posix()
        if used & HEAVY_FIXTURES or module in HEAVY_MODULES:
            item.add_marker(pytest.mark.heavy)
        callspec = getattr(item, "callspec", None)
        if used & POSTGRES_FIXTURES or (callspec and "postgres" in callspec.params.values()):
            item.add_marker(pytest.mark.postgres)
